"""The import page: upload → preview (writes nothing) → confirm (applies, all or nothing).

Built on the seeded demo: in 2009-10 every region but the West Midlands (Q34) waits at
regional moderation, so a change there is an adjustment written through the services.
5NX Hull Teaching and 5N1 Leeds are in Yorkshire and the Humber (Q32); 5F5 Salford in the
North West (Q31).
"""

import base64
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import AgreedRating, AssessmentRound, ModerationAdjustment, RatingChange
from competencies.selectors import framework_items
from reports.views.imports import STASH_KEY
from tests.users import demo_user

URL = "/reports/import/2009-10/"
CONFIRM = "/reports/import/2009-10/confirm/"
# Changes at regional moderation say why on the check page (each board reads it).
REASON = "Aligned with the region's evidence after the moderation meeting."


def other_value(value):
    if isinstance(value, int):
        return 1 if value != 1 else 2
    return "red" if value != "red" else "green"


def current(ods: str, code: str, slug: str = "2009-10"):
    ratings = AgreedRating.objects.filter(
        assessment__round__slug=slug, assessment__pct__ods_code=ods, sub_indicator__isnull=True
    ).select_related("competency", "area")
    return next(r for r in ratings if r.item.code == code)


def table(ods_codes: list[str], changed: dict | None = None, slug: str = "2009-10") -> bytes:
    """A CSV of the PCTs' current agreed ratings in the import columns, with ``changed``
    ({(ods, code): value}) applied."""
    round_ = AssessmentRound.objects.get(slug=slug)
    codes = [item.code for item in framework_items(round_.framework)]
    lines = [",".join(["ods_code", *codes])]
    for ods in ods_codes:
        values = {
            r.item.code: r.value
            for r in AgreedRating.objects.filter(
                assessment__round=round_,
                assessment__pct__ods_code=ods,
                sub_indicator__isnull=True,
            ).select_related("competency", "area")
        }
        values.update({code: v for (o, code), v in (changed or {}).items() if o == ods})
        lines.append(",".join([ods, *(str(values.get(c, "")) for c in codes)]))
    return ("\n".join(lines) + "\n").encode()


def upload(client, content: bytes, name: str = "t.csv", url: str = URL):
    """The upload, and its preview: kept in the session and shown by GET (followed)."""
    return client.post(url, {"file": SimpleUploadedFile(name, content)}, follow=True)


def snapshot():
    return (
        list(AgreedRating.objects.order_by("pk").values_list("level", "light", "version")),
        RatingChange.objects.count(),
    )


def shown(response) -> list[str]:
    return [str(change) for change in response.context["changes"]]


