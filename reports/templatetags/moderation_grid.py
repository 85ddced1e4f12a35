"""The moderation grid's rows, rendered in Python.

A page of the grid has up to 25 PCTs x 14 items, each cell with its value, flags, an adjust
trigger and its live region; as template includes and loops that was thousands of node
renders per page and most of its time. The adjust form is on the page once, in a
``<template>`` (``moderation_adjust_templates``), which the page's script copies into a
cell when its trigger is opened: a form in every cell made the region's moderator's page
4.5 times the size of the national team's, slow to parse and lay out. The page's script and
tests rely on the ids, classes and ``data-`` attributes written here, once per cell, with
every user-supplied text escaped.
"""

from html import escape  # the standard library's, as Django's escape uses, without its lazy wrapper

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from assessments.models import Stage
from assessments.services import ADJUST_REASON_MAX_CHARS
from competencies.vocabulary import LEVELS, Light

register = template.Library()


def rating_value_html(rating) -> SafeString:
    """A rating's value, with the panel's kept value once moderation changed it: the grid's
    cell and the in-place answer (``reports.views.moderation``) show the same HTML.
    ``rating``: an ``AgreedRating`` or a ``reports.moderation.GridRating``."""
    if rating.competency_id:
        html = f'<span class="wcc-level">{escape(str(rating.level))}</span>'
        panel = rating.panel_level
    else:
        light = str(rating.light)
        html = f'<span class="light-{escape(light)}">{escape(light.capitalize())}</span>'
        panel = str(rating.panel_light).capitalize()
    if rating.is_moderated:
        html += f' <span class="mod-panel">(panel: {escape(str(panel))})</span>'
    return mark_safe(html)  # noqa: S308 (each value escaped above)


def _options(values: list[tuple[str, str]], chosen: str) -> str:
    return "".join(
        f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
        f"{escape(label)}</option>"
        for value, label in values
    )


# The <option>s of each choice with each value selected: a handful, made once per process.
_LEVEL_CHOICES = [(str(level), f"Level {level}") for level in LEVELS]
_LEVEL_OPTIONS = {str(chosen): _options(_LEVEL_CHOICES, str(chosen)) for chosen in LEVELS}
_LIGHT_OPTIONS = {chosen: _options(Light.choices, chosen) for chosen in Light.values}


def value_options_html(rating, typed: str = "") -> str:
    """The choice's options, the rating's value selected (or ``typed``, a value the
    moderator chose in a refused adjustment)."""
    if rating.competency_id:
        chosen = typed if typed in _LEVEL_OPTIONS else str(rating.level)
        return _LEVEL_OPTIONS.get(chosen) or _options(_LEVEL_CHOICES, chosen)
    chosen = typed if typed in _LIGHT_OPTIONS else rating.light
    return _LIGHT_OPTIONS.get(chosen) or _options(Light.choices, chosen)


def flag_mark_html(flags) -> str:
    """The ⚑ of a flagged cell: every flag's title and detail, as a tooltip and for screen
    readers (separated, so that they are not read as one run-on sentence)."""
    text = "; ".join(f"{flag.title}: {flag.detail}" for flag in flags)
    return (
        f'<span class="mod-flag-mark" title="{escape(text)}">⚑'
        f'<span class="visually-hidden">{escape(text)}</span></span>'
    )


