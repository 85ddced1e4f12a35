"""Keeping the PCTs: add, rename, move, close, and a CSV file previewed then applied."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import Assessment, PCTChange, PrimaryCareTrust, Role
from assessments.organisations import (
    PlanChangedError,
    pct_create,
    pct_update,
    pct_update_plan,
    pcts_file_apply,
    pcts_file_plan,
)
from assessments.rounds import round_open
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    EvidenceDocumentFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

HEADER = "ods_code,name,org_type,sha_ods_code,sha_name\n"


@pytest.fixture
def shas():
    return SHAFactory(ods_code="Q30", name="North East"), SHAFactory(ods_code="Q34", name="WM")


@pytest.fixture
def national():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


def test_pct_create_upper_cases_the_code_and_records_it(shas, national):
    pct = pct_create(ods_code=" 5zz ", name="New PCT", sha=shas[0], org_type="pct", by=national)

    assert pct.ods_code == "5ZZ"
    assert list(PCTChange.objects.values_list("pct__ods_code", "field", "new_value")) == [
        ("5ZZ", "added", "New PCT (Q30)")
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("5Z", "'5Z' is not an ODS code: three letters or digits, such as 5PG"),
        ("5Z!", "'5Z!' is not an ODS code: three letters or digits, such as 5PG"),
        ("5pg", "5PG is already Birmingham East and North's ODS code."),
    ],
)
def test_pct_create_refuses_a_bad_or_taken_code_naming_it(shas, national, code, message):
    PCTFactory(ods_code="5PG", name="Birmingham East and North")

    with pytest.raises(ValidationError) as excinfo:
        pct_create(ods_code=code, name="X", sha=shas[0], org_type="pct", by=national)

    assert excinfo.value.message_dict == {"ods_code": [message]}
    assert PrimaryCareTrust.objects.count() == 1


def test_a_closed_pct_keeps_its_history_and_gets_no_new_assessment(shas, national):
    closing, staying = PCTFactory(sha=shas[0]), PCTFactory(sha=shas[0])
    old = AssessmentFactory(pct=closing, round=AssessmentRoundFactory(slug="2009-10"))

    pct_update(
        pct=closing,
        name=closing.name,
        sha=closing.sha,
        org_type=closing.org_type,
        closed_on=datetime.date(2010, 4, 1),
        by=national,
    )
    round_open(round_=AssessmentRoundFactory(slug="2010-11"), shas=[shas[0]], by=national)

    assert list(Assessment.objects.filter(round__slug="2010-11").values_list("pct", flat=True)) == [
        staying.pk
    ]
    assert Assessment.objects.filter(pk=old.pk).exists()
    assert list(PCTChange.objects.values_list("field", "new_value")) == [
        ("closed_on", "2010-04-01")
    ]


def test_file_plan_lists_adds_renames_moves_and_marked_closures(shas):
    PCTFactory(ods_code="5ND", name="Durham", sha=shas[0])
    PCTFactory(ods_code="5J9", name="Darlington", sha=shas[0])
    PCTFactory(ods_code="5KF", name="Gateshead", sha=shas[0])  # absent: left alone
    text = (
        "ods_code,name,org_type,sha_ods_code,closed_on\n"
        "5ND,County Durham,PCT,Q30,\n"
        "5j9,Darlington,PCT,Q34,\n"
        "5ZZ,Newtown,Care Trust,Q30,\n"
        "5KG,Old PCT,PCT,Q30,2010-03-31\n"
    )

    plan = pcts_file_plan(text=text, filename="pcts.csv")

    assert plan.errors == []
    assert [(c.row, c.ods_code, c.kind, c.old, c.new) for c in plan.changes] == [
        (2, "5ND", "rename", "Durham", "County Durham"),
        (3, "5J9", "move", "North East", "WM"),
        (4, "5ZZ", "add", "", "Newtown (North East)"),
        (5, "5KG", "add", "", "Old PCT (North East)"),
        (5, "5KG", "close", "", "2010-03-31"),
    ]


def test_file_plan_names_every_bad_row(shas):
    text = HEADER + (
        "5ND,County Durham,PCT,Q30,North East\n"
        "5N,Short,PCT,Q30,North East\n"
        "5ND,Again,PCT,Q30,North East\n"
        "5ZZ,Unknown SHA,PCT,Q99,Nowhere\n"
        "5ZY,Bad type,Trust,Q30,North East\n"
    )

    plan = pcts_file_plan(text=text, filename="pcts.csv")

    assert plan.errors == [
        "pcts.csv: row 3, column ods_code: '5N' is not an ODS code: three letters or digits, "
        "such as 5PG",
        "pcts.csv: row 4, column ods_code: 5ND already appears in row 2",
        "pcts.csv: row 5, column sha_ods_code: no SHA has the ODS code Q99",
        "pcts.csv: row 6, column org_type: 'Trust' is not one of PCT, Care Trust, Care Trust Plus",
    ]
    assert plan.changes == []


def test_file_plan_names_a_row_past_the_header_with_every_other_error(shas):
    """Walk M: a row with more values than the header was the only error shown; the file's
    four other errors appeared once it was removed."""
    text = HEADER + (
        "5N,Short,PCT,Q30,North East\n"
        "5ZZ,Unknown SHA,PCT,Q99,Nowhere\n"
        "5ZW,Too many,PCT,Q30,North East,extra\n"
        "\n"
        '5ZV,"Quoted, with a comma",PCT,Q30,North East\n'
        "5ZY,Bad type,Trust,Q30,North East\n"
        "5ZX,,PCT,Q30,North East\n"
        "5ZU,Last too many,PCT,Q30,North East,,more\n"
    )

    plan = pcts_file_plan(text=text, filename="pcts.csv")

    assert plan.errors == [
        "pcts.csv: row 2, column ods_code: '5N' is not an ODS code: three letters or digits, "
        "such as 5PG",
        "pcts.csv: row 3, column sha_ods_code: no SHA has the ODS code Q99",
        "pcts.csv: row 4: 6 values under a header of 5 columns; the values past the header "
        "would be lost",
        "pcts.csv: row 7, column org_type: 'Trust' is not one of PCT, Care Trust, Care Trust Plus",
        "pcts.csv: row 8, column name: the name is empty",
        "pcts.csv: row 9: 7 values under a header of 5 columns; the values past the header "
        "would be lost",
    ]
    assert plan.changes == []


def test_file_plan_of_a_file_with_a_missing_column_says_only_that(shas):
    text = "ods_code,name,org_type\n5ZW,Too many,PCT,Q30\n5N,Short,PCT\n"

    plan = pcts_file_plan(text=text, filename="pcts.csv")

    assert plan.errors == ["pcts.csv: header: missing column(s): sha_ods_code"]


def test_file_preview_shows_a_row_past_the_header_with_the_other_errors(client, shas, national):
    client.force_login(national)
    text = HEADER + "5ZW,Too many,PCT,Q30,North East,extra\n5ZZ,New,PCT,Q99,\n"
    upload = SimpleUploadedFile("pcts.csv", text.encode())

    response = client.post("/organisations/file/", {"file": upload}, follow=True)

    assert response.context["plan"].errors == [
        "pcts.csv: row 2: 6 values under a header of 5 columns; the values past the header "
        "would be lost",
        "pcts.csv: row 3, column sha_ods_code: no SHA has the ODS code Q99",
    ]
    assert "pcts.csv: row 3, column sha_ods_code: no SHA has the ODS code Q99" in response.text
    assert PrimaryCareTrust.objects.count() == 0


def test_file_plan_names_every_problem_of_a_row_at_once(shas):
    """The ops walk: a row with an empty name and SHA Q99 showed the name only, and Q99 once
    the name was put right; a type in lower case was refused."""
    text = HEADER + ",,Trust,Q99,Nowhere\n5ZY,Lower case,care trust,Q30,North East\n"

    plan = pcts_file_plan(text=text, filename="pcts.csv")

    assert plan.errors == [
        "pcts.csv: row 2, column ods_code: '' is not an ODS code: three letters or digits, "
        "such as 5PG",
        "pcts.csv: row 2, column name: the name is empty",
        # in the header's order (the bad-input walk found them out of it)
        "pcts.csv: row 2, column org_type: 'Trust' is not one of PCT, Care Trust, Care Trust Plus",
        "pcts.csv: row 2, column sha_ods_code: no SHA has the ODS code Q99",
    ]
    lower = pcts_file_plan(
        text=HEADER + "5ZY,Lower case,care trust,Q30,North East\n", filename="p.csv"
    )
    assert (lower.errors, [c.ods_code for c in lower.changes]) == ([], ["5ZY"])


def test_file_plan_refuses_what_applying_would_refuse_naming_row_and_column(shas):
    """The bad-input walk: a 101-character name passed the preview and failed on applying,
    naming no row; a short row said "None is not an ODS code"; 0001-01-01 was a closing
    date."""
    text = (
        "ods_code,name,org_type,sha_ods_code,closed_on\n"
        f"5ZA,{'N' * 101},PCT,Q30,\n"
        "5ZB,Short row\n"
        "5ZC,Old,PCT,Q30,0001-01-01\n"
    )

    plan = pcts_file_plan(text=text, filename="pcts.csv")

    assert plan.errors == [
        "pcts.csv: row 2, column name: 101 characters: a name has at most 100",
        "pcts.csv: row 3, column org_type: missing: the row has fewer values than the header "
        "has columns",
        "pcts.csv: row 3, column sha_ods_code: missing: the row has fewer values than the "
        "header has columns",
        "pcts.csv: row 4, column closed_on: 0001-01-01 is not a date a PCT could close: give "
        f"one from 1990 to {timezone.localdate().year + 10}",
    ]


def test_a_closing_date_out_of_range_is_refused_on_the_pcts_page(client, shas, national):
    pct = PCTFactory(ods_code="5ND", name="Durham", sha=shas[0])
    client.force_login(national)

    response = client.post(
        "/organisations/5ND/",
        {"name": "Durham", "sha": shas[0].pk, "org_type": "pct", "closed_on": "9999-12-31"},
    )

    assert (
        response.context["form"]
        .errors["closed_on"][0]
        .startswith("9999-12-31 is not a date a PCT could close")
    )
    pct.refresh_from_db()
    assert pct.closed_on is None


def test_a_name_is_one_pcts_only(shas, national):
    """The bad-input walk: three PCTs were called "Birmingham East and North"."""
    PCTFactory(ods_code="5PG", name="Birmingham East and North", sha=shas[0])
    other = PCTFactory(ods_code="5PH", name="Other", sha=shas[0])

    with pytest.raises(ValidationError) as created:
        pct_create(
            ods_code="5ZZ", name=" birmingham east  and north ", sha=shas[0], org_type="pct",
            by=national,
        )  # fmt: skip
    with pytest.raises(ValidationError) as renamed:
        pct_update(
            pct=other, name="Birmingham East and North", sha=shas[0], org_type="pct",
            closed_on=None, by=national,
        )  # fmt: skip
    plan = pcts_file_plan(
        text=HEADER
        + "5ZA,New,PCT,Q30,\n5ZB,NEW,PCT,Q30,\n5ZC,Birmingham East and North,PCT,Q30,\n",
        filename="p.csv",
    )

    message = "5PG is already called Birmingham East and North: give another name."
    assert created.value.message_dict == renamed.value.message_dict == {"name": [message]}
    assert plan.errors == [
        "p.csv: row 3, column name: NEW is already the name of 5ZA (row 2)",
        "p.csv: row 4, column name: Birmingham East and North is already the name of 5PG (the "
        "PCTs already here)",
    ]
    # Its own name, unchanged, is no clash.
    assert (
        pct_update(
            pct=other, name="Other", sha=shas[0], org_type="pct", closed_on=None, by=national
        )
        == 0
    )


def test_file_apply_is_all_or_nothing_and_checks_the_preview(shas, national):
    PCTFactory(ods_code="5ND", name="Durham", sha=shas[0])
    text = HEADER + "5ND,County Durham,PCT,Q30,\n5ZZ,Newtown,PCT,Q34,\n"
    plan = pcts_file_plan(text=text, filename="pcts.csv")
    PrimaryCareTrust.objects.filter(ods_code="5ND").update(name="Renamed meanwhile")

    with pytest.raises(PlanChangedError):
        pcts_file_apply(text=text, filename="pcts.csv", signature=plan.signature, by=national)
    assert not PrimaryCareTrust.objects.filter(ods_code="5ZZ").exists()

    fresh = pcts_file_plan(text=text, filename="pcts.csv")
    pcts_file_apply(text=text, filename="pcts.csv", signature=fresh.signature, by=national)

    assert list(PrimaryCareTrust.objects.values_list("ods_code", "name", "sha__ods_code")) == [
        ("5ND", "County Durham", "Q30"),
        ("5ZZ", "Newtown", "Q34"),
    ]
    assert set(PCTChange.objects.values_list("note", flat=True)) == {"Loaded from pcts.csv"}


# --- The pages -----------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/organisations/", "/organisations/new/", "/organisations/5nd/"])
def test_organisations_pages_are_for_the_national_team_only(client, shas, national, url):
    PCTFactory(ods_code="5ND", sha=shas[0])
    outsiders = [
        RoleFactory(kind=Role.Kind.SHA_STAFF, sha=shas[0]).user,
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user,
        UserFactory(),
    ]
    client.force_login(national)
    assert client.get(url).status_code == 200
    for user in outsiders:
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_add_pct_page_refuses_an_invalid_code_naming_it(client, shas, national):
    client.force_login(national)

    response = client.post(
        "/organisations/new/",
        {"ods_code": "5-Z", "name": "X", "sha": shas[0].pk, "org_type": "pct"},
    )

    assert response.context["form"].errors == {
        "ods_code": ["'5-Z' is not an ODS code: three letters or digits, such as 5PG"]
    }
    assert PrimaryCareTrust.objects.count() == 0


def test_pct_page_renames_and_closes(client, shas, national):
    PCTFactory(ods_code="5ND", name="Durham", sha=shas[0])
    client.force_login(national)

    response = client.post(
        "/organisations/5nd/",
        {"name": "County Durham", "sha": shas[0].pk, "org_type": "pct", "closed_on": "2011-04-01"},
    )

    assert response.status_code == 302
    pct = PrimaryCareTrust.objects.get(ods_code="5ND")
    assert (pct.name, pct.closed_on) == ("County Durham", datetime.date(2011, 4, 1))
    page = client.get("/organisations/5ND/")
    assert [(c.field, c.new_value) for c in page.context["history"]] == [
        ("closed_on", "2011-04-01"),
        ("name", "County Durham"),
    ]


def test_pct_page_history_lists_newest_first(client, shas, national):
    """Walk W: the round and panel histories list newest first, this one read oldest first."""
    PCTFactory(ods_code="5ND", name="Durham", sha=shas[0])
    client.force_login(national)
    for day, name in ((1, "County Durham"), (2, "County Durham PCT"), (3, "Durham PCT")):
        with time_machine.travel(datetime.datetime(2026, 3, day, 9, tzinfo=datetime.UTC)):
            client.post("/organisations/5nd/", {"name": name, "sha": shas[0].pk, "org_type": "pct"})

    page = client.get("/organisations/5ND/")

    assert [(c.old_value, c.new_value) for c in page.context["history"]] == [
        ("County Durham PCT", "Durham PCT"),
        ("County Durham", "County Durham PCT"),
        ("Durham", "County Durham"),
    ]
    history = page.text.split('data-test="history"')[1].split("</ul>")[0]
    assert history.index("3 Mar 2026") < history.index("2 Mar 2026") < history.index("1 Mar 2026")


def test_pct_page_history_names_who_changed_it(client, shas, national):
    """The trail walk: the organisation page's history showed the username, not the name."""
    PCTFactory(ods_code="5ND", name="Durham", sha=shas[0])
    national.first_name, national.last_name = "Nadia", "Okafor"
    national.save(update_fields=["first_name", "last_name"])
    client.force_login(national)
    client.post(
        "/organisations/5nd/", {"name": "County Durham", "sha": shas[0].pk, "org_type": "pct"}
    )

    page = client.get("/organisations/5ND/").text

    history = page.split('data-test="history"')[1].split("</ul>")[0]
    assert "Durham → County Durham (Nadia Okafor)" in history
    assert national.username not in history


