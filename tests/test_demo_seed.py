"""The demo reproduces what was reported of both years (DOMAIN.md), and keeps its own rules."""

import datetime
import io
import json
import statistics
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpRequest

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    DevelopmentPlanChange,
    LocalOutcomePriority,
    ModerationAdjustment,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    Role,
    RoundChange,
    SelfAssessment,
    SelfAssessmentRating,
    StageChange,
)
from competencies.models import LIGHT_POINTS
from panels.demo.texts import TEXTS_PATH, Texts
from panels.models import MemberScore, Panel, Seat
from reports.ranking import rank_rows

LONDON = ZoneInfo("Europe/London")
POPULAR = {
    "smoking",
    "alcohol_admissions",
    "circulatory_deaths",
    "deaths_at_home",
    "teenage_pregnancy",
}


def agreed_by_pct(slug: str) -> dict[str, dict]:
    """{ods: {"name", "sha", "levels": {n: level}, "lights": {area: light}}} in one query
    (the headline lights: sub-indicator ratings are not part of the published figures)."""
    result: dict[str, dict] = defaultdict(lambda: {"levels": {}, "lights": {}})
    rows = AgreedRating.objects.filter(
        assessment__round__slug=slug, sub_indicator__isnull=True
    ).values_list(
        "assessment__pct__ods_code",
        "assessment__pct__name",
        "assessment__pct__sha__ods_code",
        "competency__number",
        "area__code",
        "level",
        "light",
    )
    for ods, name, sha, number, area, level, light in rows:
        entry = result[ods]
        entry["name"], entry["sha"] = name, sha
        if number:
            entry["levels"][number] = level
        else:
            entry["lights"][area] = light
    return dict(result)


def green_share(pcts: dict[str, dict], area: str) -> float:
    return sum(p["lights"][area] == "green" for p in pcts.values()) / len(pcts)


def triples(pcts: dict[str, dict], light: str) -> list[str]:
    return sorted(code for code, p in pcts.items() if set(p["lights"].values()) == {light})


def league(pcts: dict[str, dict]) -> list:
    return rank_rows(
        (
            code,
            p["name"],
            sum(LIGHT_POINTS[light] for light in p["lights"].values()),
            sum(p["levels"].values()),
        )
        for code, p in pcts.items()
    )


def means(pcts: dict[str, dict]) -> dict[int, float]:
    numbers = next(iter(pcts.values()))["levels"].keys()
    return {n: statistics.mean(p["levels"][n] for p in pcts.values()) for n in numbers}


# --- Year one (2008-09) -------------------------------------------------------------


@pytest.mark.django_db
def test_year_one_every_pct_has_all_ten_competencies_and_three_lights(demo):
    pcts = agreed_by_pct("2008-09")

    assert len(pcts) == 152
    assert {len(p["levels"]) for p in pcts.values()} == {10}
    assert {len(p["lights"]) for p in pcts.values()} == {3}


@pytest.mark.django_db
def test_year_one_green_shares_match_reports(demo):
    pcts = agreed_by_pct("2008-09")

    assert green_share(pcts, "strategy") == pytest.approx(1 / 3, abs=0.02)
    assert green_share(pcts, "finance") == pytest.approx(0.40, abs=0.02)
    assert green_share(pcts, "board") == pytest.approx(0.47, abs=0.02)


@pytest.mark.django_db
def test_year_one_no_level_four_anywhere(demo):
    levels = Counter(
        AgreedRating.objects.filter(
            assessment__round__slug="2008-09", competency__isnull=False
        ).values_list("level", flat=True)
    )

    assert sorted(levels) == [1, 2, 3]


@pytest.mark.django_db
def test_year_one_competency_one_distribution_as_reported(demo):
    pcts = agreed_by_pct("2008-09")

    counts = Counter(p["levels"][1] for p in pcts.values())

    assert counts == {1: 9, 2: 135, 3: 8}


@pytest.mark.django_db
def test_year_one_stimulating_the_market_has_the_lowest_mean(demo):
    by_competency = means(agreed_by_pct("2008-09"))

    assert min(by_competency, key=by_competency.get) == 7
    assert by_competency[7] == pytest.approx(1.2, abs=0.05)


