"""The league table page, its CSV and XLSX, the open data, and the embargo on each."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.utils import timezone
from openpyxl import load_workbook

from assessments.models import (
    AgreedRating,
    AssessmentRound,
)

URL = "/reports/league-table/{}/"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def login(client, username):
    client.force_login(get_user_model().objects.get(username=username))


def page_rows(response):
    return [
        (r["rank"], r["ods_code"], r["governance"], r["total"]) for r in response.context["rows"]
    ]


def csv_rows(content: bytes):
    return list(csv.DictReader(io.StringIO(content.decode())))


# --- The published round, seen by anyone -------------------------------------------------


@pytest.mark.django_db
def test_published_table_is_public_and_ranks_the_leaders_first(client, demo):
    response = client.get(URL.format("2008-09"))

    assert response.status_code == 200
    assert page_rows(response)[:3] == [(1, "5PG", 6, 30), (2, "5C4", 6, 29), (3, "5QL", 6, 28)]
    assert len(response.context["rows"]) == 152


@pytest.mark.django_db
def test_a_second_click_on_a_header_turns_the_sort_round_and_says_which_way(client, demo):
    """The year-two walk: both clicks on *Change* gave the same order (no way to list the
    biggest fallers first), no header had aria-sort, and SHA and the lights did not sort."""
    login(client, "national")  # 2009-10 is not published in the demo
    first = client.get(URL.format("2009-10") + "?sort=change")
    html = first.content.decode()
    assert '<th scope="col" class="num" aria-sort="descending"><a href="?sort=-change">' in html
    assert html.count("aria-sort=") == 1
    risers = [r["rank_change"] for r in first.context["rows"]]
    # the public walk: "▲135 (+16)" had no words for a screen reader
    top = first.context["rows"][0]
    places = top["rank_change"]
    assert top["change_spoken"].startswith(f"up {places} place{'s' if places != 1 else ''}")
    assert f'<span class="visually-hidden">{top["change_spoken"]}</span>' in html

    second = client.get(URL.format("2009-10") + "?sort=-change")

    fallers = [r["rank_change"] for r in second.context["rows"]]
    assert fallers[0] < 0 < risers[0]
    assert fallers == sorted(fallers, key=lambda v: (v is None, v))
    html = second.content.decode()
    assert '<th scope="col" class="num" aria-sort="ascending"><a href="?sort=change">' in html
    assert "sorted by change since the previous round, biggest fall first" in html


@pytest.mark.django_db
def test_before_publication_the_change_compares_ranks_among_the_same_pcts(client, demo):
    """The data walk: with the West Midlands still scoring, 135 PCTs were ranked and each
    compared with its rank among all 152 last year."""
    login(client, "national")
    page = client.get(URL.format("2009-10"))
    assert "Last year's ranks are counted among the PCTs ranked here so far" in page.text
    assert "counted among the PCTs ranked here" not in client.get(URL.format("2008-09")).text
    # The year-two walk: "(+4)" beside a Total up 6 (competency 11, new) was explained only
    # in the folded "How the ranking works".
    assert 'data-test="change-note">Change: places gained' in page.text
    assert 'data-test="change-note"' not in client.get(URL.format("2008-09")).text
    now = page.context["rows"]
    last = {r["ods_code"]: r for r in client.get(URL.format("2008-09")).context["rows"]}
    ranked = [r for r in now if r["rank"] is not None]
    assert 0 < len(ranked) < len(last)  # the demo: a region is still scoring

    def key(ods):
        return (last[ods]["governance"], last[ods]["total"])

    for row in ranked[:: max(1, len(ranked) // 10)]:
        better = sum(1 for r in ranked if key(r["ods_code"]) > key(row["ods_code"]))
        assert row["previous_rank"] == better + 1, row["ods_code"]
        assert row["rank_change"] == row["previous_rank"] - row["rank"]


@pytest.mark.django_db
def test_once_published_a_partial_round_still_compares_ranks_among_the_same_pcts(client, demo):
    """Walk V: a round of one SHA's 16 PCTs, published, read "up 100 places" and "last year
    101" against last year's ranks among 152. The PCT page agrees with the table."""
    published = timezone.now() - timedelta(hours=1)
    AssessmentRound.objects.filter(slug="2009-10").update(
        published_at=published, first_published_at=published, publication_notified_at=published
    )
    now = client.get(URL.format("2009-10")).context["rows"]
    last = {r["ods_code"]: r for r in client.get(URL.format("2008-09")).context["rows"]}
    ranked = [r for r in now if r["rank"] is not None]
    assert 0 < len(ranked) < len(last)  # the demo: a region is still scoring

    def key(ods):
        return (last[ods]["governance"], last[ods]["total"])

    for row in ranked[:: max(1, len(ranked) // 10)]:
        better = sum(1 for r in ranked if key(r["ods_code"]) > key(row["ods_code"]))
        assert row["previous_rank"] == better + 1, row["ods_code"]
        report = client.get(f"/reports/pct/{row['ods_code']}/2009-10/").context["report"]
        assert report.previous_rank == row["previous_rank"], row["ods_code"]


@pytest.mark.django_db
@pytest.mark.parametrize(("sort", "first", "last"), [("sha", "East Midlands", "Yorkshire")])
def test_the_table_sorts_by_region(client, demo, sort, first, last):
    rows = client.get(URL.format("2008-09") + f"?sort={sort}").context["rows"]

    names = [r["sha_name"] for r in rows]
    assert names == sorted(names)
    assert (names[0].startswith(first), names[-1].startswith(last)) == (True, True)


@pytest.mark.django_db
def test_a_filtered_table_names_its_region_and_a_first_round_has_no_change_to_sort(client, demo):
    """The public walk: "17 PCTs; sorted by rank" never said which region, and 2008-09's
    caption claimed a sort by change, a column it does not have."""
    filtered = client.get(URL.format("2008-09") + "?sha=Q34").content.decode()
    change = client.get(URL.format("2008-09") + "?sort=-change")

    assert "PCTs of West Midlands; sorted by rank</caption>" in filtered
    assert change.context["sort"] == "rank"
    assert "; sorted by rank</caption>" in change.content.decode()
    assert '"Change" compares' not in change.content.decode()


@pytest.mark.django_db
def test_a_light_sorts_green_first_then_red_first(client, demo):
    points = {"green": 2, "amber": 1, "red": 0}
    down = [
        points[r["finance"]]
        for r in client.get(URL.format("2008-09") + "?sort=finance").context["rows"]
    ]
    up = [
        points[r["finance"]]
        for r in client.get(URL.format("2008-09") + "?sort=-finance").context["rows"]
    ]

    assert down == sorted(down, reverse=True) and down[0] == 2
    assert up == sorted(up) and up[0] == 0


@pytest.mark.django_db
def test_page_csv_xlsx_and_json_agree_row_for_row(client, demo):
    page = page_rows(client.get(URL.format("2008-09")))
    file_csv = csv_rows(client.get(URL.format("2008-09") + "?format=csv").content)
    workbook = load_workbook(io.BytesIO(client.get(URL.format("2008-09") + "?format=xlsx").content))
    sheet = list(workbook.active.iter_rows(values_only=True))
    data = json.loads(client.get("/api/results/2008-09.json").content)

    assert list(file_csv[0]) == [
        "rank",
        "ods_code",
        "pct",
        "sha",
        "strategy",
        "finance",
        "board",
        *[f"c{n}" for n in range(1, 11)],
        "governance",
        "total",
    ]
    assert [
        (int(r["rank"]), r["ods_code"], int(r["governance"]), int(r["total"])) for r in file_csv
    ] == page
    assert [(r[0], r[1], r[-2], r[-1]) for r in sheet[1:]] == page
    assert [
        (r["rank"], r["ods_code"], r["governance"], r["total"]) for r in data["results"]
    ] == page
    assert workbook.active.freeze_panes == "D2"
    assert data["results"][0]["competencies"] == {str(n): 3 for n in range(1, 11)}


@pytest.mark.django_db
def test_sha_filter_keeps_england_ranks_after_publication(client, demo):
    response = client.get(URL.format("2008-09") + "?sha=q34")

    rows = page_rows(response)
    assert rows[0] == (1, "5PG", 6, 30)
    assert {r["sha"] for r in response.context["rows"]} == {"Q34"}
    assert len(rows) == 17


@pytest.mark.django_db
def test_pattern_filter_green_on_all_three(client, demo):
    response = client.get(URL.format("2008-09") + "?pattern=green3")

    assert len(response.context["rows"]) == 27


@pytest.mark.django_db
def test_unknown_round_sha_or_format_is_404(client, demo):
    assert client.get(URL.format("2001-02")).status_code == 404
    assert client.get(URL.format("2008-09") + "?sha=Q99").status_code == 404
    assert client.get(URL.format("2008-09") + "?format=pdf").status_code == 404


# --- The embargo on an unpublished round -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("username", [None, "board.5nd", "chair.q30"])
def test_unpublished_table_is_404_outside_the_process(client, demo, username):
    if username:
        login(client, username)

    assert client.get(URL.format("2009-10")).status_code == 404
    assert client.get(URL.format("2009-10") + "?format=csv").status_code == 404
    assert client.get("/api/results/2009-10.json").status_code == 404


@pytest.mark.django_db
def test_an_unpublished_round_reads_as_one_that_does_not_exist(client, demo, settings):
    """Now that a 404 page shows a view's own words, an unpublished round must not say
    "No such league table." where a round that does not exist says nothing."""
    settings.DEBUG = False
    login(client, "board.5nd")

    def body(slug):
        page = client.get(URL.format(slug)).content.decode()
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)

    assert body("2009-10") == body("2031-32")


@pytest.mark.django_db
def test_unpublished_table_for_sha_staff_is_their_region_ranked_within_it(client, demo):
    login(client, "moderator.q30")

    response = client.get(URL.format("2009-10"))
    other_region = client.get(URL.format("2009-10") + "?sha=Q31")
    as_csv = csv_rows(client.get(URL.format("2009-10") + "?format=csv").content)

    assert {r["sha"] for r in response.context["rows"]} == {"Q30"}
    assert next(r["rank"] for r in response.context["rows"]) == 1
    assert response.context["within_region"] is True
    assert other_region.status_code == 404
    assert {r["sha"] for r in as_csv} == {"Q30"}


@pytest.mark.django_db
def test_unpublished_table_for_the_national_team_has_every_region(client, demo):
    login(client, "national")

    response = client.get(URL.format("2009-10"))

    assert len(response.context["rows"]) == 135
    assert client.get("/api/results/2009-10.json").status_code == 404  # open data waits


@pytest.mark.django_db
def test_publication_is_on_the_clock(client, demo):
    round_ = AssessmentRound.objects.get(slug="2009-10")
    round_.published_at = timezone.now() + timedelta(hours=1)
    round_.save(update_fields=["published_at"])

    before = client.get(URL.format("2009-10")).status_code
    import time_machine

    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        after = client.get(URL.format("2009-10"))
        api = client.get("/api/results/2009-10.json")

    assert before == 404
    assert (after.status_code, api.status_code) == (200, 200)
    assert len(after.context["rows"]) == 135


@pytest.mark.django_db
def test_staff_may_add_rationale_columns_and_the_public_may_not(client, demo):
    anonymous = csv_rows(client.get(URL.format("2008-09") + "?format=csv&rationales=1").content)
    login(client, "national")
    staff = csv_rows(client.get(URL.format("2008-09") + "?format=csv&rationales=1").getvalue())

    assert "c1_rationale" not in anonymous[0]
    assert (
        staff[0]["c1_rationale"]
        == AgreedRating.objects.get(
            assessment__round__slug="2008-09", assessment__pct__ods_code="5PG", competency__number=1
        ).rationale
    )


# --- The command --------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_command_writes_the_page_csv(client, demo, tmp_path):
    target = tmp_path / "table.csv"

    call_command(
        "export_league_table",
        "--round",
        "2008-09",
        "--format",
        "csv",
        "-o",
        str(target),
        stdout=io.StringIO(),
    )

    assert target.read_bytes() == client.get(URL.format("2008-09") + "?format=csv").content


@pytest.mark.django_db
def test_export_command_writes_the_page_xlsx_with_sub_indicators(client, demo, tmp_path):
    target = tmp_path / "table.xlsx"
    client.force_login(get_user_model().objects.get(username="national"))

    call_command(
        "export_league_table",
        *("--round", "2009-10", "--format", "xlsx", "--sub-indicators", "-o", str(target)),
        stdout=io.StringIO(),
    )

    page = client.get(URL.format("2009-10") + "?format=xlsx&sub_indicators=1").getvalue()
    written = list(load_workbook(target).active.iter_rows(values_only=True))
    assert written == list(load_workbook(io.BytesIO(page)).active.iter_rows(values_only=True))
    assert written[0][-1] == "board_5" and len(written) == 136  # the header and 135 PCTs
    assert [p.name for p in tmp_path.iterdir()] == ["table.xlsx"]  # no partial file left


@pytest.mark.django_db
def test_export_command_that_cannot_write_leaves_nothing_behind(demo, tmp_path):
    target = tmp_path / "table.csv"
    target.mkdir()  # a folder where the file should go

    with pytest.raises(CommandError, match=r"^Cannot write .*table\.csv: Is a directory\.$"):
        call_command(
            "export_league_table", "--round", "2008-09", "--format", "csv", "-o", str(target)
        )

    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"] and target.is_dir()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "name", "message"),
    [
        ("xlsx", "x.csv", "an XLSX file's name ends in .xlsx (such as x.xlsx)"),
        ("csv", "-", "a CSV file's name ends in .csv (such as table.csv)"),
    ],
)
def test_export_command_refuses_a_name_that_is_not_its_format(demo, tmp_path, fmt, name, message):
    """The bad-input walk: an XLSX file was written as x.csv, and ``-o -`` wrote a file
    named "-"."""
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command(
            "export_league_table", "--round", "2008-09", "--format", fmt, "-o", str(tmp_path / name)
        )

    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_export_command_stopped_half_way_leaves_no_partial_file(demo, tmp_path, monkeypatch):
    """Whatever stops it once the file is open (here the database, reading the rows'
    sub-indicators): the file already there is kept whole and no ``.part`` file is left."""
    from reports import tables

    target = tmp_path / "table.csv"
    target.write_text("the previous export")

    def failing(**kwargs):
        raise DatabaseError("the connection was lost")

    monkeypatch.setattr(tables, "sub_indicator_table", failing)

    with pytest.raises(DatabaseError):
        call_command(
            "export_league_table",
            *("--round", "2009-10", "--format", "csv", "--sub-indicators", "-o", str(target)),
            stdout=io.StringIO(),
        )

    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
    assert target.read_text() == "the previous export"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--round", "1999-00", "--format", "csv"], "Unknown round '1999-00'"),
        (["--round", "2008-09", "--sha", "Q99", "--format", "csv"], "Unknown SHA 'Q99'"),
    ],
)
def test_export_command_refuses_bad_input_and_writes_nothing(demo, tmp_path, args, message):
    target = tmp_path / "table.csv"

    with pytest.raises(CommandError, match=message):
        call_command("export_league_table", *args, "-o", str(target))

    assert not target.exists()


