"""Deactivating a panel member while their panels are at work
(``panels.services.people.person_deactivate`` and its check page): the reason asked and
kept, and the chairs (or, for a chair, the region's SHA staff) e-mailed once each."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import Role, Stage
from panels.models import Panel, Person, PersonChange, Seat
from panels.selectors import assessment_history
from panels.services.people import person_deactivate, person_reactivate
from panels.tests.formation_builders import build_region
from tests.factories import PersonFactory, RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region(stage=Stage.SCORING)
    region.panel = region.seated()
    return region


@pytest.fixture
def staff():
    return UserFactory(first_name="Sam", last_name="Staff")


def second_panel(region, *, stage=Stage.CONSENSUS, name="Second PCT") -> Panel:
    """Another PCT of SHA Alpha whose panel holds the same five people."""
    from tests.factories import PCTFactory

    assessment = region.assessment_in(
        region.round, pct=PCTFactory(sha=region.sha_a, name=name), stage=stage
    )
    panel = Panel.objects.create(assessment=assessment)
    for number, seat_type in region.seat_types.items():
        Seat.objects.create(panel=panel, seat_type=seat_type, person=region.people[number])
    return panel


def deactivate(person: Person, *, by=None, reason="Left the NHS in June."):
    return person_deactivate(person=Person.objects.get(pk=person.pk), reason=reason, by=by)


def test_person_deactivate_keeps_the_reason_as_the_history_note(region, staff):
    deactivate(region.people[2], by=staff, reason="  Left the NHS in June.  ")

    change = PersonChange.objects.get(person=region.people[2])
    assert (change.action, change.note, change.changed_by) == (
        PersonChange.Action.DEACTIVATED,
        "Left the NHS in June.",
        staff,
    )
    shown = [e for e in assessment_history(assessment=region.assessment) if e.kind == "person"]
    assert [(e.change, e.note, e.who) for e in shown] == [
        ("Bob Medic deactivated", "Left the NHS in June.", staff)
    ]


@pytest.mark.parametrize("reason", ["", "   ", "\u200b", "x" * 1001])
def test_person_deactivate_refuses_no_reason_and_changes_nothing(
    region, mailoutbox, django_capture_on_commit_callbacks, reason
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as refused,
    ):
        deactivate(region.people[2], reason=reason)

    assert list(refused.value.message_dict) == ["reason"]
    region.people[2].refresh_from_db()
    region.people[2].user.refresh_from_db()
    assert (region.people[2].is_active, region.people[2].user.is_active) == (True, True)
    assert PersonChange.objects.count() == 0
    assert mailoutbox == []


def test_person_deactivate_emails_the_chair_once_listing_the_panels_that_wait(
    region, staff, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://wcc.example.nhs.uk"
    second = second_panel(region)
    done = second_panel(region, stage=Stage.SCORING, name="Done PCT")
    Seat.objects.filter(panel=done, seat_type__number=2).update(submitted_at=timezone.now())
    excused = second_panel(region, stage=Stage.SCORING, name="Excused PCT")
    Seat.objects.filter(panel=excused, seat_type__number=2).update(absence_reason="Ill.")
    second_panel(region, stage=Stage.MODERATION, name="Moderated PCT")

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(region.people[2], by=staff)

    assert [m.to for m in mailoutbox] == [[region.people[1].email]]
    body = " ".join(mailoutbox[0].body.split())
    assert mailoutbox[0].subject == "Bob Medic was deactivated: 2 panels you chair wait for them"
    assert body.startswith("Dear Ann Chair, Sam Staff has deactivated Bob Medic")
    assert "they can no longer log in" in body
    assert "Why: Left the NHS in June." in body
    ods, slug = region.pct.ods_code, region.round.slug
    assert f"- Assessed PCT ({ods}), {region.round.name}: seat 2 (" in body
    assert f"https://wcc.example.nhs.uk/panels/{slug}/{ods}/consensus/" in body
    assert f"- Second PCT ({second.assessment.pct.ods_code})" in body
    assert "at consensus" in body
    assert "Done PCT" not in body and "Excused PCT" not in body and "Moderated" not in body


def test_person_deactivate_emails_the_acting_chair_not_the_chair(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    region.panel.acting_chair = Seat.objects.get(panel=region.panel, seat_type__number=3)
    region.panel.save(update_fields=["acting_chair"])

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(region.people[2])

    assert [m.to for m in mailoutbox] == [[region.people[3].email]]
    assert mailoutbox[0].body.startswith("Dear Cat Services,")


def test_person_deactivate_of_the_chair_emails_the_regions_sha_staff(
    region, staff, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://wcc.example.nhs.uk"
    mine = RoleFactory(
        kind=Role.Kind.SHA_STAFF, sha=region.sha_a, user=UserFactory(first_name="Rae")
    ).user
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_b)  # another region's
    gone = UserFactory(is_active=False)
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a, user=gone)

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(region.people[1], by=staff)

    assert [m.to for m in mailoutbox] == [[mine.email]]
    body = " ".join(mailoutbox[0].body.split())
    assert mailoutbox[0].subject == (
        "Ann Chair was deactivated: hand the chair of 1 panel to another member"
    )
    assert body.startswith("Dear Rae")
    assert "Ann Chair chairs a panel of your region still at work" in body
    assert (
        f"Hand the chair on: https://wcc.example.nhs.uk/panels/{region.round.slug}/"
        f"{region.pct.ods_code}/chair/hand/" in body
    )


def test_person_deactivate_with_no_panel_waiting_emails_nobody(
    mailoutbox, django_capture_on_commit_callbacks
):
    region = build_region(stage=Stage.MODERATION)
    region.seated()

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(region.people[2])

    assert mailoutbox == []


# --- The check page ------------------------------------------------------------------------


def test_the_check_page_asks_a_reason_and_names_who_is_emailed(client, region):
    second_panel(region)
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user)

    check = client.post(f"/people/{region.people[2].pk}/deactivate/")

    page = check.content.decode()
    assert check.status_code == 200
    assert 'name="reason"' in page and 'data-test="error-summary"' not in page
    told = check.context["told"]
    assert told == (
        "Ann Chair, who chairs the panels of Assessed PCT and Second PCT, is e-mailed once "
        "that they wait for Bob Medic, with your reason: they can excuse them."
    )
    region.people[2].refresh_from_db()
    assert region.people[2].is_active


def test_the_check_page_is_confirm_html_with_the_reason_inside_its_form(client, region):
    """The check page extends the shared confirm.html (it copied its markup), filling its
    fields block: the reason is sent with the confirmation, and a refusal's error summary
    comes before the heading."""
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    refused = client.post(f"/people/{region.people[2].pk}/deactivate/", {"confirm": "1"})

    page = refused.content.decode()
    names = [template.name for template in refused.templates]
    assert names[:3] == ["panels/person_deactivate.html", "confirm.html", "base.html"]
    [form] = re.findall(
        r'<form method="post" action="/people/[0-9]+/deactivate/".*?</form>', page, re.S
    )
    assert 'data-test="deactivate-form"' in form
    assert form.index('name="reason"') < form.index('name="confirm" value="1"')
    assert form.index('name="confirm" value="1"') < form.index('data-test="confirm"')
    assert page.index('data-test="error-summary"') < page.index("<h1>Deactivate Bob Medic?</h1>")
    assert page.count('data-test="confirmation"') == 1


def test_the_check_page_of_a_chair_names_the_regions_staff(client, region):
    staff = RoleFactory(
        kind=Role.Kind.SHA_STAFF,
        sha=region.sha_a,
        user=UserFactory(first_name="Rae", last_name="Region"),
    ).user
    client.force_login(staff)

    check = client.post(f"/people/{region.people[1].pk}/deactivate/")

    assert check.context["told"] == (
        "Ann Chair chairs the panel of Assessed PCT: the region's SHA staff (Rae Region) are "
        "e-mailed, with your reason, to hand the chair to another member."
    )


def test_confirming_without_a_reason_keeps_what_was_typed_and_changes_nothing(client, region):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    typed = "Left. " + "x" * 1000

    response = client.post(
        f"/people/{region.people[2].pk}/deactivate/", {"confirm": "1", "reason": typed}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-test="error-summary"' in page and "Bob Medic was not deactivated." in page
    assert 'href="#id_reason"' in page
    assert "Keep the reason to 1,000 characters or fewer (it has 1006)." in page
    assert typed in page
    region.people[2].refresh_from_db()
    assert region.people[2].is_active
    assert PersonChange.objects.count() == 0


def test_confirming_with_a_reason_deactivates_and_says_who_was_emailed(
    client, region, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/people/{region.people[2].pk}/deactivate/",
            {"confirm": "1", "reason": "Left the NHS in June."},
            follow=True,
        )

    region.people[2].refresh_from_db()
    assert region.people[2].is_active is False
    assert PersonChange.objects.get().note == "Left the NHS in June."
    said = [str(m) for m in response.context["messages"]]
    assert said[0].endswith("The seats they hold are unchanged. Ann Chair has been e-mailed.")
    assert [m.to for m in mailoutbox] == [[region.people[1].email]]
    assert "Left the NHS in June." in response.content.decode()  # their history


def test_deactivating_someone_already_deactivated_is_refused_without_a_check_page(client, region):
    deactivate(region.people[2])
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post(f"/people/{region.people[2].pk}/deactivate/", follow=True)

    assert [str(m) for m in response.context["messages"]] == ["Bob Medic is already deactivated."]
    assert PersonChange.objects.count() == 1


def test_a_chair_deactivated_at_consensus_with_scores_in_still_holds_the_panel_up(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    """Walk W: the chair's scores were in, so the check page said nobody waited for them
    and nobody was e-mailed, though only the chair records consensus."""
    region.assessment.stage = Stage.CONSENSUS
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=timezone.now())
    mine = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(region.people[1], by=staff)

    assert [m.to for m in mailoutbox] == [[mine.email]]
    assert "hand the chair of 1 panel to another member" in mailoutbox[0].subject


def test_a_member_deactivated_at_consensus_with_scores_in_holds_nothing_up(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    region.assessment.stage = Stage.CONSENSUS
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        deactivate(region.people[2], by=staff)

    assert mailoutbox == []


@pytest.mark.django_db
def test_two_confirmations_from_copies_read_before_deactivate_once(mailoutbox):
    """Review X: the 'already deactivated' check read the copy the view loaded, so two
    confirmations (a double click, two tabs) wrote two history rows and sent the e-mails
    twice. The second is now refused, and reactivating likewise."""
    person = PersonFactory(full_name="Bob Medic")
    first, second = Person.objects.get(pk=person.pk), Person.objects.get(pk=person.pk)

    person_deactivate(person=first, reason="Left the NHS.", by=None)
    with pytest.raises(ValidationError, match="Bob Medic is already deactivated"):
        person_deactivate(person=second, reason="Left the NHS.", by=None)
    again_first, again_second = (Person.objects.get(pk=person.pk) for _ in range(2))
    person_reactivate(person=again_first, by=None)
    with pytest.raises(ValidationError, match="Bob Medic is already active"):
        person_reactivate(person=again_second, by=None)

    actions = list(
        PersonChange.objects.filter(person=person).order_by("pk").values_list("action", flat=True)
    )
    assert actions == [PersonChange.Action.DEACTIVATED, PersonChange.Action.REACTIVATED]