@pytest.mark.django_db
def test_year_one_competency_means_follow_the_reported_order(demo):
    by_competency = means(agreed_by_pct("2008-09"))

    strongest_first = sorted(by_competency, key=by_competency.get, reverse=True)

    # HSJ: partners, local leadership, clinicians, ... procurement, stimulating the market.
    assert strongest_first == [2, 1, 4, 8, 3, 5, 10, 6, 9, 7]


@pytest.mark.django_db
def test_year_one_only_three_pcts_at_level_three_on_competency_five(demo):
    pcts = agreed_by_pct("2008-09")

    assert sum(p["levels"][5] == 3 for p in pcts.values()) == 3


@pytest.mark.django_db
def test_year_one_leaders_rank_one_to_three(demo):
    table = league(agreed_by_pct("2008-09"))

    assert [(row.rank, row.key) for row in table[:4]] == [
        (1, "5PG"),
        (2, "5C4"),
        (3, "5QL"),
        (4, table[3].key),
    ]
    assert table[3].rank == 4


@pytest.mark.django_db
def test_year_one_exactly_24_others_green_on_all_three(demo):
    green = triples(agreed_by_pct("2008-09"), "green")

    assert len(green) == 27
    assert {"5PG", "5C4", "5QL"} <= set(green)


@pytest.mark.django_db
def test_year_one_exactly_two_red_on_all_three_with_development_plans(demo):
    red = triples(agreed_by_pct("2008-09"), "red")

    plans = dict(
        DevelopmentPlan.objects.filter(assessment__round__slug="2008-09").values_list(
            "assessment__pct__ods_code", "reason"
        )
    )

    assert len(red) == 2
    assert sorted(code for code, reason in plans.items() if reason == "red_all_three") == red
    # About ten PCTs faced directed development: the SHAs flag eight more.
    assert list(plans.values()).count("sha_flagged") == 8
    # Each plan's history says who saved it and what it said.
    history = DevelopmentPlanChange.objects.filter(assessment__round__slug="2008-09")
    assert sorted(history.values_list("assessment__pct__ods_code", flat=True)) == sorted(plans)
    assert all(c.summary.count("\n- ") == 3 for c in history)


# --- Year two (2009-10) -------------------------------------------------------------


@pytest.mark.django_db
def test_year_two_agreed_ratings_everywhere_but_the_west_midlands(demo):
    pcts = agreed_by_pct("2009-10")

    assert len(pcts) == 135
    assert "Q34" not in {p["sha"] for p in pcts.values()}
    assert {len(p["levels"]) for p in pcts.values()} == {11}


@pytest.mark.django_db
def test_year_two_shape_as_reported(demo):
    pcts = agreed_by_pct("2009-10")

    assert green_share(pcts, "board") == pytest.approx(0.61, abs=0.02)
    assert green_share(pcts, "finance") == pytest.approx(0.43, abs=0.02)
    assert len(triples(pcts, "green")) / len(pcts) == pytest.approx(0.23, abs=0.02)
    assert triples(pcts, "red") == []


@pytest.mark.django_db
def test_year_two_competency_eleven_is_the_weakest(demo):
    by_competency = means(agreed_by_pct("2009-10"))

    assert min(by_competency, key=by_competency.get) == 11
    assert by_competency[11] == pytest.approx(1.46, abs=0.02)


@pytest.mark.django_db
def test_year_two_hull_salford_and_tower_hamlets_lead(demo):
    table = league(agreed_by_pct("2009-10"))

    assert [(row.rank, row.key) for row in table[:3]] == [(1, "5NX"), (2, "5F5"), (3, "5C4")]
    assert table[3].rank == 4


@pytest.mark.django_db
def test_year_two_most_pcts_improve_but_not_all(demo):
    before, after = agreed_by_pct("2008-09"), agreed_by_pct("2009-10")

    change = Counter(
        (sum(after[c]["levels"][n] for n in range(1, 11)) > sum(before[c]["levels"].values()))
        - (sum(after[c]["levels"][n] for n in range(1, 11)) < sum(before[c]["levels"].values()))
        for c in after
    )

    assert change[1] / len(after) > 0.6
    assert change[-1] >= 1


# --- The process around the ratings -------------------------------------------------


