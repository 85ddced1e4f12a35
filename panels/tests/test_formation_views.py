"""Panel formation pages, the panel's page and its history: personas, refusals, queries."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from assessments.form_errors import summary_entries
from assessments.models import Role, Stage
from panels.models import JobRole, Panel, Seat, SeatChange
from panels.services.formation import panel_seats_set
from panels.tests.formation_builders import build_region, person
from tests.factories import (
    PCTFactory,
    RatingChangeFactory,
    RoleFactory,
    SeatChangeFactory,
    StageChangeFactory,
    UserFactory,
)
from tests.mail import given_up

pytestmark = pytest.mark.django_db


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def national():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


def url(region, page=""):
    base = f"/panels/{region.round.slug}/{region.pct.ods_code}/"
    return base + (f"{page}/" if page else "")


def holders(region):
    return {
        s.seat_type.number: s.person
        for s in Seat.objects.filter(panel__assessment=region.assessment).select_related(
            "seat_type", "person"
        )
    }


def seats_post(region, version=1, **overrides):
    data = {"version": str(version)}
    data |= {f"seat_{n}": str(p.pk) for n, p in region.people.items()}
    return data | overrides


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- Who may open the formation pages ------------------------------------------------------


def test_formation_panel_for_staff_of_the_pcts_sha_offers_only_eligible_people(client):
    region = build_region()
    person(JobRole.MEDICAL_DIRECTOR, pct=region.pct, name="Own Medic")  # own PCT: never offered
    client.force_login(staff_of(region.sha_a))

    response = client.get(url(region, "formation"))

    assert response.status_code == 200
    choices = response.context["form"].fields["seat_2"].widget.choices
    assert choices == [
        ("", "— Nobody yet —"),
        (region.people[2].pk, "Bob Medic — Medical Director, Neighbour PCT (0 panels this round)"),
    ]
    assert [c[1] for c in response.context["form"].fields["seat_5"].widget.choices] == [
        "— Nobody yet —",
        "Eve Chief — Chief Executive, Far PCT (0 panels this round)",
    ]


def test_formation_panel_is_404_for_staff_of_another_sha_and_outsiders(client):
    region = build_region()
    for user in (staff_of(region.sha_b), UserFactory(), region.people[1].user):
        client.force_login(user)
        assert client.get(url(region, "formation")).status_code == 404


def test_formation_panel_for_the_national_team_accepts_a_lower_case_code(client):
    region = build_region()
    client.force_login(national())

    response = client.get(f"/panels/{region.round.slug}/{region.pct.ods_code.lower()}/formation/")

    assert response.context["assessment"] == region.assessment


def test_formation_panel_saves_all_five_seats(client):
    region = build_region()
    client.force_login(staff_of(region.sha_a))

    response = client.post(url(region, "formation"), seats_post(region))

    assert response.status_code == 302
    assert response["Location"] == url(region, "formation")
    assert holders(region) == region.people
    assert Panel.objects.get(assessment=region.assessment).version == 2


def test_formation_panel_refuses_an_ineligible_person_posted_directly(client):
    region = build_region()
    chief = person(JobRole.CHIEF_EXECUTIVE, pct=region.other_pct_a, name="Yan Chief")
    client.force_login(staff_of(region.sha_a))

    response = client.post(url(region, "formation"), seats_post(region, seat_2=str(chief.pk)))

    assert response.status_code == 200
    message = (
        "Seat 2 (PEC chair or medical director of another PCT): Yan Chief (chief executive, "
        "Neighbour PCT) is not eligible; this seat takes a professional executive committee "
        "chair or medical director."
    )
    assert response.context["form"].errors == {"seat_2": [message]}
    page = text(response)
    escaped = message.replace("'", "&#x27;")
    assert page.count(escaped) == 2  # in the summary at the top and beside the field
    # the seat is named once in the summary, not as its label and again in the message
    assert summary_entries(response.context["form"]) == [("#id_seat_2", message)]
    assert "<title>Error: " in page
    assert holders(region) == {n: None for n in range(1, 6)}  # nothing saved


@pytest.mark.parametrize("posted", ["99999999999999999999", "-1", "0"])
def test_formation_panel_refuses_an_id_that_is_nobody_posted_directly(client, posted):
    """The bad-input walk: a 20-digit id was an OverflowError (a 500) on SQLite."""
    region = build_region()
    client.force_login(staff_of(region.sha_a))

    response = client.post(url(region, "formation"), seats_post(region, seat_2=posted))

    assert response.status_code == 200
    assert response.context["form"].errors == {"seat_2": ["Seat 2: there is no such person."]}
    assert not any(holders(region).values())  # nothing saved


def test_formation_panel_second_of_two_saves_keeps_the_seats_chosen(client):
    region = build_region()
    client.force_login(staff_of(region.sha_a))
    colleague = Client()
    colleague.force_login(staff_of(region.sha_a))
    # Both open the form at version 1; the colleague saves first.
    assert client.get(url(region, "formation")).context["form"].initial["version"] == 1
    colleague.post(url(region, "formation"), seats_post(region))
    other = person(JobRole.PEC_CHAIR, pct=region.other_pct_a)

    response = client.post(url(region, "formation"), seats_post(region, seat_2=str(other.pk)))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors()[0].startswith(
        "The panel's seats changed since you opened this page"
    )
    # What this user chose stays chosen, against the stored version: saving again replaces
    # the colleague's save knowingly.
    assert (form["seat_2"].value(), form["version"].value()) == (str(other.pk), "2")
    assert "There is a problem" in response.content.decode()
    assert holders(region) == region.people
    client.post(url(region, "formation"), form.data)
    assert holders(region)[2] == other


def test_formation_panel_refuses_changes_once_scoring_has_opened(client):
    region = build_region(stage=Stage.SCORING)
    region.seated()
    other = person(JobRole.PEC_CHAIR, pct=region.other_pct_a)
    client.force_login(staff_of(region.sha_a))

    page = client.get(url(region, "formation"))
    response = client.post(
        url(region, "formation"), seats_post(region, seat_2=str(other.pk)), follow=True
    )

    assert page.context["editable"] is False
    assert [str(m) for m in response.context["messages"]] == [
        "Seats can be changed only at self-assessment or panel formation; the assessment of "
        "Assessed PCT is at Scoring, so its panel is fixed."
    ]
    assert holders(region) == region.people


def test_formation_panel_shows_the_reciprocal_warning(client):
    region = build_region()
    region.seated()
    far = region.assessment_in(region.round, pct=region.pct_b)
    Seat.objects.create(
        panel=Panel.objects.create(assessment=far),
        seat_type=region.seat_types[5],
        person=person(JobRole.CHIEF_EXECUTIVE, pct=region.pct, name="Gus Home"),
    )
    client.force_login(staff_of(region.sha_a))

    response = client.get(url(region, "formation"))

    assert [w.message for w in response.context["page"].warnings] == [
        "Gus Home (chief executive of Assessed PCT) sits on the panel of Far PCT, whose chief "
        "executive Eve Chief sits on the panel of Assessed PCT: they assess each other's PCT "
        "this round."
    ]
    assert "Gus Home (chief executive of Assessed PCT) sits on the panel" in text(response)


# --- The region list ------------------------------------------------------------------------


def panel_version(region) -> int:
    return Panel.objects.get(assessment=region.assessment).version


def region_url(region, query=""):
    return f"/panels/{region.round.slug}/formation/{query}"


def test_formation_region_lists_the_staffs_own_pcts(client):
    region = build_region()
    region.seated()
    second = region.assessment_in(region.round, pct=PCTFactory(sha=region.sha_a, name="B PCT"))
    region.assessment_in(region.round, pct=region.pct_b)  # another region
    client.force_login(staff_of(region.sha_a))

    response = client.get(region_url(region))

    rows = response.context["overview"].rows
    assert [(r.assessment, r.filled, r.can_open_scoring) for r in rows] == [
        (region.assessment, 5, True),
        (second, 0, False),
    ]
    assert 'data-test="filled">5/5<' in response.content.decode()


def test_formation_region_national_sees_a_summary_by_region_and_filters_by_sha(client):
    region = build_region()
    far = region.assessment_in(region.round, pct=region.pct_b)
    client.force_login(national())

    everything = client.get(region_url(region))
    filtered = client.get(region_url(region, f"?sha={region.sha_b.ods_code.lower()}"))

    assert "overview" not in everything.context
    assert [(s, c.pcts) for s, c in everything.context["regions"]] == [
        (region.sha_a, 1),
        (region.sha_b, 1),
    ]
    assert [r.assessment for r in filtered.context["overview"].rows] == [far]


def test_formation_region_is_404_outside_the_users_scope(client):
    region = build_region()
    client.force_login(staff_of(region.sha_a))
    assert client.get(region_url(region, f"?sha={region.sha_b.ods_code}")).status_code == 404
    assert client.get(region_url(region, "?sha=ZZZ")).status_code == 404
    assert client.get("/panels/1999-00/formation/").status_code == 404
    client.force_login(UserFactory())
    assert client.get(region_url(region)).status_code == 404


def test_formation_region_staff_may_name_their_own_sha(client):
    region = build_region()
    client.force_login(staff_of(region.sha_a))

    response = client.get(region_url(region, f"?sha={region.sha_a.ods_code}"))

    assert [r.assessment for r in response.context["overview"].rows] == [region.assessment]


def test_formation_region_shows_the_reciprocal_warning(client):
    region = build_region()
    region.seated()
    far = region.assessment_in(region.round, pct=region.pct_b)
    Seat.objects.create(
        panel=Panel.objects.create(assessment=far),
        seat_type=region.seat_types[5],
        person=person(JobRole.CHIEF_EXECUTIVE, pct=region.pct, name="Gus Home"),
    )
    client.force_login(staff_of(region.sha_a))

    response = client.get(region_url(region))

    assert response.context["overview"].rows[0].warnings == [
        "Gus Home (chief executive of Assessed PCT) sits on the panel of Far PCT, whose chief "
        "executive Eve Chief sits on the panel of Assessed PCT: they assess each other's PCT "
        "this round."
    ]
    assert text(response).count('data-test="row-warning"') == 1


# --- Copy from the previous round and open scoring ------------------------------------------


def test_copy_previous_seats_last_years_panel(client):
    region = build_region()
    region.last_years_panel()
    region.people[4].job_role = JobRole.OTHER
    region.people[4].save(update_fields=["job_role"])
    client.force_login(staff_of(region.sha_a))

    response = client.post(url(region, "copy-previous"), follow=True)

    assert holders(region) == region.people | {4: None}
    assert [str(m) for m in response.context["messages"]] == [
        "Seated 4 members of 2008-09's panel again; the seats are saved. Change any of them below.",
        "Not copied: Seat 4 (International reviewer): Dan Outside (other, Kaiser Permanente) "
        "is not eligible; this seat takes an executive director (outside the NHS).",
    ]


def test_copy_previous_over_seats_already_saved_asks_first_naming_each(client):
    """The SHA walk: Copy replaced three members chosen and saved a minute before, without
    a word."""
    region = build_region()
    region.last_years_panel()
    chosen = person(
        JobRole.MEDICAL_DIRECTOR,
        pct=region.other_pct_a,
        name="Zoe Chosen",
        title="Medical Director",
    )
    now = Panel.objects.create(assessment=region.assessment)
    Seat.objects.create(panel=now, seat_type=region.seat_types[2], person=chosen)
    client.force_login(staff_of(region.sha_a))

    check = client.post(url(region, "copy-previous"))

    assert check.context["button"] == "Confirm and copy the panel of 2008-09"
    # Every seat it changes, in order: the seats with no row yet are named as the empty
    # seats they are (they were left out when the panel had only some rows).
    assert check.context["happens"][:2] == [
        "Seat 1 (Local SHA director (chair)): empty, is filled by Ann Chair.",
        "Seat 2 (PEC chair or medical director of another PCT): Zoe Chosen is replaced by "
        "Bob Medic.",
    ]
    assert holders(region)[2] == chosen  # asking changes nothing
    client.post(url(region, "copy-previous"), dict(check.context["carry"]) | {"confirm": "1"})
    assert holders(region) == region.people


def test_copy_previous_names_seats_chosen_and_not_saved_and_go_back_shows_them(client):
    """The SHA walk: a seat chosen on the page and not saved was lost by Copy, then "Go
    back". The Copy button belongs to the seats form, so the choices come with it."""
    region = build_region()
    region.last_years_panel()
    chosen = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Zoe Chosen")
    typed = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Yan Typed")
    now = Panel.objects.create(assessment=region.assessment)
    Seat.objects.create(panel=now, seat_type=region.seat_types[2], person=chosen)
    client.force_login(staff_of(region.sha_a))
    page = client.get(url(region, "formation"))
    assert re.search(r'form="seats-form" formaction="[^"]*/copy-previous/"', text(page))
    seat_2 = page.context["form"]["seat_2"].html_name

    check = client.post(
        url(region, "copy-previous"), {"version": str(now.version), seat_2: str(typed.pk)}
    )

    assert check.context["happens"][1] == (  # said with its seat's change
        "Seat 2 (PEC chair or medical director of another PCT): Zoe Chosen is replaced by "
        "Bob Medic. Your choice of Yan Typed, not saved, is not kept."
    )
    assert holders(region)[2] == chosen  # asking changes nothing
    assert client.get(url(region, "formation")).context["form"]["seat_2"].value() == chosen.pk
    back = client.get(check.context["back"])  # "Go back"
    assert back.context["form"]["seat_2"].value() == str(typed.pk)
    assert client.get(url(region, "formation")).context["form"]["seat_2"].value() == chosen.pk
    # Confirmed, the copy replaces them: a later visit shows the copy, not the old choice.
    client.post(url(region, "copy-previous"), {"version": str(now.version), seat_2: str(typed.pk)})
    client.post(url(region, "copy-previous"), dict(check.context["carry"]) | {"confirm": "1"})
    assert holders(region) == region.people
    again = client.get(url(region, "formation"))
    assert again.context["form"]["seat_2"].value() == region.people[2].pk


