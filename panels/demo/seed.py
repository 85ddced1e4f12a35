"""``seed_demo``: a complete, deterministic demo of both rounds.

State (CONTRACTS.md): 2008-09 is published; in 2009-10 the West Midlands (Q34) panels are
still scoring, no member having submitted, except Dudley (still at self-assessment: its
board's draft is saved, not submitted, and it has no panel yet) and Coventry (at panel
formation: seats 1 to 3 filled, 4 and 5 empty); every other SHA's assessments wait at
regional moderation. ``demo_advance`` (``panels.demo.advance``) takes 2009-10 on from
there through the services, one stage per call. The agreed ratings come from ``panels.demo.ratings`` (shaped to the
reported figures); around them this module builds what a real cycle leaves behind: users
and roles, submitted self-assessments that sit above the panel's view (most on
competencies 5 and 6), five seated members per panel whose own scores vary around the
agreed ones, consensus history, a few moderation adjustments in year one, agreed and
self-assessed governance sub-indicator lights in 2009-10 (``panels.demo.sub_indicators``),
local outcome
priorities and development plans for the PCTs red on all three.

The demo replaces itself: running it again deletes the demo rounds, people and demo users
and writes them anew in one transaction, so a given seed always gives the same state.
Rows are written with ``bulk_create`` (tens of thousands of them); the services that
users' actions go through are for one change at a time. History rows are built by the
same functions the services use (``assessments.history``), so that seeded history has the
services' shape.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import Q

from assessments.development import plan_description
from assessments.history import (
    moderation_adjustment_row,
    rating_change_row,
    region_review_change_row,
    round_change_row,
    stage_change_row,
)
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    DevelopmentPlanChange,
    DevelopmentPriority,
    FactualAccuracyComment,
    LocalOutcomePriority,
    ModerationAdjustment,
    OutcomeIndicator,
    PrimaryCareTrust,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    Role,
    RoundChange,
    SelfAssessment,
    SelfAssessmentRating,
    StageChange,
    StrategicHealthAuthority,
    Supplier,
)
from assessments.standings import standings_rebuild
from competencies.models import FrameworkVersion
from competencies.vocabulary import Light, is_red_on_all_three
from panels.demo import ratings as shape
from panels.demo.people import cast_panels
from panels.demo.sub_indicators import (
    seed_sub_indicator_ratings,
    seed_sub_indicator_self_ratings,
)
from panels.demo.texts import Texts
from panels.models import ExternalOrganisation, MemberScore, Panel, Person, Seat, SeatType
from panels.reference import FIXTURES_DIR, reference_data_load

Stage = Assessment.Stage
LONDON = ZoneInfo("Europe/London")
DEFAULT_SEED = 2009
SCORING_SHA = "Q34"  # West Midlands: still scoring in 2009-10
SELF_ASSESSMENT_PCT = "5PE"  # Dudley: its board has not submitted its 2009-10 self-assessment
PANEL_FORMATION_PCT = "5MD"  # Coventry: its 2009-10 panel is half formed
FORMED_SEATS = (1, 2, 3)  # Coventry's seats filled so far; 4 and 5 are empty
LIGHT_ORDER = [Light.RED, Light.AMBER, Light.GREEN]

ROUNDS = {
    "2008-09": {
        "name": "World Class Commissioning assurance 2008/09",
        "self_assessment_due": date(2008, 9, 30),
        "panel_formation_due": date(2008, 10, 10),
        "scoring_due": date(2008, 11, 28),
        "consensus_due": date(2008, 12, 12),
        "moderation_due": date(2009, 1, 16),
        "cross_check_due": date(2009, 1, 31),
        "opened_at": datetime(2008, 7, 1, 9, tzinfo=LONDON),
        "published_at": datetime(2009, 2, 17, 9, 30, tzinfo=LONDON),
        "first_published_at": datetime(2009, 2, 17, 9, 30, tzinfo=LONDON),
        "publication_notified_at": datetime(2009, 2, 17, 9, 35, tzinfo=LONDON),
    },
    "2009-10": {
        "name": "World Class Commissioning assurance 2009/10",
        "self_assessment_due": date(2009, 9, 30),
        "panel_formation_due": date(2009, 10, 9),
        "scoring_due": date(2009, 11, 27),
        "consensus_due": date(2009, 12, 11),
        "moderation_due": date(2010, 1, 15),
        "cross_check_due": date(2010, 1, 29),
        "opened_at": datetime(2009, 7, 1, 9, tzinfo=LONDON),
        "published_at": None,
    },
}
# When the national team created each round (its framework checked, its timetable set)
# before opening it for every SHA at ``opened_at``: the round's first two history rows, as
# ``round_create`` and ``round_open`` write them.
CREATED_AT = {
    "2008-09": datetime(2008, 6, 2, 10, tzinfo=LONDON),
    "2009-10": datetime(2009, 6, 1, 10, tzinfo=LONDON),
}
# The notes the services give the stage changes before moderation (self_assessment_submit,
# panel_open_scoring, a member's last submission, consensus_close), and who makes each:
# the board, SHA staff, the chair (the chair's seat submits last in the demo), the chair.
SUBMITTED_NOTE = "Self-assessment submitted."
SCORING_NOTE = "Scoring opened: every seat is filled."
ALL_SUBMITTED_NOTE = "Every member has submitted (or was excused by the chair)."
CONSENSUS_NOTE = "Consensus closed by the chair."
# Year one's regional sign-off (every SHA on the moderation deadline), the national
# cross-check (the calibration of 31 January 2009, DOMAIN.md) and the publication time set
# by the national team once every region was confirmed: the times of the rows the
# services write for each (``assessments.regions``, ``assessments.publication``).
YEAR_ONE_SIGNED_OFF = datetime(2009, 1, 16, 16, tzinfo=LONDON)
YEAR_ONE_CONFIRMED = datetime(2009, 1, 31, 12, tzinfo=LONDON)
YEAR_ONE_PUBLICATION_SET = datetime(2009, 2, 2, 11, tzinfo=LONDON)
# The notes the services give the stage changes they make (region_sign_off,
# region_confirm, publication_notices_send).
SIGNED_OFF_NOTE, CONFIRMED_NOTE, PUBLISHED_NOTE = (
    "Region signed off.",
    "Region confirmed.",
    "Round published.",
)
POPULAR_INDICATORS = {
    "smoking": 0.8,
    "alcohol_admissions": 0.7,
    "circulatory_deaths": 0.6,
    "deaths_at_home": 0.55,
    "teenage_pregnancy": 0.5,
}
# Illustrative baselines (no per-PCT data was found in usable form): (low, high) by unit.
BASELINE_RANGES = {"%": (10, 60), "per 100,000": (80, 1200), "per 1,000": (3, 60)}


def _release_history(user_ids: list[int]) -> None:
    """Let the demo's users go: history rows that name one of them as who did something
    outside the demo's rounds (a board account given from a file, a person's change) keep
    the row without the name where the field allows it, and go where it does not; they
    were made on this demo and it starts over. Without this, Django's PROTECT on "changed
    by" refused the whole reset (the SHA walk: ProtectedError once boards had been given
    from a file)."""
    from django.apps import apps

    user_model = get_user_model()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is user_model:
                if field.remote_field.on_delete is not models.PROTECT:
                    continue
                rows = model._default_manager.filter(**{f"{field.attname}__in": user_ids})
                if field.null:
                    rows.update(**{field.attname: None})
                else:
                    rows.delete()


@dataclass
class Summary:
    counts: dict[str, int]


class _Builder:
    def __init__(self, seed: int, password: str):
        self.seed = seed
        self.password_hash = make_password(password)  # hashed once: hundreds of users
        self.texts = Texts()
        self.rng = random.Random(f"demo-{seed}")

    def rng_for(self, *parts) -> random.Random:
        """A generator per PCT and item, so each text is stable whatever else changes."""
        return random.Random("-".join(str(p) for p in (self.seed, *parts)))

    # -- clearing --------------------------------------------------------------------
    def clear(self) -> None:
        demo_rounds = AssessmentRound.objects.filter(slug__in=ROUNDS)
        Assessment.objects.filter(round__in=demo_rounds).delete()
        RegionReview.objects.filter(round__in=demo_rounds).delete()
        demo_rounds.update(previous=None)
        demo_rounds.delete()
        person_users = list(
            Person.objects.filter(seats__isnull=True).values_list("user_id", flat=True)
        )
        Person.objects.filter(seats__isnull=True).delete()
        ExternalOrganisation.objects.filter(people__isnull=True).delete()
        users = (
            get_user_model()
            .objects.filter(
                Q(pk__in=[pk for pk in person_users if pk])
                | Q(username="national")
                | Q(username__regex=r"^(moderator|chair)\.q3[0-9]$")
                | Q(username__startswith="board.")
            )
            .filter(is_superuser=False)
        )
        _release_history(list(users.values_list("pk", flat=True)))
        users.delete()

    # -- users and people --------------------------------------------------------------
    def user(self, username: str, first: str, last: str, email: str):
        return get_user_model()(
            username=username,
            first_name=first,
            last_name=last,
            email=email,
            password=self.password_hash,
        )

    def users_and_roles(self, shas, pcts) -> None:
        User = get_user_model()
        users = [self.user("national", "National", "Assurance Team", "national@example.nhs.uk")]
        users += [
            self.user(
                f"moderator.{s.ods_code.lower()}",
                "SHA",
                f"Staff ({s.name})",
                f"moderator.{s.ods_code.lower()}@example.nhs.uk",
            )
            for s in shas.values()
        ]
        users += [
            self.user(
                f"board.{p.ods_code.lower()}",
                "Board",
                f"of {p.name}",
                f"board.{p.ods_code.lower()}@example.nhs.uk",
            )
            for p in pcts.values()
        ]
        User.objects.bulk_create(users, batch_size=500)
        by_name = {
            u.username: u for u in User.objects.filter(username__in=[u.username for u in users])
        }
        roles = [Role(user=by_name["national"], kind=Role.Kind.NATIONAL)]
        roles += [
            Role(user=by_name[f"moderator.{c.lower()}"], kind=Role.Kind.SHA_STAFF, sha=s)
            for c, s in shas.items()
        ]
        roles += [
            Role(user=by_name[f"board.{c.lower()}"], kind=Role.Kind.PCT_BOARD, pct=p)
            for c, p in pcts.items()
        ]
        Role.objects.bulk_create(roles, batch_size=500)

    def people(self, cast, shas, pcts) -> dict[str, Person]:
        User = get_user_model()
        orgs = {}
        for spec in cast.people.values():
            if spec.external and spec.external[0] not in orgs:
                orgs[spec.external[0]] = ExternalOrganisation.objects.get_or_create(
                    name=spec.external[0],
                    defaults={"sector": spec.external[1], "country": spec.external[2]},
                )[0]
        specs = list(cast.people.values())
        users = []
        for spec in specs:
            first, _, last = spec.full_name.partition(" ")
            users.append(self.user(spec.username, first, last, f"{spec.username}@example.org"))
        User.objects.bulk_create(users, batch_size=500)
        by_name = {
            u.username: u for u in User.objects.filter(username__in=[s.username for s in specs])
        }
        people = [
            Person(
                user=by_name[spec.username],
                full_name=spec.full_name,
                email=f"{spec.username}@example.org",
                job_role=spec.job_role,
                job_title=spec.job_title,
                sha=shas.get(spec.sha) if spec.sha else None,
                pct=pcts.get(spec.pct) if spec.pct else None,
                external_organisation=orgs.get(spec.external[0]) if spec.external else None,
            )
            for spec in specs
        ]
        Person.objects.bulk_create(people, batch_size=500)
        by_user = {p.user_id: p for p in Person.objects.filter(user__in=by_name.values())}
        return {spec.key: by_user[by_name[spec.username].pk] for spec in specs}

    # -- rounds and assessments ------------------------------------------------------
    def rounds(self) -> dict[str, AssessmentRound]:
        frameworks = {f.slug: f for f in FrameworkVersion.objects.filter(slug__in=ROUNDS)}
        made: dict[str, AssessmentRound] = {}
        previous = None
        for slug, fields in ROUNDS.items():
            # Every per-PCT rating of the demo is invented (DOMAIN.md): the pages say so.
            made[slug] = AssessmentRound.objects.create(
                slug=slug,
                framework=frameworks[slug],
                previous=previous,
                illustrative=True,
                **fields,
            )
            previous = made[slug]
        return made

    def round_history(self, rounds, pcts) -> None:
        """Each round's creation and opening by the national team, as ``round_create`` and
        ``round_open`` record them (the services act now, not on the demo's dates)."""
        national = get_user_model().objects.get(username="national")
        codes = ", ".join(sorted({p.sha.ods_code for p in pcts.values()}))
        n = len(pcts)
        rows = []
        for slug, rnd in rounds.items():
            rows += [
                round_change_row(
                    round_=rnd,
                    field="created",
                    old="",
                    new=f"framework {rnd.framework.slug}",
                    by=national,
                    changed_at=CREATED_AT[slug],
                ),
                round_change_row(
                    round_=rnd,
                    field="opened",
                    old="",
                    new=f"{n} PCT{'s' if n != 1 else ''} in {codes}",
                    by=national,
                    changed_at=rnd.opened_at,
                ),
            ]
        for row in rows:
            row.full_clean()
        RoundChange.objects.bulk_create(rows)


def _stage_for(slug: str, sha_code: str, code: str) -> int:
    if slug == "2008-09":
        return Stage.PUBLISHED
    if code == SELF_ASSESSMENT_PCT:
        return Stage.SELF_ASSESSMENT
    if code == PANEL_FORMATION_PCT:
        return Stage.PANEL_FORMATION
    return Stage.SCORING if sha_code == SCORING_SHA else Stage.MODERATION


def _on(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def _shift_light(light: str, steps: int) -> str:
    index = max(0, min(2, LIGHT_ORDER.index(light) + steps))
    return LIGHT_ORDER[index]


@transaction.atomic
def demo_seed(*, seed: int = DEFAULT_SEED, password: str, fixtures=FIXTURES_DIR) -> Summary:
    """Replace the demo with the one ``seed`` gives; returns counts of what was written."""
    reference_data_load(directory=fixtures)
    b = _Builder(seed, password)
    b.clear()

    shas = {s.ods_code: s for s in StrategicHealthAuthority.objects.all()}
    pcts = {p.ods_code: p for p in PrimaryCareTrust.objects.select_related("sha")}
    b.users_and_roles(shas, pcts)
    rounds = b.rounds()
    b.round_history(rounds, pcts)
    cast = cast_panels(
        seed=seed,
        shas={c: s.name for c, s in shas.items()},
        pcts={c: (p.name, p.sha.ods_code) for c, p in pcts.items()},
        rounds=list(ROUNDS),
    )
    people = b.people(cast, shas, pcts)

    codes = sorted(pcts)
    agreed = {"2008-09": shape.year_one(codes, seed=seed)}
    scored_codes = [c for c in codes if pcts[c].sha.ods_code != SCORING_SHA]
    agreed["2009-10"] = shape.year_two(agreed["2008-09"], scored_codes, seed=seed)
    # What the West Midlands' panels will agree (demo_advance reaches the same): their
    # self-assessments are written against it.
    expected = shape.year_two_rest(
        agreed["2008-09"],
        [c for c in codes if c not in agreed["2009-10"]],
        scored=agreed["2009-10"],
    )

    # Assessments, with the history of the stages they passed through.
    assessments: dict[tuple[str, str], Assessment] = {}
    rows = [
        Assessment(
            round=rnd,
            pct=pcts[code],
            stage=_stage_for(slug, pcts[code].sha.ods_code, code),
            panel_day=ROUNDS[slug]["scoring_due"] - timedelta(days=7 + index % 20),
        )
        for slug, rnd in rounds.items()
        for index, code in enumerate(codes)
    ]
    Assessment.objects.bulk_create(rows, batch_size=500)
    for a in Assessment.objects.filter(round__in=rounds.values()).select_related("round", "pct"):
        assessments[(a.round.slug, a.pct.ods_code)] = a
    stage_dates = {
        Stage.PANEL_FORMATION: "self_assessment_due",
        Stage.SCORING: "panel_formation_due",
        Stage.CONSENSUS: "scoring_due",
        Stage.MODERATION: "consensus_due",
        Stage.CROSS_CHECK: "moderation_due",
        Stage.FACTUAL_ACCURACY: "cross_check_due",
    }
    # Year one went through regional sign-off (by each SHA's staff), the national
    # cross-check (by the national team) and publication (the notices' job, nobody): those
    # stage changes are written as the services write them, by, when and with their note.
    users = get_user_model().objects
    national = users.get(username="national")
    staff = {u.username: u for u in users.filter(username__startswith="moderator.")}
    year_one_steps = {
        Stage.CROSS_CHECK: (YEAR_ONE_SIGNED_OFF, SIGNED_OFF_NOTE),
        Stage.FACTUAL_ACCURACY: (YEAR_ONE_CONFIRMED, CONFIRMED_NOTE),
        Stage.PUBLISHED: (ROUNDS["2008-09"]["publication_notified_at"], PUBLISHED_NOTE),
    }
    # Before moderation, in both rounds: the board submits, SHA staff open scoring once
    # every seat is filled, the chair's own submission (the last) moves it to consensus
    # and the chair closes consensus.
    boards = {u.username: u for u in users.filter(username__startswith="board.")}
    chairs = users.in_bulk({people[seats[1]].user_id for seats in cast.seats.values()})
    early_steps = {
        Stage.PANEL_FORMATION: SUBMITTED_NOTE,
        Stage.SCORING: SCORING_NOTE,
        Stage.CONSENSUS: ALL_SUBMITTED_NOTE,
        Stage.MODERATION: CONSENSUS_NOTE,
    }
    changes = []
    for (slug, code), a in assessments.items():
        chair = chairs.get(people[cast.seats[(slug, code)][1]].user_id)
        early_by = {
            Stage.PANEL_FORMATION: boards[f"board.{code.lower()}"],
            Stage.SCORING: staff[f"moderator.{pcts[code].sha.ods_code.lower()}"],
            Stage.CONSENSUS: chair,
            Stage.MODERATION: chair,
        }
        previous_stage = Stage.SELF_ASSESSMENT
        for stage in Stage:
            if stage <= Stage.SELF_ASSESSMENT or stage > a.stage:
                continue
            when = (
                ROUNDS[slug]["published_at"]
                if stage == Stage.PUBLISHED
                else _on(ROUNDS[slug][stage_dates[stage]], 17)
            )
            by, note = early_by.get(stage), early_steps.get(stage, "")
            if slug == "2008-09" and stage in year_one_steps:
                when, note = year_one_steps[stage]
                by = {
                    Stage.CROSS_CHECK: staff[f"moderator.{pcts[code].sha.ods_code.lower()}"],
                    Stage.FACTUAL_ACCURACY: national,
                }.get(stage)
            changes.append(
                stage_change_row(
                    assessment=a,
                    from_stage=previous_stage,
                    to_stage=stage,
                    by=by,
                    note=note,
                    changed_at=when,
                )
            )
            previous_stage = stage
    StageChange.objects.bulk_create(changes, batch_size=1000)

    _regions(rounds, shas, b)
    frameworks = {slug: rnd.framework for slug, rnd in rounds.items()}
    items = {
        slug: {
            "competencies": {c.number: c for c in fw.competencies.all()},
            "areas": {a.code: a for a in fw.governance_areas.all()},
        }
        for slug, fw in frameworks.items()
    }

    counts = {"assessments": len(assessments)}
    counts |= _self_assessments(b, assessments, agreed, expected, items, pcts, shas)
    counts |= _panels(b, cast, people, assessments, agreed, items, pcts)
    counts |= _agreed(b, cast, people, assessments, agreed, items, pcts)
    counts |= seed_sub_indicator_ratings(
        seed=seed,
        assessments=assessments,
        agreed=agreed,
        pct_names={code: pct.name for code, pct in pcts.items()},
        when={slug: _on(ROUNDS[slug]["consensus_due"], 11) for slug in ROUNDS},
    )
    counts |= seed_sub_indicator_self_ratings(seed=seed)
    counts |= _outcomes(b, assessments, codes)
    counts |= _development_plans(b, assessments, agreed, items)
    counts |= _factual_accuracy_comments(assessments)
    # The ratings were bulk-inserted, past the services: write the reports' read model.
    standings_rebuild(rounds=AssessmentRound.objects.filter(slug__in=ROUNDS).order_by("pk"))
    counts["users"] = get_user_model().objects.count()
    counts["people"] = len(people)
    return Summary(counts=counts)


def _regions(rounds, shas, b) -> None:
    """Each region's review of each round; in year one signed off by its staff and confirmed
    by the national team, each decision in the review's history, and the round's
    publication time set by the national team in the round's history, as
    ``region_sign_off``, ``region_confirm`` and ``round_set_publication`` write them (the
    services themselves refuse times in the past)."""
    national = get_user_model().objects.get(username="national")
    staff = {
        u.username: u for u in get_user_model().objects.filter(username__startswith="moderator.")
    }
    reviews = []
    for slug, rnd in rounds.items():
        for code, sha in shas.items():
            if slug == "2008-09":
                reviews.append(
                    RegionReview(
                        round=rnd,
                        sha=sha,
                        status=RegionReview.Status.CONFIRMED,
                        signed_off_by=staff[f"moderator.{code.lower()}"],
                        signed_off_at=YEAR_ONE_SIGNED_OFF,
                        decided_by=national,
                        decided_at=YEAR_ONE_CONFIRMED,
                        factual_accuracy_closes=_on(date(2009, 2, 13), 17),
                    )
                )
            else:
                reviews.append(
                    RegionReview(round=rnd, sha=sha, status=RegionReview.Status.MODERATING)
                )
    RegionReview.objects.bulk_create(reviews)
    year_one = rounds["2008-09"]
    decisions = []
    for review in RegionReview.objects.filter(round=year_one).select_related(
        "signed_off_by", "decided_by"
    ):
        decisions += [
            region_review_change_row(
                review=review,
                decision=RegionReviewChange.Decision.SIGNED_OFF,
                by=review.signed_off_by,
                decided_at=review.signed_off_at,
            ),
            region_review_change_row(
                review=review,
                decision=RegionReviewChange.Decision.CONFIRMED,
                by=review.decided_by,
                decided_at=review.decided_at,
            ),
        ]
    RegionReviewChange.objects.bulk_create(decisions)
    published = round_change_row(
        round_=year_one,
        field="published_at",
        old=None,
        new=year_one.published_at,
        by=national,
        changed_at=YEAR_ONE_PUBLICATION_SET,
    )
    published.full_clean()
    published.save()


def _self_assessments(b, assessments, agreed, expected, items, pcts, shas) -> dict[str, int]:
    """Boards rate themselves above the panel's view, most of all on competencies 5 and 6."""
    boards = {u.username: u for u in get_user_model().objects.filter(username__startswith="board.")}
    sas = []
    for (slug, code), a in assessments.items():
        rng = b.rng_for("sa", slug, code)
        draft = a.stage == Stage.SELF_ASSESSMENT  # Dudley: complete, but not yet submitted
        sas.append(
            SelfAssessment(
                assessment=a,
                status=SelfAssessment.Status.DRAFT if draft else SelfAssessment.Status.SUBMITTED,
                commentary=b.texts.board_commentary(rng, pct=pcts[code].name),
                submitted_at=None if draft else _on(ROUNDS[slug]["self_assessment_due"], 15),
                submitted_by=None if draft else boards[f"board.{code.lower()}"],
            )
        )
    SelfAssessment.objects.bulk_create(sas, batch_size=500)
    ratings = []
    for sa in sas:
        slug, code = sa.assessment.round.slug, sa.assessment.pct.ods_code
        rng = b.rng_for("sa-ratings", slug, code)
        base = agreed[slug].get(code) or expected[code]
        for number, competency in items[slug]["competencies"].items():
            bump = rng.random()
            extra = (
                (1 if bump < 0.7 else 0) + (1 if bump < 0.12 else 0)
                if number in (5, 6)
                else (1 if bump < 0.3 else 0)
            )
            if bump > 0.96:
                extra = -1
            level = max(1, min(4, base.levels[number] + extra))
            ratings.append(
                SelfAssessmentRating(
                    self_assessment=sa,
                    competency=competency,
                    level=level,
                    commentary=b.texts.board_item_note(rng, number=number, pct=pcts[code].name),
                )
            )
        for area_code, area in items[slug]["areas"].items():
            light = _shift_light(base.lights[area_code], 1 if rng.random() < 0.4 else 0)
            ratings.append(SelfAssessmentRating(self_assessment=sa, area=area, light=light))
    SelfAssessmentRating.objects.bulk_create(ratings, batch_size=1000)
    return {"self-assessments": len(sas), "self-assessment ratings": len(ratings)}


def _panels(b, cast, people, assessments, agreed, items, pcts) -> dict[str, int]:
    seat_types = {s.number: s for s in SeatType.objects.all()}
    # No panel before panel formation (Dudley in 2009-10).
    panels = [
        Panel(assessment=a, created_at=_on(ROUNDS[slug]["panel_formation_due"], 9))
        for (slug, _c), a in assessments.items()
        if a.stage >= Stage.PANEL_FORMATION
    ]
    Panel.objects.bulk_create(panels, batch_size=500)
    seats = []
    for panel in panels:
        slug, code = panel.assessment.round.slug, panel.assessment.pct.ods_code
        submitted = code in agreed[slug]
        forming = panel.assessment.stage == Stage.PANEL_FORMATION
        for number, key in cast.seats[(slug, code)].items():
            seats.append(
                Seat(
                    panel=panel,
                    seat_type=seat_types[number],
                    person=None if forming and number not in FORMED_SEATS else people[key],
                    submitted_at=_on(ROUNDS[slug]["scoring_due"], 12) - timedelta(days=number)
                    if submitted
                    else None,
                )
            )
    Seat.objects.bulk_create(seats, batch_size=1000)

    # Members' own scores vary around the agreed value; in a few 2009-10 panels every member
    # gave the same scores (moderation should notice that).
    unanimous = set(b.rng_for("unanimous").sample(sorted(c for c in agreed["2009-10"]), 2))
    scores = []
    for seat in seats:
        slug, code = seat.panel.assessment.round.slug, seat.panel.assessment.pct.ods_code
        if seat.submitted_at is None:
            continue
        target = agreed[slug][code]
        rng = b.rng_for("member", slug, code, seat.seat_type.number)
        same = slug == "2009-10" and code in unanimous
        for number, competency in items[slug]["competencies"].items():
            roll = rng.random()
            delta = 0 if same else (-1 if roll < 0.12 else 1 if roll > 0.88 else 0)
            if not same and roll > 0.995:
                delta = 2
            scores.append(
                MemberScore(
                    seat=seat,
                    competency=competency,
                    level=max(1, min(4, target.levels[number] + delta)),
                    notes_for_board=b.texts.member_note_for_board(
                        rng, number=number, pct=pcts[code].name, sha=pcts[code].sha.name
                    ),
                    internal_notes=b.texts.internal_note(rng) if rng.random() < 0.3 else "",
                    updated_at=seat.submitted_at,
                )
            )
        for area_code, area in items[slug]["areas"].items():
            roll = rng.random()
            shift = 0 if same else (-1 if roll < 0.1 else 1 if roll > 0.9 else 0)
            scores.append(
                MemberScore(
                    seat=seat,
                    area=area,
                    light=_shift_light(target.lights[area_code], shift),
                    updated_at=seat.submitted_at,
                )
            )
    MemberScore.objects.bulk_create(scores, batch_size=2000)
    return {"panels": len(panels), "seats": len(seats), "member scores": len(scores)}


def _agreed(b, cast, people, assessments, agreed, items, pcts) -> dict[str, int]:
    """Agreed ratings with rationales; a few year-one ratings moderated, the panel's kept."""
    rows, history = [], []
    chairs = {key: person.user for key, person in people.items() if key.startswith("chair-")}
    for (slug, code), a in assessments.items():
        if code not in agreed[slug]:
            continue
        target = agreed[slug][code]
        rng = b.rng_for("agreed", slug, code)
        pct, sha = pcts[code].name, pcts[code].sha.name
        chair = chairs[cast.seats[(slug, code)][1]]
        when = _on(ROUNDS[slug]["consensus_due"], 11)
        for number, competency in items[slug]["competencies"].items():
            level = target.levels[number]
            rationale = b.texts.competency_rationale(
                rng, number=number, level=level, pct=pct, sha=sha
            )
            rows.append(
                AgreedRating(
                    assessment=a,
                    competency=competency,
                    level=level,
                    panel_level=level,
                    rationale=rationale,
                )
            )
            history.append(
                rating_change_row(
                    assessment=a,
                    source=RatingChange.Source.CONSENSUS,
                    competency=competency,
                    old_value="",
                    new_value=str(level),
                    by=chair,
                    changed_at=when,
                )
            )
        for area_code, area in items[slug]["areas"].items():
            light = target.lights[area_code]
            rationale = b.texts.governance_rationale(
                rng, area=area_code, light=light, pct=pct, sha=sha, competencies=list(target.levels)
            )
            rows.append(
                AgreedRating(
                    assessment=a, area=area, light=light, panel_light=light, rationale=rationale
                )
            )
            history.append(
                rating_change_row(
                    assessment=a,
                    source=RatingChange.Source.CONSENSUS,
                    area=area,
                    old_value="",
                    new_value=light,
                    by=chair,
                    changed_at=when,
                )
            )

    # Year-one moderation: in some regions the panel's level was one above what moderation
    # settled on (or one below); the current value is the published one, the panel's kept.
    rng = b.rng_for("moderation")
    moderated = rng.sample(
        [r for r in rows if r.assessment.round.slug == "2008-09" and r.competency_id], 12
    )
    for rating in moderated:
        steps = [step for step in (1, 1, 1, -1) if 1 <= rating.level + step <= 3]
        rating.panel_level = rating.level + rng.choice(steps)
    # What the panel wrote and agreed is its own level, not the one moderation settled on:
    # the rationale and the consensus history row say the panel's (from a generator of their
    # own, so that nothing else drawn changes).
    agreed_rows = {
        (h.assessment_id, h.competency_id): h
        for h in history
        if h.competency_id is not None and h.source == RatingChange.Source.CONSENSUS
    }
    for rating in moderated:
        a = rating.assessment
        rating.rationale = b.texts.competency_rationale(
            b.rng_for("moderated", a.round.slug, a.pct.ods_code, rating.competency.number),
            number=rating.competency.number,
            level=rating.panel_level,
            pct=a.pct.name,
            sha=a.pct.sha.name,
        )
        agreed_rows[(a.pk, rating.competency_id)].new_value = str(rating.panel_level)
    AgreedRating.objects.bulk_create(rows, batch_size=1000)
    RatingChange.objects.bulk_create(history, batch_size=2000)

    staff = {
        u.username: u for u in get_user_model().objects.filter(username__startswith="moderator.")
    }
    adjustments, moderation_history = [], []
    for rating in moderated:
        sha = rating.assessment.pct.sha
        by = staff[f"moderator.{sha.ods_code.lower()}"]
        when = _on(ROUNDS["2008-09"]["moderation_due"], 14)
        reason = b.texts.adjustment_reason(
            rng, sha=sha.name, raised=rating.level > rating.panel_level
        )
        adjustments.append(
            moderation_adjustment_row(
                rating=rating,
                stage=Stage.MODERATION,
                old_value=str(rating.panel_level),
                new_value=str(rating.level),
                reason=reason,
                by=by,
                adjusted_at=when,
            )
        )
        moderation_history.append(
            rating_change_row(
                assessment=rating.assessment,
                source=RatingChange.Source.MODERATION,
                competency=rating.competency,
                old_value=str(rating.panel_level),
                new_value=str(rating.level),
                by=by,
                changed_at=when,
                note=reason,
            )
        )
    ModerationAdjustment.objects.bulk_create(adjustments)
    RatingChange.objects.bulk_create(moderation_history)
    return {"agreed ratings": len(rows), "moderation adjustments": len(adjustments)}


def _outcomes(b, assessments, codes) -> dict[str, int]:
    """Each PCT's local outcome priorities: the five popular ones most often (illustrative)."""
    indicators = list(OutcomeIndicator.objects.all())
    rows = []
    for code in codes:
        rng = b.rng_for("outcomes", code)
        chosen = [i for i in indicators if rng.random() < POPULAR_INDICATORS.get(i.code, 0.12)]
        if len(chosen) < 3:
            chosen += rng.sample([i for i in indicators if i not in chosen], 3 - len(chosen))
        for indicator in chosen:
            low, high = BASELINE_RANGES.get(indicator.unit, (10, 100))
            baseline = Decimal(str(round(rng.uniform(low, high), 1)))
            step = Decimal(str(round(rng.uniform(0.02, 0.06), 3))) * (
                1 if indicator.higher_is_better else -1
            )
            path = [(baseline * (1 + step * year)).quantize(Decimal("0.1")) for year in range(1, 6)]
            rows.extend(
                LocalOutcomePriority(
                    assessment=assessments[(slug, code)],
                    indicator=indicator,
                    baseline_year="2007-08",
                    baseline=baseline,
                    target_year="2012-13",
                    target=path[-1],
                    **{f"year{year}": value for year, value in enumerate(path, start=1)},
                )
                for slug in ROUNDS
            )
    LocalOutcomePriority.objects.bulk_create(rows, batch_size=1000)
    return {"local outcome priorities": len(rows)}


def _development_plans(b, assessments, agreed, items) -> dict[str, int]:
    """Directed development in year one (about ten PCTs were expected to face it): the
    PCTs red on all three areas, and the eight others with two reds and the lowest
    competency totals, which their SHAs flag."""
    suppliers = list(Supplier.objects.all())
    year_one = agreed["2008-09"]

    def reds(code):
        return sum(light == Light.RED for light in year_one[code].lights.values())

    red_all = sorted(code for code in year_one if is_red_on_all_three(year_one[code].lights))
    flagged = sorted(
        (code for code in year_one if reds(code) == 2),
        key=lambda code: (sum(year_one[code].levels.values()), code),
    )[:8]
    plans, priorities = 0, []
    for code in [*red_all, *sorted(flagged)]:
        ratings = year_one[code]
        rng = b.rng_for("plan", code)
        a = assessments[("2008-09", code)]
        red = code in red_all
        plan = DevelopmentPlan.objects.create(
            assessment=a,
            reason=DevelopmentPlan.Reason.RED_ALL_THREE
            if red
            else DevelopmentPlan.Reason.SHA_FLAGGED,
            owner=f"Director of Commissioning, NHS {a.pct.sha.name}",
            review_date=date(2009, 6, 30),
            summary=(
                f"{a.pct.name} was rated red on strategy, financial management and board governance. "
                "The SHA directs its development, reviewed quarterly by the PCT board and the SHA."
                if red
                else f"{a.pct.name} was rated red on two governance areas with low competency levels. "
                "The SHA has flagged it for directed development, reviewed at six months."
            ),
        )
        plans += 1
        weakest = sorted(ratings.levels, key=lambda n: (ratings.levels[n], n))[:3]
        for support, number in zip(("buy", "learn", "share"), weakest, strict=True):
            priorities.append(
                DevelopmentPriority(
                    plan=plan,
                    competency=items["2008-09"]["competencies"][number],
                    support=support,
                    supplier=rng.choice(suppliers) if support == "buy" else None,
                    action={
                        "buy": "Procure external support through a mini-competition on the framework.",
                        "learn": "Join the national board development programme this year.",
                        "share": "Pair with a PCT rated level 3 on this competency for peer support.",
                    }[support],
                )
            )
    DevelopmentPriority.objects.bulk_create(priorities)
    # Each plan's history: saved by its SHA's staff after the national confirmation.
    users = {
        u.username: u for u in get_user_model().objects.filter(username__startswith="moderator.")
    }
    by_plan: dict[int, list] = {}
    for priority in priorities:
        by_plan.setdefault(priority.plan_id, []).append(priority)
    DevelopmentPlanChange.objects.bulk_create(
        DevelopmentPlanChange(
            assessment=plan.assessment,
            action=DevelopmentPlanChange.Action.SAVED,
            summary=plan_description(plan, by_plan[plan.pk]),
            changed_by=users[f"moderator.{plan.assessment.pct.sha.ods_code.lower()}"],
            changed_at=_on(date(2009, 2, 20), 14),
        )
        for plan in DevelopmentPlan.objects.filter(
            assessment__round__slug="2008-09"
        ).select_related("assessment__pct__sha")
    )
    return {"development plans": plans}


# Year one's factual-accuracy check: three boards commented, and their SHAs answered each
# without changing a rating (so the published figures stay those of the articles).
FACTUAL_ACCURACY_2008 = [
    (
        "5PG",
        3,
        "The rationale says our public engagement strategy was not yet agreed; the board "
        "approved it on 14 January 2009, before the panel day (board minutes, item 7).",
        "Thank you: the strategy was approved before the panel day, and the panel saw it. "
        "The level reflects how far it has been put into practice, so it stands; the "
        "rationale is read with that date in mind.",
    ),
    (
        "5C4",
        9,
        "The draft says procurement capacity is shared with a neighbouring PCT; since "
        "December 2008 we have our own procurement team of four.",
        "Checked with the evidence log: the team was in post at the panel day. The level "
        "stands because the panel weighed the contracts let, not the team's size.",
    ),
    (
        "5QL",
        None,
        "Our name is misspelt on the cover of the draft report.",
        "Corrected in the final report: the name is taken from the ODS record.",
    ),
]


def _factual_accuracy_comments(assessments) -> dict[str, int]:
    users = get_user_model().objects
    rows = []
    for code, number, comment, response in FACTUAL_ACCURACY_2008:
        a = assessments[("2008-09", code)]
        rating = (
            AgreedRating.objects.get(assessment=a, competency__number=number) if number else None
        )
        rows.append(
            FactualAccuracyComment(
                assessment=a,
                rating=rating,
                comment=comment,
                raised_by=users.get(username=f"board.{code.lower()}"),
                raised_at=_on(date(2009, 2, 5), 11),
                response=response,
                responded_by=users.get(username=f"moderator.{a.pct.sha.ods_code.lower()}"),
                responded_at=_on(date(2009, 2, 10), 15),
            )
        )
    FactualAccuracyComment.objects.bulk_create(rows)
    return {"factual-accuracy comments": len(rows)}
