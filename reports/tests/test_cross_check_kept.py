"""The cross-check's figures are kept per process (``reports.moderation.cross_check_figures``):
the next request after any of their inputs changes must show the change."""

import pytest
from django.db.models import F
from django.utils import timezone

from assessments.models import AgreedRating, Assessment, Role, SelfAssessment, Stage
from assessments.services import agreed_rating_adjust
from panels.models import MemberScore, Seat
from reports.tests.test_moderation import add_pct  # the same regions as moderation's tests
from tests.factories import (
    RoleFactory,
    SelfAssessmentFactory,
    SelfAssessmentRatingFactory,
    SHAFactory,
)
from tests.factories.panels import MemberScoreFactory, PanelFactory, SeatFactory, SeatTypeFactory

pytestmark = pytest.mark.django_db


def add_seat(world, panel, number, *, levels=(2, 3, 1), submitted=True):
    seat = SeatFactory(
        panel=panel,
        seat_type=SeatTypeFactory(number=number),
        submitted_at=timezone.now() if submitted else None,
    )
    for competency, level in zip(world.competencies, levels, strict=True):
        MemberScoreFactory(seat=seat, competency=competency, level=level)
    for area, light in zip(world.areas, ("green", "amber", "red"), strict=True):
        MemberScoreFactory(seat=seat, area=area, level=None, light=light)
    return seat


def page(client, world):
    """The cross-check's rows by SHA code, as the national team sees them."""
    response = client.get(f"/reports/cross-check/{world.round.slug}/")
    return {row.sha.ods_code: row for row in response.context["rows"]}


@pytest.fixture
def national(client):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    return client


def test_kept_page_shows_an_adjustment_in_means_and_flags_on_the_next_request(
    national, django_assert_num_queries, world
):
    sha = SHAFactory()
    assessments = [add_pct(world, sha, lights=("red", "red", "amber")) for _n in range(2)]
    before = page(national, world)[sha.ods_code]
    with django_assert_num_queries(12):  # kept: nothing is computed again
        page(national, world)
    board = AgreedRating.objects.get(assessment=assessments[0], area__code="board")
    c1 = AgreedRating.objects.get(assessment=assessments[0], competency__number=1)
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user

    for rating, value in ((board, "red"), (c1, 4)):
        agreed_rating_adjust(
            rating=rating, value=value, reason="Evidence.", by=staff, expected_version=1
        )
    # Computed again from the changed frame (its changed rows read again); England's
    # members' facts are kept.
    with django_assert_num_queries(17):
        after = page(national, world)[sha.ods_code]

    assert (before.flags["red-all-three"], after.flags["red-all-three"]) == (0, 1)
    assert (before.means[0], after.means[0]) == (("c1", 2.0, ""), ("c1", 3.0, ""))
    assert (after.moved_up, after.moved_down) == (1, 1)


def test_moderation_counts_each_rating_once_by_its_net_move(national, world):
    """The scale walk: one rating adjusted red → green → amber → green read "2 up, 1 down"
    where the moderation page said one rating adjusted."""
    sha = SHAFactory()
    assessments = [add_pct(world, sha, lights=("red", "red", "amber")) for _n in range(2)]
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user
    strategy = AgreedRating.objects.get(assessment=assessments[0], area__code="strategy")
    for version, value in enumerate(("green", "amber", "green"), start=1):
        agreed_rating_adjust(
            rating=strategy, value=value, reason="Evidence.", by=staff, expected_version=version
        )
    back = AgreedRating.objects.get(assessment=assessments[1], competency__number=1)
    for version, value in enumerate((back.level + 1, back.level), start=1):  # and back again
        agreed_rating_adjust(
            rating=back, value=value, reason="Evidence.", by=staff, expected_version=version
        )

    row = page(national, world)[sha.ods_code]

    assert (row.moved_up, row.moved_down) == (1, 0)


def test_kept_page_shows_a_members_scores_saved_again_on_the_next_request(national, world):
    sha = SHAFactory()
    panel = PanelFactory(assessment=add_pct(world, sha, stage=Stage.SCORING))
    seats = [add_seat(world, panel, number) for number in (1, 2, 3)]
    assert page(national, world)[sha.ods_code].flags["identical-panel"] == 1

    # As ``member_scores_save`` does: the score changes and the seat's version is claimed.
    MemberScore.objects.filter(seat=seats[0], competency__number=1).update(level=4)
    Seat.objects.filter(pk=seats[0].pk).update(version=F("version") + 1)

    assert page(national, world)[sha.ods_code].flags["identical-panel"] == 0


