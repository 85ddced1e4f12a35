"""Regional moderation for SHA staff: statistics, flags with their rules, adjustments, sign-off.

Who: the region's SHA staff moderate (page and forms); the national team may view every
region (its POSTs answer 403: it may see but not change); anyone else gets 404.

The ratings grid shows a page of ``PAGE_SIZE`` PCTs (``?page=N``; flagged PCTs first), so
that a region of hundreds of PCTs loads as fast as a small one; ``?pct=<ODS code or name>``
jumps to the page holding a PCT, and the counts above the grid are the whole region's.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from assessments.access import RegionRound, region_round, view_access
from assessments.confirmation import confirmation_page, confirmed
from assessments.exceptions import ConflictError, TransitionError, refusal_messages
from assessments.factual_accuracy import shown_stage, unanswered_comments_of_regions
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    ModerationAdjustment,
    RegionReview,
    RegionReviewChange,
    Stage,
)
from assessments.models import StrategicHealthAuthority as SHA
from assessments.regions import agreed_rating_moderate, region_sign_off, region_sign_off_check
from assessments.services import ADJUST_REASON_MAX_CHARS
from panels.forms.lookup import PctLookupForm
from reports.kept import Kept
from reports.templatetags.moderation_grid import (
    adjust_form_html,
    csrf_input,
    flag_mark_html,
    rating_value_html,
    value_options_html,
    what_html,
)

PAGE_SIZE = 25  # PCTs per page of the ratings grid: a screenful or two, 350 cells at most

# The flags and the region-against-England tables depend only on the region's kept figures
# and took a third of the page's rendering: their HTML is kept under the figures' own key.
_PARTS: Kept[dict] = Kept("moderation page parts", size=32)

# Looking at a region: its staff and the national team; changing it: its staff only (the
# national team gets 403); anyone else 404.
moderation_access = view_access(
    "reports.moderate_region", lookup=region_round, change="reports.change_moderation"
)
# A rating's own adjust page is nothing but its form: the adjust POST's permission for
# every method (the national team gets 403).
adjust_page_access = view_access(
    "reports.moderate_region",
    lookup=region_round,
    change="reports.change_moderation",
    change_always=True,
)


def _page(round_: AssessmentRound, sha: SHA) -> str:
    return reverse("reports:moderation", args=[round_.slug, sha.ods_code])


def _page_number(position: int) -> int:
    """The grid page (from 1) that holds the PCT at ``position`` of the grid's order."""
    return position // PAGE_SIZE + 1


@require_safe
@moderation_access
def moderation_page(request, region: RegionRound):
    round_, sha = region.round, region.sha
    from reports.moderation import grid_ratings, rating_rows, region_stage  # pandas on first use

    data = _moderation(region)
    ordered = data.ordered
    lookup = PctLookupForm(
        request.GET if "pct" in request.GET else None, pcts=ordered, where=f"of {sha.name}"
    )
    if lookup.is_bound and lookup.is_valid():
        position, found = lookup.cleaned_data["pct"], lookup.found
        if note := lookup.several_matched():
            messages.info(request, note)
        return redirect(f"{_page(round_, sha)}?page={_page_number(position)}#pct-{found.ods_code}")
    paginator = Paginator(ordered, PAGE_SIZE)
    try:
        page = paginator.page(request.GET.get("page", "1"))
    except InvalidPage:
        raise Http404("No such page of the grid.") from None
    ids = [pct.assessment_id for pct in page.object_list]
    by_id = Assessment.objects.select_related("pct").in_bulk(ids)
    ratings = grid_ratings(assessment_ids=ids)
    review = (
        RegionReview.objects.filter(round=round_, sha=sha)
        .select_related("signed_off_by", "decided_by")
        .prefetch_related(
            Prefetch("changes", queryset=RegionReviewChange.objects.select_related("decided_by"))
        )
        .first()
    )
    can_moderate = request.user.has_perm("reports.change_moderation", region)
    unanswered = list(unanswered_comments_of_regions(sha_ids=[sha.pk], round_=round_))
    status = review.status if review else RegionReview.Status.MODERATING
    adjusted = _adjusted(request)
    refused = bool(adjusted and adjusted["level"] == "error")
    return render(
        request,
        "reports/moderation.html",
        {
            "data": data,
            "kept_html": _kept_parts(data),
            "page": page,
            "page_numbers": list(page.paginator.get_elided_page_range(page.number)),
            "lookup": lookup,
            "rows": rating_rows(
                assessments=[by_id[i] for i in ids],
                ratings=ratings,
                items=data.items,
                pct_flags=data.figures.pct_flags,
            ),
            "review": review,
            "unanswered": unanswered,
            "adjusted": adjusted,
            # a refusal is said in the page's error summary: not again above it
            "messages_in_summary": refused,
            "adjust_entry": (f"#r{adjusted['id']}", adjusted["message"]) if refused else None,
            "status": status,
            "status_text": (
                review.get_status_display()
                if review and status != RegionReview.Status.MODERATING
                else region_stage({stage.value: n for stage, n in data.stage_counts})
            ),
            "stages": data.stages,
            "can_moderate": can_moderate,
            "can_sign_off": can_moderate
            and status in (RegionReview.Status.MODERATING, RegionReview.Status.SENT_BACK),
        },
    )


