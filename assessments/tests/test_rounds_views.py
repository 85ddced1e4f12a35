"""The rounds pages: who may do what, creating, the timetable, opening, the framework."""

import datetime
import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from assessments.exceptions import TransitionError
from assessments.models import Assessment, AssessmentRound, Role, RoundChange, Stage
from assessments.rounds import (
    framework_item_version,
    framework_source,
    round_create,
    round_discard,
    round_open,
    round_rename,
)
from competencies.models import Competency, FrameworkVersion, GovernanceArea
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_year():
    framework = FrameworkFactory(slug="2009-10")
    for number in (1, 2):
        CompetencyFactory(framework=framework, number=number)
    GovernanceAreaFactory(framework=framework, code="finance", position=2)
    return AssessmentRoundFactory(slug="2009-10", framework=framework)


@pytest.fixture
def national():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


@pytest.fixture
def new_round(last_year, national):
    return round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )


def sha_staff():
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user


def board():
    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user


GET_URLS = [
    "/rounds/",
    "/rounds/new/",
    "/rounds/2010-11/",
    "/rounds/2010-11/timetable/",
    "/rounds/2010-11/open/",
    "/rounds/2010-11/framework/",
    "/rounds/2010-11/framework/c1/",
    "/rounds/2010-11/framework/finance/",
]

POST_URLS = {
    "/rounds/new/",
    "/rounds/2010-11/timetable/",
    "/rounds/2010-11/open/",
    "/rounds/2010-11/framework/c1/",
    "/rounds/2010-11/framework/finance/",
}


@pytest.mark.parametrize("url", GET_URLS)
def test_rounds_pages_answer_the_national_team(client, new_round, national, url):
    client.force_login(national)

    response = client.get(url)

    assert response.status_code == 200
    assert response.templates[0].name.startswith("rounds/")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/rounds/", 200),
        ("/rounds/2010-11/", 200),
        ("/rounds/2010-11/framework/", 200),
        ("/rounds/2010-11/framework/c1/", 200),
        ("/rounds/2010-11/framework/finance/", 200),
        ("/rounds/new/", 403),
        ("/rounds/2010-11/timetable/", 403),
        ("/rounds/2010-11/open/", 403),
    ],
)
def test_sha_staff_read_rounds_but_change_nothing(client, new_round, url, status):
    client.force_login(sha_staff())

    response = client.get(url)

    assert response.status_code == status
    if status == 403:  # the site's page, saying why, not the browser's bare "Forbidden"
        assert "You cannot use this page" in response.content.decode()
    if url in POST_URLS:
        assert client.post(url, {"name": "x"}).status_code == 403


@pytest.mark.parametrize("url", GET_URLS)
def test_boards_and_outsiders_get_404_on_rounds_pages(client, new_round, url):
    for user in (board(), UserFactory()):
        client.force_login(user)

        assert client.get(url).status_code == 404
        if url in POST_URLS:
            assert client.post(url).status_code == 404