@pytest.mark.django_db
def test_demo_stages_as_contracted(demo):
    stages = Counter(Assessment.objects.values_list("round__slug", "stage"))
    scoring_shas = set(
        Assessment.objects.filter(stage=Assessment.Stage.SCORING).values_list(
            "pct__sha__ods_code", flat=True
        )
    )

    assert stages == {
        ("2008-09", Assessment.Stage.PUBLISHED): 152,
        ("2009-10", Assessment.Stage.SELF_ASSESSMENT): 1,
        ("2009-10", Assessment.Stage.PANEL_FORMATION): 1,
        ("2009-10", Assessment.Stage.SCORING): 15,
        ("2009-10", Assessment.Stage.MODERATION): 135,
    }
    assert scoring_shas == {"Q34"}
    early = dict(
        Assessment.objects.filter(
            round__slug="2009-10", stage__lt=Assessment.Stage.SCORING
        ).values_list("pct__ods_code", "stage")
    )
    assert early == {
        "5PE": Assessment.Stage.SELF_ASSESSMENT,
        "5MD": Assessment.Stage.PANEL_FORMATION,
    }


@pytest.mark.django_db
def test_demo_dudley_self_assessment_is_a_complete_draft_without_a_panel(demo):
    dudley = Assessment.objects.get(round__slug="2009-10", pct__ods_code="5PE")

    assert dudley.self_assessment.status == SelfAssessment.Status.DRAFT
    assert dudley.self_assessment.submitted_at is None
    assert (
        dudley.self_assessment.ratings.count() == 11 + 3 + 16
    )  # competencies, areas, sub-indicators
    assert not Panel.objects.filter(assessment=dudley).exists()


@pytest.mark.django_db
def test_demo_coventry_panel_half_formed(demo):
    seats = Seat.objects.filter(
        panel__assessment__round__slug="2009-10", panel__assessment__pct__ods_code="5MD"
    )

    assert list(seats.filter(person__isnull=True).values_list("seat_type__number", flat=True)) == [
        4,
        5,
    ]
    assert seats.filter(person__isnull=False).count() == 3


@pytest.mark.django_db
def test_demo_west_midlands_panels_seated_and_nobody_submitted(demo):
    seats = Seat.objects.filter(
        panel__assessment__round__slug="2009-10", panel__assessment__pct__sha__ods_code="Q34"
    )

    # Dudley has no panel yet; Coventry's seats 4 and 5 are empty.
    assert seats.count() == 16 * 5
    assert seats.filter(person__isnull=True).count() == 2
    assert seats.filter(submitted_at__isnull=False).count() == 0
    assert MemberScore.objects.filter(seat__in=seats).count() == 0


@pytest.mark.django_db
def test_demo_every_panel_fills_its_seats_within_the_rules(demo):
    seats = Seat.objects.filter(person__isnull=False).select_related(
        "seat_type",
        "person__pct__sha",
        "person__sha",
        "person__external_organisation",
        "panel__assessment__pct__sha",
    )
    problems = []
    for seat in seats:
        person, assessed = seat.person, seat.panel.assessment.pct
        rule = seat.seat_type
        if person.job_role not in rule.eligible_roles:
            problems.append((seat.pk, "role"))
        if person.pct_id == assessed.pk:
            problems.append((seat.pk, "own organisation"))
        fits = {
            "own_sha": person.sha_id == assessed.sha_id,
            "other_pct": person.pct_id is not None and person.pct_id != assessed.pk,
            "other_sha_pct": person.pct_id is not None and person.pct.sha_id != assessed.sha_id,
            "outside_nhs": person.external_organisation_id is not None,
        }[rule.affiliation]
        if not fits:
            problems.append((seat.pk, rule.affiliation))

    assert problems == []
    assert seats.count() == 303 * 5 - 2


@pytest.mark.django_db
def test_demo_no_two_chief_executives_assess_each_other_in_a_round(demo):
    pairs = set(
        Seat.objects.filter(seat_type__number=5).values_list(
            "panel__assessment__round__slug",
            "person__pct__ods_code",
            "panel__assessment__pct__ods_code",
        )
    )

    reciprocal = [(slug, a, b) for slug, a, b in pairs if (slug, b, a) in pairs]

    assert reciprocal == []


@pytest.mark.django_db
def test_demo_year_one_international_reviewers_are_from_kaiser_permanente(demo):
    organisations = set(
        Seat.objects.filter(
            seat_type__number=4, panel__assessment__round__slug="2008-09"
        ).values_list("person__external_organisation__name", flat=True)
    )

    assert organisations == {"Kaiser Permanente"}