def test_copy_previous_confirmed_after_a_colleague_changed_the_seats_asks_again(client):
    """The confirmation carries the panel's version: a seat chosen in another window
    between the check page and the confirmation is not copied over unseen."""
    region = build_region()
    region.last_years_panel()
    chosen = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Zoe Chosen")
    later = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Yan Later")
    now = Panel.objects.create(assessment=region.assessment)
    Seat.objects.create(panel=now, seat_type=region.seat_types[2], person=chosen)
    client.force_login(staff_of(region.sha_a))
    check = client.post(url(region, "copy-previous"))
    panel_seats_set(panel=now, people={2: later}, by=None, expected_version=now.version)

    again = client.post(
        url(region, "copy-previous"), dict(check.context["carry"]) | {"confirm": "1"}
    )

    assert holders(region)[2] == later  # nothing copied
    assert [str(m) for m in again.context["messages"]] == [
        "The panel changed since you checked it (its seats were saved in another window): "
        "nothing was copied. Check what copying would replace again."
    ]
    # Every seat that changes is named: the saved one replaced, and the empty ones filled
    # (the SHA walk: seats filled from last year were never named).
    assert again.context["happens"][:2] == [
        "Seat 1 (Local SHA director (chair)): empty, is filled by Ann Chair.",
        "Seat 2 (PEC chair or medical director of another PCT): Yan Later is replaced by "
        "Bob Medic.",
    ]
    client.post(url(region, "copy-previous"), dict(again.context["carry"]) | {"confirm": "1"})
    assert holders(region) == region.people


