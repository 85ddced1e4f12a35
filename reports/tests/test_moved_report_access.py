"""Walk Z: a PCT moved to another SHA after a round was published. The SHA it was in then
moderated and signed off those results, and the report says "In West Midlands when these
results were published": its staff keep that round's report and PDF
(``reports.rules.was_staff_when_published``). A round not published, or published after
the move, is the current SHA's only; other SHAs' staff get 404 as before."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Assessment, AssessmentRound, PCTChange, PrimaryCareTrust
from assessments.models import StrategicHealthAuthority as SHA
from assessments.organisations import pct_update
from tests.users import demo_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

PAGE = "/reports/pct/{}/{}/"
PDF = "/reports/pct/{}/{}.pdf"


def move_dudley() -> None:
    """The national team moves Dudley (5PE) from West Midlands (Q34) to East Midlands (Q33),
    now: after 2008-09 was published, while 2009-10 runs."""
    pct = PrimaryCareTrust.objects.select_related("sha").get(ods_code="5PE")
    pct_update(
        pct=pct, name=pct.name, sha=SHA.objects.get(ods_code="Q33"), org_type=pct.org_type,
        closed_on=pct.closed_on, by=demo_user("national"),
    )  # fmt: skip


def pdf_of(client, ods: str, slug: str) -> tuple[int, str]:
    """The PDF's status and content type, its file read to the end: the test client then
    closes it, where ``response.close()`` would close PostgreSQL's connection under the
    module's demo transaction (docs/testing.md)."""
    response = client.get(PDF.format(ods, slug))
    if response.status_code == 200:
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    return response.status_code, response.get("Content-Type", "")


def as_user(client, username):
    client.force_login(demo_user(username))
    return client


def test_the_old_shas_staff_keep_the_pdf_and_staff_view_of_the_round_they_published(client, demo):
    move_dudley()
    as_user(client, "moderator.q34")

    pdf = pdf_of(client, "5pe", "2008-09")
    page = client.get(PAGE.format("5pe", "2008-09"))

    assert pdf == (200, "application/pdf")
    assert page.status_code == 200
    assert page.context["inside"] is True  # the staff view: the PDF, the panel
    assert 'data-test="pdf"' in page.text


def test_the_new_shas_staff_read_it_too(client, demo):
    move_dudley()
    as_user(client, "moderator.q33")

    pdf = pdf_of(client, "5pe", "2008-09")

    assert pdf == (200, "application/pdf")


def test_the_old_shas_staff_get_404_for_the_round_not_yet_published(client, demo):
    move_dudley()
    as_user(client, "moderator.q34")

    pdf = pdf_of(client, "5pe", "2009-10")
    page = client.get(PAGE.format("5pe", "2009-10"))

    assert (pdf[0], page.status_code) == (404, 404)


def test_the_old_shas_staff_get_404_for_a_round_published_after_the_move(client, demo):
    move_dudley()
    published = AssessmentRound.objects.get(slug="2008-09").first_published_at
    # The move came a day before 2008-09 was published: East Midlands published it.
    PCTChange.objects.filter(pct__ods_code="5PE", field="sha").update(
        changed_at=published - datetime.timedelta(days=1)
    )
    as_user(client, "moderator.q34")

    pdf = pdf_of(client, "5pe", "2008-09")
    page = client.get(PAGE.format("5pe", "2008-09"))  # public since publication

    assert pdf[0] == 404
    assert (page.status_code, page.context["inside"]) == (200, False)
    assert 'data-test="pdf"' not in page.text


def test_other_shas_staff_still_get_404(client, demo):
    move_dudley()
    as_user(client, "moderator.q30")

    pdf = pdf_of(client, "5pe", "2008-09")
    page = client.get(PAGE.format("5pe", "2008-09"))

    assert pdf[0] == 404
    assert (page.status_code, page.context["inside"]) == (200, False)


def test_the_old_shas_staff_may_not_answer_or_comment_there(client, demo):
    """They read what they published; the comments and the plan are the new SHA's (403)."""
    move_dudley()
    as_user(client, "moderator.q34")

    response = client.post(PAGE.format("5pe", "2008-09") + "comments/", {"comment": "x"})

    assert response.status_code == 403


def queries_of_the_rule(username: str, ods: str) -> list[str]:
    user = demo_user(username)
    assessment = Assessment.objects.select_related("round", "pct__sha").get(
        round__slug="2008-09", pct__ods_code=ods
    )
    user.has_perm("assessments.signed_in")  # the scope, read once a request
    with CaptureQueriesContext(connection) as captured:
        first = user.has_perm("reports.view_pct_report", assessment)
        again = user.has_perm("reports.view_pct_report", assessment)
    return first, again, [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("username", ["national", "moderator.q34", "board.5pe"])
def test_the_rule_reads_no_move_history_for_those_it_already_lets_in(demo, username):
    move_dudley()
    if username == "moderator.q34":
        username = "moderator.q33"  # Dudley's SHA now

    first, again, queries = queries_of_the_rule(username, "5PE")

    assert (first, again) == (True, True)
    assert [q for q in queries if "pctchange" in q.lower()] == []


def test_the_rule_reads_the_pcts_move_history_once_a_request(demo):
    move_dudley()

    first, again, queries = queries_of_the_rule("moderator.q34", "5PE")

    assert (first, again) == (True, True)
    assert len([q for q in queries if "pctchange" in q.lower()]) == 1