def _kept_parts(data) -> dict:
    """The page's parts made from the kept figures alone, rendered once per figures key."""

    def render_parts() -> dict:
        return {
            part: render_to_string(f"reports/moderation_{part}.html", {"data": data})
            for part in ("flags", "stats")
        }

    return _PARTS.get((data.figures.key, data.round.slug, data.sha.ods_code), render_parts)


def _moderation(region: RegionRound):
    from reports.moderation import moderation  # pandas on first use

    return moderation(round_=region.round, sha=region.sha)


# A refused adjustment without script: what was typed, for the page it redirects to.
TYPED_KEY = "moderation_adjust_typed"
# Kept far past the longest reason taken (ADJUST_REASON_MAX_CHARS), so that a reason refused
# for its length comes back whole to be shortened (walk L: one of 4,503 came back cut).
TYPED_REASON_MAX = 20 * ADJUST_REASON_MAX_CHARS


def _adjusted(request) -> dict | None:
    """After an adjustment without script (``?adjusted=<rating id>``): the message, to
    repeat beside that rating as well as at the top of the page, and after a refusal the
    value and reason typed (``TYPED_KEY``), for its form to show again."""
    try:
        rating_id = int(request.GET.get("adjusted", ""))
    except ValueError:
        return None
    # Reading the messages here leaves them for the page's own list (same request).
    last = None
    for message in messages.get_messages(request):
        last = message
    if last is None:
        return None
    typed = request.session.pop(TYPED_KEY, None)
    if not isinstance(typed, dict) or typed.get("id") != rating_id:
        typed = {}
    return {
        "id": rating_id,
        "message": str(last),
        "level": last.level_tag,
        "value": str(typed.get("value", "")),
        "reason": str(typed.get("reason", "")),
    }


@require_safe
@moderation_access
def moderation_progress(request, region: RegionRound):
    """The region's PCTs and their stages as the grid shows them (``shown_stage``), for
    the live progress grid (one query)."""
    round_, sha = region.round, region.sha
    rows = (
        Assessment.objects.filter(round=round_, pct__sha=sha)
        .annotate(shown=shown_stage(round_))
        .order_by("pct__name")
        .values_list("pct__ods_code", "shown")
    )
    return JsonResponse(
        {
            "round": round_.slug,
            "sha": sha.ods_code,
            "assessments": [{"ods_code": ods, "stage": stage} for ods, stage in rows],
        }
    )


def _region_rating(region: RegionRound, rating_id: int) -> AgreedRating | None:
    return (
        AgreedRating.objects.select_related(
            "assessment__pct", "competency", "area", "sub_indicator__area"
        )
        .filter(pk=rating_id, assessment__round=region.round, assessment__pct__sha=region.sha)
        .first()
    )


