"""England and SHA summaries: the numbers, the charts, the embargo and the query count.

The tests on constructed data come first; the ones on the seeded demo come last, because
the module-scoped ``demo`` fixture stays in the database from its first use to the end of
the module (the constructed round has its own slug and framework, so it is not affected).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, OutcomeIndicator, Role, Stage
from assessments.services import PriorityInput, outcome_priorities_save
from reports.charts import distribution_svg
from reports.summaries import GovernancePattern, PopularPriority, round_summary
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    LocalOutcomePriorityFactory,
    OutcomeIndicatorFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
)
from tests.users import demo_user

ENGLAND = "/reports/summary/{}/"
REGION = "/reports/summary/{}/{}/"
AREAS = ("strategy", "finance", "board")


def make_round(*, published: bool = True, slug: str = "2030-31") -> AssessmentRound:
    framework = FrameworkFactory(slug=f"fw-{slug}")
    for number in (1, 2):
        CompetencyFactory(framework=framework, number=number, with_levels=False)
    for position, code in enumerate(AREAS, start=1):
        GovernanceAreaFactory(framework=framework, code=code, position=position)
    when = timezone.now() + (timedelta(days=-1) if published else timedelta(days=1))
    return AssessmentRoundFactory(slug=slug, framework=framework, published_at=when)


def rate(round_, pct, levels=(), lights=()):
    """Agreed ratings for one PCT: ``levels`` for c1, c2…; ``lights`` for strategy, finance,
    board (fewer values leave items unrated)."""
    assessment = AssessmentFactory(round=round_, pct=pct, stage=80)
    competencies = {c.number: c for c in round_.framework.competencies.all()}
    areas = {a.code: a for a in round_.framework.governance_areas.all()}
    for number, level in enumerate(levels, start=1):
        AgreedRatingFactory(assessment=assessment, competency=competencies[number], level=level)
    for code, light in zip(AREAS, lights, strict=False):
        AgreedRatingFactory(assessment=assessment, area=areas[code], light=light)
    return assessment


@pytest.fixture
def constructed():
    """Two SHAs, four complete PCTs and one incomplete, with outcome priorities.

    A: P1 (1, 2; green green amber), P2 (2, 2; green green amber), P3 (2, 4; red amber green)
    B: P4 (3, 1; green green amber), P5 (c1 = 4 only: incomplete, not counted)
    """
    round_ = make_round()
    a = SHAFactory(ods_code="XAA", name="Alpha")
    b = SHAFactory(ods_code="XBB", name="Beta")
    smoking = OutcomeIndicatorFactory(code="smoking", name="Smoking quitters")
    alcohol = OutcomeIndicatorFactory(code="alcohol", name="Alcohol admissions")
    teenage = OutcomeIndicatorFactory(code="teenage", name="Teenage pregnancy")
    rows = [
        (a, "YP1", (1, 2), ("green", "green", "amber"), [smoking, alcohol]),
        (a, "YP2", (2, 2), ("green", "green", "amber"), [smoking, teenage]),
        (a, "YP3", (2, 4), ("red", "amber", "green"), [smoking]),
        (b, "YP4", (3, 1), ("green", "green", "amber"), [alcohol, teenage]),
        (b, "YP5", (4,), (), [teenage, alcohol]),
    ]
    for sha, code, levels, lights, indicators in rows:
        assessment = rate(round_, PCTFactory(ods_code=code, sha=sha), levels, lights)
        for indicator in indicators:
            LocalOutcomePriorityFactory(assessment=assessment, indicator=indicator)
    return round_, a, b


# --- The numbers ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_england_summary_counts_levels_lights_means_and_medians(constructed):
    round_, _a, _b = constructed

    summary = round_summary(round_=round_)

    assert (summary.pcts, summary.pcts_incomplete) == (4, 1)
    c1, c2 = summary.competencies
    assert (c1.ours.counts, c1.ours.shares, c1.ours.mean, c1.ours.median) == (
        (1, 2, 1, 0),
        (25.0, 50.0, 25.0, 0.0),
        2.0,
        2.0,
    )
    assert (c2.ours.counts, c2.ours.mean, c2.ours.median) == ((1, 2, 0, 1), 2.25, 2.0)
    assert c1.england is None
    assert [(area.code, area.ours.counts) for area in summary.areas] == [
        ("strategy", (3, 0, 1)),
        ("finance", (3, 1, 0)),
        ("board", (1, 3, 0)),
    ]
    assert summary.areas[0].ours.mean == 1.5  # points: 2 + 2 + 0 + 2 over 4


@pytest.mark.django_db
def test_england_summary_has_each_sha_mean_then_england(constructed):
    round_, _a, _b = constructed

    summary = round_summary(round_=round_)

    assert [(r.code, r.name, r.n, r.means) for r in summary.sha_means] == [
        ("XAA", "Alpha", 3, pytest.approx((5 / 3, 8 / 3))),  # unrounded: shown rounded
        ("XBB", "Beta", 1, (3.0, 1.0)),
        ("", "England", 4, (2.0, 2.25)),
    ]


@pytest.mark.django_db
def test_governance_patterns_are_counted_most_common_first(constructed):
    round_, _a, _b = constructed

    summary = round_summary(round_=round_)

    assert summary.patterns == (
        GovernancePattern(("green", "green", "amber"), 3, 75.0),
        GovernancePattern(("red", "amber", "green"), 1, 25.0),
    )
    assert summary.patterns[0].label == "green, green, amber"


@pytest.mark.django_db
def test_popular_priorities_count_complete_pcts_most_chosen_first(constructed):
    round_, _a, _b = constructed

    summary = round_summary(round_=round_)

    # The incomplete PCT's choices (teenage pregnancy, alcohol) do not count; equal counts
    # are listed by name.
    assert summary.priorities == (
        PopularPriority("Smoking quitters", 3, 75.0),
        PopularPriority("Alcohol admissions", 2, 50.0),
        PopularPriority("Teenage pregnancy", 2, 50.0),
    )


@pytest.mark.django_db
def test_changed_outcome_priorities_show_on_the_next_request(client, constructed):
    """The summary is kept at the round's figures version; saving a PCT's priorities gives
    the round a new one. (Here P4, complete, has its self-assessment reopened: the service
    only saves a draft's priorities.)"""
    round_, _a, _b = constructed
    before = client.get(ENGLAND.format(round_.slug)).context["summary"].priorities
    p4 = Assessment.objects.get(round=round_, pct__ods_code="YP4")
    Assessment.objects.filter(pk=p4.pk).update(stage=Stage.SELF_ASSESSMENT)
    smoking = OutcomeIndicator.objects.get(code="smoking")

    outcome_priorities_save(
        assessment=p4,
        priorities=[
            PriorityInput(
                indicator=smoking,
                baseline_year="2007-08",
                baseline="10",
                target_year="2012-13",
                target="12",
            )
        ],
        by=RoleFactory(kind=Role.Kind.PCT_BOARD, pct=p4.pct).user,
        expected_version=0,
    )
    after = client.get(ENGLAND.format(round_.slug)).context["summary"].priorities

    assert {p.name: p.pcts for p in before} == {
        "Smoking quitters": 3,
        "Alcohol admissions": 2,
        "Teenage pregnancy": 2,
    }
    assert {p.name: p.pcts for p in after} == {
        "Smoking quitters": 4,
        "Alcohol admissions": 1,
        "Teenage pregnancy": 1,
    }


@pytest.mark.django_db
def test_sha_summary_is_the_region_beside_england(constructed):
    round_, a, b = constructed

    alpha = round_summary(round_=round_, sha=a)
    beta = round_summary(round_=round_, sha=b)

    assert (alpha.pcts, alpha.pcts_incomplete, beta.pcts, beta.pcts_incomplete) == (3, 0, 1, 1)
    c1 = alpha.competencies[0]
    assert (c1.ours.counts, c1.ours.mean, c1.england.counts, c1.england.mean) == (
        (1, 2, 0, 0),
        pytest.approx(5 / 3),
        (1, 2, 1, 0),
        2.0,
    )
    assert [(r.code, r.means) for r in alpha.sha_means] == [
        ("XAA", pytest.approx((5 / 3, 8 / 3))),
        ("", (2.0, 2.25)),
    ]
    assert alpha.patterns == (
        GovernancePattern(("green", "green", "amber"), 2, pytest.approx(200 / 3)),
        GovernancePattern(("red", "amber", "green"), 1, pytest.approx(100 / 3)),
    )
    assert alpha.priorities == (
        PopularPriority("Smoking quitters", 3, 100.0),
        PopularPriority("Alcohol admissions", 1, pytest.approx(100 / 3)),
        PopularPriority("Teenage pregnancy", 1, pytest.approx(100 / 3)),
    )
    assert beta.priorities == (
        PopularPriority("Alcohol admissions", 1, 100.0),
        PopularPriority("Teenage pregnancy", 1, 100.0),
    )


@pytest.mark.django_db
def test_round_without_complete_ratings_has_an_empty_summary():
    round_ = make_round()
    rate(round_, PCTFactory(), (2,), ())

    summary = round_summary(round_=round_)

    assert (summary.pcts, summary.pcts_incomplete) == (0, 1)
    assert summary.competencies[0].ours.counts == (0, 0, 0, 0)
    assert summary.competencies[0].ours.mean is None
    assert (summary.patterns, summary.priorities) == ((), ())
    assert [(r.name, r.n) for r in summary.sha_means] == [("England", 0)]


# --- The page and its charts ---------------------------------------------------------------


def test_distribution_chart_has_a_title_and_a_description_of_every_number():
    svg = distribution_svg(
        title="1. Locally leading: share of PCTs at each level",
        categories=("Level 1", "Level 2"),
        series=(("Alpha", (25.0, 75.0)), ("England", (50.0, 50.0))),
    )

    assert svg.startswith('<svg role="img" aria-label="1. Locally leading: share of PCTs')
    assert "<title>1. Locally leading: share of PCTs at each level</title>" in svg
    assert "<desc>Level 1: Alpha 25%, England 50%; Level 2: Alpha 75%, England 50%</desc>" in svg


@pytest.mark.django_db
def test_england_page_shows_counted_pcts_charts_and_tables(client, constructed):
    round_, _a, _b = constructed

    response = client.get(ENGLAND.format(round_.slug))

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["summary"].pcts == 4
    assert "4 PCTs counted" in html
    assert "1 PCT with ratings still incomplete is left out" in html
    # Published: every PCT has its ratings (the scale walk asked for PCTs with none yet).
    assert "has not agreed any rating yet" not in html
    assert html.count('<svg role="img"') == 5  # two competencies, three governance areas
    assert "<desc>Level 1: England 25%; Level 2: England 50%;" in html
    assert REGION.format(round_.slug, "XAA") in html


@pytest.mark.django_db
def test_sha_page_charts_compare_the_region_with_england(client, constructed):
    round_, _a, _b = constructed

    response = client.get(REGION.format(round_.slug, "xaa"))  # case-insensitive

    html = response.content.decode()
    assert response.context["summary"].sha.ods_code == "XAA"
    assert "3 PCTs counted</strong> in Alpha" in html
    assert "<desc>Level 1: Alpha 33%, England 25%;" in html


@pytest.mark.django_db
def test_unknown_round_or_sha_is_404(client, constructed):
    round_, _a, _b = constructed

    assert client.get(ENGLAND.format("1999-00")).status_code == 404
    assert client.get(REGION.format(round_.slug, "Q99")).status_code == 404


# --- The embargo ---------------------------------------------------------------------------


def persona(kind, sha=None):
    if kind == "anonymous":
        return None
    if kind == "national":
        return RoleFactory(kind=Role.Kind.NATIONAL).user
    if kind == "board":
        return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=sha)).user
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "england", "own", "other"),
    [
        ("anonymous", 404, 404, 404),
        ("board", 404, 404, 404),
        ("sha_staff", 404, 200, 404),
        ("national", 200, 200, 200),
    ],
)
def test_before_publication_only_the_process_sees_summaries(client, who, england, own, other):
    round_ = make_round(published=False)
    own_sha, other_sha = SHAFactory(), SHAFactory()
    for sha in (own_sha, other_sha):
        rate(round_, PCTFactory(sha=sha), (2, 2), ("green", "amber", "red"))
    user = persona(who, own_sha)
    if user:
        client.force_login(user)

    statuses = (
        client.get(ENGLAND.format(round_.slug)).status_code,
        client.get(REGION.format(round_.slug, own_sha.ods_code)).status_code,
        client.get(REGION.format(round_.slug, other_sha.ods_code)).status_code,
    )

    assert statuses == (england, own, other)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "board", "sha_staff", "national"])
