"""The five-seat form SHA staff fill for one PCT's panel.

Each seat is a select offering only the people eligible for it (from
``panels.selectors.eligible_people``), each shown with their job title, organisation and
how many panels they already sit on this round. The field itself accepts any person's id,
so that an ineligible choice posted directly reaches the service and is refused there with
the seat and the rule, rather than with a bare "not one of the choices".
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms

from assessments.form_errors import reason_field
from assessments.forms import ReasonForm
from assessments.text import REASON_MAX_CHARS
from panels.models import Person, Seat, SeatType


def person_label(person: Person, panels: int | None = None) -> str:
    """How a person is offered: name — job title, organisation (panels this round)."""
    role = person.job_title or person.get_job_role_display()
    organisation = str(person.organisation or "")
    label = f"{person.full_name} — {role}"
    if organisation and organisation not in role:  # "Medical Director, Salford" says it
        label += f", {organisation}"
    if panels is not None:
        label += f" ({panels} panel{'' if panels == 1 else 's'} this round)"
    return label


def seat_field_name(seat_type: SeatType) -> str:
    return f"seat_{seat_type.number}"


class PanelSeatsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        seat_types: list[SeatType],
        eligible: dict[int, list[Person]],
        current: dict[int, Seat],
        **kwargs,
    ):
        """``eligible`` maps seat numbers to the people offered (annotated with
        ``panels_this_round``); ``current`` maps seat numbers to the panel's seats."""
        super().__init__(*args, **kwargs)
        self.seat_types = seat_types
        for seat_type in seat_types:
            people = eligible.get(seat_type.number, [])
            choices = [("", "— Nobody yet —")]
            choices += [(p.pk, person_label(p, p.panels_this_round)) for p in people]
            holder = getattr(current.get(seat_type.number), "person", None)
            if holder is not None and holder.pk not in {p.pk for p in people}:
                choices.append(
                    (holder.pk, person_label(holder) + " — not eligible for this seat now")
                )
            name = seat_field_name(seat_type)
            self.fields[name] = forms.IntegerField(
                label=f"Seat {seat_type.number}: {seat_type.name}",
                help_text=seat_type.description,
                required=False,
                widget=forms.Select(choices=choices),
            )
            if not self.is_bound and holder is not None:
                self.initial.setdefault(name, holder.pk)  # unless given: chosen, not saved
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "version",
            *[Field(seat_field_name(t)) for t in seat_types],
            Div(Submit("save", "Save seats"), css_class="mt-3"),
        )

    def clean(self):
        cleaned = super().clean()
        ids = {
            cleaned[seat_field_name(t)]
            for t in self.seat_types
            if cleaned.get(seat_field_name(t)) is not None
            # a posted id the database cannot hold is nobody's (the bad-input walk: a
            # 20-digit id was an OverflowError, a 500)
            and 0 < cleaned[seat_field_name(t)] < 2**63
        }
        found = Person.objects.select_related("sha", "pct", "external_organisation").in_bulk(ids)
        people = {}
        for seat_type in self.seat_types:
            name = seat_field_name(seat_type)
            if name not in cleaned:
                continue  # the field's own error is shown
            if self.is_bound and name not in self.data:
                continue  # not posted at all (not "Nobody yet"): the seat keeps its holder
            pk = cleaned[name]
            if pk is not None and pk not in found:  # an id past the database's is none too
                self.add_error(name, f"Seat {seat_type.number}: there is no such person.")
                continue
            people[seat_type.number] = found.get(pk) if pk is not None else None
        cleaned["people"] = people
        return cleaned


class ProceedWithoutForm(ReasonForm):
    """The reason SHA staff proceed to a PCT's panel without its board's self-assessment
    (``assessments.proceeding``), and the assessment's version the page was made from."""

    reason = reason_field(
        label="Reason",
        help_text="Why the panel proceeds without the board's self-assessment, in at most "
        f"{REASON_MAX_CHARS:,} characters. The board is e-mailed it; the panel and the history "
        "show it.",
        missing="Give the reason for proceeding without the board's self-assessment.",
    )