def test_round_new_creates_the_round_with_a_copy(client, last_year, national):
    client.force_login(national)

    response = client.post(
        "/rounds/new/", {"slug": "2010-11", "name": "WCC 2010/11", "source": "2009-10"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/rounds/2010-11/"
    created = AssessmentRound.objects.get(slug="2010-11")
    assert created.framework != last_year.framework
    assert Competency.objects.filter(framework=created.framework).count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Created 2010-11 with a copy of the framework of round 2009-10." in page


def test_round_new_refuses_a_duplicate_slug_naming_it(client, last_year, national):
    client.force_login(national)
    frameworks = FrameworkVersion.objects.count()

    response = client.post("/rounds/new/", {"slug": "2009-10", "name": "X", "source": "2009-10"})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "slug": ["A round 2009-10 already exists: choose another year."]
    }
    assert '<a href="#id_slug">Round: A round 2009-10 already exists' in response.text
    assert response.text.count("<title>Error: ") == 1
    assert (AssessmentRound.objects.count(), FrameworkVersion.objects.count()) == (1, frameworks)


def test_round_new_says_a_bad_year_and_a_blank_name_at_once(client, last_year, national):
    """The ops walk: 2010-12 with no name was told the name only; the years came next try."""
    client.force_login(national)

    response = client.post("/rounds/new/", {"slug": "2010-12", "name": "", "source": "2009-10"})

    assert set(response.context["form"].errors) == {"slug", "name"}
    assert response.context["form"].errors["slug"] == [
        "'2010-12' is not a round: write two consecutive years as YYYY-YY, for example 2010-11."
    ]
    assert AssessmentRound.objects.count() == 1


def test_a_rounds_name_page_hints_its_own_years_and_its_framework_is_named_like_the_others(
    client, new_round, national
):
    """The national walk: 2009-10's name page hinted "...assurance 2010/11", and a new
    round's framework was "Framework 2010-11" beside "... framework 2009/10"."""
    client.force_login(national)

    page = client.get("/rounds/2010-11/name/")

    assert page.context["form"].fields["name"].help_text.endswith("assurance 2010/11.")
    assert new_round.framework.name == "World Class Commissioning assurance framework 2010/11"


def test_round_name_is_corrected_with_its_history_row(client, new_round, national):
    client.force_login(national)
    assert 'href="/rounds/2010-11/name/"' in client.get("/rounds/2010-11/").text

    blank = client.post("/rounds/2010-11/name/", {"name": "  "})
    response = client.post(
        "/rounds/2010-11/name/", {"name": " World Class Commissioning assurance 2010/11 "}
    )

    assert blank.status_code == 200
    assert blank.context["form"].errors["name"] == [
        "Give the round a name, e.g. World Class Commissioning assurance 2010/11."
    ]
    assert "<title>Error: Name of 2010-11" in blank.text
    assert response["Location"] == "/rounds/2010-11/"
    new_round.refresh_from_db()
    assert new_round.name == "World Class Commissioning assurance 2010/11"
    change = RoundChange.objects.filter(round=new_round, field="name").get()
    assert (change.old_value, change.new_value, change.changed_by) == (
        "WCC 2010/11",
        "World Class Commissioning assurance 2010/11",
        national,
    )
    page = client.get("/rounds/2010-11/").text
    assert "Renamed 2010-11: World Class Commissioning assurance 2010/11." in page


def test_round_history_names_people_newest_first(client, new_round, national):
    """The trail walk: the round's history read "(national)", the username, where the
    panel histories name people; and it listed oldest first where they say newest first."""
    national.first_name, national.last_name = "Nadia", "Okafor"
    national.save(update_fields=["first_name", "last_name"])
    nameless = RoleFactory(kind=Role.Kind.NATIONAL, user__username="ops.national").user
    round_rename(round_=new_round, name="WCC assurance 2010/11", by=national)
    round_rename(round_=new_round, name="World Class Commissioning 2010/11", by=nameless)
    client.force_login(national)

    page = client.get("/rounds/2010-11/").text

    rows = re.findall(r"<li>[^<]*</li>", page.split('data-test="history"')[1].split("</ul>")[0])
    assert [row.split(" — ")[1] for row in rows[:2]] == [
        "Name: WCC assurance 2010/11 → World Class Commissioning 2010/11 (ops.national)</li>",
        "Name: WCC 2010/11 → WCC assurance 2010/11 (Nadia Okafor)</li>",
    ]
    assert "newest first" in page.split('data-test="history-order"')[1].split("</p>")[0]


def test_a_rename_from_before_another_windows_rename_is_refused_keeping_it(
    client, new_round, national
):
    """The concurrency walk: the last of two tabs' renames won, unseen."""
    client.force_login(national)
    client.post("/rounds/2010-11/name/", {"name": "Tab A's name", "was": "WCC 2010/11"})

    refused = client.post("/rounds/2010-11/name/", {"name": "Tab B's name", "was": "WCC 2010/11"})

    new_round.refresh_from_db()
    assert new_round.name == "Tab A's name"
    form = refused.context["form"]
    assert form.errors["name"] == [
        "Renamed Tab A's name in another window since you opened this page: yours was not "
        "saved. Save again to replace it."
    ]
    assert (form["name"].value(), form["was"].value()) == ("Tab B's name", "Tab A's name")
    client.post("/rounds/2010-11/name/", {"name": "Tab B's name", "was": "Tab A's name"})
    new_round.refresh_from_db()
    assert new_round.name == "Tab B's name"


def test_round_name_is_fixed_once_the_round_has_a_publication_time(client, new_round, national):
    new_round.published_at = timezone.now()
    new_round.save(update_fields=["published_at"])
    client.force_login(national)

    response = client.post("/rounds/2010-11/name/", {"name": "Another name"}, follow=True)

    assert "has a publication time: its name can no longer change." in response.text
    assert 'href="/rounds/2010-11/name/"' not in response.text
    new_round.refresh_from_db()
    assert new_round.name == "WCC 2010/11"
    with pytest.raises(TransitionError):
        round_rename(round_=new_round, name="Another name", by=national)


def test_round_timetable_saves_dates_in_order(client, new_round, national):
    client.force_login(national)

    response = client.post(
        "/rounds/2010-11/timetable/",
        {
            "self_assessment_due": "2010-09-30",
            "scoring_due": "2010-11-26",
            "publication_due": "2011-02-15",
            "factual_accuracy_working_days": "10",
        },
    )

    assert response.status_code == 302
    new_round.refresh_from_db()
    assert [str(new_round.self_assessment_due), str(new_round.publication_due)] == [
        "2010-09-30",
        "2011-02-15",
    ]
    history = client.get("/rounds/2010-11/").content.decode()  # in words, not field names
    assert "Self-assessment deadline: — → 2010-09-30" in history
    assert "self_assessment_due" not in history


def test_a_timetable_page_from_before_a_save_elsewhere_keeps_its_dates_and_saves_nothing(
    client, new_round, national
):
    """The two-tabs walk: a stale tab's save blanked the deadlines saved from another."""
    client.force_login(national)
    stale = client.get("/rounds/2010-11/timetable/").context["form"]["version"].value()
    client.post(
        "/rounds/2010-11/timetable/",
        {"version": stale, "scoring_due": "2011-01-10", "factual_accuracy_working_days": "10"},
    )

    refused = client.post(
        "/rounds/2010-11/timetable/",
        {"version": stale, "publication_due": "2011-03-01", "factual_accuracy_working_days": "10"},
    )

    new_round.refresh_from_db()
    assert (str(new_round.scoring_due), new_round.publication_due) == ("2011-01-10", None)
    form = refused.context["form"]
    assert form.non_field_errors()[0].startswith("The timetable changed since you opened")
    # the field changed meanwhile says so (the accessibility walk: saving again undid it)
    assert form.errors["scoring_due"] == [
        "Scoring deadline: changed to 10 January 2011 in another window since you opened this "
        "page. Saving replaces it with what is here."
    ]
    assert form["publication_due"].value() == "2011-03-01"  # kept
    assert form["version"].value() == str(stale + 1)  # saving again replaces knowingly
    client.post(
        "/rounds/2010-11/timetable/",
        {
            "version": stale + 1,
            "publication_due": "2011-03-01",
            "factual_accuracy_working_days": "10",
        },
    )
    new_round.refresh_from_db()
    assert str(new_round.publication_due) == "2011-03-01"


@pytest.mark.parametrize("version", ["-1", "99999"])
def test_a_timetable_posted_with_a_version_that_is_none_is_refused_not_a_500(
    client, new_round, national, version
):
    client.force_login(national)

    response = client.post(
        "/rounds/2010-11/timetable/",
        {"version": version, "scoring_due": "2011-01-10", "factual_accuracy_working_days": "10"},
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()[0].startswith("The timetable changed")
    new_round.refresh_from_db()
    assert new_round.scoring_due is None


def test_a_timetable_already_past_is_saved_with_a_warning_naming_the_dates(
    client, new_round, national
):
    client.force_login(national)
    next_year = timezone.localdate().year + 1

    response = client.post(
        "/rounds/2010-11/timetable/",
        {
            "self_assessment_due": "2010-09-30",
            "scoring_due": "2010-11-26",
            "publication_due": f"{next_year}-02-15",
            "factual_accuracy_working_days": "10",
        },
        follow=True,
    )

    said = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert said[0] == ("success", "Saved the timetable of 2010-11.")
    assert said[1][0] == "warning"
    assert "the self-assessment deadline, the scoring deadline. Boards" in said[1][1]
    assert "target publication date" not in said[1][1]


def test_a_timetable_years_ahead_is_saved_with_a_warning_naming_the_dates(
    client, new_round, national
):
    """A deadline years ahead (found by the attack walk): saved, but said. (Beyond the ten
    years a round may run in, 9999-12-31 say, it is refused: test_rounds.py.)"""
    client.force_login(national)
    year = timezone.localdate().year

    response = client.post(
        "/rounds/2010-11/timetable/",
        {
            "self_assessment_due": f"{year + 1}-09-30",
            "publication_due": f"{year + 5}-12-31",
            "factual_accuracy_working_days": "10",
        },
        follow=True,
    )

    said = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert said == [
        ("success", "Saved the timetable of 2010-11."),
        (
            "warning",
            "More than three years ahead: the target publication date. Nobody would be "
            "reminded or overdue for years: check the year.",
        ),
    ]


def test_round_timetable_lists_every_problem_at_once(client, new_round, national):
    client.force_login(national)

    response = client.post(
        "/rounds/2010-11/timetable/",
        {
            "self_assessment_due": "2010-09-30",
            "panel_formation_due": "2010-09-01",
            "scoring_due": "not a date",
            "factual_accuracy_working_days": "0",
        },
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {
        "panel_formation_due",
        "scoring_due",
        "factual_accuracy_working_days",
    }
    assert form.errors["panel_formation_due"] == [
        "1 September 2010 is before the self-assessment deadline (30 September 2010): each "
        "date must follow the one before it."
    ]
    assert form.errors["factual_accuracy_working_days"] == [
        "Enter a whole number of working days, from 1 to 30."
    ]
    new_round.refresh_from_db()
    assert new_round.self_assessment_due is None


def test_creating_a_round_with_nothing_typed_says_what_to_enter(client, last_year, national):
    client.force_login(national)

    form = client.post("/rounds/new/", {"slug": "", "name": "", "source": ""}).context["form"]

    assert form.errors == {
        "slug": ["Enter the round's two years, such as 2010-11."],
        "name": ["Give the round a name, e.g. World Class Commissioning assurance 2010/11."],
        "source": ["Choose the framework to copy."],
    }


def test_round_open_check_says_when_the_self_assessment_deadline_has_passed(
    client, new_round, national
):
    """Walk W: the check page gave the date as a deadline to come; the e-mail said it had
    passed."""
    AssessmentRound.objects.filter(pk=new_round.pk).update(
        self_assessment_due=timezone.localdate() - datetime.timedelta(days=1)
    )
    north = SHAFactory(ods_code="Q30")
    PCTFactory(sha=north)
    client.force_login(national)

    check = client.post("/rounds/2010-11/open/", {"shas": [north.pk], "action": "check"})

    assert "has passed:</strong> the e-mail says so" in check.text
    assert "The e-mail gives their self-assessment deadline" not in check.text


def test_round_open_checks_then_opens_and_confirms(
    client, new_round, national, mailoutbox, django_capture_on_commit_callbacks
):
    north, other = SHAFactory(ods_code="Q30"), SHAFactory(ods_code="Q31")
    for name in ("A", "B"):
        pct = PCTFactory(sha=north, name=name)
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct, user=UserFactory(email=f"{name}@x.org"))
    PCTFactory(sha=north, name="C, no board account")
    RoleFactory(
        kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=north, name="D"), user=UserFactory(email="")
    )
    PCTFactory(sha=other)
    client.force_login(national)

    check = client.post("/rounds/2010-11/open/", {"shas": [north.pk], "action": "check"})
    assert Assessment.objects.filter(round=new_round).count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/rounds/2010-11/open/", {"shas": [north.pk], "action": "confirm"}, follow=True
        )

    assert (
        "4 PCTs in 1 SHA will start their self-assessment; their boards will be e-mailed "
        "(2 boards with an e-mail address)" in check.text
    )
    assert "<strong>No self-assessment deadline is set:</strong> the e-mail" in check.text
    assert done.redirect_chain == [("/rounds/2010-11/opened/", 302)]
    assert "4 PCTs in 1 SHA started their self-assessment." in done.text
    assert "2 e-mails to PCT boards were queued" in done.text
    assert "2 PCTs were not told: no board member of theirs has an account" in done.text
    assert "<li>C, no board account</li><li>D</li>" in done.text
    assert sorted(m.to[0] for m in mailoutbox) == ["A@x.org", "B@x.org"]
    assert sorted(Assessment.objects.filter(round=new_round).values_list("pct__name", "stage")) == [
        ("A", Stage.SELF_ASSESSMENT),
        ("B", Stage.SELF_ASSESSMENT),
        ("C, no board account", Stage.SELF_ASSESSMENT),
        ("D", Stage.SELF_ASSESSMENT),
    ]


