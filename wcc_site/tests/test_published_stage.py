"""Once a round's publication time has passed, the stage lists and counts say Published
for each PCT at the factual-accuracy check that no unanswered comment holds back, though
the stored stage moves on only when the publication notices are sent (walk U), and "Held
back: a comment to answer" for one that a comment holds back, counted under a Held back
column of its own (walk AA): the SHA staff's home, the national home and the round's page,
as the moderation grid does."""

import datetime
import re

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, Role, Stage
from assessments.tests.test_views_home import rows, texts
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
)

pytestmark = pytest.mark.django_db

HELD = "Held back: a comment to answer"


@pytest.fixture
def at_check():
    """Three PCTs of West Midlands (Q34) at the factual-accuracy check of 2009-10, the third
    (PCT 2) held back by an unanswered comment, and one of them published in 2008-09."""
    sha = SHAFactory(name="West Midlands", ods_code="Q34")
    round_ = AssessmentRoundFactory(slug="2009-10", name="2009-10")
    pcts = [PCTFactory(sha=sha, name=f"PCT {n}", ods_code=f"P0{n}") for n in range(3)]
    assessments = [
        AssessmentFactory(round=round_, pct=pct, stage=Stage.FACTUAL_ACCURACY) for pct in pcts
    ]
    FactualAccuracyCommentFactory(assessment=assessments[2])
    AssessmentFactory(
        round=AssessmentRoundFactory(slug="2008-09", name="2008-09"),
        pct=pcts[0],
        stage=Stage.PUBLISHED,
    )
    return round_, sha


def publish(round_: AssessmentRound, *, minutes: int) -> None:
    """The round's publication time ``minutes`` from now (negative: passed), its notices
    not sent, so that no assessment's stage has moved."""
    AssessmentRound.objects.filter(pk=round_.pk).update(
        published_at=timezone.now() + datetime.timedelta(minutes=minutes),
        publication_notified_at=None,
    )


def staff_home(client, sha):
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user)
    response = client.get("/")
    return texts(response, "stage-count", within="region"), rows(response, "region")


def national_home(client):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    response = client.get("/")
    return rows(response, "national"), texts(response, "totals-row", within="national")


def round_page(client, round_):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    return rows(client.get(f"/rounds/{round_.slug}/"), "progress")


def test_the_staff_home_says_published_once_the_publication_time_has_passed(client, at_check):
    round_, sha = at_check
    publish(round_, minutes=-5)

    counts, pcts = staff_home(client, sha)

    # 2009-10 first (newest), the held-back PCT listed first.
    assert counts == [f"{HELD}: 1", "Published: 2", "Published: 1"]
    assert pcts == [
        ["PCT 2", "P02", f"{HELD} (the comments to answer, on the moderation page)"],
        ["PCT 0", "P00", "Published"],
        ["PCT 1", "P01", "Published"],
        ["PCT 0", "P00", "Published"],
    ]
    # Staff's link to the comments to answer, on the region's moderation page.
    cells = re.findall(r'data-test="region-stage">(.*?)</td>', client.get("/").text, re.S)
    assert '<a href="/reports/moderation/2009-10/Q34/#unanswered-heading">' in cells[0]
    assert all("<a " not in cell for cell in cells[1:])
    # What the page says, not the stored stage: it moves when the notices are sent.
    assert (
        sorted(Assessment.objects.filter(round=round_).values_list("stage", flat=True))
        == [Stage.FACTUAL_ACCURACY] * 3
    )


def test_the_staff_home_says_factual_accuracy_check_before_the_publication_time(client, at_check):
    round_, sha = at_check
    publish(round_, minutes=5)

    counts, pcts = staff_home(client, sha)

    assert counts == ["Factual-accuracy check: 3", "Published: 1"]
    assert [stage for _name, _ods, stage in pcts[:3]] == ["Factual-accuracy check"] * 3


def test_the_national_home_counts_published_once_the_publication_time_has_passed(client, at_check):
    round_, _sha = at_check
    publish(round_, minutes=-5)

    table, totals = national_home(client)

    # 2009-10 gains a Held back column (before Published); 2008-09, never given a
    # publication time here, has none.
    assert table == [
        ["West Midlands Q34", "0", "0", "0", "0", "0", "0", "0", "1", "2", "3"],
        ["West Midlands Q34", "0", "0", "0", "0", "0", "0", "0", "1", "1"],
    ]
    assert totals == ["England 0 0 0 0 0 0 0 1 2 3", "England 0 0 0 0 0 0 0 1 1"]


def test_the_national_home_counts_the_check_before_the_publication_time(client, at_check):
    round_, _sha = at_check
    publish(round_, minutes=5)

    table, _totals = national_home(client)

    assert table[0] == ["West Midlands Q34", "0", "0", "0", "0", "0", "0", "3", "0", "3"]