def flashed(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_upload_previews_exactly_the_changes_and_writes_nothing(demo, client):
    c4, strategy = current("5NX", "c4"), current("5N1", "strategy")
    content = table(
        ["5NX", "5N1"],
        {("5NX", "c4"): other_value(c4.level), ("5N1", "strategy"): other_value(strategy.light)},
    )
    before = snapshot()
    client.force_login(demo_user("national"))

    response = upload(client, content)

    assert shown(response) == [
        f"5NX Hull Teaching, c4: {c4.level} → {other_value(c4.level)}",
        f"5N1 Leeds, strategy: {strategy.light} → {other_value(strategy.light)}",
    ]
    assert response.context["errors"] == []
    assert snapshot() == before
    assert client.session[STASH_KEY]["plan"] == [
        ["5NX", "c4", str(c4.level), str(other_value(c4.level)), None],
        ["5N1", "strategy", strategy.light, other_value(strategy.light), None],
    ]
    assert b'data-test="confirm"' in response.content


@pytest.mark.django_db
def test_confirm_applies_the_previewed_changes_through_the_services(demo, client):
    c4, strategy = current("5NX", "c4"), current("5N1", "strategy")
    content = table(
        ["5NX", "5N1"],
        {("5NX", "c4"): other_value(c4.level), ("5N1", "strategy"): other_value(strategy.light)},
    )
    national = demo_user("national")
    client.force_login(national)
    token = upload(client, content).context["token"]
    changes_before = RatingChange.objects.count()

    response = client.post(CONFIRM, {"reason": REASON, "token": token}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert flashed(response) == ["Imported t.csv: 2 ratings changed."]
    c4.refresh_from_db()
    strategy.refresh_from_db()
    assert c4.level == other_value(c4.panel_level)
    assert strategy.light == other_value(strategy.panel_light)
    assert RatingChange.objects.count() == changes_before + 2
    assert list(
        RatingChange.objects.filter(source=RatingChange.Source.IMPORT)
        .order_by("pk")
        .values_list("assessment__pct__ods_code", "changed_by")
    ) == [("5NX", national.pk), ("5N1", national.pk)]
    assert list(
        ModerationAdjustment.objects.filter(rating__in=[c4, strategy])
        .order_by("rating__pk")
        .values_list("reason", flat=True)
    ) == [REASON, REASON]
    assert STASH_KEY not in client.session


@pytest.mark.django_db
def test_exported_xlsx_uploaded_back_changes_nothing(demo, client):
    client.force_login(demo_user("national"))
    exported = client.get("/reports/league-table/2009-10/?format=xlsx").content
    upload(client, table(["5NX"], {("5NX", "c4"): other_value(current("5NX", "c4").level)}))

    response = upload(client, exported, name="table.xlsx")

    assert (response.context["changes"], response.context["errors"]) == ([], [])
    assert b'data-test="no-changes"' in response.content
    # only this upload is kept (the earlier one, with a change, is replaced), and it has
    # nothing to confirm
    assert response.context["token"] == ""
    assert client.session[STASH_KEY]["filename"] == "table.xlsx"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "field_error"),
    [
        ("notes.txt", b"ods_code\n5NX\n", "notes.txt: use a .csv or .xlsx file."),
        ("t.xlsx", b"not a spreadsheet", "t.xlsx: the content is not an XLSX file."),
        (
            "t.csv",
            "ods_code\n\xe9\n".encode("latin-1"),
            't.csv: the file is not UTF-8 text; it looks saved as plain "CSV", which writes '
            "letters such as \u00eb or \u00a3 in another character set: save it from the "
            'spreadsheet as "CSV UTF-8 (Comma delimited)" and try again.',
        ),
        # The bad-input walk: a PDF and a workbook named .csv were "not a UTF-8 CSV file".
        (
            "t.csv",
            b"%PDF-1.4\n\xe2\xe3\xcf\xd3\n",
            "t.csv: the file is a PDF, not a table: open the table itself and save it from the "
            'spreadsheet as "CSV UTF-8 (Comma delimited)" and try again.',
        ),
        (
            "t.csv",
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x81",
            "t.csv: the file is an Excel workbook (or another zipped file), not a CSV: save it "
            'from the spreadsheet as "CSV UTF-8 (Comma delimited)" and try again.',
        ),
        # The bad-input walk: a 500 (csv's field size limit) on a 150 kB file.
        (
            "t.csv",
            b"ods_code,strategy_rationale\n5NX," + b"x" * 140_000 + b"\n",
            "t.csv: row 2: not valid CSV: a value is longer than 131,072 characters.",
        ),
        (
            "t.csv",
            b'ods_code,c1,c1_rationale\n5NX,3,"never closed\n5F5,2,x\n',
            't.csv: row 2: not valid CSV: a quote (") opened in this row is never closed.',
        ),
        ("t.csv", b"ods_code,c1\n\n", "t.csv: no rows under the header: nothing to import."),
        (
            "t.csv",
            b"ods_code,c1\n5NX,3,extra,more\n",
            "t.csv: row 2: 4 values under a header of 2 columns; the values past the header "
            "would be lost.",
        ),
    ],
)
def test_an_unreadable_file_is_refused_beside_the_field(demo, client, name, content, field_error):
    before = snapshot()
    client.force_login(demo_user("national"))

    response = upload(client, content, name=name)

    assert response.context["form"].errors == {"file": [field_error]}
    assert b'data-test="error-summary"' in response.content
    assert "changes" not in response.context
    assert snapshot() == before