def _wants_fragment(request) -> bool:
    """The page's script adjusts in place: it asks for JSON (or marks ``?inplace=1``)."""
    return request.GET.get("inplace") == "1" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _fragment(
    rating: AgreedRating, *, ok: bool, message: str, status: int, data=None
) -> JsonResponse:
    """The changed cell for the page's script: its value (with the panel's kept value and
    the "changed" mark) as HTML, its new version, and the message to show beside it; after
    a change (``data``: the region's figures now), the cell's flags as they now are and the
    region's counts above the grid (PCTs flagged, PCTs adjusted, flags)."""
    counts = flag_html = None
    if data is not None:
        counts = {**data.counts, "flags": len(data.flags)}
        ods, item = rating.assessment.pct.ods_code, rating.item.code
        flags = [f for f in data.flags if f.ods_code == ods and f.item == item]
        flag_html = flag_mark_html(flags) if flags else ""
    return JsonResponse(
        {
            "ok": ok,
            "message": message,
            "counts": counts,
            "rating": {
                "id": rating.pk,
                "version": rating.version,
                "value": rating.value,
                "panel_value": rating.panel_value,
                "moderated": rating.is_moderated,
                "html": rating_value_html(rating),
                "flags_html": flag_html,  # None: unchanged (a refusal)
            },
        },
        status=status,
    )


class SignedInAsSomeoneElse(Exception):
    pass


def _check_signed_in_as(request) -> None:
    """The page's script sends who it was served to (``signed_in_as``): since it sends the
    browser's current security token (to survive signing in again), someone else signing
    in in another tab would otherwise have the change recorded under their name (the
    two-tabs walk)."""
    sent = request.POST.get("signed_in_as", "")
    if sent and sent != str(request.user.pk):
        name = request.user.get_full_name() or request.user.get_username()
        raise SignedInAsSomeoneElse(
            f"This browser is now signed in as {name} (someone signed in in another tab): "
            f"the change would be recorded under that name. Your choice and reason are "
            f"kept: sign in again as yourself in another tab and save again, or reload the "
            f"page to work as {name}."
        )


@require_safe
@adjust_page_access
def adjust_page(request, region: RegionRound, rating_id: int):
    """One rating's adjust form on a page of its own: the grid's trigger links here when the
    page's script does not run (the script builds the form in the cell). The form posts to
    ``adjust``, which answers as for the grid's form."""
    rating = _region_rating(region, rating_id)
    if rating is None:
        raise Http404("No such rating.")
    round_, sha = region.round, region.sha
    pct = rating.assessment.pct
    form = None
    if rating.assessment.stage == Stage.MODERATION:
        form = adjust_form_html(
            action=reverse(
                "reports:moderation_adjust", args=[round_.slug, sha.ods_code, rating.pk]
            ),
            csrf=csrf_input(request),
            options=value_options_html(rating),
            what=what_html(pct.name, str(rating.item)),
            pk=rating.pk,
            version=rating.version,
        )
    area = rating.area or (rating.sub_indicator.area if rating.sub_indicator_id else None)
    subs_url = _subs_page(round_, sha, pct.ods_code, area.code) if area else None
    return render(
        request,
        "reports/moderation_adjust.html",
        {
            "region": region,
            "rating": rating,
            "pct": pct,
            "value_html": rating_value_html(rating),
            "adjust_form": form,
            "back": f"{_page(round_, sha)}?pct={pct.ods_code}",
            # an area's page offers its sub-indicators; a sub-indicator's leads back to them
            "area": area,
            "subs_url": subs_url,
            "subs_count": (
                AgreedRating.objects.filter(
                    assessment_id=rating.assessment_id, sub_indicator__area=area
                ).count()
                if rating.area_id
                else 0
            ),
        },
    )


def _subs_page(round_: AssessmentRound, sha: SHA, ods_code: str, area_code: str = "") -> str:
    """The PCT's sub-indicators page (at one area's, with ``area_code``)."""
    page = reverse("reports:moderation_sub_indicators", args=[round_.slug, sha.ods_code, ods_code])
    return f"{page}#{area_code}" if area_code else page