def test_copy_previous_is_404_for_staff_of_another_sha(client):
    region = build_region()
    client.force_login(staff_of(region.sha_b))

    assert client.post(url(region, "copy-previous")).status_code == 404


def test_open_scoring_advances_and_mails_every_member(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    region = build_region()
    region.seated()
    client.force_login(staff_of(region.sha_a))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(region, "open-scoring"),
            {"next": region_url(region), "confirm": "1", "version": str(panel_version(region))},
        )

    assert response["Location"] == region_url(region)
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.SCORING
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in region.people.values())


def test_open_scoring_first_shows_the_panel_and_who_is_told(client, mailoutbox):
    region = build_region()
    region.seated()
    client.force_login(staff_of(region.sha_a))

    response = client.post(url(region, "open-scoring"), {"next": region_url(region)})

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Open scoring for {region.pct.name}?" in page
    for number, holder in region.people.items():
        seat = f"seat {number} ({region.seat_types[number].name}): {holder.full_name}"
        assert escape(seat) in page
    assert "Every member is e-mailed the deadline" in page
    assert f'name="next" value="{region_url(region)}"' in page  # "Go back" and the confirm
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION
    assert mailoutbox == []


def test_open_scoring_confirmed_after_the_seats_changed_shows_the_check_again(client, mailoutbox):
    """The check page listed one panel; another window saved other seats before the
    confirmation: scoring does not open, and the check page lists the panel as it is."""
    region = build_region()
    region.seated()
    client.force_login(staff_of(region.sha_a))
    check = client.post(url(region, "open-scoring"))
    seen = dict(check.context["carry"])["version"]
    other = person(JobRole.PEC_CHAIR, pct=region.other_pct_a, name="Olive Other")
    colleague = Client()
    colleague.force_login(staff_of(region.sha_a))
    colleague.post(url(region, "formation"), seats_post(region, seat_2=str(other.pk)))

    response = client.post(
        url(region, "open-scoring"), {"confirm": "1", "version": seen, "next": ""}
    )

    assert response.status_code == 200
    assert next(str(m) for m in response.context["messages"]).startswith(
        "The panel changed since you checked it"
    )
    assert "Olive Other" in response.content.decode()  # the check as the panel now is
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION
    assert mailoutbox == []


