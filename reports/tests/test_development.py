"""Directed development: the plans, the list page, the SHA staff's form, and who may."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from assessments.development import PriorityInput, development_plan_save
from assessments.exceptions import TransitionError
from assessments.models import (
    Assessment,
    DevelopmentPlan,
    DevelopmentPlanChange,
    DevelopmentPriority,
    Stage,
    Supplier,
)
from competencies.models import Competency
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
    SupplierFactory,
    UserFactory,
)
from tests.users import demo_user

pytestmark = pytest.mark.django_db

LIST = "/reports/development/{}/"
PLAN = "/reports/development/{}/{}/"


@pytest.fixture
def at_moderation():
    assessment = AssessmentFactory(stage=Stage.MODERATION)
    framework = assessment.round.framework
    for code in ("strategy", "finance", "board"):
        AgreedRatingFactory(
            assessment=assessment,
            area=GovernanceAreaFactory(framework=framework, code=code),
            light="red",
        )
    return assessment, [CompetencyFactory(framework=framework, number=n) for n in (1, 2)]


def test_plan_for_a_pct_red_on_all_three_says_so(at_moderation):
    assessment, (c1, c2) = at_moderation
    supplier = SupplierFactory()

    plan = development_plan_save(
        assessment=assessment,
        owner=" Director of Commissioning ",
        review_date=datetime.date(2009, 6, 30),
        summary="Directed.",
        priorities=[
            PriorityInput(competency=c1, support="buy", action="Procure.", supplier=supplier),
            PriorityInput(competency=c2, support="share", action="Pair with a peer."),
        ],
        by=UserFactory(),
    )

    assert (plan.reason, plan.owner) == (
        DevelopmentPlan.Reason.RED_ALL_THREE,
        "Director of Commissioning",
    )
    assert list(plan.priorities.values_list("competency__number", "support", "supplier")) == [
        (1, "buy", supplier.pk),
        (2, "share", None),
    ]


def test_saving_again_replaces_the_priorities(at_moderation):
    assessment, (c1, c2) = at_moderation
    for competency in (c1, c2):
        development_plan_save(
            assessment=assessment,
            owner="Owner",
            review_date=datetime.date(2009, 6, 30),
            summary="",
            priorities=[PriorityInput(competency=competency, support="learn", action="Learn.")],
            by=UserFactory(),
        )

    assert list(DevelopmentPriority.objects.values_list("competency__number", flat=True)) == [2]
    assert DevelopmentPlan.objects.count() == 1


@pytest.mark.parametrize(
    ("priority", "message"),
    [
        (
            {"support": "buy"},
            "choose the supplier from the framework list when the support is to buy.",
        ),
        ({"support": "learn", "supplier": True}, "a supplier is named only when the support"),
        ({"support": "learn", "action": "  "}, "say what will be done."),
    ],
)
def test_bad_priorities_are_refused_and_nothing_is_written(at_moderation, priority, message):
    assessment, (c1, _c2) = at_moderation
    given = {"competency": c1, "action": "Act.", **priority}
    if given.pop("supplier", None):
        given["supplier"] = SupplierFactory()

    with pytest.raises(ValidationError) as excinfo:
        development_plan_save(
            assessment=assessment,
            owner="Owner",
            review_date=datetime.date(2009, 6, 30),
            summary="",
            priorities=[PriorityInput(**given)],
            by=UserFactory(),
        )

    (messages,) = excinfo.value.message_dict.values()
    assert message in messages[0]
    assert DevelopmentPlan.objects.count() == 0


def test_competency_of_another_framework_and_twice_are_refused(at_moderation):
    assessment, (c1, _c2) = at_moderation
    other = CompetencyFactory(number=1)

    with pytest.raises(ValidationError) as excinfo:
        development_plan_save(
            assessment=assessment,
            owner="Owner",
            review_date=datetime.date(2009, 6, 30),
            summary="",
            priorities=[
                PriorityInput(competency=other, support="learn", action="A."),
                PriorityInput(competency=c1, support="learn", action="B."),
                PriorityInput(competency=c1, support="share", action="C."),
            ],
            by=UserFactory(),
        )

    assert {k: [m.split(": ", 1)[1] for m in v] for k, v in excinfo.value.message_dict.items()} == {
        "priority-1-competency": ["the competency is not in this round's framework."],
        "priority-3-competency": ["this competency is already in the plan; give it once."],
    }


def test_no_plan_before_the_ratings_are_agreed(at_moderation):
    assessment, (c1, _c2) = at_moderation
    Assessment.objects.filter(pk=assessment.pk).update(stage=Stage.CONSENSUS)
    assessment.refresh_from_db()

    with pytest.raises(TransitionError, match="once the ratings are agreed"):
        development_plan_save(
            assessment=assessment,
            owner="Owner",
            review_date=datetime.date(2009, 6, 30),
            summary="",
            priorities=[PriorityInput(competency=c1, support="learn", action="A.")],
            by=UserFactory(),
        )


# --- The pages, on the demo -------------------------------------------------------------


def test_published_list_shows_every_planned_pct_to_everyone(client, demo):
    response = client.get(LIST.format("2008-09"))  # anonymous, after publication

    assert response.status_code == 200
    rows = response.context["rows"]
    plans = dict(
        DevelopmentPlan.objects.filter(assessment__round__slug="2008-09").values_list(
            "assessment__pct__ods_code", "reason"
        )
    )
    assert {r["assessment"].pct.ods_code: r["plan"].reason for r in rows} == plans
    assert sorted(r["assessment"].pct.ods_code for r in rows if r["red_all_three"]) == sorted(
        code for code, reason in plans.items() if reason == "red_all_three"
    )
    assert not any(r["may_plan"] for r in rows)
    page = response.content.decode()
    assert "Buy: a supplier from the framework" in page
    assert page.count('data-test="development-row"') == 10


@pytest.mark.parametrize(
    ("username", "status"),
    [("national", 200), ("moderator.q30", 200), ("board.5nd", 404), ("chair.q34", 404)],
)
def test_unpublished_list_is_for_the_process_only(client, demo, username, status):
    client.force_login(demo_user(username))

    assert client.get(LIST.format("2009-10")).status_code == status


def test_sha_staff_see_only_their_region_before_publication(client, demo):
    assessment = Assessment.objects.get(round__slug="2009-10", pct__ods_code="5PG")
    DevelopmentPlan.objects.create(
        assessment=assessment, reason="sha_flagged", owner="X", review_date="2010-06-30"
    )
    client.force_login(demo_user("moderator.q30"))

    rows = client.get(LIST.format("2009-10")).context["rows"]

    assert "5PG" not in {r["assessment"].pct.ods_code for r in rows}
    client.force_login(demo_user("national"))
    rows = client.get(LIST.format("2009-10")).context["rows"]
    assert "5PG" in {r["assessment"].pct.ods_code for r in rows}


def test_sha_staff_flag_a_pct_with_a_plan_through_the_form(client, demo):
    client.force_login(demo_user("moderator.q30"))
    competencies = Competency.objects.filter(framework__rounds__slug="2009-10")
    c5, c10 = competencies.get(number=5), competencies.get(number=10)
    supplier = Supplier.objects.first()
    url = PLAN.format("2009-10", "5nd")
    assert client.get(url).status_code == 200

    response = client.post(
        url,
        {
            "owner": "Director of Commissioning, NHS North East",
            "review_date": "2010-06-30",
            "summary": "Weak on procurement.",
            "p-TOTAL_FORMS": "3",
            "p-INITIAL_FORMS": "0",
            "p-0-competency": c5.pk,
            "p-0-support": "buy",
            "p-0-supplier": supplier.pk,
            "p-0-action": "Procure support.",
            "p-1-competency": c10.pk,
            "p-1-support": "learn",
            "p-1-action": "Board programme.",
        },
    )

    assert response.status_code == 302
    plan = DevelopmentPlan.objects.get(
        assessment__pct__ods_code="5ND", assessment__round__slug="2009-10"
    )
    assert (plan.reason, plan.owner) == ("sha_flagged", "Director of Commissioning, NHS North East")
    assert list(plan.priorities.values_list("competency__number", "support")) == [
        (5, "buy"),
        (10, "learn"),
    ]
    (change,) = DevelopmentPlanChange.objects.filter(assessment=plan.assessment)
    assert (change.action, change.changed_by.username) == ("saved", "moderator.q30")
    assert change.summary.splitlines() == [
        "Flagged by the SHA. Owner: Director of Commissioning, NHS North East; "
        "review by 30 June 2010.",
        "Weak on procurement.",
        f"- {c5}: Buy: a supplier from the framework ({supplier}): Procure support.",
        f"- {c10}: Learn: a development programme: Board programme.",
    ]

    edit = client.get(url)  # the saved review date shows again, as a date input reads it
    assert 'type="date" name="review_date" value="2010-06-30"' in edit.content.decode()
    version = edit.context["form"].initial["version"]
    check = client.post(url, {"delete": "1", "version": version})
    assert check.context["button"] == "Confirm and withdraw the plan"
    assert DevelopmentPlan.objects.filter(pk=plan.pk).exists()  # asking withdraws nothing
    response = client.post(url, {"delete": "1", "version": version, "confirm": "1"})

    assert response.status_code == 302
    assert not DevelopmentPlan.objects.filter(pk=plan.pk).exists()
    assert list(
        DevelopmentPlanChange.objects.filter(assessment=plan.assessment).values_list(
            "action", flat=True
        )
    ) == ["saved", "withdrawn"]
    page = client.get(url).content.decode()
    assert (page.count(": saved by "), page.count(": withdrawn by ")) == (1, 1)


def test_half_filled_priority_row_shows_errors_and_saves_nothing(client, demo):
    client.force_login(demo_user("moderator.q30"))

    response = client.post(
        PLAN.format("2009-10", "5nd"),
        {
            "owner": "Owner",
            "review_date": "2010-06-30",
            "p-TOTAL_FORMS": "1",
            "p-INITIAL_FORMS": "0",
            "p-0-support": "learn",
        },
    )

    assert response.status_code == 200
    errors = response.context["formset"][0].errors
    assert errors == {
        "competency": ["Needed for this priority."],
        "action": ["Needed for this priority."],
    }
    page = response.content.decode()
    assert "<title>Error: Development plan:" in page
    assert re.findall(r'<li><a href="#(id_p-0-\w+)">([^<]+)</a></li>', page) == [
        ("id_p-0-competency", "Row 1, competency: Needed for this priority."),
        ("id_p-0-action", "Row 1, what will be done: Needed for this priority."),
    ]
    assert not DevelopmentPlan.objects.filter(assessment__round__slug="2009-10").exists()


def test_the_plans_rules_come_with_the_fields_errors_not_after_them(client, demo):
    """The SHA walk: a repeated competency or a purchase without a supplier was only said
    once every half-filled row and the plan's own fields were put right."""
    c1 = Competency.objects.get(framework__rounds__slug="2009-10", number=1)
    client.force_login(demo_user("moderator.q30"))

    response = client.post(
        PLAN.format("2009-10", "5nd"),
        {
            "owner": "",
            "review_date": "2010-06-30",
            "p-TOTAL_FORMS": "3",
            "p-INITIAL_FORMS": "0",
            "p-0-competency": c1.pk,
            "p-0-support": "buy",
            "p-0-action": "Procure support.",
            "p-1-competency": c1.pk,
            "p-1-support": "buy",
            "p-2-support": "share",
        },
    )

    page = response.content.decode()
    assert re.findall(r'<li><a href="#(id_(?:owner|p-\d-\w+))">', page) == [
        "id_owner",
        "id_p-0-supplier",
        "id_p-1-competency",
        "id_p-1-supplier",
        "id_p-1-action",
        "id_p-2-competency",
        "id_p-2-action",
    ]
    rows = response.context["formset"]
    # named by the page's row, not again as "Priority 2 (…)" counted among the filled rows
    assert rows[0].errors["supplier"] == [
        "Choose the supplier from the framework list when the support is to buy."
    ]
    assert rows[1].errors["competency"] == ["This competency is already in the plan; give it once."]
    # the verify walk: a row's second message kept its prefix once the first was marked
    assert rows[1].errors["supplier"] == rows[0].errors["supplier"]
    assert response.context["form"].errors["owner"] == [
        "Enter who answers for the plan, such as the director of commissioning."
    ]
    assert rows[1].errors["action"] == ["Needed for this priority."]  # said once
    assert not DevelopmentPlan.objects.filter(assessment__round__slug="2009-10").exists()


