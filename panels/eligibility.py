"""Who may sit in which seat: the seat rules (data on ``SeatType``) and the conflict rules.

``seat_refusals`` answers with sentences a member of SHA staff can act on, each naming the
seat and the rule; an empty list means the person may take the seat. ``eligibility_q``
is the same seat rule as a database filter, so that each seat offers only eligible people.
``seated_on_panels`` is the rule's other side, for the board accounts pages.
``inactive_refusal`` refuses a deactivated person for a seat they do not hold yet (the
seats they hold stay theirs). ``seat_types_open_to`` says which seats a person may ever
hold, whatever the panel (the people list shows it). ``reciprocal_chief_executives`` finds what is allowed but worth a second look: two chief
executives assessing each other's PCT in the same round (``panels.selectors`` turns it
into warnings).
"""

from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from assessments.models import Assessment, Role, Stage
from panels.models import JobRole, Person, Seat, SeatType

# Seats may be changed until scoring opens; after that the server refuses.
SEAT_CHANGE_STAGES = frozenset({Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION})


@dataclass(frozen=True)
class Refusal:
    rule: str  # a ConflictRule code
    message: str


def _lower_first(label: str) -> str:
    """Lower-case the first letter ("medical director"), but not an acronym ("SHA ...")."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _with_article(text: str) -> str:
    """ "an executive director", "an SHA director", "a medical director"."""
    vowel_sound = text[:1].lower() in "aeiou" or text.startswith(("SHA", "NHS"))
    return f"{'an' if vowel_sound else 'a'} {text}"


def _roles(codes: list[str]) -> str:
    labels = [_lower_first(JobRole(code).label) for code in codes]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]


def _where(person: Person) -> str:
    organisation = person.organisation
    return f"{person.full_name} ({_lower_first(person.get_job_role_display())}, {organisation})"


def affiliation_fits(seat_type: SeatType, person: Person, assessment: Assessment) -> bool:
    pct = assessment.pct
    if seat_type.affiliation == SeatType.Affiliation.OWN_SHA:
        return person.sha_id is not None and person.sha_id == pct.sha_id
    if seat_type.affiliation == SeatType.Affiliation.OTHER_PCT:
        return person.pct_id is not None and person.pct_id != pct.pk
    if seat_type.affiliation == SeatType.Affiliation.OTHER_SHA_PCT:
        return person.pct_id is not None and person.pct.sha_id != pct.sha_id
    if seat_type.affiliation == SeatType.Affiliation.OUTSIDE_NHS:
        return person.external_organisation_id is not None
    return False


def eligibility_q(*, seat_type: SeatType, assessment: Assessment) -> Q:
    """The people who may take ``seat_type`` on the panel of ``assessment``, as a filter.

    The database form of the role, affiliation and own-organisation rules of
    ``seat_refusals`` (one person, one seat depends on the panel and is not included).
    """
    pct = assessment.pct
    fits = {
        SeatType.Affiliation.OWN_SHA: Q(sha_id=pct.sha_id),
        SeatType.Affiliation.OTHER_PCT: Q(pct__isnull=False),
        SeatType.Affiliation.OTHER_SHA_PCT: Q(pct__isnull=False) & ~Q(pct__sha_id=pct.sha_id),
        SeatType.Affiliation.OUTSIDE_NHS: Q(external_organisation__isnull=False),
    }.get(seat_type.affiliation)
    if fits is None:
        return Q(pk__in=[])
    own_pct = Q(pct_id=assessment.pct_id)
    board = Exists(
        Role.objects.filter(
            user_id=OuterRef("user_id"), kind=Role.Kind.PCT_BOARD, pct_id=assessment.pct_id
        )
    )
    return Q(job_role__in=list(seat_type.eligible_roles)) & fits & ~own_pct & ~board


def inactive_refusal(*, seat_type: SeatType, person: Person) -> Refusal | None:
    """A deactivated person is no longer offered for new seats (``Person.is_active``)."""
    if person.is_active:
        return None
    return Refusal(
        "inactive-person",
        f"Seat {seat_type.number} ({seat_type.name}): {person.full_name} has been "
        "deactivated and can no longer be given a seat.",
    )


def seat_types_open_to(person: Person, seat_types: list[SeatType]) -> list[SeatType]:
    """The seat types ``person`` may hold on some panel: their job role is one the seat
    takes, and their kind of organisation is the one it takes from (an SHA for the SHA's
    own seat, a PCT for another PCT's or another SHA area's, an organisation outside the
    NHS for the international reviewer). Which panel is another matter: see
    ``seat_refusals``."""
    kinds = {
        SeatType.Affiliation.OWN_SHA: person.sha_id is not None,
        SeatType.Affiliation.OTHER_PCT: person.pct_id is not None,
        SeatType.Affiliation.OTHER_SHA_PCT: person.pct_id is not None,
        SeatType.Affiliation.OUTSIDE_NHS: person.external_organisation_id is not None,
    }
    return [
        t
        for t in seat_types
        if person.job_role in t.eligible_roles and kinds.get(t.affiliation, False)
    ]


def acts_for_board(person: Person, assessment: Assessment) -> bool:
    """Whether the person's account holds the board role of the assessed PCT (one query)."""
    if person.user_id is None:
        return False
    return Role.objects.filter(
        user_id=person.user_id, kind=Role.Kind.PCT_BOARD, pct_id=assessment.pct_id
    ).exists()