def test_round_opened_names_the_first_untold_pcts_and_counts_them_all(
    client, new_round, national, monkeypatch
):
    monkeypatch.setattr("assessments.rounds_views.UNTOLD_NAMED", 2)
    north = SHAFactory(ods_code="Q30")
    for name in ("A", "B", "C"):
        PCTFactory(sha=north, name=name)  # no board account
    client.force_login(national)

    done = client.post(
        "/rounds/2010-11/open/", {"shas": [north.pk], "action": "confirm"}, follow=True
    )

    assert "3 PCTs were not told" in done.text
    assert "<li>A</li><li>B</li></ul>" in done.text
    assert "The first 2 of the 3, by name." in done.text


def test_a_stale_check_page_confirmed_after_a_colleague_opened_says_who_did(
    client, new_round, national
):
    """The concurrency walk: confirming a second time read "0 PCTs in 0 SHAs started"."""
    north = SHAFactory(ods_code="Q30", name="North East")
    PCTFactory(sha=north, name="A")
    colleague = UserFactory(first_name="Ada", last_name="Lovelace")
    client.force_login(national)
    round_open(round_=new_round, shas=[north], by=colleague)

    done = client.post(
        "/rounds/2010-11/open/", {"shas": [north.pk], "action": "confirm"}, follow=True
    )

    assert done.redirect_chain == [("/rounds/2010-11/", 302)]
    assert "0 PCTs" not in done.text
    assert (
        "Nothing was opened: every open PCT of North East had already started 2010-11. "
        "It was last opened by Ada Lovelace on "
    ) in done.text
    assert "(1 PCT in Q30)." in done.text


