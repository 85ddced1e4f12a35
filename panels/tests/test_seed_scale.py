"""``seed_demo --scale N`` (``panels.demo.scale``): synthetic PCTs on top of the demo, with
complete ratings in both rounds, in a number of queries that does not grow with N. (That
the league tables rank them is tested in reports/tests/test_league_table_scale.py: panels'
tests may not import reports.)"""

import io
import re
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from assessments.models import (
    AgreedRating,
    Assessment,
    FiguresChange,
    PrimaryCareTrust,
    RatingChange,
    Stage,
    StageChange,
    Standing,
)
from panels.demo.scale import (
    MAX_COUNT,
    SYNTHETIC,
    ScaleError,
    add_synthetic_pcts,
    synthetic_code,
)
from panels.models import ExternalOrganisation, MemberScore, Panel, Person, Seat, SeatType
from panels.selectors import eligible_people
from tests.factories import PCTFactory

pytestmark = pytest.mark.django_db

SHAS = [f"Q3{n}" for n in range(10)]


def synthetic(model, path="assessment__pct"):
    return model.objects.filter(**{f"{path}__code_confidence": SYNTHETIC})


WRITTEN = (
    *(PrimaryCareTrust, Assessment, StageChange, Panel, Seat, MemberScore),
    *(AgreedRating, RatingChange, Person, ExternalOrganisation),
)


def snapshot() -> dict[str, int]:
    """Row counts of everything the generator or the demo writes."""
    return {model.__name__: model.objects.count() for model in (*WRITTEN, get_user_model())}


def ratings_of(codes) -> list[tuple]:
    return sorted(
        AgreedRating.objects.filter(assessment__pct__ods_code__in=codes).values_list(
            "assessment__round__slug",
            "assessment__pct__ods_code",
            "competency__number",
            "area__code",
            "sub_indicator__number",
            "level",
            "light",
        ),
        key=str,
    )


def test_synthetic_code_covers_the_scheme_without_real_codes():
    codes = [synthetic_code(i) for i in range(MAX_COUNT)]

    assert codes[:3] == ["000", "001", "002"]
    assert codes[36 * 36] == "100"
    assert codes[-1] == "9ZZ"
    assert len(set(codes)) == MAX_COUNT == 11_664
    assert {code[0] for code in codes} == set("012346789")
    assert all(re.fullmatch(r"[0-9][0-9A-Z]{2}", code) for code in codes)


def test_add_synthetic_pcts_counts_match_the_rows_written(demo):
    counts = add_synthetic_pcts(count=25, seed=7)

    per_pct = {
        "assessments": 2,
        "stage changes": 7 + 4,  # published; at moderation
        "panels": 2,
        "seats": 10,
        "member scores": 5 * (13 + 14),  # 10 + 3 items, then 11 + 3
        "agreed ratings": 13 + 14,
        "agreed sub-indicator ratings": 16,  # 2009-10's framework only
        "rating changes": 13 + 14 + 16,
    }
    assert counts == {
        "synthetic PCTs": 25,
        "synthetic people": 74,
        **{kind: 25 * n for kind, n in per_pct.items()},
    }
    assert PrimaryCareTrust.objects.filter(code_confidence=SYNTHETIC).count() == 25
    assert synthetic(Assessment, "pct").count() == 50
    assert synthetic(StageChange).count() == 275
    assert synthetic(Panel).count() == 50
    assert synthetic(Seat, "panel__assessment__pct").count() == 250
    assert synthetic(MemberScore, "seat__panel__assessment__pct").count() == 3375
    agreed = synthetic(AgreedRating)
    assert agreed.filter(sub_indicator__isnull=True).count() == 675
    assert agreed.filter(sub_indicator__isnull=False).count() == 400
    assert synthetic(RatingChange).count() == 1075
    assert not agreed.filter(rationale="").exists()


def test_add_synthetic_pcts_names_codes_and_spread_are_synthetic(demo):
    add_synthetic_pcts(count=25, seed=7)

    pcts = list(
        PrimaryCareTrust.objects.filter(code_confidence=SYNTHETIC)
        .order_by("ods_code")
        .values_list("ods_code", "name", "sha__ods_code")
    )
    assert [code for code, _, _ in pcts] == [synthetic_code(i) for i in range(25)]
    assert [name for _, name, _ in pcts] == [f"Synthetic PCT {i:05d}" for i in range(1, 26)]
    assert Counter(sha for _, _, sha in pcts) == {sha: 3 if sha < "Q35" else 2 for sha in SHAS}
    # The real PCTs keep their codes: 5xx and Txx only.
    real = PrimaryCareTrust.objects.exclude(code_confidence=SYNTHETIC)
    assert {code[0] for code in real.values_list("ods_code", flat=True)} == {"5", "T"}
    assert real.count() == 152