@pytest.mark.django_db
def test_demo_seat_holders_sit_on_several_panels(demo):
    per_person = Counter(
        Seat.objects.filter(panel__assessment__round__slug="2009-10")
        .exclude(seat_type__number=1)
        .values_list("person_id", flat=True)
    )

    assert statistics.mean(per_person.values()) >= 2


@pytest.mark.django_db
def test_demo_self_assessments_sit_above_the_panel_most_on_five_and_six(demo):
    agreed = {
        (a, c): level
        for a, c, level in AgreedRating.objects.filter(competency__isnull=False).values_list(
            "assessment_id", "competency__number", "level"
        )
    }
    gaps = defaultdict(list)
    for a, c, level in SelfAssessmentRating.objects.filter(competency__isnull=False).values_list(
        "self_assessment__assessment_id", "competency__number", "level"
    ):
        if (a, c) in agreed:
            gaps[c].append(level - agreed[(a, c)])
    mean_gap = {c: statistics.mean(values) for c, values in gaps.items()}

    assert min(mean_gap.values()) > 0
    assert sorted(mean_gap, key=mean_gap.get, reverse=True)[:2] in ([5, 6], [6, 5])


@pytest.mark.django_db
def test_demo_member_scores_vary_around_the_agreed_level(demo):
    agreed = {
        (a, c): level
        for a, c, level in AgreedRating.objects.filter(competency__isnull=False).values_list(
            "assessment_id", "competency__number", "panel_level"
        )
    }
    differences = Counter(
        level - agreed[(a, c)]
        for a, c, level in MemberScore.objects.filter(competency__isnull=False).values_list(
            "seat__panel__assessment_id", "competency__number", "level"
        )
    )
    total = sum(differences.values())

    assert differences[0] / total == pytest.approx(0.75, abs=0.08)
    assert differences[1] > 0 and differences[-1] > 0


@pytest.mark.django_db
def test_demo_rationales_are_varied_and_name_no_placeholder(demo):
    rationales = list(AgreedRating.objects.values_list("rationale", flat=True))

    assert len(set(rationales)) / len(rationales) > 0.95
    assert not [r for r in rationales if "{" in r or "lorem" in r.lower()]


@pytest.mark.django_db
def test_demo_moderation_keeps_the_panels_value(demo):
    adjustments = ModerationAdjustment.objects.select_related("rating")

    assert adjustments.count() == 12
    assert all(
        a.old_value == str(a.rating.panel_level) and a.new_value == str(a.rating.level) and a.reason
        for a in adjustments
    )
    # Each reason agrees with the way the level moved (the public walk read "Raised: ..." on
    # a rating moderation had lowered).
    texts = json.loads(TEXTS_PATH.read_text())
    reasons = texts["sha_adjustment_reasons"]
    for a in adjustments:
        way = "raised" if int(a.new_value) > int(a.old_value) else "lowered"
        fitting = [r.replace("{sha}", a.rating.assessment.pct.sha.name) for r in reasons[way]]
        either = [r.replace("{sha}", a.rating.assessment.pct.sha.name) for r in reasons["either"]]
        assert a.reason in fitting + either, (way, a.reason)
    assert {a.new_value > a.old_value for a in adjustments} == {True, False}
    # The panel's rationale and its consensus history row give the panel's level, not the
    # one moderation settled on.
    for a in adjustments:
        openers = [
            Texts()._fill(o, pct=a.rating.assessment.pct.name, level=a.old_value)
            for o in texts["level_openers"][a.old_value]
        ]
        assert any(a.rating.rationale.startswith(o) for o in openers), a.rating.rationale
        agreed = RatingChange.objects.get(
            assessment=a.rating.assessment_id,
            competency=a.rating.competency_id,
            source=RatingChange.Source.CONSENSUS,
        )
        assert agreed.new_value == a.old_value


@pytest.mark.django_db
def test_demo_popular_outcome_priorities_are_the_reported_five(demo):
    chosen = Counter(
        LocalOutcomePriority.objects.filter(assessment__round__slug="2008-09").values_list(
            "indicator__code", flat=True
        )
    )

    assert {code for code, _ in chosen.most_common(5)} == POPULAR


