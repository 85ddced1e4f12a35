"""Creating a round with a copied framework, its timetable, and opening it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Assessment, AssessmentRound, Role, RoundChange, Stage
from assessments.rounds import (
    framework_source,
    round_area_edit,
    round_competency_edit,
    round_create,
    round_open,
    round_open_plan,
    round_rename,
    round_set_timetable,
    timetable_version,
)
from competencies.models import Competency, FrameworkVersion, GovernanceArea
from competencies.services import FrameworkLockedError
from tests.factories import (
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)
from tests.races import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_year():
    framework = FrameworkFactory(slug="2009-10")
    for number in (1, 2, 3):
        CompetencyFactory(framework=framework, number=number)
    GovernanceAreaFactory(framework=framework)
    return AssessmentRoundFactory(slug="2009-10", framework=framework)


@pytest.fixture
def national():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


def _board(pct, email):
    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct, user=UserFactory(email=email)).user


def test_round_create_copies_the_framework_and_links_the_previous_round(last_year, national):
    round_ = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )

    assert round_.framework != last_year.framework
    assert round_.framework.slug == "2010-11"
    assert Competency.objects.filter(framework=round_.framework).count() == 3
    assert round_.previous == last_year
    assert list(RoundChange.objects.values_list("field", "new_value", "changed_by")) == [
        ("created", "copy of round 2009-10", national.pk)
    ]


def test_round_create_refuses_a_duplicate_slug_naming_it(last_year, national):
    frameworks = FrameworkVersion.objects.count()

    with pytest.raises(ValidationError) as excinfo:
        round_create(slug="2009-10", name="Again", source=framework_source("2009-10"), by=national)

    assert excinfo.value.message_dict == {
        "slug": ["A round 2009-10 already exists: choose another year."]
    }
    assert AssessmentRound.objects.count() == 1
    assert FrameworkVersion.objects.count() == frameworks
    assert RoundChange.objects.count() == 0


@pytest.mark.parametrize(
    # The last: 2010-11 in Arabic-Indic digits, which \d matched and int() read, making a
    # round no URL could reach.
    "slug",
    ["2010-12", "2010", "10-11", "2010-1", "2099-00x", "\u0662\u0660\u0661\u0660-\u0661\u0661"],
)
def test_round_create_refuses_a_slug_that_is_not_two_consecutive_years(last_year, slug):
    with pytest.raises(ValidationError) as excinfo:
        round_create(slug=slug, name="X", source=framework_source("2009-10"), by=None)

    assert list(excinfo.value.message_dict) == ["slug"]
    assert AssessmentRound.objects.count() == 1


@pytest.mark.parametrize("slug", ["9999-00", "0001-02", "1989-90"])
def test_round_create_refuses_consecutive_years_no_round_could_run_in(last_year, slug):
    with pytest.raises(ValidationError) as excinfo:
        round_create(slug=slug, name="X", source=framework_source("2009-10"), by=None)

    latest = timezone.localdate().year + 10
    assert excinfo.value.message_dict == {
        "slug": [
            f"{slug} is not a round this service can run: its first year must be from 1990 "
            f"to {latest}."
        ]
    }
    assert AssessmentRound.objects.count() == 1


def test_a_round_name_is_one_rounds_only(last_year, national):
    """The bad-input walk: a second round was called "… 2009/10" too."""
    taken = last_year.name

    with pytest.raises(ValidationError) as created:
        round_create(
            slug="2010-11", name=f" {taken.upper()} ", source=framework_source("2009-10"), by=None
        )

    message = f"Round {last_year.slug} is already called {taken}: give another name."
    assert created.value.message_dict == {"name": [message]}
    assert round_rename(round_=last_year, name=taken, by=national).name == taken  # its own


@pytest.mark.parametrize(
    "name", ["A\x07bell", "WCC assurance\u202e 2010/11", "WCC\u200b assurance 2010/11"]
)
def test_round_names_refuse_control_characters_and_direction_marks(last_year, national, name):
    """The real-year walk: a bell and a right-to-left override were stored as the name
    boards and the public read."""
    with pytest.raises(ValidationError) as created:
        round_create(slug="2010-11", name=name, source=framework_source("2009-10"), by=None)
    with pytest.raises(ValidationError) as renamed:
        round_rename(round_=last_year, name=name, by=national)

    message = (
        "Write the name without control characters, direction marks or invisible characters "
        "(such as a bell, a right-to-left override or a zero-width space)."
    )
    assert created.value.message_dict == renamed.value.message_dict == {"name": [message]}
    assert AssessmentRound.objects.count() == 1
    assert RoundChange.objects.count() == 0


def test_round_create_takes_a_round_ten_years_ahead(last_year):
    year = timezone.localdate().year + 10
    slug = f"{year}-{(year + 1) % 100:02d}"

    assert (
        round_create(slug=slug, name="X", source=framework_source("2009-10"), by=None).slug == slug
    )


def test_round_create_names_its_framework_apart_from_a_loaded_one(last_year, national):
    FrameworkFactory(slug="2010-11")

    round_ = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )

    assert round_.framework.slug == "2010-11-2"


def test_round_create_from_a_framework_when_no_round_exists(national):
    framework = FrameworkFactory(slug="2009-10")
    CompetencyFactory(framework=framework, number=1)

    round_ = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )

    assert (round_.previous, round_.framework.slug) == (None, "2010-11")


def test_round_create_does_not_take_a_previous_round_that_already_has_a_successor(
    last_year, national
):
    AssessmentRoundFactory(slug="2010-11", previous=last_year)

    round_ = round_create(
        slug="2012-13", name="WCC 2012/13", source=framework_source("2009-10"), by=national
    )

    assert round_.previous is None


def test_round_create_never_takes_a_later_round_as_previous(last_year, national):
    round_ = round_create(
        slug="2008-09", name="WCC 2008/09", source=framework_source("2009-10"), by=national
    )

    assert round_.previous is None


def test_round_create_prefers_the_year_before_to_the_round_copied(last_year, national):
    year_before = AssessmentRoundFactory(slug="2010-11")

    round_ = round_create(
        slug="2011-12", name="WCC 2011/12", source=framework_source("2009-10"), by=national
    )

    assert round_.previous == year_before


def test_a_published_rounds_timetable_and_window_no_longer_change(last_year, national, client):
    """The national walk: 2008-09's scoring deadline and window length were edited after
    publication, with a warning that "boards and panels would be overdue"."""
    from assessments.exceptions import TransitionError
    from assessments.factual_accuracy import round_set_window

    last_year.published_at = timezone.now()
    last_year.save(update_fields=["published_at"])
    dates = {"scoring_due": datetime.date(2009, 11, 29)}

    with pytest.raises(TransitionError) as timetable:
        round_set_timetable(round_=last_year, dates=dates, working_days=3, by=national)
    with pytest.raises(TransitionError) as window:
        round_set_window(round_=last_year, working_days=3, by=national)

    assert str(timetable.value) == (
        f"{last_year.name} has a publication time: its timetable can no longer change."
    )
    assert "their length can no longer change" in str(window.value)
    last_year.refresh_from_db()
    assert (last_year.scoring_due, last_year.factual_accuracy_working_days) == (None, 10)
    assert not RoundChange.objects.exists()
    client.force_login(national)
    page = client.get("/rounds/2009-10/timetable/", follow=True)
    assert page.redirect_chain == [("/rounds/2009-10/", 302)]
    assert "its timetable can no longer change" in page.content.decode()


def test_round_set_timetable_refuses_dates_out_of_order(last_year, national):
    with pytest.raises(ValidationError) as excinfo:
        round_set_timetable(
            round_=last_year,
            dates={
                "self_assessment_due": datetime.date(2010, 9, 30),
                "panel_formation_due": datetime.date(2010, 9, 1),
            },
            working_days=10,
            by=national,
        )

    assert excinfo.value.message_dict == {
        "panel_formation_due": [
            "1 September 2010 is before the self-assessment deadline (30 September 2010): "
            "each date must follow the one before it."
        ]
    }


def test_round_set_timetable_refuses_a_year_no_round_runs_in_on_its_own_field(last_year, national):
    """The bad-input walk: 0001-01-01 was saved (boards read "due 1 January 0001,
    Overdue"), and 9999-12-31 was refused on the field after it."""
    latest = timezone.localdate().year + 10
    with pytest.raises(ValidationError) as excinfo:
        round_set_timetable(
            round_=last_year,
            dates={
                "self_assessment_due": datetime.date(1, 1, 1),
                "panel_formation_due": datetime.date(9999, 12, 31),
                "scoring_due": datetime.date(2010, 9, 1),
            },
            working_days=10,
            by=national,
        )

    message = f"Enter a date from 1 January 1990 to 31 December {latest}."
    assert excinfo.value.message_dict == {
        "self_assessment_due": [message],
        "panel_formation_due": [message],
    }
    assert RoundChange.objects.count() == 0


def test_round_set_timetable_writes_a_change_per_value(last_year, national):
    round_set_timetable(
        round_=last_year,
        dates={
            "self_assessment_due": datetime.date(2010, 9, 30),
            "publication_due": datetime.date(2011, 2, 15),
        },
        working_days=12,
        by=national,
    )

    assert list(RoundChange.objects.values_list("field", "old_value", "new_value")) == [
        ("self_assessment_due", "", "2010-09-30"),
        ("publication_due", "", "2011-02-15"),
        ("factual_accuracy_working_days", "10", "12"),
    ]


def test_round_set_timetable_clears_a_date_set_before(last_year, national):
    """The real-year walk: clearing dates already saved gave "This field cannot be blank."
    with no field named, and saved nothing."""
    dates = {
        "self_assessment_due": datetime.date(2010, 9, 30),
        "publication_due": datetime.date(2011, 2, 15),
    }
    round_set_timetable(round_=last_year, dates=dates, working_days=10, by=national)

    round_set_timetable(
        round_=last_year,
        dates={"self_assessment_due": datetime.date(2010, 9, 30)},
        working_days=10,
        by=national,
    )

    last_year.refresh_from_db()
    assert last_year.publication_due is None
    change = RoundChange.objects.order_by("pk").last()
    assert (change.field, change.old_value, change.new_value) == (
        "publication_due",
        "2011-02-15",
        "",
    )
    assert str(change).endswith("publication_due 2011-02-15 → —")


def test_round_set_timetable_reads_the_publication_time_as_stored_not_the_callers_copy(
    last_year, national
):
    """The races review: a timetable page opened before the publication time was set
    could still change the dates of a round by then published."""
    stale = AssessmentRound.objects.get(pk=last_year.pk)
    version = timetable_version(stale)
    AssessmentRound.objects.filter(pk=last_year.pk).update(published_at=timezone.now())

    with pytest.raises(TransitionError, match="has a publication time"):
        round_set_timetable(
            round_=stale,
            dates={"scoring_due": datetime.date(2009, 11, 29)},
            working_days=10,
            by=national,
            expected_version=version,
        )

    last_year.refresh_from_db()
    assert last_year.scoring_due is None
    assert not RoundChange.objects.exists()


def test_round_set_timetable_compares_with_the_dates_as_stored_not_the_callers_copy(
    last_year, national
):
    """Two copies read before either saved: the second saving the same date writes no
    second change from "nothing" (the history would say the date was set twice)."""
    first, second = (AssessmentRound.objects.get(pk=last_year.pk) for _ in range(2))
    dates = {"scoring_due": datetime.date(2009, 11, 29)}
    round_set_timetable(round_=first, dates=dates, working_days=10, by=national)

    again = round_set_timetable(round_=second, dates=dates, working_days=10, by=national)

    assert again == 0
    assert list(RoundChange.objects.values_list("field", "old_value", "new_value")) == [
        ("scoring_due", "", "2009-11-29")
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_timetable_saves_from_the_same_page_at_once_save_one_and_refuse_the_other(
    last_year, national
):
    """The races review: the version is a count of history rows, read without a lock, so
    two saves from pages of the same version both passed the check; the second now waits
    for the first's lock on the round, counts its rows and is refused."""
    version = timetable_version(last_year)
    first, second = (AssessmentRound.objects.get(pk=last_year.pk) for _ in range(2))

    def save(round_, day):
        return lambda: round_set_timetable(
            round_=round_,
            dates={"scoring_due": datetime.date(2009, 11, day)},
            working_days=10,
            by=national,
            expected_version=version,
        )

    one, two = race(save(first, 20), save(second, 29))

    assert (one.value, one.error) == (0, None)
    assert type(two.error) is ConflictError
    last_year.refresh_from_db()
    assert last_year.scoring_due == datetime.date(2009, 11, 20)
    assert list(RoundChange.objects.values_list("field", "old_value", "new_value")) == [
        ("scoring_due", "", "2009-11-20")
    ]


@pytest.fixture
def new_round(last_year, national):
    return round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )


def test_round_open_writes_to_each_board_member_on_their_own(
    new_round, national, mailoutbox, django_capture_on_commit_callbacks
):
    north = SHAFactory(ods_code="Q30")
    pct = PCTFactory(sha=north, name="A")
    _board(pct, "chair@example.org")
    _board(pct, "clerk@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        opened = round_open(round_=new_round, shas=[north], by=national)

    assert opened.messages == 2
    assert sorted(m.to for m in mailoutbox) == [["chair@example.org"], ["clerk@example.org"]]


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (10, "Please submit the board's agreed self-assessment by "),
        (-1, "The round's deadline for the self-assessment, "),
    ],
)
def test_round_open_says_whether_the_self_assessment_deadline_has_passed(
    new_round, national, mailoutbox, django_capture_on_commit_callbacks, days, said
):
    """Walk V: opened after its deadline, the e-mail asked the board to submit "by" a day
    gone."""
    due = timezone.localdate() + datetime.timedelta(days=days)
    AssessmentRound.objects.filter(pk=new_round.pk).update(self_assessment_due=due)
    new_round.refresh_from_db()
    north = SHAFactory(ods_code="Q30")
    _board(PCTFactory(sha=north, name="A"), "chair@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        round_open(round_=new_round, shas=[north], by=national)

    [message] = mailoutbox
    assert said in message.body
    assert ("has passed" in message.body) is (days < 0)


def test_round_open_for_chosen_shas_creates_exactly_those_assessments_and_mails_each_board(
    new_round, national, mailoutbox, django_capture_on_commit_callbacks
):
    north, south = SHAFactory(ods_code="Q30"), SHAFactory(ods_code="Q39")
    a, b = PCTFactory(sha=north, name="A"), PCTFactory(sha=north, name="B")
    PCTFactory(sha=north, name="Closed", closed_on=datetime.date(2010, 3, 31))
    PCTFactory(sha=south, name="Elsewhere")
    _board(a, "board-a@example.org")
    _board(b, "board-b@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        opened = round_open(round_=new_round, shas=[north], by=national)

    assert (opened.assessments, opened.shas, opened.messages) == (2, 1, 2)
    assert list(Assessment.objects.filter(round=new_round).values_list("pct__name", "stage")) == [
        ("A", Stage.SELF_ASSESSMENT),
        ("B", Stage.SELF_ASSESSMENT),
    ]
    assert sorted(m.to[0] for m in mailoutbox) == ["board-a@example.org", "board-b@example.org"]
    assert "/assessments/2010-11/" in mailoutbox[0].body
    new_round.refresh_from_db()
    assert new_round.opened_at is not None
    assert new_round.framework.locked_at is not None


def test_round_open_again_adds_only_the_new_shas(
    new_round, national, mailoutbox, django_capture_on_commit_callbacks
):
    north, south = SHAFactory(ods_code="Q30"), SHAFactory(ods_code="Q39")
    _board(PCTFactory(sha=north), "n@example.org")
    _board(PCTFactory(sha=south), "s@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        round_open(round_=new_round, shas=[north], by=national)

    with django_capture_on_commit_callbacks(execute=True):
        again = round_open(round_=new_round, shas=[north, south], by=national)
        twice = round_open(round_=new_round, shas=[north, south], by=national)

    assert (again.assessments, twice.assessments) == (1, 0)
    assert Assessment.objects.filter(round=new_round).count() == 2
    assert [m.to for m in mailoutbox] == [["n@example.org"], ["s@example.org"]]


def test_round_open_reads_the_publication_time_as_stored_not_the_callers_copy(new_round, national):
    """The review: a copy read before a colleague set the publication time opened the round
    for more SHAs after it."""
    stale = AssessmentRound.objects.get(pk=new_round.pk)
    AssessmentRound.objects.filter(pk=new_round.pk).update(
        published_at=timezone.now() + datetime.timedelta(days=30)
    )

    with pytest.raises(TransitionError, match="has a publication time"):
        round_open(round_=stale, shas=[PCTFactory().sha], by=national)

    assert not Assessment.objects.filter(round=new_round).exists()


def test_round_open_plan_counts_pcts_shas_and_boards(new_round):
    north = SHAFactory(ods_code="Q30")
    pct = PCTFactory(sha=north)
    PCTFactory(sha=north)
    _board(pct, "b@example.org")

    plan = round_open_plan(round_=new_round, shas=[north])

    assert (len(plan.pcts), plan.sha_count, plan.boards) == (2, 1, 1)


def test_editing_the_framework_is_refused_once_the_round_has_opened(new_round, national):
    round_open(round_=new_round, shas=[PCTFactory().sha], by=national)
    competency = Competency.objects.get(framework=new_round.framework, number=1)

    with pytest.raises(FrameworkLockedError, match="can no longer be changed"):
        round_competency_edit(
            round_=new_round,
            competency=competency,
            short_name="New",
            statement="New.",
            levels={1: "a", 2: "b", 3: "c", 4: "d"},
            by=national,
        )

    assert Competency.objects.get(pk=competency.pk).short_name == "Competency 1"


def test_editing_a_framework_used_by_a_round_with_assessments_is_refused(last_year, national):
    PCTFactory().assessments.create(round=last_year)
    area = GovernanceArea.objects.get(framework=last_year.framework)

    with pytest.raises(FrameworkLockedError):
        round_area_edit(round_=last_year, area=area, values={}, sub_indicators=[], by=national)


def test_round_competency_edit_records_each_change(new_round, national):
    competency = Competency.objects.get(framework=new_round.framework, number=2)

    changed = round_competency_edit(
        round_=new_round,
        competency=competency,
        short_name="Working with partners",
        statement=competency.statement,
        levels={level: f"Level {level} of {competency}" for level in (1, 2, 3)} | {4: "Best."},
        by=national,
    )

    assert changed == 2
    assert list(
        RoundChange.objects.filter(field__startswith="framework").values_list(
            "field", "old_value", "new_value"
        )
    ) == [
        ("framework c2 short_name", "Competency 2", "Working with partners"),
        ("framework c2 level 4", "Level 4 of 2. Competency 2", "Best."),
    ]