@pytest.mark.parametrize(
    ("username", "status"),
    [("moderator.q31", 404), ("board.5nd", 404), ("national", 403)],
)
def test_only_the_pcts_sha_staff_write_its_plan(client, demo, username, status):
    client.force_login(demo_user(username))

    assert client.get(PLAN.format("2009-10", "5nd")).status_code == status
    assert client.post(PLAN.format("2009-10", "5nd"), {"owner": "X"}).status_code == status


@pytest.mark.parametrize("plans", [1, 3])
def test_list_queries_do_not_grow_with_plans(client, demo, django_assert_num_queries, plans):
    for assessment in Assessment.objects.filter(round__slug="2009-10", pct__sha__ods_code="Q30")[
        :plans
    ]:
        plan = DevelopmentPlan.objects.create(
            assessment=assessment, reason="sha_flagged", owner="X", review_date="2010-06-30"
        )
        DevelopmentPriority.objects.create(
            plan=plan,
            competency=Competency.objects.get(framework__rounds__slug="2009-10", number=1),
            support="learn",
            action="Learn.",
        )
    client.force_login(demo_user("national"))
    client.get(LIST.format("2009-10"))

    # Session, user, role, the round, its figures version, the listed PCTs' ids, then the
    # page's assessments, plans and priorities: the same for one plan as for three.
    with django_assert_num_queries(9):
        response = client.get(LIST.format("2009-10"))

    assert len(response.context["rows"]) == plans


