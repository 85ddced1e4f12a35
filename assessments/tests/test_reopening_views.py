"""Sending a submitted self-assessment back to the board, from its pages
(``assessments.reopening_views.send_back``): who may, the reason page and its errors, the
check page, "Go back", the confirmation and the conflict; what the board then sees; and
the evidence on the board's own check page before submitting."""

import datetime
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assessments.form_errors import summary_entries
from assessments.models import Assessment, Role, SelfAssessment, Stage, StageChange
from assessments.services import evidence_upload, self_assessment_save
from tests.factories import PCTFactory, RoleFactory, SHAFactory, UserFactory
from tests.factories.files import PDF

pytestmark = pytest.mark.django_db

AFTER = datetime.datetime(2009, 10, 5, 12, tzinfo=datetime.UTC)
REASON = "Competency 2 should be level 1."


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def page_url(assessment) -> str:
    return f"/assessments/{assessment.round.slug}/{assessment.pct.ods_code}/self-assessment/"


def url(assessment) -> str:
    return page_url(assessment) + "send-back/"


def values(assessment, level=2) -> dict:
    framework = assessment.round.framework
    return {c: (level, "") for c in framework.competencies.all()} | {
        a: ("amber", "") for a in framework.governance_areas.all()
    }


@pytest.fixture
def submitted(assessment, board):
    assessment.round.self_assessment_due = datetime.date(2009, 10, 20)
    assessment.round.save()
    self_assessment_save(
        assessment=assessment,
        values=values(assessment),
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
    )
    assessment.refresh_from_db()
    return assessment


@pytest.fixture
def staff(assessment):
    return RoleFactory(
        kind=Role.Kind.SHA_STAFF,
        sha=assessment.pct.sha,
        user__first_name="Sam",
        user__last_name="Lee",
    ).user


@time_machine.travel(AFTER)
def test_send_back_page_asks_what_to_correct_and_gives_the_deadline(submitted, staff):
    response = client_for(staff).get(url(submitted))

    assert response.templates[0].name == "assessments/send_back.html"
    assert response.context["form"].initial == {"reason": "", "version": submitted.version}
    assert 'name="reason"' in text(response)
    assert (
        '<p data-test="deadline">The board is asked to resubmit by 20 October 2009, the '
        "self-assessment deadline.</p>"
    ) in text(response)


@time_machine.travel(AFTER)
def test_send_back_page_past_the_deadline_says_so(submitted, staff):
    submitted.round.self_assessment_due = datetime.date(2009, 9, 30)
    submitted.round.save()

    response = client_for(staff).get(url(submitted))

    assert (
        "The self-assessment deadline of Round 2009-10 was 30 September 2009: it has passed, "
        "so the board is asked to resubmit promptly."
    ) in text(response)


@pytest.mark.parametrize("method", ["get", "post"])
def test_send_back_not_found_for_other_regions_staff_boards_and_outsiders(submitted, board, method):
    outsiders = [
        RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user,  # another region's
        board,  # the PCT's own board
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user,  # another PCT's board
        UserFactory(),  # signed in, with no role (a panel member has none)
    ]
    answers = [
        getattr(client_for(user), method)(
            url(submitted), {"reason": REASON, "version": submitted.version, "confirm": "1"}
        ).status_code
        for user in outsiders
    ]

    assert answers == [404, 404, 404, 404]
    assert StageChange.objects.filter(to_stage=Stage.SELF_ASSESSMENT).count() == 0
    assert Assessment.objects.get().stage == Stage.PANEL_FORMATION


def test_send_back_sends_the_logged_out_to_login(submitted):
    response = Client().get(url(submitted))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_send_back_blank_reason_shows_the_error_summary_linked_to_the_field(submitted, staff):
    response = client_for(staff).post(url(submitted), {"reason": " ", "version": 1})

    assert response.templates[0].name == "assessments/send_back.html"
    assert summary_entries(response.context["form"]) == [
        ("#id_reason", "What the board should correct: Say what the board should correct.")
    ]
    assert "<title>Error: Send the self-assessment back" in response.content.decode()
    assert Assessment.objects.get().stage == Stage.PANEL_FORMATION


def test_send_back_too_long_reason_is_given_back_whole(submitted, staff):
    typed = "x" * 1200
    response = client_for(staff).post(url(submitted), {"reason": typed, "version": 1})

    assert summary_entries(response.context["form"]) == [
        (
            "#id_reason",
            "What the board should correct: Keep the reason to 1,000 characters or fewer "
            "(it has 1200).",
        )
    ]
    assert f"> {typed}</textarea>" in text(response)
    assert "maxlength" not in response.content.decode()