def adjust_form_html(
    *,
    action: str,
    csrf: str,
    options: str,
    what: str = "",
    pk: int | None = None,
    version: int | None = None,
    typed_reason: str = "",
    refused: bool = False,
) -> str:
    """The adjust form of one rating (``what``: its PCT and item, as HTML), as a refused
    adjustment's cell, the rating's own page and the page's ``<template>`` show it. Without
    ``pk`` (the template) the script fills in the ids, the version and ``what``."""
    ids = f' data-inplace="{pk}"' if pk is not None else ""
    v_id = f' id="v{pk}"' if pk is not None else ""
    r_id = f' id="r{pk}"' if pk is not None else ""
    v_for = f' for="v{pk}"' if pk is not None else ""
    r_for = f' for="r{pk}"' if pk is not None else ""
    reason = f' value="{escape(typed_reason)}"' if typed_reason else ""
    if refused:  # the field the page's error summary links to, marked
        reason += f' aria-invalid="true" aria-describedby="live-{pk}"'
    invalid = " is-invalid" if refused else ""
    return (
        f'<form method="post" action="{escape(action)}" class="mod-adjust__form"{ids} novalidate>'
        f"{csrf}"
        f'<input type="hidden" name="version" value="{"" if version is None else version}">'
        f'<p class="small mb-1" data-what>{what}</p>'
        f'<label class="form-label small mb-0"{v_for}>New value</label>'
        f'<select class="form-select form-select-sm mb-1"{v_id} name="value">{options}</select>'
        f'<label class="form-label small mb-0"{r_for}>Reason (required, up to '
        f"{ADJUST_REASON_MAX_CHARS:,} characters)</label>"
        f'<input class="form-control form-control-sm mb-1{invalid}"{r_id} name="reason"'
        f"{reason} required>"
        '<button type="submit" class="btn btn-sm btn-primary">Save the change</button>'
        "</form>"
    )


def csrf_input(request) -> str:
    token = get_token(request) if request is not None else ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(token)}">'


def what_html(name: str, label: str) -> str:
    """The PCT (bold) and the item an adjust form is about."""
    return f"<strong>{escape(name)}</strong>: {escape(label)}"