def test_add_synthetic_pcts_stages_match_the_demos_regions(demo):
    add_synthetic_pcts(count=25, seed=7)

    stages = Counter(synthetic(Assessment, "pct").values_list("round__slug", "stage").order_by())
    assert stages == {("2008-09", Stage.PUBLISHED): 25, ("2009-10", Stage.MODERATION): 25}
    # Where the demo's PCTs of nine regions wait; the West Midlands' real PCTs are still
    # scoring, but a synthetic one there has agreed ratings, so it is at moderation too.
    assert Assessment.objects.get(round__slug="2009-10", pct__ods_code="5PG").stage == Stage.SCORING
    assert set(
        Assessment.objects.filter(round__slug="2009-10", pct__sha__ods_code="Q30").values_list(
            "stage", flat=True
        )
    ) == {Stage.MODERATION}


def test_add_synthetic_pcts_seats_five_distinct_people_from_a_small_pool(demo):
    add_synthetic_pcts(count=40, seed=7)

    seats = synthetic(Seat, "panel__assessment__pct")
    holders = seats.values_list("panel_id", "person_id")
    per_panel = Counter(panel for panel, _ in holders)
    assert set(per_panel.values()) == {5}
    assert len(set(holders)) == 400  # nobody twice on one panel
    people = set(seats.values_list("person__user__username", flat=True))
    assert all(name.startswith("synthetic.") for name in people)
    assert len(people) <= 74
    assert not Person.objects.filter(user__username__in=people, is_active=True).exists()
    assert not seats.filter(submitted_at__isnull=True).exists()
    # Seat 5: a chief executive from another SHA's PCT.
    assert not seats.filter(
        seat_type__number=5, person__pct__sha=F("panel__assessment__pct__sha")
    ).exists()


def test_add_synthetic_pcts_is_deterministic_for_a_seed(demo):
    codes = [synthetic_code(i) for i in range(6)]
    runs = []
    for seed in (7, 7, 8):
        with transaction.atomic():
            add_synthetic_pcts(count=6, seed=seed)
            runs.append(ratings_of(codes))
            transaction.set_rollback(True)

    assert len(runs[0]) == 6 * (27 + 16)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_add_synthetic_pcts_again_replaces_the_earlier_ones(demo):
    add_synthetic_pcts(count=30, seed=7)
    add_synthetic_pcts(count=12, seed=7)

    assert PrimaryCareTrust.objects.filter(code_confidence=SYNTHETIC).count() == 12
    assert synthetic(Assessment, "pct").count() == 24
    assert Person.objects.filter(user__username__startswith="synthetic.").count() == 74