def test_sha_staff_flag_any_pct_of_their_region_from_the_list(client, demo):
    client.force_login(demo_user("moderator.q30"))

    response = client.get(LIST.format("2009-10"))

    north_east = Assessment.objects.filter(round__slug="2009-10", pct__sha__ods_code="Q30")
    assert [a.pct.ods_code for a in response.context["flaggable"]] == list(
        north_east.order_by("pct__name").values_list("pct__ods_code", flat=True)
    )
    flag = client.get(LIST.format("2009-10") + "flag/", {"pct": "5nd"})
    assert flag.status_code == 302
    assert flag["Location"] == PLAN.format("2009-10", "5ND")


@pytest.mark.parametrize(("username", "status"), [("moderator.q31", 404), ("national", 403)])
def test_flagging_a_pct_outside_your_region_is_refused(client, demo, username, status):
    client.force_login(demo_user(username))

    assert client.get(LIST.format("2009-10") + "flag/", {"pct": "5nd"}).status_code == status


def test_two_windows_on_one_plan_take_turns_and_the_later_keeps_its_typing(client, demo):
    """The moderation walk: the second window's save silently undid the first's."""
    client.force_login(demo_user("moderator.q30"))
    c5 = Competency.objects.get(framework__rounds__slug="2009-10", number=5)
    url = PLAN.format("2009-10", "5nd")
    seen = client.get(url).context["form"].initial["version"]

    def save(owner: str, version):
        return client.post(
            url,
            {
                "owner": owner,
                "review_date": "2010-06-30",
                "version": version,
                "p-TOTAL_FORMS": "1",
                "p-INITIAL_FORMS": "0",
                "p-0-competency": c5.pk,
                "p-0-support": "learn",
                "p-0-action": "Board programme.",
            },
        )

    assert save("Owner from window 1", seen).status_code == 302
    stale = save("Owner from window 2", seen)

    assert stale.status_code == 200
    assert "changed since you opened this page" in stale.content.decode()
    assert 'value="Owner from window 2"' in stale.content.decode()
    assert DevelopmentPlan.objects.get(assessment__pct__ods_code="5ND").owner == (
        "Owner from window 1"
    )
    again = save("Owner from window 2", stale.context["form"].data["version"])
    assert again.status_code == 302


