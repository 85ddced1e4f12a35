"""A small, complete panel for scoring tests: two competencies, three areas (optionally
with sub-indicators in finance), five seats."""

from dataclasses import dataclass

from assessments.models import Assessment, Stage
from competencies.models import Competency, GovernanceArea, SubIndicator
from panels.models import Panel, Seat
from panels.services.scoring import AgreedInput, MemberInput
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    PanelFactory,
    PCTFactory,
    PersonFactory,
    SeatFactory,
    SeatTypeFactory,
    SubIndicatorFactory,
    UserFactory,
)


@dataclass
class ScoringPanel:
    assessment: Assessment
    panel: Panel
    seats: list[Seat]  # seat 1 (chair) first
    competencies: list[Competency]
    areas: list[GovernanceArea]
    subs: list[SubIndicator] = None

    @property
    def chair(self) -> Seat:
        return self.seats[0]

    @property
    def items(self) -> list:
        return [*self.competencies, *self.areas, *(self.subs or [])]

    def full_scores(self, level: int = 2, light: str = "amber") -> dict:
        values = {c: MemberInput(level, f"Notes on {c.short_name}") for c in self.competencies}
        values |= {a: MemberInput(light) for a in [*self.areas, *(self.subs or [])]}
        return values

    def agreed(self, level: int = 2, light: str = "amber", rationale: str = "Because.") -> dict:
        values = {c: AgreedInput(level, rationale) for c in self.competencies}
        values |= {a: AgreedInput(light, rationale) for a in [*self.areas, *(self.subs or [])]}
        return values


def build_scoring_panel(
    *,
    stage: int = Stage.SCORING,
    slug: str = "2009-10",
    pct=None,
    sub_indicators: int = 0,
    competencies: int = 2,
) -> ScoringPanel:
    """``competencies``: how many (a round has ten or eleven); the first two are named."""
    framework = FrameworkFactory(slug=f"fw-{slug}")
    names = ["Locally leading the NHS", "Working with community partners"]
    competencies = [
        CompetencyFactory(
            framework=framework,
            number=n,
            short_name=names[n - 1] if n <= len(names) else f"Competency {n}",
        )
        for n in range(1, competencies + 1)
    ]
    areas = [
        GovernanceAreaFactory(framework=framework, code=code, position=position)
        for position, code in enumerate(["strategy", "finance", "board"], start=1)
    ]
    subs = [
        SubIndicatorFactory(area=areas[1], number=n, name=f"Finance factor {n}")
        for n in range(1, sub_indicators + 1)
    ]
    round_ = AssessmentRoundFactory(slug=slug, framework=framework)
    assessment = AssessmentFactory(round=round_, pct=pct or PCTFactory(), stage=stage)
    panel = PanelFactory(assessment=assessment)
    seats = []
    for number in range(1, 6):
        seat_type = SeatTypeFactory(number=number, is_chair=number == 1, name=f"Seat {number}")
        person = PersonFactory(user=UserFactory(), full_name=f"Member {number}")
        seats.append(SeatFactory(panel=panel, seat_type=seat_type, person=person))
    return ScoringPanel(assessment, panel, seats, competencies, areas, subs)