def test_save_the_seats_and_open_scoring_saves_what_was_chosen_then_checks(client, mailoutbox):
    """Seats chosen but not saved are saved first (nothing chosen is lost), then the check
    page lists them; nothing is sent until the confirmation."""
    region = build_region()
    client.force_login(staff_of(region.sha_a))

    check = client.post(url(region, "formation"), seats_post(region) | {"action": "open"})

    assert check.context["button"] == "Confirm and open scoring"
    assert check.context["action"] == url(region, "open-scoring")  # not the seats form's
    assert holders(region) == region.people
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION
    assert mailoutbox == []
    client.post(url(region, "open-scoring"), dict(check.context["carry"]) | {"confirm": "1"})
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.SCORING


def test_open_scoring_refused_while_a_seat_is_empty(client, mailoutbox):
    region = build_region()
    panel = region.seated()
    Seat.objects.filter(panel=panel, seat_type__number=4).update(person=None)
    client.force_login(staff_of(region.sha_a))

    response = client.post(url(region, "open-scoring"))

    # The panel's page, the refusal on the empty seat and linked from the error summary.
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page and "Scoring did not open" in page
    assert summary_entries(response.context["form"]) == [
        (
            "#id_seat_4",
            "Seat 4 (International reviewer): choose someone. Scoring opens only when every "
            "seat is filled.",
        )
    ]
    assert response.context["form"]["seat_1"].value() == str(region.people[1].pk)
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION
    assert mailoutbox == []


