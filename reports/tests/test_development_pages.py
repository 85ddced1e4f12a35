"""The directed development list in pages (``reports.views.development.PAGE_SIZE``): at
10,152 PCTs a published round lists 317 PCTs, 150 kB on one page. Here the page holds two,
so that five PCTs with a plan make three pages.

Personas: staff of SHA Alpha (write plans), the national team (reads every region)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import AgreedRating, Assessment, DevelopmentPlan, Role, Stage
from assessments.services import agreed_rating_adjust
from reports.views import development
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    RoleFactory,
    SHAFactory,
)
from tests.users import demo_user

pytestmark = pytest.mark.django_db
LIST = "/reports/development/2009-10/"
DEMO_LIST = "/reports/development/2009-10/"
User = get_user_model()
NAMES = ["Eden", "Bure", "Avon", "Dart", "Cam"]  # listed by name: Avon, Bure, Cam, Dart, Eden


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(development, "PAGE_SIZE", 2)
    alpha = SHAFactory(ods_code="Q34", name="SHA Alpha")
    round_ = AssessmentRoundFactory(
        slug="2009-10", published_at=timezone.now() + timezone.timedelta(days=30)
    )
    for n, name in enumerate(NAMES):
        assessment = AssessmentFactory(
            round=round_,
            pct__sha=alpha,
            pct__name=f"{name} PCT",
            pct__ods_code=f"X{n}A",
            stage=Stage.MODERATION,
        )
        DevelopmentPlan.objects.create(
            assessment=assessment, reason="sha_flagged", owner="Owner", review_date="2010-06-30"
        )
    return {
        "round": round_,
        "staff": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
        "national": RoleFactory(kind=Role.Kind.NATIONAL).user,
    }


def _names(response) -> list[str]:
    return [row["assessment"].pct.name for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("page", "names"),
    [("1", ["Avon PCT", "Bure PCT"]), ("2", ["Cam PCT", "Dart PCT"]), ("3", ["Eden PCT"])],
)
def test_the_list_shows_one_page_of_pcts_by_name(client, world, page, names):
    client.force_login(world["national"])

    response = client.get(LIST, {"page": page})

    assert response.status_code == 200
    assert _names(response) == names
    html = response.content.decode()
    assert html.count('data-test="development-row"') == len(names)
    first = 2 * int(page) - 1
    assert f"<strong>5 PCTs</strong> on the list: {first} to {first + len(names) - 1} below" in html
    assert f"(page {page} of 3)" in html
    assert 'aria-label="Pages of the directed development list"' in html
    assert f'aria-current="page" aria-label="Page {page}"' in html
    # Each page's plans are its own, not the whole list's.
    assert [row["plan"].assessment_id for row in response.context["rows"]] == [
        row["assessment"].pk for row in response.context["rows"]
    ]


@pytest.mark.parametrize("page", ["4", "0", "x"])
def test_a_page_that_does_not_exist_is_not_found(client, world, page):
    client.force_login(world["national"])

    assert client.get(LIST, {"page": page}).status_code == 404


def test_every_page_costs_the_same_queries(client, world):
    client.force_login(world["national"])
    client.get(LIST)  # the round's ratings frame, kept afterwards
    counts = []
    for page in ("1", "3"):
        with CaptureQueriesContext(connection) as queries:
            client.get(LIST, {"page": page})
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_a_list_that_fits_one_page_shows_no_pages(client, world):
    DevelopmentPlan.objects.filter(assessment__pct__name__in=["Cam PCT", "Dart PCT"]).delete()
    DevelopmentPlan.objects.filter(assessment__pct__name="Eden PCT").delete()
    client.force_login(world["national"])

    response = client.get(LIST)

    html = response.content.decode()
    assert _names(response) == ["Avon PCT", "Bure PCT"]
    assert 'data-test="pagination"' not in html and 'data-test="count"' not in html


def test_saving_a_plan_leads_back_to_the_page_that_shows_it(client, world):
    assessment = Assessment.objects.get(pct__name="Dart PCT")
    competency = CompetencyFactory(framework=world["round"].framework, number=1)
    client.force_login(world["staff"])

    response = client.post(
        f"{LIST}{assessment.pct.ods_code}/",
        {
            "owner": "Director of Commissioning",
            "review_date": "2010-06-30",
            "p-TOTAL_FORMS": "1",
            "p-INITIAL_FORMS": "0",
            "p-0-competency": competency.pk,
            "p-0-support": "learn",
            "p-0-action": "Board programme.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?page=2#pct-{assessment.pct.ods_code}"
    assert "Dart PCT" in _names(client.get(response["Location"]))


def test_a_plan_on_the_first_page_leads_back_to_the_list_itself(client, world):
    assessment = Assessment.objects.get(pct__name="Avon PCT")

    location = development.development_page_of(assessment, world["staff"])

    assert location == f"{LIST}#pct-{assessment.pct.ods_code}"


def test_a_pct_moderated_to_red_on_all_three_is_listed_on_the_next_request(client, demo):
    """Who is red on all three is kept under the round's figures version: a moderator's
    change gives the round a new one."""
    client.force_login(demo_user("national"))
    listed = client.get(DEMO_LIST)
    target = next(
        a
        for a in Assessment.objects.filter(round__slug="2009-10", stage=Stage.MODERATION)
        .select_related("pct")
        .order_by("pct__ods_code")
        if a.pct.ods_code not in _codes(listed)
    )
    moderator = User.objects.get(username=f"moderator.{target.pct.sha.ods_code.lower()}")

    for rating in AgreedRating.objects.filter(assessment=target, area__isnull=False):
        if rating.value != "red":
            agreed_rating_adjust(
                rating=rating,
                value="red",
                reason="Moderated to red.",
                by=moderator,
                expected_version=rating.version,
            )

    assert target.pct.ods_code in _codes(client.get(DEMO_LIST))


def _codes(response) -> set[str]:
    codes = set()
    for page in range(1, response.context["page"].paginator.num_pages + 1):
        rows = response.client.get(DEMO_LIST, {"page": page}).context["rows"]
        codes |= {row["assessment"].pct.ods_code for row in rows}
    return codes