def test_round_open_page_says_per_sha_what_would_start(client, new_round, national):
    north, west = SHAFactory(ods_code="Q30", name="North East"), SHAFactory(ods_code="Q34")
    PCTFactory(sha=north)
    PCTFactory(sha=north)
    AssessmentFactory(round=new_round, pct=PCTFactory(sha=west))
    client.force_login(national)

    response = client.get("/rounds/2010-11/open/")

    assert "North East (Q30): 2 PCTs to start, 0 already started" in response.text
    assert response.context["form"].initial == {"shas": [north.pk]}


def test_round_open_without_a_sha_is_refused_on_the_form(client, new_round, national):
    client.force_login(national)

    response = client.post("/rounds/2010-11/open/", {"action": "check"})

    assert response.context["form"].errors == {"shas": ["Choose at least one SHA."]}
    assert response.text.count("<title>Error: ") == 1


def test_competency_edit_saves_before_the_round_opens(client, new_round, national):
    client.force_login(national)

    response = client.post(
        "/rounds/2010-11/framework/c1/",
        {
            "short_name": "Locally leading",
            "statement": "Leads locally.",
            **{f"level_{n}": f"Descriptor {n}" for n in (1, 2, 3, 4)},
        },
    )

    assert response.status_code == 302
    assert Competency.objects.get(framework=new_round.framework, number=1).short_name == (
        "Locally leading"
    )