def test_kept_page_shows_a_members_scores_submitted_on_the_next_request(national, world):
    sha = SHAFactory()
    panel = PanelFactory(assessment=add_pct(world, sha, stage=Stage.SCORING))
    add_seat(world, panel, 1)
    add_seat(world, panel, 2)
    last = add_seat(world, panel, 3, submitted=False)
    assert page(national, world)[sha.ods_code].flags["identical-panel"] == 0  # 2 counted

    # As ``member_scores_submit`` does: the version claimed and the time set.
    Seat.objects.filter(pk=last.pk).update(submitted_at=timezone.now(), version=F("version") + 1)

    assert page(national, world)[sha.ods_code].flags["identical-panel"] == 1


def test_kept_page_shows_a_self_assessment_submitted_on_the_next_request(national, world):
    region, elsewhere = SHAFactory(), SHAFactory()
    outlier = add_pct(world, region, levels=(3, 3, 3), stage=Stage.SELF_ASSESSMENT)
    for n in range(8):
        usual = add_pct(world, elsewhere, levels=(2, 2, 2))
        submitted = SelfAssessmentFactory(
            assessment=usual, status="submitted", submitted_at=timezone.now()
        )
        for competency, level in zip(
            world.competencies, (3, 2, 2) if n % 2 else (3, 3, 2), strict=True
        ):
            SelfAssessmentRatingFactory(
                self_assessment=submitted, competency=competency, level=level
            )
    draft = SelfAssessmentFactory(assessment=outlier, status="draft")
    for competency in world.competencies:
        SelfAssessmentRatingFactory(self_assessment=draft, competency=competency, level=2)
    assert page(national, world)[region.ods_code].flags["self-assessment-gap"] == 0

    # As ``self_assessment_submit`` does: the version claimed, submitted, the stage moved on.
    SelfAssessment.objects.filter(pk=draft.pk).update(
        status="submitted", submitted_at=timezone.now(), version=F("version") + 1
    )
    Assessment.objects.filter(pk=outlier.pk).update(stage=Stage.PANEL_FORMATION)

    assert page(national, world)[region.ods_code].flags["self-assessment-gap"] == 1


def test_kept_page_reads_again_only_the_panels_still_scoring(
    national, django_assert_num_queries, world
):
    sha = SHAFactory()
    settled = PanelFactory(assessment=add_pct(world, sha))  # at moderation
    scoring = PanelFactory(assessment=add_pct(world, sha, stage=Stage.SCORING))
    for panel in (settled, scoring):
        for number in (1, 2, 3):
            add_seat(world, panel, number)
    assert page(national, world)[sha.ods_code].flags["identical-panel"] == 2
    seat = scoring.seats.first()

    MemberScore.objects.filter(seat=seat, competency__number=1).update(level=4)
    Seat.objects.filter(pk=seat.pk).update(version=F("version") + 1)
    # The kept page's 12, the round's frame (kept: its version), the assessments past
    # scoring, the members' scores of the others, the self-assessments.
    with django_assert_num_queries(16):
        after = page(national, world)[sha.ods_code]

    assert after.flags["identical-panel"] == 1


def test_kept_page_shows_a_panel_sent_back_to_scoring_and_changed(national, world):
    sha = SHAFactory()
    assessment = add_pct(world, sha)  # at moderation: its members' facts are kept
    panel = PanelFactory(assessment=assessment)
    seats = [add_seat(world, panel, number) for number in (1, 2, 3)]
    assert page(national, world)[sha.ods_code].flags["identical-panel"] == 1

    Assessment.objects.filter(pk=assessment.pk).update(stage=Stage.SCORING)
    MemberScore.objects.filter(seat=seats[0], competency__number=1).update(level=4)
    Seat.objects.filter(pk=seats[0].pk).update(version=F("version") + 1)

    assert page(national, world)[sha.ods_code].flags["identical-panel"] == 0