def test_file_preview_then_confirm(client, shas, national):
    PCTFactory(ods_code="5ND", name="Durham", sha=shas[0])
    client.force_login(national)
    upload = SimpleUploadedFile("pcts.csv", (HEADER + "5ND,County Durham,PCT,Q30,\n").encode())

    preview = client.post("/organisations/file/", {"file": upload}, follow=True)
    assert PrimaryCareTrust.objects.get(ods_code="5ND").name == "Durham"
    confirm = client.post(
        "/organisations/file/confirm/",
        {
            "filename": "pcts.csv",
            "text": preview.context["text"].replace("\n", "\r\n"),  # as a browser posts it
            "signature": preview.context["plan"].signature,
        },
    )

    assert preview.redirect_chain == [("/organisations/file/", 302)]  # shown by GET
    assert [c.kind for c in preview.context["plan"].changes] == ["rename"]
    assert "1 change to 1 PCT. Nothing has been written yet." in preview.text
    assert confirm.status_code == 302
    assert PrimaryCareTrust.objects.get(ods_code="5ND").name == "County Durham"
    back = client.get("/organisations/file/", follow=True)  # Back, after confirming
    assert back.redirect_chain == [("/organisations/#file-h", 302)]
    assert [str(m) for m in back.context["messages"]] == [
        "Loaded pcts.csv: 1 change to 1 PCT.",  # the confirmation's, not followed here
        "No file of PCTs is waiting to be checked: choose one below.",
    ]