@pytest.mark.django_db
def test_demo_users_and_roles_as_contracted(demo):
    users = get_user_model().objects

    assert users.get(username="national").roles.get().kind == Role.Kind.NATIONAL
    assert users.get(username="moderator.q34").roles.get().sha.name == "West Midlands"
    assert users.get(username="board.5pg").roles.get().pct.name == "Birmingham East and North"
    assert users.get(username="chair.q34").person.job_role == "sha_director"
    assert users.filter(username__startswith="moderator.q3").count() == 10
    assert users.filter(username__startswith="chair.q3").count() == 10
    assert users.filter(username__startswith="board.").count() == 152
    assert users.get(username="board.5pg").check_password("wcc-demo")


@pytest.mark.django_db
def test_demo_login_page_lists_the_other_seat_holders_of_5pg(demo, client, settings):
    settings.SHOW_DEMO_LOGINS = True
    expected = list(
        Seat.objects.filter(
            panel__assessment__round__slug="2009-10",
            panel__assessment__pct__ods_code="5PG",
            seat_type__number__gt=1,
        )
        .order_by("seat_type__number")
        .values_list("person__user__username", flat=True)
    )

    listed = [username for username, _who in client.get("/accounts/login/").context["demo_users"]]

    assert listed == ["national", "moderator.q34", "chair.q34", "board.5pg", "board.5pe", *expected]
    # The README names them for the default seed.
    assert expected == ["janet.richards", "mark.taylor", "jonathan.cooper", "rachel.kelly"]
    assert all(
        get_user_model().objects.get(username=u).check_password("wcc-demo") for u in expected
    )
    assert client.login(request=HttpRequest(), username=expected[0], password="wcc-demo")


@pytest.mark.django_db
def test_demo_chair_q34_chairs_every_west_midlands_panel(demo):
    chaired = Seat.objects.filter(person__user__username="chair.q34", seat_type__is_chair=True)

    assert chaired.filter(panel__assessment__round__slug="2009-10").count() == 16
    assert chaired.filter(panel__assessment__pct__ods_code="5PG").count() == 2


@pytest.mark.django_db
def test_seed_demo_is_idempotent_for_a_seed(demo):
    def snapshot():
        return sorted(
            AgreedRating.objects.order_by("pk").values_list(
                "assessment__round__slug",
                "assessment__pct__ods_code",
                "competency__number",
                "area__code",
                "level",
                "light",
                "rationale",
            ),
            key=str,
        ), get_user_model().objects.count()

    def history():
        """The demo rounds' history rows, as the pages list them (no duplicates on reseed)."""
        return (
            sorted(
                StageChange.objects.values_list(
                    "assessment__round__slug",
                    "assessment__pct__ods_code",
                    "to_stage",
                    "changed_by__username",
                    "note",
                    "changed_at",
                ),
                key=str,
            ),
            sorted(
                RegionReviewChange.objects.values_list(
                    "review__round__slug",
                    "review__sha__ods_code",
                    "decision",
                    "decided_by__username",
                    "decided_at",
                ),
                key=str,
            ),
            sorted(
                RoundChange.objects.values_list(
                    "round__slug", "field", "old_value", "new_value", "changed_by__username"
                ),
                key=str,
            ),
        )

    first, first_history = snapshot(), history()
    # The SHA walk: once staff had given a board account (from a file), its history rows
    # named moderator.q34 and the reset failed on Django's PROTECT.
    from assessments.accounts import account_invite, role_grant

    staff = get_user_model().objects.get(username="moderator.q34")
    given = account_invite(
        username="zz.board",
        email="zz.board@example.nhs.uk",
        first_name="Zz",
        last_name="Board",
        by=staff,
    ).user
    role_grant(
        user=given,
        kind=Role.Kind.PCT_BOARD,
        pct=Assessment.objects.filter(pct__sha__ods_code="Q34").first().pct,
        by=staff,
    )

    call_command("seed_demo", "--seed", "2009", stdout=io.StringIO())

    assert snapshot()[0] == first[0]
    assert snapshot()[1] == first[1] + 1  # the account given stays, its history unnamed
    # The history is written anew, not added to: stage changes, year one's 20 decisions on
    # its regions, each round's creation and opening and year one's publication time, each
    # once.
    assert history() == first_history
    assert [len(rows) for rows in first_history] == [152 * 7 + 135 * 4 + 15 * 2 + 1, 20, 2 * 2 + 1]