def test_open_scoring_ignores_a_next_url_on_another_site(client):
    region = build_region()
    region.seated()
    client.force_login(national())

    response = client.post(
        url(region, "open-scoring"),
        {"next": "https://evil.example/", "confirm": "1", "version": str(panel_version(region))},
    )

    assert response["Location"] == url(region, "formation")


def test_open_scoring_is_404_for_outsiders_and_get_is_refused(client):
    region = build_region()
    region.seated()
    client.force_login(UserFactory())
    assert client.post(url(region, "open-scoring")).status_code == 404
    client.force_login(staff_of(region.sha_a))
    assert client.get(url(region, "open-scoring")).status_code == 405


# --- The panel's page and its history ----------------------------------------------------


@pytest.mark.parametrize("who", ["seat holder", "staff", "national"])
def test_panel_detail_lists_members_and_who_submitted(client, who):
    region = build_region(stage=Stage.SCORING)
    region.seated()
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=2).update(
        submitted_at=timezone.now()
    )
    user = {
        "seat holder": region.people[3].user,
        "staff": staff_of(region.sha_a),
        "national": national(),
    }[who]
    client.force_login(user)

    response = client.get(url(region))

    seats = response.context["seats"]
    assert [(s.seat_type.number, s.person) for s in seats] == sorted(region.people.items())
    assert response.context["submitted"] == 1
    page = text(response)
    assert "Bob Medic" in page and "Medical Director" in page and "Kaiser Permanente" in page
    assert page.count("Not submitted") == 4
    assert response.context["may_see_history"] is (who != "seat holder")


