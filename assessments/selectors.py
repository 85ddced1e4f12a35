"""Reads for the assessments app: querysets with their joins already applied.

``user_scope`` says what a user may see through their roles (national team, staff of an
SHA, board of a PCT). Panel seats are not part of it: they belong to ``panels``, which this
app never imports (see ``panels.selectors.seats_for_user``).
"""

import functools
import operator
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Count, Func, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentRound,
    EvidenceDocument,
    LocalOutcomePriority,
    OutcomeIndicator,
    PrimaryCareTrust,
    Role,
    RoundChange,
    SelfAssessment,
    SelfAssessmentRating,
    ShownStage,
    Stage,
    StageChange,
    StrategicHealthAuthority,
    shown_stages,
)

_SCOPE_CACHE = "_wcc_scope"


@dataclass(frozen=True)
class UserScope:
    """What a user's roles reach. Empty for anonymous users and users with no role."""

    is_national: bool = False
    sha_ids: frozenset[int] = frozenset()
    pct_ids: frozenset[int] = frozenset()
    labels: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_sha_staff(self) -> bool:
        return bool(self.sha_ids)

    @property
    def is_pct_board(self) -> bool:
        return bool(self.pct_ids)

    @property
    def has_role(self) -> bool:
        return self.is_national or self.is_sha_staff or self.is_pct_board

    def is_staff_of(self, sha_id: int | None) -> bool:
        return sha_id is not None and sha_id in self.sha_ids

    def is_board_of(self, pct_id: int | None) -> bool:
        return pct_id is not None and pct_id in self.pct_ids


EMPTY_SCOPE = UserScope()


def _role_label(role: Role) -> str:
    if role.kind == Role.Kind.SHA_STAFF:
        return f"SHA staff: {role.sha.name}"
    if role.kind == Role.Kind.PCT_BOARD:
        return f"PCT board: {role.pct.name}"
    return role.get_kind_display()


def user_scope(user) -> UserScope:
    """The user's scope from their roles, in one query, cached on the user object.

    The cache lives as long as the user object (one request); an anonymous or inactive
    user gets the empty scope without a query.
    """
    cached = getattr(user, _SCOPE_CACHE, None)
    if cached is not None:
        return cached
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    roles = list(
        Role.objects.filter(user=user)
        .select_related("sha", "pct")
        .order_by("kind", "sha__name", "pct__name")
    )
    scope = UserScope(
        is_national=any(role.kind == Role.Kind.NATIONAL for role in roles),
        sha_ids=frozenset(r.sha_id for r in roles if r.kind == Role.Kind.SHA_STAFF),
        pct_ids=frozenset(r.pct_id for r in roles if r.kind == Role.Kind.PCT_BOARD),
        labels=tuple(_role_label(role) for role in roles),
    )
    setattr(user, _SCOPE_CACHE, scope)
    return scope


# --- Home page ------------------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: Stage
    count: int


@dataclass(frozen=True)
class RegionProgress:
    """One SHA's assessments in one round: a count per stage and the list of PCTs."""

    round_slug: str
    round_name: str
    sha_name: str
    stage_counts: list[StageCount]
    assessments: list[Assessment]


def region_assessments(*, sha_ids: frozenset[int]) -> QuerySet[Assessment]:
    """Assessments of the PCTs of these SHAs, newest round first, then SHA and PCT name."""
    return (
        Assessment.objects.filter(pct__sha_id__in=sha_ids)
        .select_related("round", "pct", "pct__sha")
        .order_by("-round__slug", "pct__sha__name", "pct__sha_id", "pct__name")
    )


def region_overview(*, sha_ids: frozenset[int]) -> list[RegionProgress]:
    """Per round (newest first) and SHA: stage counts and PCTs with their stage. One query."""
    overview = []
    rows = region_assessments(sha_ids=sha_ids)
    for (_slug, _sha), group in groupby(rows, key=lambda a: (a.round.slug, a.pct.sha_id)):
        assessments = list(group)
        counts = Counter(a.stage for a in assessments)
        first = assessments[0]
        overview.append(
            RegionProgress(
                round_slug=first.round.slug,
                round_name=first.round.name,
                sha_name=first.pct.sha.name,
                stage_counts=[StageCount(Stage(s), counts[s]) for s in sorted(counts)],
                assessments=assessments,
            )
        )
    return overview


def board_pcts(*, pct_ids: frozenset[int]) -> QuerySet[PrimaryCareTrust]:
    """The PCTs with their SHA and their assessments (newest round first) with their
    self-assessments. Two queries."""
    return (
        PrimaryCareTrust.objects.filter(pk__in=pct_ids)
        .select_related("sha")
        .prefetch_related(
            Prefetch(
                "assessments",
                queryset=Assessment.objects.select_related("round", "self_assessment").order_by(
                    "-round__slug"
                ),
            )
        )
        .order_by("name")
    )