def test_after_publication_everyone_sees_every_summary(client, who):
    round_ = make_round(published=False)
    own_sha, other_sha = SHAFactory(), SHAFactory()
    for sha in (own_sha, other_sha):
        rate(round_, PCTFactory(sha=sha), (2, 2), ("green", "amber", "red"))
    user = persona(who, own_sha)
    if user:
        client.force_login(user)
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        responses = [
            client.get(ENGLAND.format(round_.slug)),
            client.get(REGION.format(round_.slug, own_sha.ods_code)),
            client.get(REGION.format(round_.slug, other_sha.ods_code)),
        ]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.context["summary"].pcts for r in responses] == [2, 1, 1]


# --- Query count ---------------------------------------------------------------------------


def build_counting_round(size: int) -> AssessmentRound:
    """``size`` SHAs of ``size`` PCTs each, every PCT complete with two outcome priorities."""
    round_ = make_round(slug="2031-32")
    indicators = [OutcomeIndicatorFactory() for _ in range(2)]
    for _s in range(size):
        sha = SHAFactory()
        for _p in range(size):
            assessment = rate(round_, PCTFactory(sha=sha), (2, 3), ("green", "amber", "green"))
            for indicator in indicators:
                LocalOutcomePriorityFactory(assessment=assessment, indicator=indicator)
    return round_


