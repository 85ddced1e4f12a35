"""A small region for formation tests: the five real seat types and one eligible person each.

``build_region()`` gives an assessed PCT in SHA A (at panel formation), another PCT in
SHA A (clinical and services leaders come from there), a PCT in SHA B (its chief
executive takes seat 5), an SHA A director (the chair) and an outside executive.
"""

from dataclasses import dataclass, field

from assessments.models import Assessment, AssessmentRound, Stage
from panels.models import JobRole, Panel, Person, Seat, SeatType
from panels.reference import FIXTURES_DIR, seat_types_load
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    ExternalOrganisationFactory,
    PCTFactory,
    PersonFactory,
    SHAFactory,
    UserFactory,
)


def load_seat_types() -> dict[int, SeatType]:
    seat_types_load(path=FIXTURES_DIR / "seat_types.json")
    return {t.number: t for t in SeatType.objects.all()}


def person(role: str, *, pct=None, sha=None, external=None, name=None, title="", email=True):
    """A person with a user account; affiliated with ``pct``, ``sha`` or ``external``."""
    user = UserFactory()
    kwargs = {
        "job_role": role,
        "job_title": title,
        "user": user,
        "email": f"{user.username}@example.nhs.uk" if email else "",
    }
    if name:
        kwargs["full_name"] = name
    if sha is not None:
        kwargs |= {"sha": sha, "pct": None}
    elif external is not None:
        kwargs |= {"external_organisation": external, "pct": None}
    else:
        kwargs["pct"] = pct
    return PersonFactory(**kwargs)


@dataclass
class Region:
    seat_types: dict[int, SeatType]
    round: AssessmentRound
    assessment: Assessment
    sha_a: object
    sha_b: object
    other_pct_a: object
    pct_b: object
    people: dict[int, Person] = field(default_factory=dict)  # one eligible person per seat

    @property
    def pct(self):
        return self.assessment.pct

    def seated(self) -> Panel:
        """The panel with every seat filled by ``people``."""
        panel = Panel.objects.create(assessment=self.assessment)
        for number, seat_type in self.seat_types.items():
            Seat.objects.create(panel=panel, seat_type=seat_type, person=self.people[number])
        return panel

    def last_years_panel(self, slug: str = "2008-09") -> AssessmentRound:
        """A previous round (returned) whose panel of this PCT held ``people``: what *Copy
        the panel* seats again."""
        previous = AssessmentRoundFactory(slug=slug)
        self.round.previous = previous
        self.round.save(update_fields=["previous"])
        last_year = self.assessment_in(previous, pct=self.pct, stage=Stage.PUBLISHED)
        panel = Panel.objects.create(assessment=last_year)
        for number, seat_type in self.seat_types.items():
            Seat.objects.create(panel=panel, seat_type=seat_type, person=self.people[number])
        return previous

    def assessment_in(self, round_, *, pct=None, stage=Stage.PANEL_FORMATION) -> Assessment:
        return AssessmentFactory(round=round_, pct=pct or PCTFactory(sha=self.sha_a), stage=stage)


def build_region(*, stage: int = Stage.PANEL_FORMATION, slug: str = "2009-10") -> Region:
    seat_types = load_seat_types()
    sha_a = SHAFactory(name="SHA Alpha")
    sha_b = SHAFactory(name="SHA Beta")
    round_ = AssessmentRoundFactory(slug=slug)
    assessed = PCTFactory(sha=sha_a, name="Assessed PCT")
    other_pct_a = PCTFactory(sha=sha_a, name="Neighbour PCT")
    pct_b = PCTFactory(sha=sha_b, name="Far PCT")
    assessment = AssessmentFactory(round=round_, pct=assessed, stage=stage)
    people = {
        1: person(JobRole.SHA_DIRECTOR, sha=sha_a, name="Ann Chair", title="Director of Strategy"),
        2: person(
            JobRole.MEDICAL_DIRECTOR, pct=other_pct_a, name="Bob Medic", title="Medical Director"
        ),
        3: person(
            JobRole.DIRECTOR_ADULT_SERVICES,
            pct=other_pct_a,
            name="Cat Services",
            title="Director of Adult Services",
        ),
        4: person(
            JobRole.EXTERNAL_EXECUTIVE,
            external=ExternalOrganisationFactory(name="Kaiser Permanente"),
            name="Dan Outside",
            title="Executive Director",
        ),
        5: person(JobRole.CHIEF_EXECUTIVE, pct=pct_b, name="Eve Chief", title="Chief Executive"),
    }
    return Region(seat_types, round_, assessment, sha_a, sha_b, other_pct_a, pct_b, people)