@dataclass(frozen=True)
class ShaStageRow:
    sha_code: str
    sha_name: str
    counts: list[int]  # one per stage of its ``NationalRound.stages``, in order

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class NationalRound:
    round_slug: str
    round_name: str
    rows: list[ShaStageRow]
    stages: list[ShownStage]  # the columns: Held back too once the round is published

    @property
    def stage_totals(self) -> list[int]:
        return [sum(column) for column in zip(*(row.counts for row in self.rows), strict=True)]

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)


def national_overview() -> list[NationalRound]:
    """England by SHA and stage, per round (newest first): one aggregate query in total.
    The stage is the one shown (``shown_stage``): Published once a round's publication time
    has passed, for those at the factual-accuracy check that no comment holds back, Held
    back for the others there (a column of its own once the round is published)."""
    from assessments.factual_accuracy import shown_stage  # it imports services, which imports this

    now = timezone.now()
    rows = (
        Assessment.objects.annotate(shown=shown_stage(now=now))
        .values(
            "round__slug",
            "round__name",
            "round__published_at",
            "pct__sha__ods_code",
            "pct__sha__name",
            "shown",
        )
        .annotate(n=Count("pk"))
        .order_by("-round__slug", "pct__sha__name", "pct__sha__ods_code", "shown")
    )
    overview = []
    for (slug, name, published_at), round_rows in groupby(
        rows, key=lambda r: (r["round__slug"], r["round__name"], r["round__published_at"])
    ):
        stages = shown_stages(published=published_at is not None and published_at <= now)
        table = []
        for (code, sha_name), sha_rows in groupby(
            round_rows, key=lambda r: (r["pct__sha__ods_code"], r["pct__sha__name"])
        ):
            by_stage = {r["shown"]: r["n"] for r in sha_rows}
            table.append(ShaStageRow(code, sha_name, [by_stage.get(s, 0) for s in stages]))
        overview.append(NationalRound(slug, name, table, stages))
    return overview


# --- Self-assessment ------------------------------------------------------------------------


def assessment_for_pct(*, round_slug: str, ods: str) -> Assessment | None:
    """The assessment of a round and PCT (ODS code case-insensitive), with what pages show."""
    return (
        Assessment.objects.select_related("round__framework", "pct__sha")
        .filter(round__slug=round_slug, pct__ods_code=ods.upper())
        .first()
    )


@dataclass
class SelfAssessmentDetail:
    """A PCT's self-assessment (None before the first save), its ratings by item code
    (``c5``, ``strategy``, ``strategy_1``), its evidence documents and its local outcome
    priorities."""

    self_assessment: SelfAssessment | None
    ratings: dict[str, SelfAssessmentRating]
    evidence: list[EvidenceDocument]
    priorities: list[LocalOutcomePriority] = field(default_factory=list)

    @property
    def version(self) -> int:
        return self.self_assessment.version if self.self_assessment else 0

    @property
    def submitted(self) -> bool:
        return bool(self.self_assessment) and self.self_assessment.status == "submitted"


def outcome_indicators() -> list[OutcomeIndicator]:
    """The framework's list of outcome indicators a board may choose from (one query)."""
    return list(OutcomeIndicator.objects.order_by("name"))


def self_assessment_detail(*, assessment: Assessment) -> SelfAssessmentDetail:
    """Four queries, whatever the number of items, documents or priorities."""
    self_assessment = SelfAssessment.objects.filter(assessment=assessment).first()
    ratings = {}
    if self_assessment is not None:
        for rating in SelfAssessmentRating.objects.filter(
            self_assessment=self_assessment
        ).select_related("competency", "area", "sub_indicator__area"):
            ratings[rating.item.code] = rating
    evidence = list(EvidenceDocument.objects.filter(assessment=assessment))
    priorities = list(priorities_in_order(assessment))
    return SelfAssessmentDetail(self_assessment, ratings, evidence, priorities)


def priorities_in_order(assessment: Assessment) -> QuerySet[LocalOutcomePriority]:
    """The board's local outcome priorities in the order it gave them (written in that
    order, so by primary key; the model's own ordering is by indicator name)."""
    return (
        LocalOutcomePriority.objects.filter(assessment=assessment)
        .select_related("indicator")
        .order_by("pk")
    )


def stage_without_self_assessment(*, assessment: Assessment) -> StageChange | None:
    """The stage change by which SHA staff proceeded without the board's self-assessment
    (with who did it), or None if they did not."""
    return (
        StageChange.objects.filter(assessment=assessment, without_self_assessment=True)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )


def self_assessment_sent_back(*, assessment: Assessment) -> StageChange | None:
    """The latest stage change by which SHA staff sent the board's submitted self-assessment
    back to it (``assessments.reopening``; its note is what the board should correct), with
    who did it; None if it was never sent back."""
    return (
        StageChange.objects.filter(
            assessment=assessment,
            from_stage=Assessment.Stage.PANEL_FORMATION,
            to_stage=Assessment.Stage.SELF_ASSESSMENT,
        )
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )


def board_members_to_tell(*, assessment: Assessment) -> list:
    """The PCT's board members an e-mail about its assessment reaches: active accounts with
    an e-mail address, by username."""
    roles = (
        Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct_id=assessment.pct_id)
        .select_related("user")
        .order_by("user__username")
    )
    return [role.user for role in roles if role.user.email and role.user.is_active]


def opening_taken_back_for(*, user, round_slug: str, ods: str) -> RoundChange | None:
    """The take-back (``assessments.rounds.round_take_back``) that took the assessment of
    ``ods`` in ``round_slug`` away, for a board member of that PCT following the link of the
    e-mail that said the round had opened (walk V: they got a bare "Page not found"); None
    for anyone else, or while the PCT has an assessment in the round. Two queries at most."""
    if not user.is_authenticated:
        return None
    role = (
        Role.objects.filter(user=user, kind=Role.Kind.PCT_BOARD, pct__ods_code=ods.upper())
        .select_related("pct__sha")
        .first()
    )
    if role is None:
        return None
    candidates = (
        RoundChange.objects.filter(
            round__slug=round_slug,
            field="opened",
            new_value__startswith="taken back",
            old_value__contains=role.pct.sha.ods_code,
        )
        .exclude(round__assessments__pct=role.pct)
        .select_related("round", "changed_by")
        .order_by("-changed_at", "-pk")[:20]
    )
    return next((c for c in candidates if _took_back(c.old_value, role.pct.ods_code)), None)


def openings_taken_back(pcts: list[PrimaryCareTrust]) -> None:
    """Set ``taken_back`` on each of ``pcts`` (their assessments prefetched, as
    ``board_pcts`` gives them): the take-backs of a round's opening that took its assessment
    away, newest first (walk AC: a board whose PCT left the round read "No assessment has
    been opened" on its home page). One query for them all."""
    if not pcts:
        return
    codes = {pct.sha.ods_code for pct in pcts}
    rows = list(
        RoundChange.objects.filter(field="opened", new_value__startswith="taken back")
        .filter(functools.reduce(operator.or_, (Q(old_value__contains=c) for c in codes)))
        .select_related("round", "changed_by")
        .order_by("-changed_at", "-pk")
    )
    for pct in pcts:
        rounds_in = {a.round_id for a in pct.assessments.all()}
        pct.taken_back = [
            row
            for row in rows
            if row.round_id not in rounds_in
            and pct.sha.ods_code in row.old_value
            and _took_back(row.old_value, pct.ods_code)
        ]


def _took_back(what: str, ods: str) -> bool:
    """Whether a take-back's history value (``assessments.rounds._taken_back_what``: "2 PCTs
    in Q35: 5AA, 5AB") covers the PCT ``ods``: named after the colon; or the row is older
    than the PCTs' codes in it (the SHAs' codes only: every PCT of them nobody had acted on
    went), so it may. A list cut short (a take-back of some 190 PCTs or more) covers only
    those it names: better no word than another PCT's take-back (review AE)."""
    _sha_codes, colon, pcts = what.partition(": ")
    if not colon:
        return True
    return ods in {code.strip() for code in pcts.removesuffix("…").split(",")}


def rounds_with_coverage(rounds: QuerySet[AssessmentRound]) -> list[AssessmentRound]:
    """``rounds``, each with ``pcts_assessed`` and ``shas_assessed`` (its assessments and the
    SHAs they are in) and ``partial`` (opened for some SHAs only, so that its figures for
    "England" count those SHAs' PCTs: walk V read "every PCT ranked" and "Summary for
    England" over one SHA's 16 PCTs). One query."""
    every_sha = StrategicHealthAuthority.objects.order_by().values(n=Func("pk", function="COUNT"))
    rounds = list(
        rounds.annotate(
            pcts_assessed=Count("assessments", distinct=True),
            shas_assessed=Count("assessments__pct__sha", distinct=True),
            sha_count=Subquery(every_sha),
        )
    )
    for round_ in rounds:
        round_.partial = 0 < round_.shas_assessed < round_.sha_count
    return rounds
