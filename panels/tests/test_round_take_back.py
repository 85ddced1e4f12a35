"""Taking back a round's opening (``assessments.rounds.round_take_back``): which PCTs
leave and which stay (and why), the history row, the boards' e-mail, the refusals. (Here
in panels, since it checks that empty panels and seats go too.)"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Assessment, AssessmentRound, Role, RoundChange, SelfAssessment
from assessments.rounds import (
    framework_source,
    round_create,
    round_discard,
    round_discard_refusal,
    round_open,
    round_take_back,
    round_take_back_plan,
)
from competencies.services import FrameworkLockedError, competency_update
from panels.models import Panel, Seat
from tests.factories import (
    AssessmentRoundFactory,
    CompetencyFactory,
    EvidenceChangeFactory,
    EvidenceDocumentFactory,
    FactualAccuracyCommentFactory,
    FrameworkFactory,
    LocalOutcomePriorityFactory,
    PanelFactory,
    PCTFactory,
    RoleFactory,
    SeatFactory,
    SelfAssessmentFactory,
    SelfAssessmentRatingFactory,
    SHAFactory,
    StageChangeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LEVELS = {1: "One", 2: "Two", 3: "Three", 4: "Four"}
REASON = "Opened for East of England by mistake: it was meant for the East Midlands."


@pytest.fixture
def national():
    return RoleFactory(
        kind=Role.Kind.NATIONAL, user=UserFactory(first_name="Nia", last_name="Jones")
    ).user


@pytest.fixture
def east():
    return SHAFactory(ods_code="Q35", name="East of England")


@pytest.fixture
def west():
    return SHAFactory(ods_code="Q34", name="West Midlands")


@pytest.fixture
def opened(national, east, west):
    """Round 2010-11 opened for East of England (PCTs A, B, C) and West Midlands (W)."""
    framework = FrameworkFactory(slug="2009-10")
    CompetencyFactory(framework=framework, number=1)
    AssessmentRoundFactory(slug="2009-10", framework=framework)
    round_ = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )
    for name in ("A", "B", "C"):
        pct = PCTFactory(sha=east, name=name, ods_code=f"5{name}A")
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct, user=UserFactory(email=f"{name}@x.org"))
    PCTFactory(sha=west, name="W", ods_code="5WA")
    round_open(round_=round_, shas=[east, west], by=national)
    return round_


def _assessment(round_, name):
    return Assessment.objects.get(round=round_, pct__name=name)


def test_take_back_removes_untouched_pcts_writes_history_and_tells_boards(
    opened, national, east, mailoutbox, django_capture_on_commit_callbacks
):
    RoleFactory(  # not told: inactive, or no address
        kind=Role.Kind.PCT_BOARD,
        pct=_assessment(opened, "A").pct,
        user=UserFactory(email="gone@x.org", is_active=False),
    )
    with django_capture_on_commit_callbacks(execute=True):
        taken = round_take_back(round_=opened, shas=[east], reason=REASON, by=national)

    assert (taken.assessments, taken.shas, taken.messages, taken.kept, taken.closed) == (
        3,
        1,
        3,
        0,
        False,
    )
    assert list(Assessment.objects.filter(round=opened).values_list("pct__name", flat=True)) == [
        "W"
    ]
    change = RoundChange.objects.filter(round=opened).order_by("-pk").first()
    assert (change.field, change.old_value, change.new_value, change.reason, change.changed_by) == (
        "opened",
        "3 PCTs in Q35: 5AA, 5BA, 5CA",
        "taken back",
        REASON,
        national,
    )
    assert sorted(m.to[0] for m in mailoutbox) == ["A@x.org", "B@x.org", "C@x.org"]
    mail = next(m for m in mailoutbox if m.to == ["A@x.org"])
    assert mail.subject == "WCC 2010/11: A will not take part after all"
    today = f"{timezone.localdate():%-d %B %Y}"
    assert (
        f"A (5AA) will not take part in WCC 2010/11 after all: Nia Jones of the national "
        f'assurance team took back its opening on {today}, saying:\n"{REASON}"\n'
    ) in mail.body
    assert "There was nothing saved for A in WCC 2010/11" in mail.body
    assert "mistake" not in mail.body.replace(REASON, "")  # only the reason's own words
    assert "sorry" not in mail.body
    opened.refresh_from_db()
    assert opened.opened_at is not None
    # "Opened by whom, when" (a second opening with nothing to open) is the opening's.
    from assessments.rounds import round_last_opening

    assert round_last_opening(round_=opened).new_value != "taken back"


MERGED = "These PCTs will not be assessed this year (A has merged)"


def test_take_back_of_one_chosen_pct_leaves_its_sha_colleagues(
    opened, national, east, mailoutbox, django_capture_on_commit_callbacks
):
    a = _assessment(opened, "A")
    with django_capture_on_commit_callbacks(execute=True):
        taken = round_take_back(round_=opened, pcts=[a.pct], reason=MERGED, by=national)

    assert (taken.assessments, taken.shas, taken.kept) == (1, 1, 0)
    assert sorted(Assessment.objects.filter(round=opened).values_list("pct__name", flat=True)) == [
        "B",
        "C",
        "W",
    ]
    change = RoundChange.objects.filter(round=opened).order_by("-pk").first()
    assert (change.old_value, change.new_value, change.reason) == (
        "1 PCT in Q35: 5AA",
        "taken back",
        MERGED,
    )
    assert [m.to for m in mailoutbox] == [["A@x.org"]]
    assert f'saying:\n"{MERGED}"\n' in mailoutbox[0].body
    assert "mistake" not in mailoutbox[0].body


def test_take_back_of_pcts_and_an_sha_together_and_the_plan_of_either(opened, national, east, west):
    w = _assessment(opened, "W").pct
    b = _assessment(opened, "B").pct

    by_pct = round_take_back_plan(round_=opened, pcts=[b])
    both = round_take_back_plan(round_=opened, shas=[west], pcts=[b])

    assert [a.pct.name for a in by_pct.removed] == ["B"]
    assert [a.pct.name for a in both.removed] == ["B", "W"]  # by SHA name, then PCT name
    assert both.sha_count == 2
    taken = round_take_back(round_=opened, shas=[west], pcts=[b], reason=MERGED, by=national)
    assert (taken.assessments, taken.shas) == (2, 2)
    assert not Assessment.objects.filter(round=opened, pct__in=[w, b]).exists()


def test_take_back_tells_each_sha_staff_once_listing_its_pcts(
    opened, national, east, west, mailoutbox, django_capture_on_commit_callbacks
):
    staff = RoleFactory(
        kind=Role.Kind.SHA_STAFF, sha=east, user=UserFactory(email="east@sha.org", first_name="Eve")
    ).user
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=east, user=UserFactory(email=""))  # no address
    RoleFactory(  # inactive
        kind=Role.Kind.SHA_STAFF, sha=east, user=UserFactory(email="old@sha.org", is_active=False)
    )
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=west, user=UserFactory(email="west@sha.org"))
    pcts = [_assessment(opened, name).pct for name in ("A", "B")]

    plan = round_take_back_plan(round_=opened, pcts=pcts)
    with django_capture_on_commit_callbacks(execute=True):
        taken = round_take_back(round_=opened, pcts=pcts, reason=MERGED, by=national)

    assert {sha.ods_code: users for sha, users in plan.staff.items()} == {"Q35": [staff]}
    assert (plan.staff_count, taken.staff, taken.messages) == (1, 1, 3)
    to_staff = [m for m in mailoutbox if m.to == ["east@sha.org"]]
    assert len(to_staff) == 1
    assert to_staff[0].subject == (
        "WCC 2010/11: the opening was taken back for 2 PCTs of East of England"
    )
    assert "- A (5AA)\n- B (5BA)\n" in to_staff[0].body
    assert f'saying:\n"{MERGED}"' in to_staff[0].body
    assert "5CA" not in to_staff[0].body
    assert "/rounds/2010-11/" in to_staff[0].body
    assert not [m for m in mailoutbox if m.to == ["west@sha.org"]]


def test_the_plan_takes_a_few_queries_whatever_the_number_of_pcts(
    opened, national, east, django_assert_num_queries
):
    few = [_assessment(opened, "A").pct]
    many = [_assessment(opened, name).pct for name in ("A", "B", "C")]
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=east, user=UserFactory(email="e@sha.org"))

    with django_assert_num_queries(3):
        round_take_back_plan(round_=opened, pcts=few)
    with django_assert_num_queries(3):
        round_take_back_plan(round_=opened, pcts=many)


@pytest.mark.parametrize(
    ("touch", "why"),
    [
        (lambda a: SelfAssessmentRatingFactory(self_assessment__assessment=a), "saved ratings"),
        (lambda a: SelfAssessmentFactory(assessment=a, commentary="Our view."), "saved ratings"),
        (
            lambda a: SelfAssessmentFactory(
                assessment=a, status=SelfAssessment.Status.SUBMITTED, submitted_at=timezone.now()
            ),
            "has submitted its self-assessment",
        ),
        (lambda a: EvidenceDocumentFactory(assessment=a), "uploaded evidence"),
        # uploaded and removed since: the evidence's history is the board's work too
        (lambda a: EvidenceChangeFactory(assessment=a), "uploaded evidence"),
        (lambda a: LocalOutcomePriorityFactory(assessment=a), "local outcome priorities"),
        (lambda a: SeatFactory(panel__assessment=a), "a seat of its panel is filled"),
        (lambda a: FactualAccuracyCommentFactory(assessment=a), "it has a comment"),
        (lambda a: StageChangeFactory(assessment=a), "moved between stages"),
    ],
)
def test_take_back_keeps_an_assessment_someone_acted_on_naming_why(
    opened, national, east, touch, why
):
    touch(_assessment(opened, "A"))

    plan = round_take_back_plan(round_=opened, shas=[east])
    taken = round_take_back(round_=opened, shas=[east], reason=REASON, by=national)

    assert [(a.pct.name, why in reason) for a, reason in plan.kept] == [("A", True)]
    assert (taken.assessments, taken.kept) == (2, 1)
    assert list(
        Assessment.objects.filter(round=opened, pct__sha=east).values_list("pct__name", flat=True)
    ) == ["A"]


def test_take_back_keeps_an_assessment_past_self_assessment(opened, national, east):
    a = _assessment(opened, "A")
    Assessment.objects.filter(pk=a.pk).update(stage=Assessment.Stage.PANEL_FORMATION)

    plan = round_take_back_plan(round_=opened, shas=[east])

    assert [(x.pct.name, why) for x, why in plan.kept] == [
        ("A", "it is at Panel formation, past self-assessment")
    ]
    assert [x.pct.name for x in plan.removed] == ["B", "C"]


def test_take_back_deletes_empty_panels_seats_and_self_assessments(opened, national, east):
    a = _assessment(opened, "A")
    SelfAssessmentFactory(assessment=a)  # opened, nothing typed
    SelfAssessmentRatingFactory(self_assessment=a.self_assessment, level=None, commentary="")
    SeatFactory(panel=PanelFactory(assessment=a), person=None)

    taken = round_take_back(round_=opened, shas=[east], reason=REASON, by=national)

    assert taken.assessments == 3
    assert not SelfAssessment.objects.filter(assessment__round=opened).exists()
    assert not Panel.objects.filter(assessment__round=opened).exists()
    assert not Seat.objects.filter(panel__assessment__round=opened).exists()


def test_taking_back_every_pct_closes_the_round_and_lets_it_be_discarded(
    opened, national, east, west
):
    taken = round_take_back(round_=opened, shas=[east, west], reason=REASON, by=national)

    opened.refresh_from_db()
    assert (taken.assessments, taken.closed, opened.opened_at) == (4, True, None)
    change = RoundChange.objects.filter(round=opened).order_by("-pk").first()
    assert (change.old_value, change.new_value) == (
        "4 PCTs in Q34, Q35: 5AA, 5BA, 5CA, 5WA",
        "taken back; the round is not open; its framework can be edited again",
    )
    assert taken.framework_unlocked
    assert round_discard_refusal(opened) is None
    round_discard(round_=opened, by=national)
    assert not AssessmentRound.objects.filter(slug="2010-11").exists()


def test_take_back_refuses_a_blank_reason_and_no_choice(opened, national, east):
    with pytest.raises(ValidationError) as blank:
        round_take_back(round_=opened, shas=[east], reason=" \u200b ", by=national)
    with pytest.raises(ValidationError) as none:
        round_take_back(round_=opened, shas=[], pcts=[], reason=REASON, by=national)

    assert blank.value.message_dict == {
        "reason": ["Give the reason for taking back the opening: the boards' e-mail quotes it."]
    }
    assert none.value.message_dict == {"shas": ["Choose at least one PCT or SHA."]}
    assert Assessment.objects.filter(round=opened).count() == 4


def test_take_back_refuses_a_published_round(opened, national, east):
    AssessmentRound.objects.filter(pk=opened.pk).update(published_at=timezone.now())
    opened.refresh_from_db()

    with pytest.raises(TransitionError, match="has a publication time"):
        round_take_back(round_=opened, shas=[east], reason=REASON, by=national)
    assert Assessment.objects.filter(round=opened).count() == 4


def test_take_back_refuses_when_nothing_can_go_saying_why(opened, national, east):
    for name in ("A", "B", "C"):
        EvidenceDocumentFactory(assessment=_assessment(opened, name))
    other = SHAFactory(ods_code="Q36")

    with pytest.raises(TransitionError) as acted:
        round_take_back(round_=opened, shas=[east], reason=REASON, by=national)
    with pytest.raises(TransitionError) as absent:
        round_take_back(round_=opened, shas=[other], reason=REASON, by=national)

    assert str(acted.value) == (
        "Nothing to take back in East of England: every assessment there has been acted on, "
        "and keeps its history."
    )
    assert "no PCT there has an assessment in 2010-11" in str(absent.value)
    assert RoundChange.objects.filter(round=opened, new_value__startswith="taken back").count() == 0


def test_take_back_refuses_what_changed_since_the_check_page(
    opened, national, east, mailoutbox, django_capture_on_commit_callbacks
):
    plan = round_take_back_plan(round_=opened, shas=[east])
    EvidenceDocumentFactory(assessment=_assessment(opened, "B"))  # the board started meanwhile

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ConflictError, match="changed since the check page"),
    ):
        round_take_back(
            round_=opened,
            shas=[east],
            reason=REASON,
            by=national,
            expected=[a.pk for a in plan.removed],
        )

    assert Assessment.objects.filter(round=opened).count() == 4
    assert mailoutbox == []


def test_taking_back_every_pct_frees_the_framework_for_editing(opened, national, east, west):
    """Nothing was rated under the words of a round whose whole opening was taken back: its
    framework can be edited again (an opening is often taken back to mend the wording)."""
    framework = opened.framework
    competency = framework.competencies.get()
    with pytest.raises(FrameworkLockedError):
        competency_update(competency=competency, short_name="New", statement="S", levels=LEVELS)
    plan = round_take_back_plan(round_=opened, shas=[east, west])
    assert plan.frees_framework

    round_take_back(round_=opened, shas=[east, west], reason=REASON, by=national)

    framework.refresh_from_db()
    assert framework.locked_at is None
    competency.refresh_from_db()
    competency_update(competency=competency, short_name="New", statement="S", levels=LEVELS)
    competency.refresh_from_db()
    assert competency.short_name == "New"


def test_a_partial_take_back_keeps_the_framework_fixed(opened, national, east):
    plan = round_take_back_plan(round_=opened, shas=[east])
    assert not plan.frees_framework

    taken = round_take_back(round_=opened, shas=[east], reason=REASON, by=national)

    opened.framework.refresh_from_db()
    assert (taken.framework_unlocked, opened.framework.locked_at is not None) == (False, True)


def test_the_framework_stays_fixed_while_another_opened_round_uses_it(opened, national, east, west):
    other = AssessmentRoundFactory(
        slug="2011-12", framework=opened.framework, opened_at=timezone.now()
    )
    assert other.framework_id == opened.framework_id
    plan = round_take_back_plan(round_=opened, shas=[east, west])
    assert plan.empties_round and not plan.frees_framework

    taken = round_take_back(round_=opened, shas=[east, west], reason=REASON, by=national)

    opened.framework.refresh_from_db()
    assert taken.closed and not taken.framework_unlocked
    assert opened.framework.locked_at is not None
    change = RoundChange.objects.filter(round=opened).order_by("-pk").first()
    assert change.new_value == "taken back; the round is not open"