def seated_on_panels(
    user_ids: Collection[int], pct_ids: Collection[int]
) -> dict[tuple[int, int], str]:
    """The other side of ``acts_for_board``, for the board accounts pages
    (``assessments.role_accounts.board_refusals``, registered by ``PanelsConfig.ready``):
    which of the accounts sit on the panel of which of the PCTs in a round not yet
    published, as {(account id, PCT id): why}. One query."""
    if not user_ids or not pct_ids:
        return {}
    now = timezone.now()
    seats = (
        Seat.objects.filter(
            person__user_id__in=list(user_ids), panel__assessment__pct_id__in=list(pct_ids)
        )
        .filter(
            Q(panel__assessment__round__published_at__isnull=True)
            | Q(panel__assessment__round__published_at__gt=now)
        )
        .select_related("seat_type", "panel__assessment__pct", "panel__assessment__round")
        .order_by("panel__assessment__round__slug", "seat_type__number")
    )
    found: dict[tuple[int, int], str] = {}
    for seat in seats:
        assessment = seat.panel.assessment
        found.setdefault(
            (seat.person.user_id, assessment.pct_id),
            f"sits on the panel of {assessment.pct.name} for {assessment.round.name} (seat "
            f"{seat.seat_type.number}, {seat.seat_type.name}): nobody may act for the board of "
            "a PCT whose panel they sit on.",
        )
    return found


def seat_refusals(
    *, seat_type: SeatType, person: Person, assessment: Assessment, other_seats: list[Seat]
) -> list[Refusal]:
    """Why ``person`` may not take ``seat_type`` on the panel of ``assessment``.

    ``other_seats`` are the panel's other seats (with ``person`` loaded), to apply
    "one person, one seat".
    """
    seat = f"Seat {seat_type.number} ({seat_type.name})"
    refusals: list[Refusal] = []
    own_organisation = person.pct_id is not None and person.pct_id == assessment.pct_id
    if own_organisation:
        refusals.append(
            Refusal(
                "own-organisation",
                f"{seat}: {person.full_name} works for {assessment.pct}, the PCT under "
                "assessment; nobody may sit on the panel of their own organisation.",
            )
        )
    if person.job_role not in seat_type.eligible_roles:
        refusals.append(
            Refusal(
                "seat-eligibility",
                f"{seat}: {_where(person)} is not eligible; this seat takes "
                f"{_with_article(_roles(seat_type.eligible_roles))}.",
            )
        )
    if not own_organisation and not affiliation_fits(seat_type, person, assessment):
        refusals.append(
            Refusal(
                "seat-eligibility",
                f"{seat}: {_where(person)} is not eligible; this seat takes someone from "
                f"{_lower_first(seat_type.get_affiliation_display())}.",
            )
        )
    if acts_for_board(person, assessment):
        refusals.append(
            Refusal(
                "own-organisation",
                f"{seat}: {person.full_name} acts for the board of {assessment.pct}; nobody "
                "may sit on the panel of a PCT whose board they act for.",
            )
        )
    taken = [s for s in other_seats if s.person_id == person.pk and s.seat_type_id != seat_type.pk]
    if taken:
        refusals.append(
            Refusal(
                "one-person-one-seat",
                f"{seat}: {person.full_name} already holds seat {taken[0].seat_type.number} "
                "on this panel; one person holds one seat.",
            )
        )
    return refusals


def reciprocal_chief_executives(round_seats: list[tuple[int, int, int]]) -> set[tuple[int, int]]:
    """Pairs of PCTs whose chief executives sit on each other's panels.

    ``round_seats`` are ``(person's PCT id, assessed PCT id, person's job role)``
    for the round; the answer holds each pair once, as (smaller id, larger id).
    """
    edges = {
        (own, assessed)
        for own, assessed, role in round_seats
        if role == JobRole.CHIEF_EXECUTIVE and own is not None
    }
    return {(min(a, b), max(a, b)) for a, b in edges if (b, a) in edges}