def test_file_preview_names_an_unknown_sha_and_writes_nothing(client, shas, national):
    client.force_login(national)
    upload = SimpleUploadedFile("pcts.csv", (HEADER + "5ZZ,New,PCT,Q99,\n").encode())

    response = client.post("/organisations/file/", {"file": upload}, follow=True)

    assert "pcts.csv: row 2, column sha_ods_code: no SHA has the ODS code Q99" in (response.text)
    assert 'data-test="confirm"' not in response.text
    # the corrected file is chosen here (the bad-input walk: back to the list to do it)
    assert 'data-test="file-form"' in response.text and 'action="/organisations/file/"' in (
        response.text
    )
    assert PrimaryCareTrust.objects.count() == 0


@pytest.mark.parametrize("pcts", [1, 3])
def test_organisations_list_queries_do_not_grow(
    client, shas, national, django_assert_num_queries, pcts
):
    for _ in range(pcts):
        PCTFactory(sha=shas[0])
    client.force_login(national)

    # session, user, role; the SHAs of the filter; the count; the page of 50.
    with django_assert_num_queries(6):
        response = client.get("/organisations/")

    assert len(response.context["pcts"]) == pcts


# --- A change to a PCT with assessments is checked first -----------------------------

EDIT = "/organisations/5PE/"