def test_framework_pages_are_read_only_once_the_round_has_opened(client, new_round, national):
    round_open(round_=new_round, shas=[PCTFactory().sha], by=national)
    client.force_login(national)

    page = client.get("/rounds/2010-11/framework/c1/")
    refused = client.post(
        "/rounds/2010-11/framework/c1/",
        {"short_name": "X", "statement": "X", **{f"level_{n}": "X" for n in (1, 2, 3, 4)}},
        follow=True,
    )

    assert 'data-test="read-only"' in page.text
    assert 'data-test="item-form"' not in page.text
    assert escape("it can no longer be changed") in refused.text
    assert Competency.objects.get(framework=new_round.framework, number=1).short_name == (
        "Competency 1"
    )


def test_a_second_windows_edit_of_a_competency_is_refused_with_its_typing_kept(
    client, new_round, national
):
    """The year-two walk: the later of two windows silently undid the first's rename."""
    client.force_login(national)
    url = "/rounds/2010-11/framework/c1/"
    shown = client.get(url).context["form"].initial["version"]
    levels = {f"level_{n}": f"Descriptor {n}" for n in (1, 2, 3, 4)}
    first = client.post(
        url,
        {"version": shown, "short_name": "Locally leading", "statement": "Leads.", **levels},
    )
    second = client.post(
        url,
        {
            "version": shown,
            "short_name": "Competency 1",
            "statement": "Leads.",
            **levels,
            "level_1": "Typed in the second window.",
        },
    )

    assert first.status_code == 302
    assert second.status_code == 200
    # named as it now reads, and said once: in the error summary, not again in the form
    assert second.text.count("1. Locally leading changed since you opened this page") == 1
    form = second.context["form"]
    assert form["level_1"].value() == "Typed in the second window."
    assert int(form["version"].value()) == framework_item_version(
        new_round, Competency.objects.get(framework=new_round.framework, number=1)
    )
    competency = Competency.objects.get(framework=new_round.framework, number=1)
    assert competency.short_name == "Locally leading"
    assert competency.levels.get(level=1).descriptor == "Descriptor 1"
    # Saving again from the page it came back on replaces the colleague's save, knowingly.
    again = client.post(url, {k: form[k].value() for k in form.fields})
    assert again.status_code == 302
    assert competency.levels.get(level=1).descriptor == "Typed in the second window."