@require_safe
@moderation_access
def sub_indicators_page(request, region: RegionRound, ods: str):
    """A PCT's agreed sub-indicator lights, by governance area, each with its adjust form
    for the region's staff while the PCT is at regional moderation: the grid's row links
    here, so that sub-indicators do not widen the grid. Each form posts to ``adjust``,
    which comes back here (``?adjusted=`` as for the grid)."""
    round_, sha = region.round, region.sha
    assessment = (
        Assessment.objects.select_related("pct")
        .filter(round=round_, pct__sha=sha, pct__ods_code__iexact=ods)
        .first()
    )
    if assessment is None:
        raise Http404("No such PCT in this region's round.")
    pct = assessment.pct
    ratings = list(
        AgreedRating.objects.filter(assessment=assessment, sub_indicator__isnull=False)
        .select_related("sub_indicator__area")
        .prefetch_related(
            Prefetch(
                "adjustments",
                queryset=ModerationAdjustment.objects.select_related("adjusted_by"),
            )
        )
        .order_by("sub_indicator__area__position", "sub_indicator__number")
    )
    area_ratings = {
        r.area_id: r for r in AgreedRating.objects.filter(assessment=assessment, area__isnull=False)
    }
    adjustable = (
        request.user.has_perm("reports.change_moderation", region)
        and assessment.stage == Stage.MODERATION
    )
    adjusted = _adjusted(request) or {}
    refused = adjusted.get("level") == "error"
    areas: dict[int, dict] = {}
    for rating in ratings:
        area = rating.sub_indicator.area
        if area.pk not in areas:
            area_rating = area_ratings.get(area.pk)
            areas[area.pk] = {
                "area": area,
                "value_html": rating_value_html(area_rating) if area_rating else "",
                "rows": [],
            }
        mine = adjusted.get("id") == rating.pk
        form = None
        if adjustable:
            form = adjust_form_html(
                action=reverse(
                    "reports:moderation_adjust", args=[round_.slug, sha.ods_code, rating.pk]
                ),
                csrf=csrf_input(request),
                options=value_options_html(rating, adjusted.get("value", "") if mine else ""),
                what=what_html(pct.name, str(rating.item)),
                pk=rating.pk,
                version=rating.version,
                typed_reason=adjusted.get("reason", "") if mine else "",
                refused=mine and refused,
            )
        adjustments = list(rating.adjustments.all())
        areas[area.pk]["rows"].append(
            {
                "rating": rating,
                "label": f"{rating.sub_indicator.number}. {rating.sub_indicator.name}",
                "value_html": rating_value_html(rating),
                "last": adjustments[-1] if adjustments else None,
                "form": form,
                "message": adjusted["message"] if mine else "",
                "level": adjusted["level"] if mine else "",
            }
        )
    return render(
        request,
        "reports/moderation_sub_indicators.html",
        {
            "region": region,
            "pct": pct,
            "areas": list(areas.values()),
            "adjustable": adjustable,
            "at_moderation": assessment.stage == Stage.MODERATION,
            "messages_in_summary": refused,
            "adjust_entry": (f"#r{adjusted['id']}", adjusted["message"]) if refused else None,
            "back": f"{_page(round_, sha)}?pct={pct.ods_code}",
        },
    )