@pytest.mark.django_db
def test_demo_sub_indicators_agreed_in_year_two_only_beside_their_headline(demo):
    rows = list(
        AgreedRating.objects.filter(sub_indicator__isnull=False).values_list(
            "assessment__round__slug",
            "assessment__pct__ods_code",
            "sub_indicator__area__code",
            "light",
        )
    )
    headline = {
        (ods, area): light
        for ods, p in agreed_by_pct("2009-10").items()
        for area, light in p["lights"].items()
    }
    by_area = defaultdict(set)
    for _slug, ods, area, light in rows:
        by_area[(ods, area)].add(light)

    assert {slug for slug, *_ in rows} == {"2009-10"}
    assert len(rows) == 135 * 16
    assert all(headline[key] in lights for key, lights in by_area.items())


@pytest.mark.django_db
def test_demo_year_two_self_assessments_rate_every_sub_indicator(demo):
    counts = Counter(
        SelfAssessmentRating.objects.filter(sub_indicator__isnull=False).values_list(
            "self_assessment__assessment__round__slug", flat=True
        )
    )

    assert counts == {"2009-10": 152 * 16}


# --- Year one's sign-off, cross-check and publication history (walk U) -------------------


@pytest.mark.django_db
def test_demo_year_one_regions_were_signed_off_and_confirmed_with_their_history(demo):
    """The walk: 2008-09 was published, but its regions' pages showed no sign-off or
    cross-check decision."""
    history = list(
        RegionReviewChange.objects.filter(review__round__slug="2008-09")
        .order_by("review__sha__ods_code", "decided_at")
        .values_list("review__sha__ods_code", "decision", "decided_by__username", "decided_at")
    )
    signed_off = datetime.datetime(2009, 1, 16, 16, tzinfo=LONDON)
    confirmed = datetime.datetime(2009, 1, 31, 12, tzinfo=LONDON)

    assert history == [
        row
        for n in range(30, 40)
        for row in (
            (f"Q{n}", "signed_off", f"moderator.q{n}", signed_off),
            (f"Q{n}", "confirmed", "national", confirmed),
        )
    ]
    # The reviews say the same as their history; 2009-10 has no decision yet.
    assert set(
        RegionReview.objects.filter(round__slug="2008-09").values_list(
            "signed_off_at", "decided_at", "decided_by__username"
        )
    ) == {(signed_off, confirmed, "national")}
    assert not RegionReviewChange.objects.filter(review__round__slug="2009-10").exists()


@pytest.mark.django_db
def test_demo_year_one_stage_history_names_who_signed_off_and_confirmed(demo):
    rows = StageChange.objects.filter(
        assessment__round__slug="2008-09", to_stage__gte=Assessment.Stage.CROSS_CHECK
    ).values_list(
        "to_stage", "assessment__pct__sha__ods_code", "changed_by__username", "note", "changed_at"
    )
    seen = Counter(
        (to_stage, (by or "").replace(sha.lower(), "<sha>"), note, at)
        for to_stage, sha, by, note, at in rows
    )

    assert seen == {
        (
            Assessment.Stage.CROSS_CHECK,
            "moderator.<sha>",
            "Region signed off.",
            datetime.datetime(2009, 1, 16, 16, tzinfo=LONDON),
        ): 152,
        (
            Assessment.Stage.FACTUAL_ACCURACY,
            "national",
            "Region confirmed.",
            datetime.datetime(2009, 1, 31, 12, tzinfo=LONDON),
        ): 152,
        (
            Assessment.Stage.PUBLISHED,
            "",
            "Round published.",
            datetime.datetime(2009, 2, 17, 9, 35, tzinfo=LONDON),
        ): 152,
    }


@pytest.mark.django_db
def test_demo_year_one_round_history_shows_its_publication_set_by_the_national_team(demo, client):
    client.force_login(get_user_model().objects.get(username="national"))

    page = client.get("/rounds/2008-09/")

    assert [
        (change.field, change.old_value, change.new_value, change.changed_by.username, label)
        for change, label in page.context["history"]
    ] == [
        ("published_at", "", "2009-02-17 09:30", "national", "Publication time"),
        ("opened", "", f"152 PCTs in {SHA_CODES}", "national", "Opened"),
        ("created", "", "framework 2008-09", "national", "Created"),
    ]
    assert [change.changed_at for change, _label in page.context["history"]] == [
        datetime.datetime(2009, 2, 2, 11, tzinfo=LONDON),
        datetime.datetime(2008, 7, 1, 9, tzinfo=LONDON),
        datetime.datetime(2008, 6, 2, 10, tzinfo=LONDON),
    ]