def test_a_stale_edit_with_a_blank_field_says_both_at_once(client, new_round, national):
    """The verify walk: the blank field was reported first, the stale page only on the
    next save, and only the third save went through."""
    client.force_login(national)
    url = "/rounds/2010-11/framework/c1/"
    shown = client.get(url).context["form"].initial["version"]
    levels = {f"level_{n}": f"Descriptor {n}" for n in (1, 2, 3, 4)}
    client.post(url, {"version": shown, "short_name": "Renamed", "statement": "S.", **levels})

    refused = client.post(
        url, {"version": shown, "short_name": "Competency 1", "statement": "", **levels}
    )

    form = refused.context["form"]
    assert "statement" in form.errors
    assert "changed since you opened this page" in " ".join(form.non_field_errors())
    fixed = {k: form[k].value() for k in form.fields} | {"statement": "Filled in."}
    assert client.post(url, fixed).status_code == 302  # the second save goes through


def test_a_second_windows_edit_of_a_governance_area_is_refused(client, new_round, national):
    client.force_login(national)
    url = "/rounds/2010-11/framework/finance/"
    page = client.get(url).context["form"]
    data = {k: page[k].value() or "" for k in page.fields}
    client.post(url, data | {"green_meaning": "Sound."})

    refused = client.post(url, data | {"red_meaning": "Typed in the second window."})

    assert "changed since you opened this page" in refused.text
    assert refused.context["form"]["red_meaning"].value() == "Typed in the second window."
    area = GovernanceArea.objects.get(framework=new_round.framework, code="finance")
    assert area.green_meaning == "Sound."


def test_the_national_team_is_told_why_a_used_framework_is_read_only(client, national):
    framework = FrameworkFactory(slug="2009-10")
    AssessmentFactory(round=AssessmentRoundFactory(slug="2009-10", framework=framework))
    client.force_login(national)

    page = client.get("/rounds/2009-10/framework/")

    assert "a round has opened with this framework" in page.text
    assert "only the national team edits" not in page.text


@pytest.mark.parametrize("shas", [1, 3])
def test_round_detail_queries_do_not_grow_with_shas(
    client, new_round, national, django_assert_num_queries, shas
):
    for _ in range(shas):
        for stage in (Stage.SELF_ASSESSMENT, Stage.SCORING):
            AssessmentFactory(round=new_round, pct=PCTFactory(sha=SHAFactory()), stage=stage)
    client.force_login(national)

    with django_assert_num_queries(6):
        response = client.get("/rounds/2010-11/")

    assert len(response.context["progress"]) == 2 * shas
    assert response.context["total"] == 2 * shas


@pytest.mark.parametrize("rounds", [1, 3])
def test_round_list_queries_do_not_grow_with_rounds(
    client, national, django_assert_num_queries, rounds
):
    for n in range(rounds):
        AssessmentFactory(round=AssessmentRoundFactory(slug=f"20{10 + n}-{11 + n}"))
    client.force_login(national)

    with django_assert_num_queries(4):
        response = client.get("/rounds/")

    assert len(response.context["rounds"]) == rounds


@pytest.mark.parametrize("items", [1, 3])
def test_round_framework_page_queries_do_not_grow_with_items(
    client, national, django_assert_num_queries, items
):
    framework = FrameworkFactory(slug="2010-11")
    for n in range(1, items + 1):
        CompetencyFactory(framework=framework, number=n)
    for position, code in enumerate(["strategy", "finance", "board"][:items], start=1):
        GovernanceAreaFactory(framework=framework, code=code, position=position)
    AssessmentRoundFactory(slug="2010-11", framework=framework)
    client.force_login(national)

    with django_assert_num_queries(9):
        response = client.get("/rounds/2010-11/framework/")

    assert len(response.context["competencies"]) == items


# --- Discarding a round created by mistake -------------------------------------------------