# Kept at the round's version, the summary costs the round, its competencies and its version
# (and a signed-in user's session, user, role and the SHA); computed, also ``ratings_frame``'s
# three queries and the outcome priorities.
WARM_ENGLAND, WARM_REGION = 3, 7


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 3])
def test_england_page_query_count_does_not_grow(client, django_assert_num_queries, size):
    round_ = build_counting_round(size)

    with django_assert_num_queries(8):  # with the held-back count, computed once
        response = client.get(ENGLAND.format(round_.slug))
    with django_assert_num_queries(WARM_ENGLAND):  # the summary kept at the round's version
        again = client.get(ENGLAND.format(round_.slug))

    assert response.context["summary"].pcts == again.context["summary"].pcts == size * size


@pytest.mark.django_db
@pytest.mark.parametrize("size", [1, 3])
def test_sha_page_query_count_does_not_grow(client, django_assert_num_queries, size):
    round_ = build_counting_round(size)
    sha = round_.assessments.first().pct.sha
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    with django_assert_num_queries(12):  # with the held-back count, computed once
        response = client.get(REGION.format(round_.slug, sha.ods_code))
    with django_assert_num_queries(WARM_REGION):
        again = client.get(REGION.format(round_.slug, sha.ods_code))

    assert response.context["summary"].pcts == again.context["summary"].pcts == size