def xlsx_bomb() -> bytes:
    """A workbook of a few hundred kB whose one sheet unpacks to 150 MB (the outsider walk
    sent 1.5 MB unpacking to 1.5 GB: 3 GB of a worker's memory, 20 s a request)."""
    import io
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["ods_code", "c1"])
    plain = io.BytesIO()
    book.save(plain)
    bomb = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b"</sheetData>", b"<!--" + b"A" * 150_000_000 + b"--></sheetData>"
                )
            target.writestr(member, data, compress_type=zipfile.ZIP_DEFLATED)
    return bomb.getvalue()


@pytest.mark.django_db
def test_an_xlsx_zip_bomb_is_refused_before_it_is_unpacked(demo, client):
    content = xlsx_bomb()
    assert len(content) < 2 * 1024 * 1024
    before = snapshot()
    client.force_login(demo_user("national"))

    response = upload(client, content, name="bomb.xlsx")

    assert response.context["form"].errors == {
        "file": [
            "bomb.xlsx: a part of the file unpacks to more than 200 times its packed size; "
            "it is refused as a possible zip bomb."
        ]
    }
    assert snapshot() == before


@pytest.mark.django_db
def test_an_xlsx_with_values_under_no_header_names_the_row_and_column(demo, client):
    """The verify walk: such a file got "column : '' — the column appears twice"."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["ods_code", "c1"])
    book.active.append(["5NX", "3", None, "stray"])
    content = io.BytesIO()
    book.save(content)
    client.force_login(demo_user("national"))

    response = upload(client, content.getvalue(), name="t.xlsx")

    assert response.context["form"].errors == {
        "file": ["t.xlsx: row 2: a value in column D, which has no header; it would be lost."]
    }


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused(demo, client, monkeypatch):
    monkeypatch.setattr("reports.forms.IMPORT_MAX_BYTES", 100)
    content = table(["5NX"])
    client.force_login(demo_user("national"))

    response = upload(client, content)

    assert response.context["form"].errors == {
        "file": [f"t.csv is {len(content)} bytes; the limit is 100 bytes."],
    }


@pytest.mark.django_db
def test_a_file_with_errors_lists_them_all_and_writes_nothing(demo, client):
    content = table(["5NX", "ZZZ", "5N1"], {("5NX", "c3"): 7, ("5N1", "finance"): "purple"})
    content += table(["5NX"]).split(b"\n", 1)[1]
    before = snapshot()
    client.force_login(demo_user("national"))

    response = upload(client, content)

    assert response.context["errors"] == [
        "t.csv: row 2, column c3: '7' — a level is a whole number from 1 to 4",
        "t.csv: row 3, column ods_code: 'ZZZ' — no PCT with this ODS code is assessed in 2009-10",
        "t.csv: row 4, column finance: 'purple' — a light is green, amber or red",
        "t.csv: row 5, column ods_code: '5NX' — the PCT already appears in row 2",
    ]
    assert response.context["changes"] == []
    assert b'data-test="confirm"' not in response.content
    assert response.context["token"] == ""  # nothing to confirm
    assert snapshot() == before


@pytest.mark.django_db
def test_sha_staff_import_their_own_region_only(demo, client):
    c4, salford = current("5NX", "c4"), current("5F5", "c1")
    content = table(
        ["5NX", "5F5"],
        {("5NX", "c4"): other_value(c4.level), ("5F5", "c1"): other_value(salford.level)},
    )
    before = snapshot()
    client.force_login(demo_user("moderator.q32"))

    response = upload(client, content)

    assert response.context["errors"] == [
        "t.csv: row 3, column ods_code: '5F5' — the PCT is outside your region"
    ]
    assert snapshot() == before

    own = upload(client, table(["5NX"], {("5NX", "c4"): other_value(c4.level)}))
    client.post(CONFIRM, {"reason": REASON, "token": own.context["token"]})

    c4.refresh_from_db()
    assert shown(own) == [f"5NX Hull Teaching, c4: {c4.panel_level} → {c4.level}"]
    assert c4.level == other_value(c4.panel_level)


@pytest.mark.django_db
def test_changes_at_moderation_ask_why_on_the_check_page_and_keep_what_was_typed(demo, client):
    """The trail walk: SHA staff importing their region at regional moderation left
    "Imported from walkU-import.csv" as the reason each board read on its PCT page."""
    c4 = current("5NX", "c4")
    client.force_login(demo_user("moderator.q32"))
    preview = upload(client, table(["5NX"], {("5NX", "c4"): other_value(c4.level)}))
    token = preview.context["token"]
    before = snapshot()

    blank = client.post(CONFIRM, {"token": token, "reason": " "})
    long = client.post(CONFIRM, {"token": token, "reason": "x" * 2001})
    kept = snapshot()
    client.post(CONFIRM, {"token": token, "reason": REASON})

    assert b'data-test="reason-field"' in preview.content
    assert blank.status_code == 200
    assert blank.context["reason_form"].errors == {
        "reason": [
            "Reason for the change: say why these agreed ratings change (each board reads it "
            "beside its rating)."
        ]
    }
    assert b'href="#id_reason"' in blank.content  # the error summary links to the field
    assert "<title>Error: Import agreed ratings" in blank.text
    assert long.context["reason_form"].errors == {"reason": ["Keep the reason to 2000 characters."]}
    assert "x" * 2001 in long.text  # given back whole
    assert kept == before
    c4.refresh_from_db()
    assert c4.level == other_value(c4.panel_level)
    assert list(
        ModerationAdjustment.objects.filter(rating=c4).values_list("reason", flat=True)
    ) == [REASON]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "allowed"),
    [
        ("national", True),
        ("moderator.q32", True),  # SHA staff: the page, for their own rows
        ("board.5nx", False),  # a PCT board, even of a PCT in the file
        ("chair.q34", False),  # a panel member with no role
    ],
)
def test_who_may_open_the_import_page(demo, client, username, allowed):
    client.force_login(demo_user(username))
    before = snapshot()

    page = client.get(URL)
    posted = upload(
        client, table(["5NX"], {("5NX", "c4"): other_value(current("5NX", "c4").level)})
    )
    confirmed = client.post(CONFIRM, {"reason": REASON, "token": "x"})
    league = client.get("/reports/league-table/2008-09/")

    if allowed:
        assert (page.status_code, page.templates[0].name) == (200, "reports/import.html")
        assert len(posted.context["changes"]) == 1
        assert b'data-test="import"' in league.content
    else:
        assert (page.status_code, posted.status_code, confirmed.status_code) == (404, 404, 404)
        assert b'data-test="import"' not in league.content
    assert snapshot() == before


@pytest.mark.django_db
def test_anonymous_is_sent_to_log_in(demo, client):
    response = client.get(URL)

    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={URL}")


@pytest.mark.django_db
def test_an_unknown_round_is_404(demo, client):
    client.force_login(demo_user("national"))

    assert client.get("/reports/import/1999-00/").status_code == 404


def _no_stash(session):
    session.pop(STASH_KEY)


def _other_content(session):
    stash = session[STASH_KEY]
    stash["content"] = base64.b64encode(table(["5N1"])).decode()
    session[STASH_KEY] = stash


def _expired(session):
    stash = session[STASH_KEY]
    stash["uploaded_at"] = (timezone.now() - timedelta(hours=2)).isoformat()
    session[STASH_KEY] = stash


def _naive_time(session):
    stash = session[STASH_KEY]
    stash["uploaded_at"] = "2009-06-01T12:00:00"
    session[STASH_KEY] = stash


def _garbled(session):
    stash = session[STASH_KEY]
    stash["content"] = "%%% not base64 %%%"
    session[STASH_KEY] = stash


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tamper", [_no_stash, _other_content, _expired, _naive_time, _garbled, None]
)
def test_a_stale_or_tampered_confirmation_is_refused(demo, client, tamper):
    c4 = current("5NX", "c4")
    client.force_login(demo_user("national"))
    token = upload(client, table(["5NX"], {("5NX", "c4"): other_value(c4.level)})).context["token"]
    if tamper is None:
        token = "0" * 64  # a confirmation of another (older) preview
    else:
        session = client.session
        tamper(session)
        session.save()
    before = snapshot()

    response = client.post(CONFIRM, {"reason": REASON, "token": token}, follow=True)

    assert response.redirect_chain == [(URL, 302)]
    assert flashed(response) == [
        "Nothing was imported: this preview has expired or is no longer the latest upload."
        " Confirm the latest preview, or upload the file again."
    ]
    assert snapshot() == before
    if tamper is None:  # the latest preview (another tab's) is still there to confirm
        assert client.session[STASH_KEY]["sha256"] != token
        client.post(CONFIRM, {"reason": REASON, "token": client.session[STASH_KEY]["sha256"]})
        assert snapshot() != before
    else:
        assert STASH_KEY not in client.session


@pytest.mark.django_db
def test_confirm_refuses_a_plan_that_changed_since_the_preview(demo, client):
    c4 = current("5NX", "c4")
    wanted = other_value(c4.level)
    client.force_login(demo_user("national"))
    token = upload(client, table(["5NX"], {("5NX", "c4"): wanted})).context["token"]
    # Meanwhile someone else moves the rating (a direct write stands for their change).
    meanwhile = 4 if wanted != 4 and c4.level != 4 else 3
    AgreedRating.objects.filter(pk=c4.pk).update(level=meanwhile)
    before = snapshot()

    response = client.post(CONFIRM, {"reason": REASON, "token": token})

    assert shown(response) == [f"5NX Hull Teaching, c4: {meanwhile} → {wanted}"]
    assert flashed(response) == [
        "Nothing was imported: the ratings have changed since the preview. Check the new"
        " preview below and confirm again."
    ]
    assert snapshot() == before
    assert response.context["reason_form"]["reason"].value() == REASON  # typed, kept

    client.post(CONFIRM, {"reason": REASON, "token": response.context["token"]})

    c4.refresh_from_db()
    assert c4.level == wanted


@pytest.mark.django_db
def test_cancel_forgets_the_upload(demo, client):
    client.force_login(demo_user("national"))
    upload(client, table(["5NX"], {("5NX", "c4"): other_value(current("5NX", "c4").level)}))

    response = client.post(CONFIRM, {"cancel": "1"}, follow=True)

    assert flashed(response) == ["Nothing was imported."]
    assert STASH_KEY not in client.session


@pytest.mark.django_db
def test_the_preview_is_shown_by_get_so_that_back_and_reload_never_post_the_file(demo, client):
    """As for the board-accounts and PCT files: Back after confirming showed Chromium's
    "Confirm Form Resubmission" (the preview was the upload's POST answer)."""
    c4 = current("5NX", "c4")
    client.force_login(demo_user("national"))
    content = table(["5NX"], {("5NX", "c4"): other_value(c4.level)})

    posted = client.post(URL, {"file": SimpleUploadedFile("t.csv", content)})

    assert (posted.status_code, posted["Location"]) == (302, URL + "?preview=1")
    preview = client.get(URL + "?preview=1")
    assert client.get(URL + "?preview=1").context["token"] == preview.context["token"]  # reload
    client.post(CONFIRM, {"reason": REASON, "token": preview.context["token"]}, follow=True)
    back = client.get(URL + "?preview=1", follow=True)  # Back, after confirming
    assert back.redirect_chain == [(URL, 302)]
    assert flashed(back)[-1] == "No file is waiting to be checked: choose one below."


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 3])
def test_preview_query_count_does_not_grow(demo, client, django_assert_num_queries, rows):
    ods_codes = ["5NX", "5N1", "5N4"][:rows]
    content = table(
        ods_codes, {(ods, "c1"): other_value(current(ods, "c1").level) for ods in ods_codes}
    )
    client.force_login(demo_user("national"))
    file = SimpleUploadedFile("t.csv", content)

    client.post(URL, {"file": file})  # kept, then previewed by GET

    with django_assert_num_queries(12):
        response = client.get(URL + "?preview=1")

    assert len(response.context["changes"]) == rows