SHA_CODES = "Q30, Q31, Q32, Q33, Q34, Q35, Q36, Q37, Q38, Q39"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "opened", "since"),
    [
        ("2008-09", datetime.datetime(2008, 7, 1, 9, tzinfo=LONDON), "1 July 2008"),
        ("2009-10", datetime.datetime(2009, 7, 1, 9, tzinfo=LONDON), "1 July 2009"),
    ],
)
def test_demo_rounds_were_created_and_opened_by_the_national_team(
    demo, client, slug, opened, since
):
    """Walk U: the round's page read "Open since before this record was kept" and its
    history began with the publication time."""
    client.force_login(get_user_model().objects.get(username="national"))

    page = client.get(f"/rounds/{slug}/")

    assert page.context["round"].opened_at == opened
    assert f"Open since {since}: 152 PCTs in the round." in page.content.decode()
    first = [
        (change.field, change.new_value, change.changed_by.username, change.changed_at)
        for change, _label in page.context["history"]
    ][-2:]

    assert first[0] == ("opened", f"152 PCTs in {SHA_CODES}", "national", opened)
    assert first[1][:3] == ("created", f"framework {slug}", "national")
    assert first[1][3] < opened


@pytest.mark.django_db
def test_demo_year_two_stage_history_names_who_moved_each_stage(demo):
    """Walk U: 2009-10's stage changes named nobody. The board submits, SHA staff of its
    region open scoring, the chair (the last to submit) and then closes consensus, each
    with the note the service writes."""
    rows = StageChange.objects.filter(assessment__round__slug="2009-10").values_list(
        "to_stage",
        "assessment__pct__ods_code",
        "assessment__pct__sha__ods_code",
        "changed_by__username",
        "note",
    )
    chairs = dict(
        Seat.objects.filter(
            panel__assessment__round__slug="2009-10", seat_type__number=1
        ).values_list("panel__assessment__pct__ods_code", "person__user__username")
    )
    seen = Counter()
    for to_stage, pct, sha, by, note in rows:
        who = {
            by: "other",
            f"board.{pct.lower()}": "board",
            f"moderator.{sha.lower()}": "staff",
            chairs.get(pct): "chair",
        }[by]
        seen[(to_stage, who, note)] += 1
    Stage = Assessment.Stage

    assert seen == {
        (Stage.PANEL_FORMATION, "board", "Self-assessment submitted."): 151,
        (Stage.SCORING, "staff", "Scoring opened: every seat is filled."): 150,
        (Stage.CONSENSUS, "chair", "Every member has submitted (or was excused by the chair)."): (
            135
        ),
        (Stage.MODERATION, "chair", "Consensus closed by the chair."): 135,
    }
    assert None not in chairs.values()


@pytest.mark.django_db
def test_demo_year_one_history_has_the_shape_the_services_write(demo):
    """The seed writes year one's rows itself (the services refuse times in the past): the
    same region taken through ``region_sign_off`` and ``region_confirm`` in 2009-10 writes
    rows of the same decisions, people and notes."""
    from assessments.regions import region_confirm, region_sign_off

    users = get_user_model().objects
    year_two = AssessmentRound.objects.get(slug="2009-10")
    north_east = RegionReview.objects.get(round=year_two, sha__ods_code="Q30").sha
    region_sign_off(round_=year_two, sha=north_east, by=users.get(username="moderator.q30"))
    region_confirm(round_=year_two, sha=north_east, by=users.get(username="national"))

    def decisions(slug):
        return list(
            RegionReviewChange.objects.filter(
                review__round__slug=slug, review__sha=north_east
            ).values_list("decision", "decided_by__username", "comment")
        )

    def stages(slug):
        return sorted(
            set(
                StageChange.objects.filter(
                    assessment__round__slug=slug,
                    assessment__pct__sha=north_east,
                    to_stage__in=[Assessment.Stage.CROSS_CHECK, Assessment.Stage.FACTUAL_ACCURACY],
                ).values_list("from_stage", "to_stage", "changed_by__username", "note")
            )
        )

    assert decisions("2008-09") == decisions("2009-10")
    assert stages("2008-09") == stages("2009-10")