class _Grid:
    """What every cell of a page shares: computed once per render, not once per cell."""

    def __init__(self, context):
        data = context["data"]
        self.slug = data.round.slug
        self.sha_code = data.sha.ods_code
        self.can_moderate = bool(context.get("can_moderate"))
        self.adjusted = context.get("adjusted") or {}
        self.request = context.get("request")
        # One reverse for the page; each URL differs only by the rating's id.
        sample = reverse("reports:moderation_adjust", args=[self.slug, self.sha_code, 0])
        self.adjust_head, _zero, self.adjust_tail = sample.rpartition("/0/")
        sample = reverse("reports:moderation_adjust_page", args=[self.slug, self.sha_code, 0])
        self.page_head, _zero, self.page_tail = sample.rpartition("/0/")
        self.subs_sample = reverse(
            "reports:moderation_sub_indicators", args=[self.slug, self.sha_code, "-o-"]
        )

    def subs_url(self, ods_code: str) -> str:
        return self.subs_sample.replace("/-o-/", f"/{ods_code}/")

    def adjust_url(self, rating_id: int) -> str:
        return f"{self.adjust_head}/{rating_id}/{self.adjust_tail}"

    def page_url(self, rating_id: int) -> str:
        return f"{self.page_head}/{rating_id}/{self.page_tail}"

    def row(self, row) -> str:
        pct = row.assessment.pct
        name = escape(pct.name)
        flags = ""
        if row.flags:
            n = len(row.flags)
            count = f"{n} flag{'s' if n != 1 else ''}"
            flags = (
                f' <span class="mod-flag-mark" title="{count}">⚑'
                f'<span class="visually-hidden">{count}</span></span>'
            )
        head = (
            f'<tr id="pct-{escape(pct.ods_code)}" data-test="rating-row">'
            f'<th scope="row"><a href="{reverse("reports:pct_page", args=[pct.ods_code, self.slug])}"'
            f' data-test="pct-link">{name}</a> <span class="wcc-muted small">{escape(pct.ods_code)}'
            "</span>"
            + (  # a panel scores from scoring on; before, there is no consensus page
                f' <a class="small" href="{reverse("panels:consensus", args=[self.slug, pct.ods_code])}"'
                ' data-test="consensus-link">consensus<span class="visually-hidden">'
                f" of {name}'s panel</span></a>"
                if row.assessment.stage >= Stage.SCORING
                else ""
            )
            + (  # its sub-indicator lights: on a page of their own, not in the grid
                f' <a class="small text-nowrap" href="{self.subs_url(escape(pct.ods_code))}"'
                ' data-test="sub-indicators-link">sub-indicators<span class="visually-hidden">'
                f" of {name}</span></a>"
                if any(cell.rating and cell.rating.has_subs for cell in row.cells)
                else ""
            )
            + f"{flags}</th>"
        )
        adjustable = self.can_moderate and row.adjustable
        cells = "".join(self.cell(cell, name, adjustable) for cell in row.cells)
        return f"{head}{cells}</tr>"

    def cell(self, cell, name: str, adjustable: bool) -> str:
        r = cell.rating
        classes = "mod-cell"
        if cell.flags:
            classes += " mod-cell--flagged"
        if r is None:
            return (
                f'<td class="{classes}" data-test="cell-{cell.item}">'
                '<span class="wcc-muted" title="No agreed rating yet">—</span></td>'
            )
        if r.is_moderated:
            classes += " mod-cell--moderated"
        html = [
            f'<td class="{classes}" id="rating-{r.pk}" data-test="cell-{cell.item}">'
            f'<span data-test="value" data-value>{rating_value_html(r)}</span>'
        ]
        if cell.flags:
            html.append(flag_mark_html(cell.flags))
        if adjustable:
            html.append(self.adjust(r, name, cell.label))
        html.append("</td>")
        return "".join(html)

    def adjust(self, r, name: str, label: str) -> str:
        """The cell's adjust trigger and live region. The form itself is the page's
        ``<template>`` (``moderation_adjust_templates``), built in the cell by the page's
        script when the trigger is first opened; without script the trigger opens a link
        to the rating's own page. A refused adjustment without script comes back with its
        form here, open, as typed (at the version now stored)."""
        summary = (
            '<summary title="Adjust"><span aria-hidden="true">✎</span>'
            f'<span class="mod-adjust__label">Adjust {name}: {escape(label)}</span></summary>'
        )
        mine = self.adjusted.get("id") == r.pk
        live_class = f" mod-live--{escape(self.adjusted['level'])}" if mine else ""
        message = escape(self.adjusted["message"]) if mine else ""
        typed_value = self.adjusted.get("value", "") if mine else ""
        typed_reason = self.adjusted.get("reason", "") if mine else ""
        refused = mine and self.adjusted.get("level") == "error"
        if typed_value or typed_reason or refused:
            form = adjust_form_html(
                action=self.adjust_url(r.pk),
                csrf=csrf_input(self.request),
                options=value_options_html(r, typed_value),
                what=f"<strong>{name}</strong>: {escape(label)}",
                pk=r.pk,
                version=r.version,
                typed_reason=typed_reason,
                refused=refused,
            )
            box = f'<details class="mod-adjust" open>{summary}{form}</details>'
        else:
            kind = "level" if r.competency_id else "light"
            box = (
                f'<details class="mod-adjust" data-rating="{r.pk}" data-version="{r.version}"'
                f' data-kind="{kind}" data-value="{escape(str(r.value))}">{summary}'
                f'<a class="mod-adjust__page" href="{self.page_url(r.pk)}">'
                "Open the form on its own page</a></details>"
            )
        return (
            f" {box}"
            f' <span class="mod-live{live_class}" role="status" id="live-{r.pk}"'
            f' data-test="live">{message}</span>'
        )


@register.simple_tag(takes_context=True)
def moderation_grid_rows(context, rows) -> SafeString:
    """The ``<tr>`` of each row of the page (``reports.moderation.RatingRow``)."""
    grid = _Grid(context)
    return mark_safe("".join(grid.row(row) for row in rows))  # noqa: S308 (escaped above)


@register.simple_tag(takes_context=True)
def moderation_adjust_templates(context) -> SafeString:
    """The adjust form once for the page (its security token once), and the options of
    each kind of value: the page's script fills a cell's box from them."""
    sample = reverse(
        "reports:moderation_adjust",
        args=[context["data"].round.slug, context["data"].sha.ods_code, 0],
    )
    form = adjust_form_html(action=sample, csrf=csrf_input(context.get("request")), options="")
    return mark_safe(  # noqa: S308 (escaped in adjust_form_html)
        f'<template id="mod-adjust-form">{form}</template>'
        f'<template id="mod-adjust-level">{_options(_LEVEL_CHOICES, "")}</template>'
        f'<template id="mod-adjust-light">{_options(Light.choices, "")}</template>'
    )