def test_a_round_created_by_mistake_is_discarded_after_a_check_page(client, last_year, national):
    """1999-00 typed for 2010-11, then 2010-11 created from its framework: 2010-11 was
    compared with the mistake. Discarding it leaves 2010-11 compared with 2009-10."""
    from django.contrib.admin.models import DELETION, LogEntry

    from competencies.models import FrameworkVersion

    mistake = round_create(
        slug="1999-00", name="Typo", source=framework_source("2009-10"), by=national
    )
    last_year.delete()  # a new installation: no 2009-10 round yet, only its framework
    real = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("1999-00"), by=national
    )
    assert real.previous == mistake
    AssessmentRoundFactory(slug="2009-10", framework=FrameworkVersion.objects.get(slug="2009-10"))
    client.force_login(national)

    check = client.get("/rounds/1999-00/discard/")
    done = client.post("/rounds/1999-00/discard/", {"confirm": "1"}, follow=True)

    assert check.context["button"] == "Confirm and discard 1999-00"
    assert "2010-11, which is compared with 1999-00" in check.content.decode()
    assert "Typo (1999-00) is discarded" in done.content.decode()
    assert not AssessmentRound.objects.filter(slug="1999-00").exists()
    assert not FrameworkVersion.objects.filter(slug="1999-00").exists()
    real.refresh_from_db()
    assert real.previous.slug == "2009-10"
    assert list(real.changes.filter(field="previous").values_list("old_value", "new_value")) == [
        ("1999-00", "2009-10")
    ]
    assert LogEntry.objects.get().action_flag == DELETION


def test_discarding_the_round_the_next_year_follows_leaves_it_compared_with_none(
    client, last_year, national
):
    """2010-11 and then 2011-12 created from it: the year before 2011-12 is the discarded
    round itself, so 2011-12 is compared with no round (found by the attack walk: a 500)."""
    mistake = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )
    following = round_create(
        slug="2011-12", name="WCC 2011/12", source=framework_source("2010-11"), by=national
    )
    assert following.previous == mistake
    client.force_login(national)

    done = client.post("/rounds/2010-11/discard/", {"confirm": "1"}, follow=True)

    assert "2011-12 is now compared with no earlier round." in done.content.decode()
    following.refresh_from_db()
    assert following.previous is None
    assert list(
        following.changes.filter(field="previous").values_list("old_value", "new_value")
    ) == [("2010-11", "none")]


def test_an_opened_round_cannot_be_discarded(client, new_round, national):
    AssessmentFactory(round=new_round)
    client.force_login(national)

    response = client.post("/rounds/2010-11/discard/", {"confirm": "1"}, follow=True)

    assert "has opened: a round that PCTs have started keeps its history" in (
        response.content.decode()
    )
    assert AssessmentRound.objects.filter(slug="2010-11").exists()


def test_sha_staff_cannot_discard_a_round(client, new_round):
    client.force_login(sha_staff())

    assert client.post("/rounds/2010-11/discard/", {"confirm": "1"}).status_code == 403
    assert AssessmentRound.objects.filter(slug="2010-11").exists()


def test_the_round_list_says_published_once_the_time_has_come(client, last_year, national):
    client.force_login(national)
    AssessmentRoundFactory(slug="2010-11", published_at=timezone.now() + datetime.timedelta(days=1))
    last_year.published_at = timezone.now() - datetime.timedelta(days=1)
    last_year.save()

    states = {
        row.split("</a>")[0].rsplit(">", 1)[1]: row.split("<td>")[3].split("</td>")[0]
        for row in client.get("/rounds/").content.decode().split('data-test="round"')[1:]
    }

    assert states == {"2010-11": "Publication set", "2009-10": "Published"}


def test_a_form_posted_to_a_round_discarded_meanwhile_keeps_what_was_typed(
    client, new_round, national
):
    """The concurrency walk: a timetable saved after another tab discarded the round got the
    site's 404, and the dates were lost."""
    colleague = UserFactory(first_name="Ada", last_name="Lovelace")
    RoleFactory(kind=Role.Kind.NATIONAL, user=colleague)
    round_discard(round_=new_round, by=colleague)
    client.force_login(national)

    timetable = client.post(
        "/rounds/2010-11/timetable/",
        {
            "self_assessment_due": "2010-06-30",
            "factual_accuracy_working_days": "10",
            "version": "0",
        },
    )
    name = client.post("/rounds/2010-11/name/", {"name": "WCC <2010/11>", "was": "x"})

    assert (timetable.status_code, name.status_code) == (410, 410)
    assert "Nothing was saved: 2010-11 was discarded" in timetable.text
    assert "Ada Lovelace discarded the round 2010-11 on " in timetable.text
    assert "<dt>Self-assessment deadline</dt>" in timetable.text
    assert ">2010-06-30</dd>" in timetable.text
    assert ">10</dd>" in timetable.text
    assert "version" not in timetable.text.split("What you typed")[1].lower()
    assert escape("WCC <2010/11>") in name.text