@pytest.fixture
def dudley(shas):
    """Dudley (5PE) in West Midlands, assessed in 2008-09 (published in February 2009)
    and in 2009-10 (still running)."""
    pct = PCTFactory(ods_code="5PE", name="Dudley", sha=shas[1])
    published = AssessmentRoundFactory(
        slug="2008-09",
        published_at=datetime.datetime(2009, 2, 17, 9, tzinfo=datetime.UTC),
        first_published_at=datetime.datetime(2009, 2, 17, 9, tzinfo=datetime.UTC),
    )
    AssessmentFactory(pct=pct, round=published)
    AssessmentFactory(pct=pct, round=AssessmentRoundFactory(slug="2009-10"))
    return pct


def typed(shas, **changes):
    values = {"name": "Dudley", "sha": str(shas[1].pk), "org_type": "pct", "closed_on": ""}
    return {**values, **changes}


def test_a_rename_of_an_assessed_pct_shows_a_check_page_and_changes_nothing(
    client, shas, national, dudley
):
    client.force_login(national)

    response = client.post(EDIT, typed(shas, name="NHS  Dudley"))

    assert response.templates[0].name == "confirm.html"
    assert response.context["title"] == "Save these changes to Dudley (5PE)?"
    assert response.context["happens"] == [
        "Name Dudley to NHS Dudley. The league tables, open data, files, PCT pages and "
        "feedback reports of every round, published ones included (2008-09), show the new "
        "name from now on; the PCT pages and feedback reports of rounds published before "
        "today say what it was called when they were published."
    ]
    carried = dict(response.context["carry"])
    assert {k: v for k, v in carried.items() if k != "signature"} == typed(shas, name="NHS  Dudley")
    dudley.refresh_from_db()
    assert dudley.name == "Dudley"
    assert not PCTChange.objects.exists()


