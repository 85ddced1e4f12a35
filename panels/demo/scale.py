"""``seed_demo --scale N``: N synthetic PCTs on top of the demo, for benchmarks (issue 13).

``add_synthetic_pcts(count=N, seed=S)`` adds N PCTs, spread evenly (round robin, in
ODS-code order) over the SHAs that have at least two real PCTs: the demo's ten. They are
named ``Synthetic PCT 00001`` … and marked ``code_confidence="synthetic"`` (which is how
``remove_synthetic_pcts`` finds them again). Each gets, in both demo rounds:

* an assessment with its stage history (``assessments.history.stage_change_row``):
  2008-09 published; 2009-10 at regional moderation, where the demo's PCTs of nine SHAs
  wait (``seed._stage_for``). Synthetic West Midlands PCTs are at moderation too, not at
  scoring like the real ones there: an assessment at scoring has no agreed ratings yet,
  and every synthetic PCT must be ranked in both rounds. Moderation is a stage a West
  Midlands PCT may be at while its region is still moderating (the region's review is
  ``moderating`` in both cases);
* a panel with its five seats filled within the seat rules and every member's submitted
  scores, around the agreed ratings as in the demo (no notes: they would only add bulk);
* complete agreed ratings (every competency, the three governance areas and, where the
  framework has them, the sub-indicators through the demo's own builder
  ``seed_sub_indicator_ratings``), with rationales from the demo's texts and each
  rating's consensus ``RatingChange`` (``assessments.history.rating_change_row``), by the
  panel's chair.

No self-assessments, local outcome priorities, development plans or board users: they
are not what the benchmarks read, and 10,000 board users would be most of the load.

Seats are filled from a small pool of synthetic people (``synthetic.*`` users, password
``DEMO_PASSWORD``): per SHA a chair (seat 1), two clinical leaders and two services
directors (seats 2 and 3) of the SHA's first two real PCTs, two chief executives of the
same PCTs (seat 5, on panels of the *next* SHA's PCTs, so always another SHA), and four
outside executives of one synthetic outside organisation (seat 4). The demo's own people
and their pages are untouched. The pool's people are inactive (``Person.is_active``): they
keep their seats but are never offered for a real panel's empty seat, so ``demo_advance``
and SHA staff fill the demo's panels as without them.

ODS codes: three characters ``[A-Z0-9]`` (the PCT model's check constraint). Every real
PCT and care-trust code begins with ``5`` or ``T`` (``fixtures/pcts_2009.csv``), SHA codes
with ``Q``; a synthetic code begins with a digit other than 5 (``0`` to ``4``, ``6`` to ``9``)
followed by two base-36 characters: ``000``, ``001`` … ``0ZZ``, ``100`` …, so 9 x 36 x 36 =
11,664 codes (``MAX_COUNT``). Before writing, one query checks that no other PCT uses a
code of that scheme.

Ratings are deterministic for a given ``seed`` (one generator per PCT and round, so PCT
00001 is the same whatever N is): a latent strength per PCT plus noise, levels 1 to 4 and
lights red/amber/green, so rankings have both spread and many ties.

Everything is written with ``bulk_create`` in one transaction, ``CHUNK`` PCTs at a time so
memory stays flat; the number of queries depends on the number of chunks and batches,
never on a row.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from assessments.history import rating_change_row, stage_change_row
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    PrimaryCareTrust,
    RatingChange,
    StageChange,
    StrategicHealthAuthority,
)
from assessments.standings import standings_rebuild
from competencies.vocabulary import Light
from panels.demo import ratings as shape
from panels.demo.seed import ROUNDS, _on, _shift_light
from panels.demo.sub_indicators import seed_sub_indicator_ratings
from panels.demo.texts import Texts
from panels.models import ExternalOrganisation, MemberScore, Panel, Person, Seat, SeatType

Stage = Assessment.Stage

SYNTHETIC = "synthetic"  # PrimaryCareTrust.code_confidence of every synthetic PCT
NAME_PREFIX = "Synthetic PCT "
FIRST_CHARACTERS = "012346789"  # never 5 (PCTs), T (care trusts) or Q (SHAs)
BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_COUNT = len(FIRST_CHARACTERS) * 36 * 36  # 11,664
CODE_SCHEME_REGEX = rf"^[{FIRST_CHARACTERS}][0-9A-Z]{{2}}$"
USERNAME_PREFIX = "synthetic."
OUTSIDE_ORGANISATION = ("Synthetic Outside Organisation (illustrative)", "Synthetic", "None")
CHUNK = 500  # PCTs written per round of bulk inserts
STAGES = {"2008-09": Stage.PUBLISHED, "2009-10": Stage.MODERATION}
STAGE_DATES = {  # the stage reached -> the round's date it was reached on (as the demo)
    Stage.PANEL_FORMATION: "self_assessment_due",
    Stage.SCORING: "panel_formation_due",
    Stage.CONSENSUS: "scoring_due",
    Stage.MODERATION: "consensus_due",
    Stage.CROSS_CHECK: "moderation_due",
    Stage.FACTUAL_ACCURACY: "cross_check_due",
}
LIGHTS_WORST_FIRST = [Light.RED.value, Light.AMBER.value, Light.GREEN.value]


class ScaleError(ValueError):
    """The requested number of synthetic PCTs cannot be made (nothing was written)."""


def synthetic_code(index: int) -> str:
    """The ODS code of the synthetic PCT at ``index`` (0-based): ``000`` … ``9ZZ``."""
    first, rest = divmod(index, 36 * 36)
    return FIRST_CHARACTERS[first] + BASE36[rest // 36] + BASE36[rest % 36]


def synthetic_name(index: int) -> str:
    return f"{NAME_PREFIX}{index + 1:05d}"


def check_count(count: int) -> None:
    """Refuse a count the code scheme cannot hold (before anything is written)."""
    if count < 0:
        raise ScaleError(f"--scale must be 0 or more, not {count}.")
    if count > MAX_COUNT:
        raise ScaleError(
            f"--scale {count} is too large: the synthetic ODS code scheme (a digit other "
            f"than 5, then two base-36 characters) holds at most {MAX_COUNT:,} PCTs."
        )


def remove_synthetic_pcts() -> None:
    """Delete every synthetic PCT with its assessments, and the synthetic seat pool.

    ``seed_demo`` calls it before rebuilding the demo (whose shaped ratings are for the
    152 real PCTs only); ``add_synthetic_pcts`` calls it so that N means N.
    """
    pcts = PrimaryCareTrust.objects.filter(code_confidence=SYNTHETIC)
    Assessment.objects.filter(pct__in=pcts).delete()
    users = get_user_model().objects.filter(username__startswith=USERNAME_PREFIX)
    Person.objects.filter(user__in=users).delete()
    users.filter(is_superuser=False).delete()
    ExternalOrganisation.objects.filter(name=OUTSIDE_ORGANISATION[0]).delete()
    pcts.delete()


def _ratings(rng: random.Random, strength: float, numbers: Iterable[int]) -> shape.Ratings:
    """Levels 1-4 and lights around ``strength`` (0-1), with noise."""
    levels = {
        n: max(1, min(4, 1 + int(4 * (0.55 * strength + 0.45 * rng.random())))) for n in numbers
    }
    lights = {}
    for area in shape.AREAS:
        roll = 0.5 * strength + 0.5 * rng.random()
        lights[area] = LIGHTS_WORST_FIRST[0 if roll < 0.3 else 1 if roll < 0.6 else 2]
    return shape.Ratings(levels=levels, lights=lights)


class _Pool:
    """The synthetic people who fill the seats, and who sits where."""

    def __init__(self, shas: list[StrategicHealthAuthority], first_pcts: dict[int, list]):
        self.shas = shas
        self.first_pcts = first_pcts  # SHA id -> its first two real PCTs

    def build(self) -> dict[str, int]:
        User = get_user_model()
        password = make_password(settings.DEMO_PASSWORD)  # hashed once
        outside = ExternalOrganisation.objects.create(
            name=OUTSIDE_ORGANISATION[0],
            sector=OUTSIDE_ORGANISATION[1],
            country=OUTSIDE_ORGANISATION[2],
        )
        specs = []  # (key, job_role, job_title, affiliation kwargs)
        for sha in self.shas:
            code = sha.ods_code.lower()
            specs.append(
                (
                    f"chair.{code}",
                    "sha_director",
                    f"Synthetic panel chair, NHS {sha.name}",
                    {"sha": sha},
                )
            )
            for n, pct in enumerate(self.first_pcts[sha.pk], start=1):
                specs.append(
                    (
                        f"clinical.{code}.{n}",
                        "medical_director",
                        f"Synthetic medical director, {pct.name}",
                        {"pct": pct},
                    )
                )
                specs.append(
                    (
                        f"services.{code}.{n}",
                        "director_adult_services",
                        f"Synthetic director of adult services, {pct.name}",
                        {"pct": pct},
                    )
                )
                specs.append(
                    (
                        f"ce.{code}.{n}",
                        "chief_executive",
                        f"Synthetic chief executive, {pct.name}",
                        {"pct": pct},
                    )
                )
        specs.extend(
            (
                f"outside.{n}",
                "external_executive",
                f"Synthetic executive director, {outside.name}",
                {"external_organisation": outside},
            )
            for n in range(1, 5)
        )
        users = [
            User(
                username=f"{USERNAME_PREFIX}{key}",
                first_name="Synthetic",
                last_name=key,
                email=f"{USERNAME_PREFIX}{key}@example.org",
                password=password,
            )
            for key, *_ in specs
        ]
        User.objects.bulk_create(users, batch_size=500)
        people = [
            Person(
                user=user,
                full_name=f"Synthetic {key}",
                email=user.email,
                job_role=role,
                job_title=title,
                is_active=False,  # never offered for a real panel's empty seat
                **affiliation,
            )
            for user, (key, role, title, affiliation) in zip(users, specs, strict=True)
        ]
        Person.objects.bulk_create(people, batch_size=500)
        self.people = {key: person for person, (key, *_) in zip(people, specs, strict=True)}
        return {"synthetic people": len(people)}

    def seats(self, sha_index: int, index: int) -> dict[int, Person]:
        """Seat number -> person for the ``index``-th synthetic PCT of SHA ``sha_index``."""
        code = self.shas[sha_index].ods_code.lower()
        other = self.shas[(sha_index - 1) % len(self.shas)].ods_code.lower()
        n = len(self.first_pcts[self.shas[sha_index].pk])
        return {
            1: self.people[f"chair.{code}"],
            2: self.people[f"clinical.{code}.{index % n + 1}"],
            3: self.people[f"services.{code}.{(index + 1) % n + 1}"],
            4: self.people[f"outside.{index % 4 + 1}"],
            5: self.people[f"ce.{other}.{index % n + 1}"],
        }


@transaction.atomic
def add_synthetic_pcts(*, count: int, seed: int) -> dict[str, int]:
    """Add ``count`` synthetic PCTs with complete ratings in both demo rounds (the demo
    must be seeded); returns how many rows of each kind were written.

    Replaces any synthetic PCTs already there. Raises ``ScaleError`` (nothing written)
    for a count the code scheme cannot hold or a code already taken.
    """
    check_count(count)
    remove_synthetic_pcts()
    rounds = {
        r.slug: r
        for r in AssessmentRound.objects.filter(slug__in=ROUNDS).select_related("framework")
    }
    if set(rounds) != set(ROUNDS):
        raise ScaleError("The demo rounds are missing: run `manage.py seed_demo` first.")
    taken = list(
        PrimaryCareTrust.objects.filter(ods_code__regex=CODE_SCHEME_REGEX).values_list(
            "ods_code", "name"
        )[:3]
    )
    if taken:
        raise ScaleError(
            "PCTs already use codes of the synthetic scheme: "
            + ", ".join(f"{code} ({name})" for code, name in taken)
        )
    # The SHAs with at least two real PCTs (the demo's ten), whose first two PCTs lend
    # their names to the seat pool.
    first_pcts: dict[int, list] = {}
    for pct in PrimaryCareTrust.objects.exclude(code_confidence=SYNTHETIC).order_by("ods_code"):
        first_pcts.setdefault(pct.sha_id, [])
        if len(first_pcts[pct.sha_id]) < 2:
            first_pcts[pct.sha_id].append(pct)
    shas = [
        sha
        for sha in StrategicHealthAuthority.objects.order_by("ods_code")
        if len(first_pcts.get(sha.pk, [])) == 2
    ]
    if len(shas) < 2:
        raise ScaleError("Synthetic PCTs need the demo's SHAs and PCTs: run `seed_demo` first.")
    items = {
        slug: {
            "competencies": {c.number: c.pk for c in rnd.framework.competencies.all()},
            "areas": {a.code: a.pk for a in rnd.framework.governance_areas.all()},
        }
        for slug, rnd in rounds.items()
    }
    seat_types = {s.number: s.pk for s in SeatType.objects.all()}

    counts = {"synthetic PCTs": count}
    pool = _Pool(shas, first_pcts)
    counts |= pool.build()
    texts = Texts()
    for start in range(0, count, CHUNK):
        chunk = range(start, min(count, start + CHUNK))
        for kind, n in _write_chunk(
            chunk, seed=seed, shas=shas, pool=pool, rounds=rounds, items=items,
            seat_types=seat_types, texts=texts,
        ).items():  # fmt: skip
            counts[kind] = counts.get(kind, 0) + n
    for kind in ("assessments", "stage changes", "panels", "seats", "member scores"):
        counts.setdefault(kind, 0)
    for kind in ("agreed ratings", "agreed sub-indicator ratings", "rating changes"):
        counts.setdefault(kind, 0)
    _after_bulk_load(list(rounds.values()))
    # The planner's statistics are the caller's to refresh, once everything is written
    # (``seed_demo`` runs ANALYZE after committing; the tests' fixtures ``tests.database``).
    return counts


def _write_chunk(chunk, *, seed, shas, pool, rounds, items, seat_types, texts) -> dict[str, int]:
    """Write the PCTs of ``chunk`` (indexes) with everything they carry."""
    pcts = [
        PrimaryCareTrust(
            ods_code=synthetic_code(i),
            name=synthetic_name(i),
            org_type=PrimaryCareTrust.OrgType.PCT,
            sha=shas[i % len(shas)],
            code_confidence=SYNTHETIC,
        )
        for i in chunk
    ]
    PrimaryCareTrust.objects.bulk_create(pcts, batch_size=1000)

    # Ratings first (pure), one generator per PCT and round.
    agreed: dict[str, dict[str, shape.Ratings]] = {slug: {} for slug in ROUNDS}
    for pct in pcts:
        strength = random.Random(f"{seed}-synthetic-{pct.ods_code}").random()
        for year, slug in enumerate(ROUNDS):
            rng = random.Random(f"{seed}-synthetic-{slug}-{pct.ods_code}")
            drift = 0.15 * year * (rng.random() - 0.3)  # most improve, some slip
            agreed[slug][pct.ods_code] = _ratings(
                rng, max(0.0, min(1.0, strength + drift)), items[slug]["competencies"]
            )

    assessments = {}
    for slug, rnd in rounds.items():
        for i, pct in zip(chunk, pcts, strict=True):
            assessments[(slug, pct.ods_code)] = Assessment(
                round=rnd,
                pct=pct,
                stage=STAGES[slug],
                panel_day=ROUNDS[slug]["scoring_due"] - timedelta(days=7 + i % 20),
            )
    Assessment.objects.bulk_create(assessments.values(), batch_size=1000)

    changes = []
    for (slug, _code), a in assessments.items():
        previous = Stage.SELF_ASSESSMENT
        for stage in Stage:
            if stage <= Stage.SELF_ASSESSMENT or stage > a.stage:
                continue
            when = (
                ROUNDS[slug]["published_at"]
                if stage == Stage.PUBLISHED
                else _on(ROUNDS[slug][STAGE_DATES[stage]], 17)
            )
            changes.append(
                stage_change_row(
                    assessment=a, from_stage=previous, to_stage=stage, by=None, changed_at=when
                )
            )
            previous = stage
    StageChange.objects.bulk_create(changes, batch_size=2000)

    # Panels, five seats each, every member submitted.
    panels = {
        key: Panel(assessment=a, created_at=_on(ROUNDS[key[0]]["panel_formation_due"], 9))
        for key, a in assessments.items()
    }
    Panel.objects.bulk_create(panels.values(), batch_size=1000)
    seats = []  # (slug, code, seat)
    for i, pct in zip(chunk, pcts, strict=True):
        holders = pool.seats(i % len(shas), i // len(shas))
        for slug in ROUNDS:
            panel = panels[(slug, pct.ods_code)]
            for number, person in holders.items():
                seat = Seat(
                    panel_id=panel.pk,
                    seat_type_id=seat_types[number],
                    person_id=person.pk,
                    submitted_at=_on(ROUNDS[slug]["scoring_due"], 12) - timedelta(days=number),
                )
                seats.append((slug, pct.ods_code, number, seat))
    Seat.objects.bulk_create([s for *_, s in seats], batch_size=2000)

    scores = []
    for slug, code, number, seat in seats:
        target = agreed[slug][code]
        rng = random.Random(f"{seed}-synthetic-member-{slug}-{code}-{number}")
        for n, competency_id in items[slug]["competencies"].items():
            roll = rng.random()
            delta = -1 if roll < 0.12 else 1 if roll > 0.88 else 0
            scores.append(
                MemberScore(
                    seat_id=seat.pk,
                    competency_id=competency_id,
                    level=max(1, min(4, target.levels[n] + delta)),
                    updated_at=seat.submitted_at,
                )
            )
        for area_code, area_id in items[slug]["areas"].items():
            roll = rng.random()
            shift = -1 if roll < 0.1 else 1 if roll > 0.9 else 0
            scores.append(
                MemberScore(
                    seat_id=seat.pk,
                    area_id=area_id,
                    light=_shift_light(target.lights[area_code], shift),
                    updated_at=seat.submitted_at,
                )
            )
    MemberScore.objects.bulk_create(scores, batch_size=2000)

    # Agreed ratings with rationales, and each one's consensus history row by the chair.
    rows, history = [], []
    for i, pct in zip(chunk, pcts, strict=True):
        sha = shas[i % len(shas)]
        chair = pool.seats(i % len(shas), 0)[1].user
        for slug in ROUNDS:
            a = assessments[(slug, pct.ods_code)]
            target = agreed[slug][pct.ods_code]
            rng = random.Random(f"{seed}-synthetic-agreed-{slug}-{pct.ods_code}")
            when = _on(ROUNDS[slug]["consensus_due"], 11)
            for n, competency_id in items[slug]["competencies"].items():
                level = target.levels[n]
                rows.append(
                    AgreedRating(
                        assessment_id=a.pk,
                        competency_id=competency_id,
                        level=level,
                        panel_level=level,
                        rationale=texts.competency_rationale(
                            rng, number=n, level=level, pct=pct.name, sha=sha.name
                        ),
                    )
                )
                history.append(
                    rating_change_row(
                        assessment_id=a.pk,
                        source=RatingChange.Source.CONSENSUS,
                        competency_id=competency_id,
                        old_value="",
                        new_value=str(level),
                        by=chair,
                        changed_at=when,
                    )
                )
            for area_code, area_id in items[slug]["areas"].items():
                light = target.lights[area_code]
                rows.append(
                    AgreedRating(
                        assessment_id=a.pk,
                        area_id=area_id,
                        light=light,
                        panel_light=light,
                        rationale=texts.governance_rationale(
                            rng,
                            area=area_code,
                            light=light,
                            pct=pct.name,
                            sha=sha.name,
                            competencies=list(target.levels),
                        ),
                    )
                )
                history.append(
                    rating_change_row(
                        assessment_id=a.pk,
                        source=RatingChange.Source.CONSENSUS,
                        area_id=area_id,
                        old_value="",
                        new_value=light,
                        by=chair,
                        changed_at=when,
                    )
                )
    AgreedRating.objects.bulk_create(rows, batch_size=2000)
    RatingChange.objects.bulk_create(history, batch_size=2000)

    # Sub-indicators (2009-10's framework) through the demo's own builder.
    subs = seed_sub_indicator_ratings(
        seed=seed,
        assessments=assessments,
        agreed=agreed,
        pct_names={pct.ods_code: pct.name for pct in pcts},
        when={slug: _on(ROUNDS[slug]["consensus_due"], 11) for slug in ROUNDS},
    )
    n_subs = subs["agreed sub-indicator ratings"]
    return {
        "assessments": len(assessments),
        "stage changes": len(changes),
        "panels": len(panels),
        "seats": len(seats),
        "member scores": len(scores),
        "agreed ratings": len(rows),
        "agreed sub-indicator ratings": n_subs,
        "rating changes": len(history) + n_subs,
    }


def _after_bulk_load(rounds: list[AssessmentRound]) -> None:
    """Called once the synthetic rows are written, inside the same transaction: the ratings
    went past the services, so the reports' read model is written here."""
    standings_rebuild(rounds=rounds)