@require_POST
@moderation_access
def adjust(request, region: RegionRound, rating_id: int):
    """Adjust one rating with a reason. Without script: POST, then back to the page at the
    rating (``?adjusted=`` repeats the message beside it). The page's script asks for a
    fragment instead and puts it in place (``static/reports/moderation-adjust.js``)."""
    round_, sha = region.round, region.sha
    rating = _region_rating(region, rating_id)
    if rating is None:
        raise Http404("No such rating.")
    where = f"{rating.assessment.pct.name}, {rating.item}"
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0  # a stale or missing version: the service answers with the current value
    panel_value = rating.panel_value
    try:
        _check_signed_in_as(request)
        agreed_rating_moderate(
            rating=rating,
            value=request.POST.get("value", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
            expected_version=version,
        )
    except SignedInAsSomeoneElse as exc:
        ok, status = False, 409
        message = f"{where}: not changed. {exc}"
    except ConflictError:
        ok, status = False, 409
        rating = _region_rating(region, rating_id)  # as it is now
        # Both ways (script or not) the form keeps the value and reason, at the version
        # now stored: saving again replaces the other change knowingly.
        message = (
            f"{where}: not changed. Someone else changed it since you opened the page (it "
            f"is now {rating.value}). Your choice and reason are kept: save again to "
            "replace it."
        )
    except (ValidationError, TransitionError) as exc:
        ok, status = False, 422
        message = f"{where}: not changed. {' '.join(refusal_messages(exc))}"
        rating = _region_rating(region, rating_id)  # as it is now
    else:
        ok, status = True, 200
        message = (
            f"{where}: back to the panel's {panel_value}."
            if str(rating.value) == str(panel_value)
            else f"{where}: now {rating.value} (the panel's {panel_value} is kept)."
        )
    if _wants_fragment(request):
        data = _moderation(region) if ok else None  # the figures of the new version
        return _fragment(rating, ok=ok, message=message, status=status, data=data)
    typed_reason = request.POST.get("reason", "")
    if not ok and len(typed_reason) > TYPED_REASON_MAX:
        message += f" Only the first {TYPED_REASON_MAX:,} characters of your reason are kept below."
    (messages.success if ok else messages.error)(request, message)
    if not ok:
        # Nothing typed is lost: the page shows this cell's form open again, as typed.
        request.session[TYPED_KEY] = {
            "id": rating.pk,
            "value": request.POST.get("value", "")[:20],
            "reason": typed_reason[:TYPED_REASON_MAX],
        }
    ods = rating.assessment.pct.ods_code
    if rating.sub_indicator_id:  # not in the grid: back to the area's sub-indicators
        subs = _subs_page(round_, sha, ods)
        return redirect(f"{subs}?adjusted={rating.pk}#rating-{rating.pk}")
    codes = [pct.ods_code for pct in _moderation(region).ordered]
    number = _page_number(codes.index(ods)) if ods in codes else 1
    return redirect(_page(round_, sha) + f"?page={number}&adjusted={rating.pk}#rating-{rating.pk}")


@require_POST
@moderation_access
def sign_off(request, region: RegionRound):
    """Sign off the region: the first POST shows what will happen (or why it cannot); the
    confirming one (``confirm``) signs off."""
    round_, sha = region.round, region.sha
    try:
        if not confirmed(request):
            assessments = region_sign_off_check(round_=round_, sha=sha)
            moving = sum(1 for a in assessments if a.stage == Stage.MODERATION)
            return confirmation_page(
                request,
                title=f"Sign off {sha.name} for {round_.name}?",
                happens=[
                    f"The {moving} assessment{'s' if moving != 1 else ''} of {sha.name} at "
                    "regional moderation go to the national cross-check.",
                    "Ratings can no longer be adjusted here, unless the national team sends "
                    "the region back.",
                ],
                told="Nobody is e-mailed. The national team sees the region as signed off "
                "on its cross-check page.",
                button=f"Confirm and sign off {sha.name}",
                back=_page(round_, sha) + "#sign-off-heading",
                context={
                    "undo_note": "If something needs another look, the national team can "
                    "send the region back to you."
                },
            )
        region_sign_off(round_=round_, sha=sha, by=request.user)
    except (ValidationError, TransitionError, ConflictError) as exc:
        messages.error(request, " ".join(refusal_messages(exc)))
    else:
        messages.success(
            request,
            f"{sha.name} signed off: its assessments have gone to the national cross-check. "
            "Nobody was e-mailed; the national team sees it on the cross-check page.",
        )
    return redirect(_page(round_, sha))


urlpatterns = [
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/", moderation_page, name="moderation"
    ),
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/progress.json",
        moderation_progress,
        name="moderation_progress",
    ),
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/adjust/<int:rating_id>/",
        adjust,
        name="moderation_adjust",
    ),
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/adjust/<int:rating_id>/form/",
        adjust_page,
        name="moderation_adjust_page",
    ),
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/pct/<str:ods>/sub-indicators/",
        sub_indicators_page,
        name="moderation_sub_indicators",
    ),
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/sign-off/",
        sign_off,
        name="moderation_sign_off",
    ),
]