def test_go_back_from_the_check_page_shows_what_was_typed(client, shas, national, dudley):
    client.force_login(national)
    check = client.post(EDIT, typed(shas, name="NHS Dudley", org_type="care_trust"))
    # Walk W: a fresh page (another tab) showed these unconfirmed values as the PCT's.
    assert client.get(EDIT).context["form"]["name"].value() == "Dudley"

    page = client.get(check.context["back"])

    form = page.context["form"]
    assert (form["name"].value(), form["org_type"].value()) == ("NHS Dudley", "care_trust")
    # Once: opened again, the page shows the PCT as it is.
    assert client.get(EDIT).context["form"]["name"].value() == "Dudley"


def test_confirming_the_check_page_saves_with_its_history_row(client, shas, national, dudley):
    client.force_login(national)
    check = client.post(EDIT, typed(shas, name="NHS Dudley"))

    response = client.post(EDIT, {**dict(check.context["carry"]), "confirm": "1"}, follow=True)

    dudley.refresh_from_db()
    assert dudley.name == "NHS Dudley"
    assert list(PCTChange.objects.values_list("field", "old_value", "new_value", "changed_by")) == [
        ("name", "Dudley", "NHS Dudley", national.pk)
    ]
    assert [str(m) for m in response.context["messages"]] == [
        "Saved NHS Dudley (5PE): name Dudley to NHS Dudley."
    ]
    # Saved: the page no longer offers what was typed on the check page.
    assert client.get(EDIT).context["form"]["name"].value() == "NHS Dudley"


