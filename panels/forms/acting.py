"""The form SHA staff fill to hand a panel's chair to another member: who chairs (one of
the panel's other seat holders, or the chair again), why, and the version of the panel the
page was made from (``panels.services.formation.panel_acting_chair_set``)."""

from crispy_forms.helper import FormHelper
from django import forms

from assessments.form_errors import NoTruncation, reason_field
from assessments.text import REASON_MAX_CHARS
from panels.models import Seat

BACK_TO_CHAIR = "chair"  # the choice that hands the chair back to the chair's seat holder


def _cannot(seat: Seat) -> str:
    """Said beside a choice the service would refuse (walk W: a deactivated chair was
    offered the chair back, and refused only after Continue)."""
    if not seat.person.is_active:
        return " (deactivated: cannot chair)"
    if seat.person.user_id is None:
        return " (no account yet: cannot chair)"
    return ""


class HandChairForm(NoTruncation):
    seat = forms.ChoiceField(
        label="Who chairs the panel",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who chairs the panel.",
            "invalid_choice": "Choose who chairs the panel from the list.",
        },
    )
    reason = reason_field(
        label="Reason",
        help_text="Why the chair is handed on (the chair is ill or has left, or is back), in "
        f"at most {REASON_MAX_CHARS:,} characters. Both members are e-mailed it; the panel's "
        "pages and history show it.",
        missing="Give the reason for handing the chair on.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, seats: list[Seat], chair: Seat, acting: Seat | None, **kwargs):
        """``seats``: the panel's seats with their people; ``chair``: the chair's seat;
        ``acting``: the acting chair's seat, if any. Offered: every other held seat but the
        acting chair's, and, while someone acts, the chair again. Whoever may not chair
        (deactivated, no account) is refused by the service, with why."""
        super().__init__(*args, **kwargs)
        self.seats = {str(s.pk): s for s in seats}
        choices = [
            (
                str(s.pk),
                f"{s.person.full_name}, seat {s.seat_type.number} ({s.seat_type.name})"
                + _cannot(s),
            )
            for s in seats
            if s.person is not None and s.pk != chair.pk and (acting is None or s.pk != acting.pk)
        ]
        if acting is not None and chair.person is not None:
            choices.append(
                (BACK_TO_CHAIR, f"{chair.person.full_name} again, the chair" + _cannot(chair))
            )
        self.fields["seat"].choices = choices
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_seat(self) -> Seat | None:
        """The seat chosen, or None for the chair again."""
        value = self.cleaned_data["seat"]
        return None if value == BACK_TO_CHAIR else self.seats[value]