def test_panel_detail_is_404_for_staff_of_another_sha_and_outsiders(client):
    region = build_region()
    region.seated()
    for user in (staff_of(region.sha_b), UserFactory()):
        client.force_login(user)
        assert client.get(url(region)).status_code == 404


def test_history_lists_rating_and_stage_changes_newest_first(client):
    region = build_region(stage=Stage.SCORING)
    now = timezone.now()
    staff = staff_of(region.sha_a)
    staff.first_name, staff.last_name = "Sam", "Staff"
    staff.save()
    stage = StageChangeFactory(
        assessment=region.assessment,
        from_stage=Stage.PANEL_FORMATION,
        to_stage=Stage.SCORING,
        changed_by=staff,
        changed_at=now - timedelta(days=2),
        note="Scoring opened.",
    )
    rating = RatingChangeFactory(
        assessment=region.assessment, changed_at=now - timedelta(days=1), note="Why."
    )
    client.force_login(staff)

    response = client.get(url(region, "history"))

    entries = response.context["entries"]
    assert [(e.kind, e.item, e.old, e.new, e.source, e.note) for e in entries] == [
        ("rating", str(rating.competency), "", "2", "Panel consensus", "Why."),
        ("stage", "Stage", "Panel formation", "Scoring", "Stage change", "Scoring opened."),
    ]
    assert entries[1].who == stage.changed_by
    assert "Sam Staff" in text(response)


def test_history_lists_seat_changes_beside_rating_changes(client):
    region = build_region(stage=Stage.SCORING)
    panel = region.seated()
    now = timezone.now()
    seat = Seat.objects.get(panel=panel, seat_type__number=2)
    SeatChangeFactory(
        seat=seat,
        how=SeatChange.How.FORMATION,
        old_person=region.people[3],
        new_person=region.people[2],
        changed_at=now - timedelta(days=2),
    )
    rating = RatingChangeFactory(assessment=region.assessment, changed_at=now - timedelta(days=1))
    client.force_login(staff_of(region.sha_a))

    response = client.get(url(region, "history"))

    entries = response.context["entries"]
    assert [(e.kind, e.item, e.old, e.new, e.source) for e in entries] == [
        ("rating", str(rating.competency), "", "2", "Panel consensus"),
        ("seat", str(seat.seat_type), "Cat Services", "Bob Medic", "Set by panel formation"),
    ]
    assert "Cat Services → Bob Medic" in text(response)