@pytest.mark.django_db
def test_a_rating_changed_after_consensus_is_marked_with_the_panels_value(client, demo):
    from django.db.models import F, Q

    from assessments.models import AgreedRating
    from assessments.standings import rating_changed

    rating = AgreedRating.objects.get(
        assessment__round__slug="2008-09", assessment__pct__ods_code="5PG", competency__number=3
    )
    AgreedRating.objects.filter(pk=rating.pk).update(level=rating.level - 1)
    rating_changed(assessment_id=rating.assessment_id)  # as the services do

    response = client.get("/reports/league-table/2008-09/")

    rows = {row["ods_code"]: row for row in response.context["rows"]}
    assert rows["5PG"]["moderated"] == {"c3": str(rating.level)}
    # The cell as the page prints it: the agreed level, then the panel's (strings made once
    # per figures version).
    assert rows["5PG"]["levels"][2] == (str(rating.level - 1), str(rating.level))
    ratings = AgreedRating.objects.filter(
        assessment__round__slug="2008-09", sub_indicator__isnull=True
    )
    changed = ratings.filter(
        Q(competency__isnull=False) & ~Q(level=F("panel_level"))
        | Q(area__isnull=False) & ~Q(light=F("panel_light"))
    )
    assert changed.count() > 1
    assert sum(len(row["moderated"]) for row in rows.values()) == changed.count()
    assert response.content.decode().count('data-test="moderated"') == changed.count()


