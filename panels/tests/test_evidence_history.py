"""The history of the board's evidence as the panel and SHA staff read it: on the scoring
page, beside the documents, and in the panel's combined history (``/history/``)."""

import datetime
import html
import re

import pytest

from assessments.models import EvidenceChange, Role
from panels.selectors import assessment_history
from panels.tests.scoring_builders import build_scoring_panel
from tests.factories import EvidenceChangeFactory, RoleFactory, SHAFactory, UserFactory

pytestmark = pytest.mark.django_db

LDQ, RDQ = "\u201c", "\u201d"
MARCH_12 = datetime.datetime(2009, 3, 12, 14, 2, tzinfo=datetime.UTC)  # GMT: UK time too


def url(panel, page) -> str:
    a = panel.assessment
    return f"/panels/{a.round.slug}/{a.pct.ods_code}/{page}/"


def history_shown(response) -> list[str]:
    items = re.findall(
        r'<li data-test="evidence-change"[^>]*>(.*?)</li>', response.content.decode(), re.S
    )
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def jane():
    return UserFactory(first_name="Jane", last_name="Smith")


def uploaded_then_removed(assessment, by):
    """The board uploaded the plan, then removed it three minutes later."""
    for minutes, action in ((0, EvidenceChange.Action.ADDED), (3, EvidenceChange.Action.REMOVED)):
        EvidenceChangeFactory(
            assessment=assessment,
            action=action,
            title="Five-year strategic plan",
            stored_name="evidence/2009/strategy.pdf",
            by=by,
            at=MARCH_12 + datetime.timedelta(minutes=minutes),
        )


def test_scoring_page_shows_the_panel_each_upload_and_removal_newest_first(client):
    panel = build_scoring_panel()
    uploaded_then_removed(panel.assessment, jane())
    EvidenceChangeFactory(title="Another PCT's plan")  # not this assessment's
    client.force_login(panel.seats[1].person.user)

    response = client.get(url(panel, "score"))

    assert history_shown(response) == [
        f"12 March 2009, 14:05: Jane Smith removed {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
        f"12 March 2009, 14:02: Jane Smith uploaded {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
    ]


def test_scoring_page_with_no_history_says_so(client):
    panel = build_scoring_panel()
    client.force_login(panel.seats[1].person.user)

    response = client.get(url(panel, "score"))

    assert history_shown(response) == []
    assert "No document has been uploaded or removed since this record was kept." in (
        response.content.decode()
    )


def test_combined_history_has_each_upload_and_removal(client):
    panel = build_scoring_panel()
    uploaded_then_removed(panel.assessment, jane())

    evidence = [
        (e.when, e.who.get_full_name(), e.item, e.change)
        for e in assessment_history(assessment=panel.assessment)
        if e.kind == "evidence"
    ]

    assert evidence == [
        (
            MARCH_12 + datetime.timedelta(minutes=3),
            "Jane Smith",
            "Evidence: Five-year strategic plan",
            f"Removed {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
        ),
        (
            MARCH_12,
            "Jane Smith",
            "Evidence: Five-year strategic plan",
            f"Uploaded {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
        ),
    ]


def test_history_page_shows_the_removal_to_sha_staff_and_404s_other_staff(client):
    panel = build_scoring_panel()
    uploaded_then_removed(panel.assessment, jane())
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=panel.assessment.pct.sha).user)

    page = client.get(url(panel, "history"))
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user)
    other = client.get(url(panel, "history"))

    rows = re.findall(
        r'<tr data-test="entry" data-kind="evidence">(.*?)</tr>', page.content.decode(), re.S
    )
    assert [html.unescape(re.sub(r"<[^>]+>", " ", row)).split() for row in rows] == [
        ["12", "Mar", "2009", "14:05", "Jane", "Smith", "Evidence:", "Five-year", "strategic",
         "plan", "Removed", f"{LDQ}Five-year", "strategic", f"plan{RDQ}", "(strategy.pdf)",
         "The", "board's", "evidence"],
        ["12", "Mar", "2009", "14:02", "Jane", "Smith", "Evidence:", "Five-year", "strategic",
         "plan", "Uploaded", f"{LDQ}Five-year", "strategic", f"plan{RDQ}", "(strategy.pdf)",
         "The", "board's", "evidence"],
    ]  # fmt: skip
    assert other.status_code == 404


@pytest.mark.parametrize("changes", [1, 3])
def test_scoring_page_query_count_does_not_grow_with_the_history(
    client, django_assert_num_queries, changes
):
    panel = build_scoring_panel()
    for _ in range(changes):
        EvidenceChangeFactory(assessment=panel.assessment, by=UserFactory())
    client.force_login(panel.seats[1].person.user)

    with django_assert_num_queries(16):
        response = client.get(url(panel, "score"))

    assert len(history_shown(response)) == changes


@pytest.mark.parametrize("changes", [1, 3])
def test_history_page_query_count_does_not_grow_with_the_evidence(
    client, django_assert_num_queries, changes
):
    panel = build_scoring_panel()
    for _ in range(changes):
        EvidenceChangeFactory(assessment=panel.assessment, by=UserFactory())
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=panel.assessment.pct.sha).user)

    with django_assert_num_queries(9):
        response = client.get(url(panel, "history"))

    assert [e.kind for e in response.context["entries"]] == ["evidence"] * changes
