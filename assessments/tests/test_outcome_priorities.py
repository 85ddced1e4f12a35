"""The board's local outcome priorities: saved with the draft, refused row by row, locked on
submission, and shown on the self-assessment page."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.exceptions import TransitionError
from assessments.models import (
    Assessment,
    LocalOutcomePriority,
    OutcomePriorityChange,
    Role,
    Stage,
)
from assessments.selectors import self_assessment_detail
from assessments.services import (
    PriorityInput,
    outcome_priorities_save,
    self_assessment_save,
)
from assessments.standings import changed_between, figures_versions
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    OutcomeIndicatorFactory,
    PCTFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment() -> Assessment:
    framework = FrameworkFactory(slug="fw-op")
    CompetencyFactory(framework=framework, number=1)
    GovernanceAreaFactory(framework=framework, code="strategy", position=1)
    return AssessmentFactory(
        round=AssessmentRoundFactory(slug="2009-10", framework=framework),
        pct=PCTFactory(),
        stage=Stage.SELF_ASSESSMENT,
    )


@pytest.fixture
def board(assessment):
    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=assessment.pct).user


@pytest.fixture
def indicators():
    return [OutcomeIndicatorFactory(code=f"ind-{n}", name=f"Indicator {n:02}") for n in range(12)]


def row(indicator, baseline="120.5", target="100", baseline_year="2007-08", target_year="2012-13"):
    return PriorityInput(
        indicator=indicator,
        baseline_year=baseline_year,
        baseline=baseline,
        target_year=target_year,
        target=target,
    )


def stored(assessment) -> list[tuple]:
    return list(
        LocalOutcomePriority.objects.filter(assessment=assessment)
        .order_by("indicator__name")
        .values_list("indicator__code", "baseline_year", "baseline", "target_year", "target")
    )


def test_outcome_priorities_save_stores_rows_and_history(assessment, board, indicators):
    outcome_priorities_save(
        assessment=assessment,
        priorities=[row(indicators[0]), row(indicators[1], baseline="7", target="9.25")],
        by=board,
        expected_version=0,
    )

    assert stored(assessment) == [
        ("ind-0", "2007-08", Decimal("120.50"), "2012-13", Decimal("100.00")),
        ("ind-1", "2007-08", Decimal("7.00"), "2012-13", Decimal("9.25")),
    ]
    change = OutcomePriorityChange.objects.get(assessment=assessment)
    assert (change.changed_by, change.summary) == (
        board,
        "Indicator 00: 120.5 (2007-08) to 100 (2012-13)\nIndicator 01: 7 (2007-08) to 9.25 (2012-13)",
    )


def test_outcome_priorities_save_unchanged_writes_no_history(assessment, board, indicators):
    outcome_priorities_save(
        assessment=assessment, priorities=[row(indicators[0])], by=board, expected_version=0
    )

    outcome_priorities_save(
        assessment=assessment, priorities=[row(indicators[0])], by=board, expected_version=1
    )

    assert OutcomePriorityChange.objects.filter(assessment=assessment).count() == 1


def test_changed_priorities_give_the_round_a_new_figures_version(assessment, board, indicators):
    """The round's summaries count the PCTs choosing each priority, kept under the version."""
    round_id = assessment.round_id
    before = figures_versions([round_id])[round_id]
    outcome_priorities_save(
        assessment=assessment, priorities=[row(indicators[0])], by=board, expected_version=0
    )
    changed = figures_versions([round_id])[round_id]

    outcome_priorities_save(
        assessment=assessment, priorities=[row(indicators[0])], by=board, expected_version=1
    )

    assert before != changed == figures_versions([round_id])[round_id]  # unchanged: no step
    assert changed_between(round_id=round_id, since=before, until=changed) == {assessment.pk}