def test_the_round_page_counts_published_once_the_publication_time_has_passed(client, at_check):
    round_, _sha = at_check
    publish(round_, minutes=-5)

    assert round_page(client, round_) == [
        ["West Midlands Q34", "·", "·", "·", "·", "·", "·", "·", "1", "2", "3"]
    ]


def test_the_round_page_counts_the_check_before_the_publication_time(client, at_check):
    round_, _sha = at_check
    publish(round_, minutes=5)

    assert round_page(client, round_) == [
        ["West Midlands Q34", "·", "·", "·", "·", "·", "·", "3", "·", "3"]
    ]


@pytest.mark.parametrize("n", [1, 3])
def test_the_published_staff_home_adds_no_query_per_pct(client, django_assert_num_queries, n):
    sha = SHAFactory()
    round_ = AssessmentRoundFactory()
    for _ in range(n):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.FACTUAL_ACCURACY)
    publish(round_, minutes=-5)
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user)

    with django_assert_num_queries(13):  # as before the publication time
        response = client.get("/")

    assert texts(response, "stage-count", within="region") == [f"Published: {n}"]


def test_a_members_seats_say_published_once_the_publication_time_has_passed(client, at_check):
    """Walk Z: the chair's 'My panels' still read 'Factual-accuracy check' after the
    publication time, on the home page and /panels/mine/; a held-back PCT still does."""
    from tests.factories import PanelFactory, PersonFactory, SeatFactory, UserFactory

    round_, _sha = at_check
    person = PersonFactory(user=UserFactory())
    for assessment in Assessment.objects.filter(round=round_).order_by("pct__name"):
        SeatFactory(panel=PanelFactory(assessment=assessment), person=person)
    client.force_login(person.user)

    def stages(address):
        page = client.get(address).text
        return re.findall(r'<span class="wcc-tag[^"]*">([^<]+)</span>', page)

    before = (stages("/"), stages("/panels/mine/"))
    publish(round_, minutes=-5)
    after = (stages("/"), stages("/panels/mine/"))

    assert before == (["Factual-accuracy check"] * 3, ["Factual-accuracy check"] * 3)
    shown = ["Published", "Published", HELD]  # PCT 2 held back
    assert after == (shown, shown)


def test_the_panel_pages_say_published_once_the_publication_time_has_passed(client, at_check):
    """Walk AA: the panel page, its consensus page and the region's formation list still
    read 'Factual-accuracy check' for published PCTs; a held-back PCT still does."""
    from tests.factories import PanelFactory, PersonFactory, SeatFactory, UserFactory

    round_, sha = at_check
    person = PersonFactory(user=UserFactory())
    for assessment in Assessment.objects.filter(round=round_):
        SeatFactory(panel=PanelFactory(assessment=assessment), person=person)
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user

    def tags(user, address):
        client.force_login(user)
        page = client.get(address).text
        return re.findall(r'<span class="wcc-tag[^"]*">([^<]+)</span>', page)

    publish(round_, minutes=5)
    for ods in ("P00", "P02"):  # before the publication time: both at the check
        assert tags(person.user, f"/panels/2009-10/{ods}/")[0] == "Factual-accuracy check"
    region = tags(staff, f"/panels/2009-10/formation/?sha={sha.ods_code}")
    assert region == ["Factual-accuracy check"] * 3
    publish(round_, minutes=-5)

    assert tags(person.user, "/panels/2009-10/P00/")[0] == "Published"
    assert tags(person.user, "/panels/2009-10/P02/")[0] == HELD
    assert tags(staff, "/panels/2009-10/P00/formation/")[0] == "Published"
    region = tags(staff, f"/panels/2009-10/formation/?sha={sha.ods_code}")
    assert sorted(region) == [HELD, "Published", "Published"]
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    person_page = client.get(f"/people/{person.pk}/").text
    stages = re.findall(rf"<td>(Published|Factual-accuracy check|{HELD})</td>", person_page)
    assert sorted(stages) == [HELD, "Published", "Published"]


@pytest.mark.django_db
def test_the_boards_results_queue_lists_its_results_from_the_publication_time():
    """Review AB: every list read Published from the publication time, but the board's
    "Results published" queue waited for the notices job to move the stored stage."""
    from datetime import timedelta

    from django.utils import timezone

    from assessments.models import Stage
    from tests.factories import (
        AssessmentFactory,
        AssessmentRoundFactory,
        FactualAccuracyCommentFactory,
    )
    from wcc_site.selectors import board_queues

    past = timezone.now() - timedelta(hours=2)
    round_ = AssessmentRoundFactory(slug="2034-35", published_at=past, first_published_at=past)
    out, held = (AssessmentFactory(round=round_, stage=Stage.FACTUAL_ACCURACY) for _ in range(2))
    FactualAccuracyCommentFactory(assessment=held)  # unanswered: held back, not out

    def results(assessment):
        queues = {q.key: q for q in board_queues(pct_ids=[assessment.pct_id])}
        return [item.label for item in queues["results"].items]

    assert results(out) == [f"{out.pct.name}: {round_.name}"]
    assert results(held) == []