def test_add_synthetic_pcts_queries_do_not_grow_with_count(demo):
    """Everything but the inserts is the same for 10 and 40 PCTs; the inserts grow only by
    whole batches: each statement carries at least 80 rows (SQLite takes 999 parameters a
    statement, and no table written has more than 12 columns), never one row or one PCT."""
    # The read model is rewritten for the whole of each round afterwards (``Standing``): a
    # fixed number of statements whatever the count, checked below.
    tables = {
        model._meta.db_table: model
        for model in (*WRITTEN, Standing, FiguresChange, get_user_model())
    }
    captured, inserts, added = {}, {}, {}
    for count in (10, 40):
        with transaction.atomic():
            before = {table: model.objects.count() for table, model in tables.items()}
            with CaptureQueriesContext(connection) as queries:
                add_synthetic_pcts(count=count, seed=7)
            added[count] = {t: m.objects.count() - before[t] for t, m in tables.items()}
            transaction.set_rollback(True)
        sql = [q["sql"] for q in queries.captured_queries]
        captured[count] = [s.split(None, 1)[0].upper() for s in sql if not s.startswith("INSERT")]
        inserts[count] = Counter(
            re.match(r'INSERT INTO "(\w+)"', s)[1] for s in sql if s.startswith("INSERT")
        )

    assert captured[10] == captured[40]
    assert added[40]["panels_memberscore"] == 40 * 135
    assert inserts[10]["assessments_standing"] == inserts[40]["assessments_standing"]
    for count in (10, 40):
        assert set(inserts[count]) <= set(tables)
        for table, statements in inserts[count].items():
            if table != "assessments_standing":
                assert statements <= -(-added[count][table] // 80), (count, table, statements)


@pytest.mark.parametrize("count", [-1, MAX_COUNT + 1])
def test_add_synthetic_pcts_refuses_a_count_the_scheme_cannot_hold(demo, count):
    before = snapshot()

    with pytest.raises(ScaleError, match="--scale"):
        add_synthetic_pcts(count=count, seed=7)

    assert snapshot() == before


def test_add_synthetic_pcts_refuses_a_code_already_taken(demo):
    PCTFactory(ods_code="0AB", name="Somewhere real")
    before = snapshot()

    with pytest.raises(ScaleError, match=r"0AB \(Somewhere real\)"):
        add_synthetic_pcts(count=10, seed=7)

    assert snapshot() == before


@pytest.mark.parametrize(
    ("scale", "message"),
    [("-5", "must be 0 or more, not -5"), ("11665", "at most 11,664 PCTs")],
)
def test_seed_demo_refuses_a_bad_scale_and_writes_nothing(demo, scale, message):
    add_synthetic_pcts(count=10, seed=7)
    before = snapshot()
    ratings = sorted(AgreedRating.objects.values_list("pk", flat=True))

    with pytest.raises(CommandError, match=f"Nothing was written. .*{message}"):
        call_command("seed_demo", "--scale", scale, stdout=io.StringIO())

    assert snapshot() == before
    assert sorted(AgreedRating.objects.values_list("pk", flat=True)) == ratings


def test_seed_demo_with_scale_rebuilds_the_demo_and_adds_them(demo):
    add_synthetic_pcts(count=30, seed=7)  # an earlier run's: replaced, not added to
    out = io.StringIO()

    call_command("seed_demo", "--scale", "20", stdout=out)

    assert PrimaryCareTrust.objects.filter(code_confidence=SYNTHETIC).count() == 20
    assert Assessment.objects.exclude(pct__code_confidence=SYNTHETIC).count() == 304
    text = out.getvalue()
    assert "Synthetic organisations added (--scale):" in text
    assert re.search(r"^\s+20 synthetic PCTs$", text, re.MULTILINE)
    assert re.search(r"^\s+2700 member scores$", text, re.MULTILINE)
    assert "20 synthetic PCTs) in" in text
    # The planner's statistics count what was written (PostgreSQL estimates from a sample
    # above 30,000 rows).
    assert planned_rows("panels_memberscore") == pytest.approx(MemberScore.objects.count(), 0.1)


def planned_rows(table: str) -> int | None:
    """The rows the query planner's statistics give ``table`` (None: it has none)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
            (rows,) = cursor.fetchone()
            return int(rows) if rows >= 0 else None  # -1: never analysed
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return None
        # One row per index (or one for the table): each begins with the table's rows.
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [table])
        found = cursor.fetchone()
        return int(found[0].split()[0]) if found else None


def test_seed_demo_without_scale_removes_earlier_synthetic_pcts(demo):
    add_synthetic_pcts(count=10, seed=7)

    call_command("seed_demo", stdout=io.StringIO())

    assert not PrimaryCareTrust.objects.filter(code_confidence=SYNTHETIC).exists()
    assert PrimaryCareTrust.objects.count() == 152
    assert not Person.objects.filter(user__username__startswith="synthetic.").exists()


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5])
def test_add_synthetic_pcts_pool_is_never_offered_for_a_real_panel(demo, number):
    add_synthetic_pcts(count=20, seed=7)
    dudley = Assessment.objects.get(round__slug="2009-10", pct__ods_code="5PE")

    offered = eligible_people(seat_type=SeatType.objects.get(number=number), assessment=dudley)

    assert offered.exists()
    assert not offered.filter(user__username__startswith="synthetic.").exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_a_real_year_runs_on():
    """The ops walk: seed_demo on a real site's database added 350 accounts with the
    published password, a national one among them, and deleted the people not yet seated."""
    from assessments.models import Role
    from panels.models import Person
    from tests.factories import PersonFactory, UserFactory

    real = UserFactory(username="jo.bloggs")
    Role.objects.create(user=real, kind=Role.Kind.NATIONAL)
    waiting = PersonFactory(full_name="Not Yet Seated")
    accounts = get_user_model().objects.count()

    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", stdout=io.StringIO())

    assert str(refused.value).startswith(
        "Nothing was written. This database has national team accounts that are not the "
        "demo's (jo.bloggs): it looks like a real site."
    )
    assert Person.objects.filter(pk=waiting.pk).exists()
    assert get_user_model().objects.count() == accounts