# --- The seeded demo (keep last: the demo stays in the database to the module's end) ---------


@pytest.mark.django_db
def test_demo_england_summary_of_2008_09_counts_152_pcts(client, demo):
    response = client.get(ENGLAND.format("2008-09"))

    summary = response.context["summary"]
    assert summary.pcts == 152
    assert "152 PCTs counted" in response.content.decode()
    assert len(summary.competencies) == 10
    assert [r.n for r in summary.sha_means][-1] == 152
    assert sum(r.n for r in summary.sha_means[:-1]) == 152
    assert sum(p.pcts for p in summary.patterns) == 152
    green3 = next(p for p in summary.patterns if p.lights == ("green", "green", "green"))
    assert green3.pcts == 27  # as the league table's "green on all three" filter


@pytest.mark.django_db
def test_demo_league_table_links_to_the_summary(client, demo):
    response = client.get("/reports/league-table/2008-09/")

    assert 'href="/reports/summary/2008-09/">Summary and charts</a>' in response.content.decode()


def _sha_row(summary, code):
    (row,) = [r for r in summary.sha_means if r.code == code]
    return row


@pytest.mark.django_db
def test_demo_a_pct_moved_after_publication_stays_in_its_sha_then(client, demo):
    """Review AB: the summaries of a published round group its PCTs by the SHA each was in
    when the results were published, as its own page does; the move is said, not hidden."""
    from reports.tests.test_pct_page import move, sha_means

    client.force_login(demo_user("national"))
    england, east, west = (
        ENGLAND.format("2008-09"),
        REGION.format("2008-09", "Q33"),
        REGION.format("2008-09", "Q34"),
    )
    before = {url: client.get(url).context["summary"] for url in (england, east, west)}
    leicester = sha_means(client.get("/reports/pct/5pc/2008-09/"))  # an East Midlands PCT

    move("5PE", "Q33")  # Dudley: West Midlands to East Midlands, after publication

    after = {url: client.get(url) for url in (england, east, west)}
    summaries = {url: response.context["summary"] for url, response in after.items()}
    for code in ("Q33", "Q34"):
        assert _sha_row(summaries[england], code) == _sha_row(before[england], code)
    assert _sha_row(summaries[east], "Q33") == _sha_row(before[east], "Q33")
    assert summaries[west].pcts == before[west].pcts == 17
    assert summaries[east].pcts == before[east].pcts
    assert sha_means(client.get("/reports/pct/5pc/2008-09/")) == leicester  # the same means
    said = (
        "Dudley is counted in West Midlands, where it was when these results were published;"
        " it has moved to East Midlands since."
    )
    for url in (england, east, west):
        assert said in after[url].content.decode()
    assert "moved to" not in client.get(REGION.format("2008-09", "Q30")).content.decode()