@time_machine.travel(AFTER)
def test_send_back_check_page_says_what_happens_and_who_is_told(submitted, staff):
    RoleFactory(
        kind=Role.Kind.PCT_BOARD,
        pct=submitted.pct,
        user__first_name="Bea",
        user__last_name="Board",
        user__username="bea",
    )
    response = client_for(staff).post(
        url(submitted), {"reason": REASON, "version": submitted.version}
    )

    assert response.templates[0].name == "confirm.html"
    assert response.context["happens"] == [
        "The board's self-assessment goes back to it as a draft, its ratings, commentaries "
        "and evidence kept: the board can change it and submit it again.",
        f"{submitted.pct.name} moves back from panel formation to self-assessment, with your "
        f"reason in its history: {REASON}",
        "The panel's seats stay as they are, but the panel cannot open scoring until the board "
        "has submitted its self-assessment again.",
        "The board is asked to resubmit by 20 October 2009, the self-assessment deadline.",
    ]
    board_names = [
        r.user.get_full_name() or r.user.username
        for r in Role.objects.filter(kind=Role.Kind.PCT_BOARD).order_by("user__username")
    ]
    assert response.context["told"] == (
        f"The board's members ({', '.join(board_names)}) are e-mailed your name, your reason, "
        "the link to the self-assessment and the deadline."
    )
    assert dict(response.context["carry"]) == {
        "reason": REASON,
        "version": str(submitted.version),
    }
    assert Assessment.objects.get().stage == Stage.PANEL_FORMATION  # nothing yet


def test_send_back_check_page_says_nobody_is_told_without_a_board_account(assessment, staff):
    self_assessment_save(
        assessment=assessment,
        values=values(assessment),
        commentary="",
        by=staff,
        expected_version=0,
        submit=True,
    )
    assessment.refresh_from_db()

    response = client_for(staff).post(
        url(assessment), {"reason": REASON, "version": assessment.version}
    )

    assert response.context["told"] == (
        "Nobody: the board has no active account with an e-mail address. Tell it yourself."
    )


def test_go_back_from_the_check_page_keeps_the_reason(submitted, staff):
    client = client_for(staff)
    check = client.post(url(submitted), {"reason": REASON, "version": submitted.version})

    back = client.get(check.context["back"])

    assert back.context["form"].initial["reason"] == REASON
    assert f"> {REASON}</textarea>" in text(back)