def test_a_form_typed_on_a_discarded_round_is_not_saved_into_one_created_again(
    client, new_round, national
):
    """The re-test walk: a timetable tab left open on a round that was discarded and then
    created again with the same slug saved its dates into the new round."""
    typed_on = new_round.pk
    round_discard(round_=new_round, by=national)
    again = AssessmentRoundFactory(slug="2010-11", name="WCC 2010/11")
    client.force_login(national)
    dates = {"self_assessment_due": "2010-06-30", "factual_accuracy_working_days": "10"}

    stale = client.post(
        "/rounds/2010-11/timetable/", {**dates, "version": "0", "typed_on": str(typed_on)}
    )
    renamed = client.post(
        "/rounds/2010-11/name/", {"name": "Old tab", "was": "x", "typed_on": str(typed_on)}
    )
    again.refresh_from_db()

    assert (stale.status_code, renamed.status_code) == (410, 410)
    assert "A new round 2010-11 has been created since" in stale.text
    assert ">2010-06-30</dd>" in stale.text
    assert (again.self_assessment_due, again.name) == (None, "WCC 2010/11")
    page = client.get("/rounds/2010-11/timetable/")
    assert f'name="typed_on" value="{again.pk}"' in page.text
    fresh = client.post(
        "/rounds/2010-11/timetable/", {**dates, "version": "0", "typed_on": str(again.pk)}
    )
    assert fresh.status_code == 302
    again.refresh_from_db()
    assert str(again.self_assessment_due) == "2010-06-30"


def test_a_discarded_round_is_a_plain_404_to_others_and_on_reading(client, new_round, national):
    round_discard(round_=new_round, by=national)
    client.force_login(sha_staff())
    assert client.post("/rounds/2010-11/name/", {"name": "x"}).status_code == 404
    client.force_login(national)
    assert client.get("/rounds/2010-11/timetable/").status_code == 404
    assert client.post("/rounds/2099-00/name/", {"name": "x"}).status_code == 404


def test_change_the_shas_from_the_check_page_keeps_those_chosen(client, new_round, national):
    """The real-year walk: Go back re-ticked every SHA, one Continue from opening all."""
    north, south = SHAFactory(ods_code="Q30"), SHAFactory(ods_code="Q38")
    PCTFactory(sha=north)
    PCTFactory(sha=south)
    client.force_login(national)

    check = client.post("/rounds/2010-11/open/", {"shas": [south.pk], "action": "check"})
    back = re.search(r'href="([^"]+)" data-test="change-shas"', check.text).group(1)
    form = client.get(back.replace("&amp;", "&")).context["form"]

    assert back == f"/rounds/2010-11/open/?shas={south.pk}"
    assert form["shas"].value() == [south.pk]
    # A bad choice ticks every SHA again (in the page's order, by name: compared as a set,
    # since the factories' names sort either way; PostgreSQL's CI run found it).
    assert sorted(
        client.get("/rounds/2010-11/open/?shas=x&shas=99999").context["form"]["shas"].value()
    ) == sorted([north.pk, south.pk])


def test_a_round_with_a_publication_time_says_so_before_any_choice(client, new_round, national):
    SHAFactory(ods_code="Q30")
    new_round.published_at = timezone.now() + datetime.timedelta(days=5)
    new_round.save()
    client.force_login(national)

    page = client.get("/rounds/2010-11/open/")

    assert "it can no longer be opened for more SHAs" in page.text
    assert 'data-test="open-form"' not in page.text


def test_the_window_length_takes_the_digits_0_to_9_only(client, new_round, national):
    client.force_login(national)

    response = client.post(
        "/rounds/2010-11/timetable/", {"factual_accuracy_working_days": "\u0661\u0660"}
    )

    assert response.context["form"].errors["factual_accuracy_working_days"] == [
        "Enter a whole number of working days, from 1 to 30, with the digits 0 to 9."
    ]