def test_outcome_priorities_save_replaces_the_list(assessment, board, indicators):
    outcome_priorities_save(
        assessment=assessment,
        priorities=[row(indicators[0]), row(indicators[1])],
        by=board,
        expected_version=0,
    )

    outcome_priorities_save(
        assessment=assessment, priorities=[row(indicators[2])], by=board, expected_version=1
    )

    assert [r[0] for r in stored(assessment)] == ["ind-2"]


def test_outcome_priorities_save_refuses_duplicates_naming_the_row(assessment, board, indicators):
    with pytest.raises(ValidationError) as refused:
        outcome_priorities_save(
            assessment=assessment,
            priorities=[row(indicators[0]), row(indicators[1]), row(indicators[0])],
            by=board,
            expected_version=0,
        )

    assert refused.value.messages == [
        "Priority 3: the indicator is already priority 1; choose each indicator once."
    ]
    assert stored(assessment) == []


def test_outcome_priorities_save_refuses_more_than_ten(assessment, board, indicators):
    with pytest.raises(ValidationError) as refused:
        outcome_priorities_save(
            assessment=assessment,
            priorities=[row(i) for i in indicators[:11]],
            by=board,
            expected_version=0,
        )

    assert refused.value.messages == [
        "11 local outcome priorities given: a board chooses up to 10."
    ]
    assert stored(assessment) == []


def test_outcome_priorities_save_refuses_bad_numbers_and_years_all_or_nothing(
    assessment, board, indicators
):
    with pytest.raises(ValidationError) as refused:
        outcome_priorities_save(
            assessment=assessment,
            priorities=[
                row(indicators[0]),
                row(indicators[1], baseline="about 40"),
                row(indicators[2], baseline_year="2007", target="NaN"),
                row(indicators[3], target_year="2006-07", baseline="1e3"),
                row(None),
            ],
            by=board,
            expected_version=0,
        )

    assert refused.value.message_dict == {
        # The board walk: "1e3" was saved as 1000.
        "p4_baseline": [
            "Priority 4: the baseline '1e3' is not a number: write it out in figures, such as 1000."
        ],
        "p2_baseline": ["Priority 2: the baseline 'about 40' is not a number."],
        "p3_baseline_year": ["Priority 3: the baseline year '2007' is not a year such as 2007-08."],
        "p3_target": ["Priority 3: the target 'NaN' is not a number."],
        "p4_target_year": ["Priority 4: the target year 2006-07 is not after the baseline year."],
        "p5_indicator": ["Priority 5: choose the outcome indicator."],
    }
    assert stored(assessment) == []
    assert OutcomePriorityChange.objects.count() == 0


def test_outcome_priorities_locked_after_submission(assessment, board, indicators):
    self_assessment_save(
        assessment=assessment,
        values={i: (v, "") for i, v in ((assessment.round.framework.competencies.get(), 2),)}
        | {assessment.round.framework.governance_areas.get(): ("green", "")},
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
        priorities=[row(indicators[0])],
    )

    with pytest.raises(TransitionError):
        outcome_priorities_save(
            assessment=assessment, priorities=[row(indicators[1])], by=board, expected_version=2
        )

    assert [r[0] for r in stored(assessment)] == ["ind-0"]


def test_self_assessment_save_refuses_bad_priority_and_saves_nothing(assessment, board, indicators):
    competency = assessment.round.framework.competencies.get()

    with pytest.raises(ValidationError) as refused:
        self_assessment_save(
            assessment=assessment,
            values={competency: (3, "Strong")},
            commentary="",
            by=board,
            expected_version=0,
            priorities=[row(indicators[0], baseline="x")],
        )

    assert refused.value.messages == ["Priority 1: the baseline 'x' is not a number."]
    assert list(LocalOutcomePriority.objects.all()) == []


def _url(assessment) -> str:
    return f"/assessments/{assessment.round.slug}/{assessment.pct.ods_code}/self-assessment/"