@time_machine.travel(AFTER)
def test_confirming_sends_it_back_and_emails_the_board(
    submitted, staff, board, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(staff).post(
            url(submitted),
            {"reason": REASON, "version": submitted.version, "confirm": "1"},
            follow=True,
        )

    assert response.redirect_chain == [(page_url(submitted), 302)]
    assert messages_of(response) == [
        f"The self-assessment of {submitted.pct.name} is back with its board; the board has "
        "been e-mailed."
    ]
    assert Assessment.objects.get().stage == Stage.SELF_ASSESSMENT
    assert SelfAssessment.objects.get().status == SelfAssessment.Status.DRAFT
    assert list(
        StageChange.objects.filter(to_stage=Stage.SELF_ASSESSMENT).values_list(
            "from_stage", "changed_by", "note"
        )
    ) == [(Stage.PANEL_FORMATION, staff.pk, REASON)]
    assert [m.to for m in mailoutbox] == [[board.email]]


def test_the_national_team_may_send_it_back(submitted):
    national = RoleFactory(kind=Role.Kind.NATIONAL).user

    client_for(national).post(
        url(submitted), {"reason": REASON, "version": submitted.version, "confirm": "1"}
    )

    assert Assessment.objects.get().stage == Stage.SELF_ASSESSMENT


def test_confirming_a_stale_page_keeps_the_reason_and_says_why(submitted, staff):
    stale = submitted.version
    Assessment.objects.filter(pk=submitted.pk).update(version=stale + 1)

    response = client_for(staff).post(
        url(submitted), {"reason": REASON, "version": stale, "confirm": "1"}
    )

    assert response.templates[0].name == "assessments/send_back.html"
    assert summary_entries(response.context["form"]) == [
        (
            "#id_reason",
            f"What the board should correct: {submitted} was changed by someone else since "
            "you opened it; check it again.",
        )
    ]
    assert response.context["form"]["version"].value() == stale + 1
    assert f"> {REASON}</textarea>" in text(response)
    assert Assessment.objects.get().stage == Stage.PANEL_FORMATION


@pytest.mark.parametrize("method", ["get", "post"])
def test_once_scoring_has_opened_the_page_says_why_not(submitted, staff, method):
    Assessment.objects.filter(pk=submitted.pk).update(stage=Stage.SCORING)

    response = getattr(client_for(staff), method)(
        url(submitted),
        {"reason": REASON, "version": submitted.version, "confirm": "1"},
        follow=True,
    )

    assert response.redirect_chain == [(page_url(submitted), 302)]
    assert messages_of(response) == [
        f"{submitted.pct.name} is at Scoring: its panel has opened scoring on the "
        "self-assessment, which can no longer be sent back to the board."
    ]
    assert "send-back/" not in response.content.decode()
    assert Assessment.objects.get().stage == Stage.SCORING


# --- The self-assessment page: the link for staff, the reason for the board -------------------


def test_staff_reading_the_submitted_self_assessment_see_the_link(submitted, staff):
    response = client_for(staff).get(page_url(submitted))

    assert response.context["may_send_back"] is True
    assert f'href="{url(submitted)}"' in response.content.decode()


def test_the_board_and_other_staff_get_no_link(submitted, board):
    answers = [
        client_for(user).get(page_url(submitted)).content.decode()
        for user in (board, RoleFactory(kind=Role.Kind.NATIONAL).user)
    ]

    assert [f'href="{url(submitted)}"' in page for page in answers] == [False, True]


@time_machine.travel(AFTER)
def test_the_board_sees_the_reason_above_its_form_and_can_change_it(submitted, staff, board):
    client_for(staff).post(
        url(submitted),
        {"reason": "Level 1 for c2.\nAnd the right file.", "version": submitted.version},
    )
    client_for(staff).post(
        url(submitted),
        {
            "reason": "Level 1 for c2.\nAnd the right file.",
            "version": submitted.version,
            "confirm": "1",
        },
    )

    response = client_for(board).get(page_url(submitted))

    assert response.context["editable"] is True
    assert response.context["sent_back"].note == "Level 1 for c2.\nAnd the right file."
    page = text(response)
    assert "Sam Lee sent this self-assessment back on 5 October 2009" in page
    assert (
        '<blockquote class="mb-2" data-test="sent-back-reason">Level 1 for c2.<br>'
        "And the right file.</blockquote>"
    ) in page
    assert "Please resubmit by 20 October 2009." in page
    assert page.index('data-test="sent-back"') < page.index('id="self-assessment"')


def test_staff_read_the_reason_as_said_to_the_board(submitted, staff):
    client = client_for(staff)
    client.post(url(submitted), {"reason": REASON, "version": submitted.version, "confirm": "1"})

    page = text(client.get(page_url(submitted)))

    assert f'data-test="sent-back-reason">{REASON}</blockquote>' in page
    assert "The board's answers and evidence are kept for it to correct and submit again" in page
    assert "Your answers and evidence are kept" not in page


@time_machine.travel(AFTER)
def test_the_board_home_lists_the_self_assessment_as_waiting_again(submitted, staff, board):
    home_before = text(client_for(board).get("/"))
    client_for(staff).post(
        url(submitted), {"reason": REASON, "version": submitted.version, "confirm": "1"}
    )

    home_after = text(client_for(board).get("/"))

    item = f"{submitted.pct.name}: Round 2009-10"
    assert "self-assessment to submit" not in home_before
    assert item in home_after
    # Walk R: it read as any self-assessment due.
    assert "self-assessment sent back to you to correct and submit again" in home_after
    assert "Draft: continue" in home_after


def test_no_reason_is_shown_on_a_draft_never_sent_back(assessment, board):
    self_assessment_save(
        assessment=assessment, values={}, commentary="", by=board, expected_version=0
    )

    response = client_for(board).get(page_url(assessment))

    assert response.context["sent_back"] is None
    assert 'data-test="sent-back"' not in response.content.decode()


# --- The board's check page before submitting lists the evidence ------------------------------


def test_check_before_submitting_lists_the_evidence_with_sizes(assessment, board, media):
    evidence_upload(
        assessment=assessment,
        doc_type="financial_strategy",
        title="Financial strategy",
        file=SimpleUploadedFile("strategy.pdf", PDF),
        by=board,
    )
    evidence_upload(
        assessment=assessment,
        doc_type="other",
        title="Board minutes",
        file=SimpleUploadedFile("minutes.txt", b"x" * 2048),
        by=board,
    )
    data = {"version": "0", "action": "submit", "commentary": "", "confirm": "on"}
    data |= {c.code: "2" for c in assessment.round.framework.competencies.all()}
    data |= {a.code: "amber" for a in assessment.round.framework.governance_areas.all()}

    response = client_for(board).post(page_url(assessment), data)

    assert response.templates[0].name == "assessments/self_assessment_confirm.html"
    assert [(d.title, size) for d, size in response.context["evidence"]] == [
        ("Financial strategy", len(PDF)),
        ("Board minutes", 2048),
    ]
    listed = re.findall(r'<li data-test="evidence-document">(.*?)</li>', text(response))
    assert [re.sub(r"<[^>]+>", "", item) for item in listed] == [
        f"Financial strategy (Financial strategy, {len(PDF)} bytes)",
        "Board minutes (Other, 2.0 KB)",
    ]
    assert Assessment.objects.get().stage == Stage.SELF_ASSESSMENT  # not submitted yet


def test_check_before_submitting_says_when_there_is_no_evidence(assessment, board):
    data = {"version": "0", "action": "submit", "commentary": "", "confirm": "on"}
    data |= {c.code: "2" for c in assessment.round.framework.competencies.all()}
    data |= {a.code: "amber" for a in assessment.round.framework.governance_areas.all()}

    response = client_for(board).post(page_url(assessment), data)

    assert response.context["evidence"] == []
    assert "No documents have been uploaded." in text(response)