def test_a_confirmation_after_another_change_meanwhile_is_checked_again(
    client, shas, national, dudley
):
    client.force_login(national)
    check = client.post(EDIT, typed(shas, name="NHS Dudley"))
    pct_update(
        pct=PrimaryCareTrust.objects.get(pk=dudley.pk), name="Dudley", sha=shas[0],
        org_type="pct", closed_on=None, by=national,
    )  # fmt: skip

    response = client.post(EDIT, {**dict(check.context["carry"]), "confirm": "1"})

    assert response.templates[0].name == "confirm.html"
    assert [str(m) for m in response.context["messages"]] == [
        "Nothing was saved: 5PE has changed since you checked. Check the changes again below."
    ]
    assert [line.split(".")[0] for line in response.context["happens"]] == [
        "Name Dudley to NHS Dudley",
        "SHA North East to WM",
    ]
    dudley.refresh_from_db()
    assert (dudley.name, dudley.sha) == ("Dudley", shas[0])


def test_the_check_page_says_what_closing_and_moving_do_to_each_round(
    client, shas, national, dudley
):
    client.force_login(national)

    response = client.post(
        EDIT, typed(shas, sha=str(shas[0].pk), org_type="care_trust", closed_on="2010-04-01")
    )

    assert response.context["happens"] == [
        "SHA WM to North East. The league tables, open data and files of every round, "
        "published ones included (2008-09), list it under North East from now on; the PCT "
        "pages and feedback reports of rounds published before today say it was in WM when "
        "they were published, and compare it with the WM mean they were published with. Its "
        "results in 2009-10 move from the figures of WM to those of North East: the SHA means "
        "its PCT pages compare with, and the region's tables and files. Its assessment in "
        "2009-10, at Self-assessment, goes to the staff of North East: from now on they form "
        "its panel, moderate it and sign it off, and the staff of WM lose access to it (an old "
        "link tells them where it went). Its panel is not formed yet: North East forms it.",
        "Type Primary care trust to Care trust. The PCT pages, feedback reports and files of "
        "2008-09 (published) and 2009-10 show the new type.",
        "Closed from open to 1 April 2010. It is in 2009-10, still running: its assessment "
        "there stays and goes on to publication. Its published results (2008-09) stay "
        "published. Rounds opened from 1 April 2010 on will not include it. If it will not be "
        f'assessed, <a href="/rounds/2009-10/take-back/?pcts={dudley.pk}" '
        'data-test="take-back-pct">take back its opening in 2009-10</a>.',
    ]
    dudley.refresh_from_db()
    assert (dudley.sha, dudley.closed_on) == (shas[1], None)


@pytest.mark.parametrize("why", ["acted on", "publication time"])
def test_closing_links_to_taking_back_its_opening_only_while_it_can_be(
    client, shas, national, dudley, why
):
    """Walk AC: a merged PCT nobody had started had no way out of its round but taking back
    its whole SHA's opening."""
    running = Assessment.objects.get(pct=dudley, round__slug="2009-10")
    client.force_login(national)
    link = f'<a href="/rounds/2009-10/take-back/?pcts={dudley.pk}" data-test="take-back-pct">'
    before = client.post(EDIT, typed(shas, closed_on="2010-04-01"))
    if why == "acted on":
        EvidenceDocumentFactory(assessment=running)
    else:
        running.round.published_at = timezone.now() + datetime.timedelta(days=30)
        running.round.save(update_fields=["published_at"])

    after = client.post(EDIT, typed(shas, closed_on="2010-04-01"))

    assert link in before.text
    assert "take-back" not in after.text
    assert after.context["happens"][0].endswith(
        "Rounds opened from 1 April 2010 on will not include it."
    )


