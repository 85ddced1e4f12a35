"""The national cross-check: confirm or send back a region, and who may."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessments.exceptions import TransitionError
from assessments.models import Assessment, RegionReview, Role, Stage
from assessments.regions import add_working_days, region_confirm, region_send_back, region_sign_off
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_off():
    sha = SHAFactory(name="North East")
    round_ = AssessmentRoundFactory(slug="2009-10")
    for n in range(2):
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"PCT {n}"), stage=Stage.MODERATION
        )
    region_sign_off(round_=round_, sha=sha, by=UserFactory())
    return round_, sha


def test_ten_working_days_from_a_friday_end_on_the_friday_two_weeks_later():
    friday = datetime.datetime(2010, 2, 5, 17, 0, tzinfo=datetime.UTC)

    assert add_working_days(friday, 10) == datetime.datetime(
        2010, 2, 19, 17, 0, tzinfo=datetime.UTC
    )


def test_confirm_opens_the_factual_accuracy_check_with_its_window(signed_off):
    round_, sha = signed_off

    with time_machine.travel(datetime.datetime(2010, 2, 5, 12, 0, tzinfo=datetime.UTC), tick=False):
        review = region_confirm(round_=round_, sha=sha, by=UserFactory())

    assert review.status == RegionReview.Status.CONFIRMED
    assert review.factual_accuracy_closes == datetime.datetime(
        2010, 2, 19, 12, 0, tzinfo=datetime.UTC
    )
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.FACTUAL_ACCURACY}


def test_send_back_needs_a_comment_and_returns_to_moderation(signed_off):
    round_, sha = signed_off

    with pytest.raises(ValidationError):
        region_send_back(round_=round_, sha=sha, by=UserFactory(), comment="  ")
    review = region_send_back(
        round_=round_, sha=sha, by=UserFactory(), comment="Competency 7 looks lenient."
    )

    assert (review.status, review.national_comment) == ("sent_back", "Competency 7 looks lenient.")
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.MODERATION}
    assert region_sign_off(round_=round_, sha=sha, by=UserFactory()).status == "signed_off"


def test_a_region_not_signed_off_cannot_be_confirmed():
    sha, round_ = SHAFactory(), AssessmentRoundFactory(slug="2009-10")
    AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.MODERATION)

    with pytest.raises(TransitionError):
        region_confirm(round_=round_, sha=sha, by=UserFactory())


def test_page_and_decisions_for_the_national_team_only(client, signed_off):
    round_, sha = signed_off
    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user

    for user in (staff, UserFactory()):
        client.force_login(user)
        assert client.get(f"/reports/cross-check/{round_.slug}/").status_code == 404
        assert (
            client.post(
                f"/reports/cross-check/{round_.slug}/{sha.ods_code}/",
                {"decision": "confirm", "confirm": "1"},
            ).status_code
            == 404
        )
    client.force_login(national)
    page = client.get(f"/reports/cross-check/{round_.slug}/")
    check = client.post(
        f"/reports/cross-check/{round_.slug}/{sha.ods_code}/", {"decision": "confirm"}
    )

    assert (page.status_code, check.templates[0].name) == (200, "confirm.html")
    assert RegionReview.objects.get().status == "signed_off"
    client.post(
        f"/reports/cross-check/{round_.slug}/{sha.ods_code}/",
        {"decision": "confirm", "confirm": "1"},
    )

    assert RegionReview.objects.get().status == "confirmed"


def test_send_back_shows_the_comment_first_then_acts_on_confirm(client, signed_off):
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    decide = f"/reports/cross-check/{round_.slug}/{sha.ods_code}/"

    empty = client.post(decide, {"decision": "send_back", "comment": " "}, follow=True)
    check = client.post(decide, {"decision": "send_back", "comment": "C5 looks generous."})

    assert [str(m) for m in empty.context["messages"]] == [
        f"Say why {sha.name} is sent back: its staff read the comment."
    ]
    assert check.context["carry"] == [("decision", "send_back"), ("comment", "C5 looks generous.")]
    assert RegionReview.objects.get().status == "signed_off"
    client.post(decide, {"decision": "send_back", "comment": "C5 looks generous.", "confirm": "1"})

    review = RegionReview.objects.get()
    assert (review.status, review.national_comment) == ("sent_back", "C5 looks generous.")


@pytest.mark.parametrize(
    ("given", "days", "message"),
    [
        ("15", 15, "Boards of the regions confirmed from now on have 15 working days"),
        ("0", 10, "Working days: Give between 1 and 30 working days."),
        ("ten", 10, "Working days: 'ten' is not a whole number."),
    ],
)
def test_national_team_sets_the_window_for_regions_confirmed_later(
    client, signed_off, given, days, message
):
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post(
        f"/reports/cross-check/{round_.slug}/window/", {"working_days": given}, follow=True
    )

    round_.refresh_from_db()
    assert round_.factual_accuracy_working_days == days
    (shown,) = [str(m) for m in response.context["messages"]]
    assert shown.startswith(message)
    assert list(round_.changes.values_list("field", "old_value", "new_value")) == (
        [("factual_accuracy_working_days", "10", given)] if days != 10 else []
    )
    with time_machine.travel(datetime.datetime(2010, 2, 5, 12, 0, tzinfo=datetime.UTC), tick=False):
        review = region_confirm(round_=round_, sha=sha, by=UserFactory())
    assert review.factual_accuracy_closes == add_working_days(
        datetime.datetime(2010, 2, 5, 12, 0, tzinfo=datetime.UTC), days
    )


def test_window_is_404_for_sha_staff(client, signed_off):
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user)

    response = client.post(f"/reports/cross-check/{round_.slug}/window/", {"working_days": "3"})

    assert response.status_code == 404
    round_.refresh_from_db()
    assert round_.factual_accuracy_working_days == 10


@pytest.mark.parametrize("shas", [1, 3])
def test_page_query_count_does_not_grow(client, django_assert_num_queries, shas):
    round_ = AssessmentRoundFactory(slug="2009-10")
    competency = CompetencyFactory(framework=round_.framework, number=1)
    for _ in range(shas):
        assessment = AssessmentFactory(
            round=round_, pct=PCTFactory(sha=SHAFactory()), stage=Stage.MODERATION
        )
        AgreedRatingFactory(assessment=assessment, competency=competency)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    with django_assert_num_queries(13):
        client.get(f"/reports/cross-check/{round_.slug}/")


@pytest.mark.django_db
def test_cross_check_counts_the_flags_each_region_page_shows(client, demo):
    from assessments.models import AssessmentRound, StrategicHealthAuthority
    from reports.moderation import moderation, round_flags

    round_ = AssessmentRound.objects.get(slug="2009-10")
    by_sha = round_flags(round_=round_)
    client.force_login(UserFactory._meta.model.objects.get(username="national"))

    response = client.get("/reports/cross-check/2009-10/")

    rows = {row.sha.ods_code: row for row in response.context["rows"]}
    for sha in StrategicHealthAuthority.objects.filter(ods_code__in=["Q30", "Q31", "Q36"]):
        page_flags = moderation(round_=round_, sha=sha).flags
        assert set(by_sha[sha.ods_code]) == set(page_flags)
        assert rows[sha.ods_code].flag_total == len(page_flags)
    assert sum(row.flag_total for row in rows.values()) > 0
    assert 'data-test="flags-Q30-red-all-three"' in response.content.decode()