@pytest.mark.parametrize(
    ("change", "total", "spoken"),
    [
        (135, 16, "up 135 places, total up 16"),
        (-1, -2, "down 1 place, total down 2"),
        (0, 0, "same place, same total"),
        (3, None, "up 3 places"),
        (None, None, ""),
    ],
)
def test_a_change_is_said_in_words(change, total, spoken):
    from reports.tables import _change_spoken

    assert _change_spoken(change, total) == spoken


@pytest.mark.django_db
@pytest.mark.parametrize(("asked", "kind"), [("CSV", "text/csv"), ("Xlsx", "spreadsheetml")])
def test_format_is_read_in_any_case(client, demo, asked, kind):
    """Walk M: ``?format=CSV`` was a 404 for everyone, although codes are read in any case
    elsewhere."""
    response = client.get(URL.format("2008-09") + f"?format={asked}")

    assert response.status_code == 200
    assert kind in response["Content-Type"]


@pytest.mark.django_db
def test_unknown_format_says_which_formats_there_are_on_the_404_page(client, demo, settings):
    """Walk M: with DEBUG off the reader saw only "Page not found", not the view's words."""
    settings.DEBUG = False

    response = client.get(URL.format("2008-09") + "?format=pdf")

    assert response.status_code == 404
    assert "<p>Unknown format: use csv or xlsx.</p>" in response.content.decode()


@pytest.mark.django_db
def test_a_404_without_words_of_its_own_says_only_page_not_found(client, demo, settings):
    settings.DEBUG = False

    page = client.get("/no-such-address/").content.decode()

    assert "Resolver404" not in page
    assert "Page not found" in page