def test_the_check_page_of_a_move_in_running_rounds_only_says_its_figures_move(
    client, shas, national
):
    pct = PCTFactory(ods_code="5PE", name="Dudley", sha=shas[1])
    AssessmentFactory(pct=pct, round=AssessmentRoundFactory(slug="2009-10"))
    client.force_login(national)

    response = client.post(EDIT, typed(shas, sha=str(shas[0].pk)))

    assert response.context["happens"] == [
        "SHA WM to North East. Its results in 2009-10 move from the figures of WM to those of "
        "North East: the SHA means its PCT pages compare with, and the region's tables and "
        "files. Its assessment in 2009-10, at Self-assessment, goes to the staff of North "
        "East: from now on they form its panel, moderate it and sign it off, and the staff of "
        "WM lose access to it (an old link tells them where it went). Its panel is not formed "
        "yet: North East forms it."
    ]
    # Neither SHA has staff here: the check page says so.
    assert response.context["told"] == (
        "WM has no active staff with an e-mail address: nobody there is told. North East has "
        "no active staff with an e-mail address: nobody there is told. The change is kept in "
        "the PCT's history on its page, with your name."
    )


def test_a_name_another_pct_has_is_refused_before_the_check_page(client, shas, national, dudley):
    PCTFactory(ods_code="5PG", name="Birmingham East and North", sha=shas[1])
    client.force_login(national)

    response = client.post(EDIT, typed(shas, name="Birmingham East and North"))

    assert response.templates[0].name == "organisations/pct.html"
    assert response.context["form"].errors == {
        "name": ["5PG is already called Birmingham East and North: give another name."]
    }
    assert response.context["form"]["name"].value() == "Birmingham East and North"


def test_a_pct_with_no_assessment_saves_at_once(client, shas, national):
    PCTFactory(ods_code="5PE", name="Dudley", sha=shas[1])
    client.force_login(national)

    response = client.post(EDIT, typed(shas, name="NHS Dudley"))

    assert response.status_code == 302
    assert list(PCTChange.objects.values_list("field", "new_value")) == [("name", "NHS Dudley")]


def test_pct_update_plan_lists_the_changes_and_the_rounds_and_writes_nothing(
    shas, national, dudley
):
    plan = pct_update_plan(
        pct=dudley, name=" NHS Dudley ", sha=shas[1], org_type="pct",
        closed_on=datetime.date(2011, 4, 1),
    )  # fmt: skip
    unchanged = pct_update_plan(
        pct=dudley, name="Dudley", sha=shas[1], org_type="pct", closed_on=None
    )

    assert [(e.field, e.old, e.new) for e in plan.edits] == [
        ("name", "Dudley", "NHS Dudley"),
        ("closed_on", None, datetime.date(2011, 4, 1)),
    ]
    assert [r.slug for r in plan.rounds] == ["2008-09", "2009-10"]
    assert (unchanged.edits, unchanged.rounds) == ([], [])
    assert not PCTChange.objects.exists()


def test_pct_page_history_names_each_change_as_people_read_it(client, shas, national):
    """Walk Z: the history read "sha: Q34 → Q30" and "org_type: pct → care_trust" where the
    check page had said "SHA WM to North East"; one query whatever the number of rows."""
    PCTFactory(ods_code="5ND", name="Durham", sha=shas[1])
    client.force_login(national)
    client.post(
        "/organisations/5nd/",
        {"name": "County Durham", "sha": shas[0].pk, "org_type": "care_trust", "confirm": "1"},
    )

    page = client.get("/organisations/5ND/").text

    history = page.split('data-test="history"')[1].split("</ul>")[0]
    assert "SHA: WM → North East" in history
    assert "Type: Primary care trust → Care trust" in history
    assert "Name: Durham → County Durham" in history
    assert "Q34" not in history and "org_type" not in history