@pytest.mark.parametrize("typed", ["1900-01-01", "2001-06-30", "2009-03-31"])
def test_a_review_date_far_from_now_or_before_the_round_is_refused(client, demo, typed):
    """The bad-input walk: a 2009-10 plan to be reviewed in 2001 was accepted."""
    client.force_login(demo_user("moderator.q30"))

    response = client.post(
        PLAN.format("2009-10", "5nd"),
        {"owner": "O", "review_date": typed, "p-TOTAL_FORMS": "0", "p-INITIAL_FORMS": "0"},
    )

    assert (
        response.context["form"]
        .errors["review_date"][0]
        .startswith("Enter a review date from 1 April 2009, when 2009-10 began, to ")
    )


def test_a_page_sent_without_its_list_of_priorities_says_so_in_the_pages_words(client, demo):
    """The bad-input walk: Django's "tampered with… file a bug report" was shown."""
    client.force_login(demo_user("moderator.q30"))

    response = client.post(
        PLAN.format("2009-10", "5nd"), {"owner": "O", "review_date": "2010-01-01"}
    )

    page = response.content.decode()
    assert "The page was sent without its list of priorities" in page
    assert "tampered" not in page and "bug report" not in page


def test_a_bad_priority_is_marked_on_its_row_and_linked_from_the_summary(client, demo):
    """The moderation walk: "choose the supplier" and "already in the plan" were listed
    unlinked, twice, with the rows unmarked."""
    client.force_login(demo_user("moderator.q30"))
    c5 = Competency.objects.get(framework__rounds__slug="2009-10", number=5)
    url = PLAN.format("2009-10", "5nd")

    response = client.post(
        url,
        {
            "owner": "Owner",
            "review_date": "2010-06-30",
            "version": client.get(url).context["form"].initial["version"],
            "p-TOTAL_FORMS": "3",
            "p-INITIAL_FORMS": "0",
            "p-0-competency": c5.pk,
            "p-0-support": "buy",
            "p-0-action": "Procure.",
            "p-2-competency": c5.pk,
            "p-2-support": "learn",
            "p-2-action": "Learn.",
        },
    )

    page = response.content.decode()
    formset = response.context["formset"]
    assert list(formset.forms[0].errors) == ["supplier"]
    assert list(formset.forms[2].errors) == ["competency"]  # the second row filled
    assert 'href="#id_p-0-supplier"' in page and 'href="#id_p-2-competency"' in page
    assert not response.context["form"].non_field_errors()