def test_history_is_404_for_seat_holders_other_staff_and_outsiders(client):
    region = build_region()
    region.seated()
    for user in (region.people[2].user, staff_of(region.sha_b), UserFactory()):
        client.force_login(user)
        assert client.get(url(region, "history")).status_code == 404


def test_history_for_the_national_team(client):
    region = build_region()
    StageChangeFactory(assessment=region.assessment)
    client.force_login(national())

    response = client.get(url(region, "history"))

    assert [e.kind for e in response.context["entries"]] == ["stage"]


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("pcts", [1, 3])
def test_formation_region_queries_do_not_grow_with_pcts(client, django_assert_num_queries, pcts):
    region = build_region()
    region.seated()
    for i in range(pcts - 1):
        extra = region.assessment_in(region.round, pct=PCTFactory(sha=region.sha_a))
        panel = Panel.objects.create(assessment=extra)
        for number, seat_type in region.seat_types.items():
            Seat.objects.create(
                panel=panel, seat_type=seat_type, person=region.people[number] if i else None
            )
    client.force_login(staff_of(region.sha_a))

    with django_assert_num_queries(11):
        response = client.get(region_url(region))

    assert len(response.context["overview"].rows) == pcts


@pytest.mark.parametrize("people", [1, 3])
def test_formation_panel_queries_do_not_grow_with_people(client, django_assert_num_queries, people):
    region = build_region()
    region.seated()
    for _ in range(people - 1):
        for p in region.people.values():
            where = {"sha": p.sha, "external": p.external_organisation, "pct": p.pct}
            person(p.job_role, **{k: v for k, v in where.items() if v is not None})
    client.force_login(staff_of(region.sha_a))

    with django_assert_num_queries(13):
        response = client.get(url(region, "formation"))

    assert [len(v) for v in response.context["page"].eligible.values()] == [people] * 5


def test_open_scoring_is_saved_and_redirects_when_the_mail_server_fails(
    client, settings, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.mail.BrokenBackend"
    region = build_region()
    region.seated()
    client.force_login(staff_of(region.sha_a))

    # The on-commit callbacks (queueing, and with the tests' immediate backend, sending)
    # run on leaving the block: a failure there would escape as the request's error.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(region, "open-scoring"),
            {"next": region_url(region), "confirm": "1", "version": str(panel_version(region))},
        )

    assert (response.status_code, response["Location"]) == (302, region_url(region))
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.SCORING
    assert mailoutbox == []
    assert given_up(caplog) == sorted(p.email for p in region.people.values())


@pytest.mark.parametrize("changes", [1, 3])
def test_history_queries_do_not_grow_with_changes(client, django_assert_num_queries, changes):
    region = build_region()
    panel = region.seated()
    seats = list(Seat.objects.filter(panel=panel).order_by("seat_type__number"))
    for i in range(changes):
        RatingChangeFactory(assessment=region.assessment)
        StageChangeFactory(assessment=region.assessment)
        SeatChangeFactory(seat=seats[i], old_person=None, new_person=region.people[i + 1])
    client.force_login(staff_of(region.sha_a))

    with django_assert_num_queries(9):
        response = client.get(url(region, "history"))

    assert len(response.context["entries"]) == 3 * changes


def test_a_post_without_the_seat_fields_leaves_the_seats_as_they_are(client):
    """Only a seat posted as "Nobody yet" (empty) is emptied; one not posted at all keeps
    its holder (a form posted from elsewhere must never empty a panel)."""
    region = build_region()
    region.seated()
    client.force_login(staff_of(region.sha_a))

    client.post(url(region, "formation"), {"version": "1", "seat_2": ""})

    assert holders(region) == {**region.people, 2: None}