def test_self_assessment_page_saves_priorities_with_the_draft(
    client, assessment, board, indicators
):
    client.force_login(board)

    response = client.post(
        _url(assessment),
        {
            "version": 0,
            "action": "save",
            "p1_indicator": str(indicators[4].pk),
            "p1_baseline_year": "2008-09",
            "p1_baseline": "31.4",
            "p1_target_year": "2013-14",
            "p1_target": "25",
        },
    )

    assert response.status_code == 302
    assert stored(assessment) == [
        ("ind-4", "2008-09", Decimal("31.40"), "2013-14", Decimal("25.00"))
    ]


def test_self_assessment_page_names_a_bad_priority_row(client, assessment, board, indicators):
    client.force_login(board)

    response = client.post(
        _url(assessment),
        {
            "version": 0,
            "action": "save",
            "p2_indicator": str(indicators[4].pk),
            "p2_baseline_year": "2008-09",
            "p2_baseline": "lots",
            "p2_target_year": "2013-14",
            "p2_target": "25",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "p2_baseline": ["Priority 2: the baseline 'lots' is not a number."]
    }
    page = response.content.decode()
    assert 'href="#id_p2_baseline"' in page  # the error summary links to the field
    assert 'name="p2_baseline" value="lots"' in page and "is-invalid" in page
    assert stored(assessment) == []


def test_submitting_with_blank_items_names_a_bad_priority_row_at_once(
    client, assessment, board, indicators
):
    """Every problem at once: the blank items and the tick, and the priority too, so that
    the board does not correct the page twice."""
    client.force_login(board)

    response = client.post(
        _url(assessment),
        {
            "version": 0,
            "action": "submit",
            "p1_indicator": str(indicators[4].pk),
            "p1_baseline_year": "2009-10",
            "p1_baseline": "12",
            "p1_target_year": "2008-09",
            "p1_target": "abc",
        },
    )

    form = response.context["form"]
    assert form.errors["p1_target_year"] == [
        "Priority 1: the target year 2008-09 is not after the baseline year."
    ]
    assert form.errors["p1_target"] == ["Priority 1: the target 'abc' is not a number."]
    assert "confirm" in form.errors  # the rest of the refusal is still there
    assert stored(assessment) == []


@pytest.mark.parametrize("n", [1, 3])
def test_self_assessment_page_query_count_does_not_grow_with_priorities(
    client, assessment, board, indicators, django_assert_num_queries, n
):
    outcome_priorities_save(
        assessment=assessment,
        priorities=[row(i) for i in indicators[:n]],
        by=board,
        expected_version=0,
    )
    client.force_login(board)

    with django_assert_num_queries(15):  # whether sent back (reopening); the evidence history
        response = client.get(_url(assessment))

    assert [p.indicator.code for p in response.context["detail"].priorities] == [
        f"ind-{k}" for k in range(n)
    ]


# --- Where the priorities are shown -------------------------------------------------------


@pytest.mark.parametrize("n", [1, 3])
def test_pct_page_shows_the_priorities_the_board_entered(
    client, assessment, board, indicators, django_assert_num_queries, n
):
    outcome_priorities_save(
        assessment=assessment,
        priorities=[row(i, baseline="40", target="31.5") for i in indicators[:n]],
        by=board,
        expected_version=0,
    )
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    page = f"/reports/pct/{assessment.pct.ods_code}/{assessment.round.slug}/"
    client.get(page)  # warm caches

    with django_assert_num_queries(16):
        response = client.get(page)

    html = response.content.decode()
    assert [p.indicator.code for p in response.context["report"].outcome_priorities] == [
        f"ind-{k}" for k in range(n)
    ]
    assert html.count('data-test="priority"') == n
    assert "<td>40.00 (2007-08)</td><td>31.50 (2012-13)</td><td>—</td>" in html


def test_every_problem_of_a_row_is_said_even_a_repeated_indicators(assessment, board, indicators):
    """The board walk: priority 5 repeating priority 4's indicator was told only that,
    not its bad year and target; 0.0000001 and 12,5 were "not a number"."""
    with pytest.raises(ValidationError) as refused:
        outcome_priorities_save(
            assessment=assessment,
            priorities=[
                row(indicators[0], baseline="12,5", target="0.0000001"),
                row(indicators[0], target_year="2008-10", target="123456789"),
                row(indicators[1], target="-123456789"),
            ],
            by=board,
            expected_version=0,
        )

    assert refused.value.message_dict == {
        "p1_baseline": [
            "Priority 1: the baseline '12,5' is not a number: write it with a "
            "point and no commas, such as 12.5."
        ],
        "p1_target": ["Priority 1: the target '0.0000001' has more than two decimal places."],
        "p2_indicator": [
            "Priority 2: the indicator is already priority 1; choose each indicator once."
        ],
        "p2_target_year": ["Priority 2: the target year '2008-10' is not a year such as 2012-13."],
        "p2_target": ["Priority 2: the target '123456789' is too large: at most 99999999.99."],
        # the bad-input walk: a negative number was called "too large"
        "p3_target": ["Priority 3: the target '-123456789' is too small: at least -99999999.99."],
    }


def test_a_blank_value_of_a_chosen_indicator_is_asked_for(assessment, board, indicators):
    with pytest.raises(ValidationError) as refused:
        outcome_priorities_save(
            assessment=assessment,
            priorities=[row(indicators[0], baseline_year=" ", baseline="")],
            by=board,
            expected_version=0,
        )

    assert refused.value.message_dict == {
        "p1_baseline_year": ["Priority 1: enter the baseline year, such as 2007-08."],
        "p1_baseline": ["Priority 1: enter the baseline."],
    }


@pytest.mark.parametrize(
    ("name", "unit", "shown"),
    [
        ("Alcohol-related hospital admissions per 100,000 population", "per 100,000", None),
        ("Percentage of all deaths that occur at home", "%", None),
        (
            "Mortality from all circulatory diseases, people aged under 75",
            "per 100,000",
            "Mortality from all circulatory diseases, people aged under 75 (per 100,000)",
        ),
    ],
)
def test_an_indicators_unit_is_not_said_twice(name, unit, shown):
    """The reports walk: "... per 100,000 population (per 100,000)" in the PDF."""
    from assessments.models import OutcomeIndicator

    assert OutcomeIndicator(name=name, unit=unit).name_with_unit == (shown or name)


def test_priorities_keep_the_order_the_board_gave_them(assessment, board, indicators):
    """The board walk: a priority added in row 4 came back as priority 1, the rows sorted by
    indicator name. A new order alone is a change, with its history row."""
    given = [indicators[2], indicators[0], indicators[1]]
    outcome_priorities_save(
        assessment=assessment, priorities=[row(i) for i in given], by=board, expected_version=0
    )

    shown = self_assessment_detail(assessment=assessment).priorities
    assert [p.indicator for p in shown] == given
    saved = outcome_priorities_save(
        assessment=assessment,
        priorities=[row(i) for i in reversed(given)],
        by=board,
        expected_version=1,
    )
    assert [p.indicator for p in saved] == list(reversed(given))
    assert OutcomePriorityChange.objects.filter(assessment=assessment).count() == 2


def test_numbers_and_years_take_the_digits_0_to_9_only(assessment, board, indicators):
    """Arabic-Indic digits were read as numbers here (and stored as typed), where the
    ratings import refuses them."""
    arabic_12 = "\u0661\u0662"
    with pytest.raises(ValidationError) as refused:
        outcome_priorities_save(
            assessment=assessment,
            priorities=[
                row(indicators[0], baseline=arabic_12),
                row(indicators[1], baseline_year="\u0662\u0660\u0660\u0667-08"),
            ],
            by=board,
            expected_version=0,
        )

    assert refused.value.message_dict["p1_baseline"] == [
        f"Priority 1: the baseline {arabic_12!r} is not a number: write it with the digits 0 "
        "to 9, such as 12.5."
    ]
    assert "p2_baseline_year" in refused.value.message_dict