@pytest.mark.django_db
def test_demo_unpublished_round_sha_staff_see_their_region_only(client, demo):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="moderator.q30"))

    own = client.get(REGION.format("2009-10", "Q30"))
    england = client.get(ENGLAND.format("2009-10"))
    other = client.get(REGION.format("2009-10", "Q31"))
    table = client.get("/reports/league-table/2009-10/")

    assert (own.status_code, england.status_code, other.status_code) == (200, 404, 404)
    assert own.context["summary"].sha.ods_code == "Q30"
    # The rule (README, "Before publication"): their region beside England's aggregate
    # figures, as on the moderation page; no other region's figures.
    assert [(row.code, row.name) for row in own.context["summary"].sha_means] == [
        ("Q30", "North East"),
        ("", "England"),
    ]
    assert all(item.england is not None for item in own.context["summary"].competencies)
    assert 'href="/reports/summary/2009-10/Q30/">Summary and charts for the region</a>' in (
        table.content.decode()
    )


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (2.125, 2, "2.13"),
        (1.625, 2, "1.63"),
        (2.675, 2, "2.68"),
        (14.473684, 0, "14"),
        (12.5, 0, "13"),
        (76.470588, 0, "76"),
        (2.0, 2, "2.00"),
    ],
)
def test_every_figure_is_rounded_half_up_as_floatformat_does(value, places, shown):
    """The data walk: South East Coast's mean of 2.125 read 2.13 on its PCTs' pages and
    2.12 in the charts' descriptions and on the summary; 22 of 152 PCTs (14.47%) read 15%
    in the table and 14% on the chart."""
    from django.template.defaultfilters import floatformat

    from reports.numbers import fixed

    assert fixed(value, places) == shown == floatformat(value, places)


def test_signed_figures_round_the_same_way_with_their_sign():
    from reports.numbers import signed

    assert (signed(0.125, 2), signed(-0.125, 2), signed(1.25, 1)) == ("+0.13", "-0.13", "+1.3")


@pytest.mark.django_db
def test_before_publication_the_summary_says_pcts_without_ratings_are_not_counted(client):
    round_ = make_round(published=False)
    sha = SHAFactory()
    rate(round_, PCTFactory(sha=sha), (2, 2), ("green", "amber", "red"))
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    html = client.get(ENGLAND.format(round_.slug)).content.decode()

    assert "PCTs whose panel has not agreed any rating yet are not counted either." in html
