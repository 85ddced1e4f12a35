"""The scoring, "my panels" and consensus pages: who may, what they see, what the server refuses."""

import datetime
import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from assessments.form_errors import summary_entries
from assessments.models import AgreedRating, Assessment, RatingChange, Role, Stage
from panels.models import MemberScore, Panel, Seat
from panels.services.formation import panel_acting_chair_set
from panels.services.scoring import MemberInput, member_scores_save
from panels.tests.scoring_builders import build_scoring_panel
from tests.factories import PCTFactory, PersonFactory, RoleFactory, UserFactory
from tests.mail import given_up

pytestmark = pytest.mark.django_db


def url(panel, page):
    a = panel.assessment
    return f"/panels/{a.round.slug}/{a.pct.ods_code}/{page}/"


def submit(panel, seat, level=2, light="amber", notes="Board note"):
    seat = Seat.objects.select_related(
        "panel__assessment__round__framework", "person", "seat_type"
    ).get(pk=seat.pk)
    values = {c: MemberInput(level, f"{notes} {seat.seat_type.number}") for c in panel.competencies}
    values |= {a: MemberInput(light) for a in [*panel.areas, *(panel.subs or [])]}
    member_scores_save(
        seat=seat, values=values, by=seat.person.user, expected_version=seat.version, submit=True
    )


def post_and_confirm(client, address, data):
    """Submit in the page's two steps: the check page, then its confirming POST."""
    check = client.post(address, data)
    return client.post(address, dict(check.context["carry"]) | {"confirm": "1"})


def scoring_post(panel, action="save", level="3", version=1, **extra):
    data = {"version": str(version), "action": action}
    for c in panel.competencies:
        data[f"c{c.number}"] = level
        data[f"c{c.number}_notes"] = "Clear plan."
    for a in panel.areas:
        data[a.code] = "green"
    return data | extra


# --- Who may open the scoring page ---------------------------------------------------


def test_score_page_for_the_seat_holder_shows_descriptors(client):
    panel = build_scoring_panel()
    client.force_login(panel.seats[1].person.user)

    response = client.get(url(panel, "score"))

    assert response.status_code == 200
    assert response.context["seat"] == panel.seats[1]
    assert "Level 3: Level 3 of 1. Locally leading the NHS" in response.content.decode()
    # Each text box's accessible name says its item (the accessibility walk heard thirty
    # "Notes for the board").
    assert 'aria-label="Notes for the board: 1. Locally leading the NHS"' in (
        response.content.decode()
    )
    assert [row.code for row in response.context["view"].rows] == [
        "c1",
        "c2",
        "strategy",
        "finance",
        "board",
    ]


def test_score_page_is_404_for_a_member_of_another_panel(client):
    panel = build_scoring_panel()
    other = build_scoring_panel(slug="2008-09", pct=PCTFactory())
    client.force_login(other.seats[1].person.user)

    assert client.get(url(panel, "score")).status_code == 404


def test_score_page_is_404_for_an_outsider_and_unknown_panels(client):
    panel = build_scoring_panel()
    client.force_login(UserFactory())

    assert client.get(url(panel, "score")).status_code == 404
    assert client.get("/panels/2009-10/ZZZ/score/").status_code == 404


def test_score_page_accepts_a_lower_case_ods_code(client):
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)

    response = client.get(f"/panels/2009-10/{panel.assessment.pct.ods_code.lower()}/score/")

    assert response.context["assessment"] == panel.assessment


# --- Saving, resuming, submitting ------------------------------------------------------


def test_draft_saved_then_the_page_shows_the_values_again(client):
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)

    response = client.post(url(panel, "score"), scoring_post(panel, level="3"), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Draft saved. You can come back and finish at any time."
    ]
    form = response.context["form"]
    assert (form.initial["c1"], form.initial["c1_notes"], form.initial["strategy"]) == (
        "3",
        "Clear plan.",
        "green",
    )
    assert Seat.objects.get(pk=panel.chair.pk).submitted_at is None


def test_submit_with_missing_items_saves_a_draft_and_names_each_blank(client):
    """The chair walk: Submit with items left blank saved nothing, not even the answers
    given (README: Submit saves the draft first)."""
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)
    data = scoring_post(panel, action="submit")
    data["board"] = ""

    response = client.post(url(panel, "score"), data)

    assert response.status_code == 200
    assert response.context["form"].errors == {"board": ["Board governance: choose a light."]}
    html = response.content.decode()
    assert html.count('<a href="#id_board_0">Board governance: choose a light.</a>') == 1
    assert "Your light for Board governance:" not in html  # the label is not repeated
    assert "<title>Error: Scoring:" in html
    # the item itself is marked: its radios invalid, its message beside them
    assert html.count('class="form-check-input is-invalid"') == 3
    # at the top: above the self-assessment card, not below it
    assert html.index('id="error-summary"') < html.index('id="sa-heading"')
    assert "Your scores were saved as a draft, but not submitted." in html
    seat = Seat.objects.get(pk=panel.chair.pk)
    assert (seat.submitted_at, seat.version) == (None, 2)
    assert MemberScore.objects.filter(seat=seat).exclude(level=None, light="").count() == (
        len(panel.items) - 1
    )
    # the page carries the saved version: saving again is not taken for a stale page
    assert response.context["form"]["version"].value() == "2"
    data["board"] = "green"
    check = client.post(url(panel, "score"), data | {"version": "2"})
    assert check.templates[0].name == "panels/scoring_confirm.html"


def test_submit_first_saves_the_draft_and_lists_the_scores_to_check(client):
    panel = build_scoring_panel()
    client.force_login(panel.seats[1].person.user)

    first = panel.competencies[0]
    check = client.post(
        url(panel, "score"),
        scoring_post(panel, action="submit") | {f"c{first.number}_internal": "Ask about <A&E>."},
    )

    assert check.templates[0].name == "panels/scoring_confirm.html"
    # the chair walk: internal notes are fixed by submitting too, so they are listed
    assert "Internal notes (the panel only): Ask about &lt;A&amp;E&gt;." in check.content.decode()
    assert [(row.code, value) for row, value, _notes, _internal in check.context["answers"]] == [
        *[(f"c{c.number}", "3") for c in panel.competencies],
        *[(a.code, "green") for a in panel.areas],
    ]
    assert check.context["told"].startswith("Nobody, unless you are the last member")
    seat = Seat.objects.get(pk=panel.seats[1].pk)
    assert (seat.submitted_at, seat.version) == (None, 2)
    assert MemberScore.objects.filter(seat=seat).count() == len(check.context["answers"])
    assert ("version", "2") in check.context["carry"]

    response = client.post(
        url(panel, "score"), dict(check.context["carry"]) | {"confirm": "1"}, follow=True
    )

    assert Seat.objects.get(pk=seat.pk).submitted_at is not None
    assert [str(m) for m in response.context["messages"]] == [
        "Your scores are submitted. The panel's scores are shown below. Nobody was e-mailed: "
        "the chair is told once every member is done."
    ]


def test_an_invalid_level_is_refused_beside_the_field(client):
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)

    response = client.post(url(panel, "score"), scoring_post(panel, level="7"))

    assert response.context["form"].errors["c1"] == [
        "Select a valid choice. 7 is not one of the available choices."
    ]
    assert MemberScore.objects.count() == 0


def test_a_refused_save_writes_nothing_and_keeps_what_was_typed(client):
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)
    data = scoring_post(panel, level="2") | {"c1": "7", "c2_notes": "Typed <before> the error"}

    response = client.post(url(panel, "score"), data)

    assert response.status_code == 200
    assert summary_entries(response.context["form"]) == [
        (
            "#id_c1_0",
            "1. Locally leading the NHS: Select a valid choice. 7 is not one of the available "
            "choices.",
        )
    ]
    html = response.content.decode()
    assert ">\nTyped &lt;before&gt; the error</textarea>" in html
    assert re.search(r'<input [^>]*name="c2" value="2"[^>]* checked', html)
    assert (MemberScore.objects.count(), RatingChange.objects.count()) == (0, 0)
    assert Seat.objects.get(pk=panel.chair.pk).version == 1


def test_stale_form_is_refused_keeping_what_was_typed_and_saving_again_replaces(client):
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)
    client.post(url(panel, "score"), scoring_post(panel, level="3", version=1), follow=True)

    response = client.post(url(panel, "score"), scoring_post(panel, level="1", version=1))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors() == [
        "Your scores changed since you opened this page (someone saved in another window "
        "or browser). Your answers are still below. Save again to replace what was saved "
        "with them, or reload the page to see what was saved instead."
    ]
    summary = response.content.decode().split('data-test="error-summary"')[1]
    assert summary.index("Nothing was saved.") < summary.index("Your scores changed since")
    # What the member typed, not what was saved, at the version now stored.
    assert (form["c1"].value(), form["version"].value()) == ("1", "2")
    assert '<input type="hidden" name="version" value="2"' in response.content.decode()
    assert set(
        MemberScore.objects.filter(competency__isnull=False).values_list("level", flat=True)
    ) == {3}

    client.post(url(panel, "score"), scoring_post(panel, level="1", version=2))

    assert set(
        MemberScore.objects.filter(competency__isnull=False).values_list("level", flat=True)
    ) == {1}


def test_others_scores_hidden_until_the_member_submits(client):
    panel = build_scoring_panel()
    submit(panel, panel.seats[2], notes="Secret view of seat")
    client.force_login(panel.seats[1].person.user)

    before = client.get(url(panel, "score")).content.decode()
    post_and_confirm(client, url(panel, "score"), scoring_post(panel, action="submit"))
    after = client.get(url(panel, "score")).content.decode()

    assert "Secret view of seat 3" not in before
    assert 'data-test="panel-scores"' not in before
    assert "Secret view of seat 3" in after


def test_scoring_refused_by_the_server_once_the_stage_has_moved_on(client):
    panel = build_scoring_panel(stage=Stage.CONSENSUS)
    client.force_login(panel.chair.person.user)

    response = client.post(url(panel, "score"), scoring_post(panel), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Scoring is closed: this assessment is at Panel consensus."
    ]
    assert MemberScore.objects.count() == 0


# --- My panels ------------------------------------------------------------------------


def test_my_panels_lists_only_the_users_panels_with_what_is_left(client):
    panel = build_scoring_panel()
    build_scoring_panel(slug="2008-09", pct=PCTFactory())
    user = panel.seats[3].person.user
    seat = Seat.objects.select_related(
        "panel__assessment__round__framework", "person", "seat_type"
    ).get(pk=panel.seats[3].pk)
    member_scores_save(
        seat=seat, values={panel.competencies[0]: MemberInput(2)}, by=user, expected_version=1
    )
    client.force_login(user)

    response = client.get("/panels/mine/")

    rows = [(p.seat.panel.assessment, p.left, p.items) for p in response.context["progress"]]
    assert rows == [(panel.assessment, 4, 5)]


@pytest.mark.parametrize("panels", [1, 3])
def test_my_panels_query_count_does_not_grow(client, django_assert_num_queries, panels):
    built = [
        build_scoring_panel(slug=f"20{10 + n}-{11 + n}", pct=PCTFactory()) for n in range(panels)
    ]
    user = built[0].seats[1].person.user
    for extra in built[1:]:
        Seat.objects.filter(pk=extra.seats[1].pk).update(person=built[0].seats[1].person)
    client.force_login(user)

    with django_assert_num_queries(5):
        response = client.get("/panels/mine/")

    assert len(response.context["progress"]) == panels


@pytest.mark.parametrize("panels", [1, 3])
def test_my_panels_query_count_does_not_grow_with_acting_chairs(
    client, django_assert_num_queries, panels
):
    """Each acting chair's seat says since when without a query of its own."""
    built = [
        build_scoring_panel(slug=f"20{10 + n}-{11 + n}", pct=PCTFactory()) for n in range(panels)
    ]
    person = built[0].seats[1].person
    for scoring in built:
        Seat.objects.filter(pk=scoring.seats[1].pk).update(person=person)
        panel_acting_chair_set(
            panel=Panel.objects.get(pk=scoring.panel.pk),
            seat=Seat.objects.get(pk=scoring.seats[1].pk),
            reason="The chair is ill",
            by=UserFactory(),
            expected_version=Panel.objects.get(pk=scoring.panel.pk).version,
        )
    client.force_login(person.user)

    with django_assert_num_queries(5):
        response = client.get("/panels/mine/")

    assert response.content.decode().count("(acting chair since <time") == panels


# --- Consensus ------------------------------------------------------------------------


def test_consensus_page_for_the_chair_before_submitting_hides_scores(client):
    panel = build_scoring_panel()
    submit(panel, panel.seats[1], notes="Hidden from an unsubmitted chair")
    client.force_login(panel.chair.person.user)

    response = client.get(url(panel, "consensus"))

    assert response.context["show_scores"] is False
    assert "Hidden from an unsubmitted chair" not in response.content.decode()


def test_consensus_page_is_404_for_other_members_and_outsiders(client):
    panel = build_scoring_panel()

    for user in [panel.seats[1].person.user, UserFactory()]:
        client.force_login(user)
        assert client.get(url(panel, "consensus")).status_code == 404


def test_consensus_page_read_only_for_staff_of_the_sha_and_404_for_another_sha(client):
    panel = build_scoring_panel()
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=panel.assessment.pct.sha).user
    other = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=PCTFactory().sha).user

    client.force_login(staff)
    response = client.get(url(panel, "consensus"))
    posted = client.post(url(panel, "consensus"), {"version": "1"})
    client.force_login(other)

    assert (response.status_code, response.context["is_chair"], response.context["editable"]) == (
        200,
        False,
        False,
    )
    assert posted.status_code == 403  # may see, may not change
    assert client.get(url(panel, "consensus")).status_code == 404


def agreed(panel, *, level="2", light="amber", why) -> dict:
    """The consensus form as the chair posts it: every competency at ``level``, every area
    ``light``, each with the rationale ``why(item)`` (the item's short name or name)."""
    data = {"version": "1"}
    for c in panel.competencies:
        data |= {f"c{c.number}": level, f"c{c.number}_rationale": why(c.short_name)}
    for a in panel.areas:
        data |= {a.code: light, f"{a.code}_rationale": why(a.name)}
    return data


def test_chair_records_consensus_then_closes_it(client):
    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)
    data = {"version": "1"}
    for c in panel.competencies:
        data |= {f"c{c.number}": "2", f"c{c.number}_rationale": f"Rationale for {c.short_name}."}
    for a in panel.areas:
        data |= {a.code: "amber", f"{a.code}_rationale": f"Rationale for {a.name}."}

    client.post(url(panel, "consensus"), data)
    check = client.post(url(panel, "consensus") + "close/")

    assert check.context["button"] == "Confirm and close consensus"
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS
    response = client.post(
        url(panel, "consensus") + "close/",
        dict(check.context["carry"]) | {"confirm": "1"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]][-1] == (
        "Consensus closed: the assessment has gone to regional moderation. Nobody was "
        f"e-mailed; the staff of {panel.assessment.pct.sha.name} see it on their moderation page."
    )
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.MODERATION
    assert AgreedRating.objects.count() == 5


def test_save_and_close_saves_what_was_typed_then_lists_it_to_check(client):
    """The chair's last edits are saved before the check page, which lists every agreed
    value and rationale as they will be final; nothing closes until they confirm."""
    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)
    data = agreed(panel, level="3", light="green", why=lambda item: f"Typed for {item}.")
    data["action"] = "close"

    check = client.post(url(panel, "consensus"), data)

    page = check.content.decode()
    assert check.status_code == 200
    assert check.context["button"] == "Confirm and close consensus"
    assert check.context["action"] == url(panel, "consensus") + "close/"
    first = panel.competencies[0]
    assert f"Typed for {first.short_name}." in page
    assert {r.level for r in AgreedRating.objects.filter(competency__isnull=False)} == {3}
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS


def test_the_close_check_lists_each_sub_indicators_rationale_too(client):
    """The chair walk: closing needs every sub-indicator's rationale, yet the check page
    listed only their lights, so 16 final texts were confirmed unseen."""
    panel = build_scoring_panel(sub_indicators=1)
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)
    data = agreed(panel, level="3", light="green", why=lambda item: f"Typed for {item}.")
    for sub in panel.subs:
        data |= {sub.code: "amber", f"{sub.code}_rationale": f"Sub rationale of {sub.name}."}
    data["action"] = "close"

    check = client.post(url(panel, "consensus"), data)

    page = check.content.decode()
    assert check.context["button"] == "Confirm and close consensus"
    for sub in panel.subs:
        assert f"Sub rationale of {sub.name}." in page


def test_closing_after_the_ratings_changed_in_another_window_shows_them_again(client):
    """The check page listed one set of ratings; another window saved others before the
    confirmation: consensus stays open and the check page lists the ratings as they are."""
    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)
    data = agreed(panel, why=lambda item: "Checked.") | {"action": "close"}
    check = client.post(url(panel, "consensus"), data)
    elsewhere = data | {"version": "2", "action": "", "c1_rationale": "Changed elsewhere."}
    client.post(url(panel, "consensus"), elsewhere)

    response = client.post(
        url(panel, "consensus") + "close/", dict(check.context["carry"]) | {"confirm": "1"}
    )

    assert response.status_code == 200
    said = [str(m) for m in response.context["messages"]]  # the other save's, then this
    assert said[-1].startswith("The agreed ratings changed since you checked them")
    assert "Changed elsewhere." in response.content.decode()
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS


def test_save_and_close_with_a_gap_saves_the_rest_and_lists_the_gap(client):
    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)
    data = agreed(panel, why=lambda item: "Agreed.") | {"action": "close"}
    for a in panel.areas:
        del data[f"{a.code}_rationale"]  # no rationale

    response = client.post(url(panel, "consensus"), data)

    assert [href for href, _ in _summary(response)] == [
        f"#id_{a.code}_rationale" for a in panel.areas
    ]
    assert response.context["form"][f"c{panel.competencies[0].number}_rationale"].value() == (
        "Agreed."
    )
    assert AgreedRating.objects.filter(rationale="Agreed.").count() == len(panel.competencies)
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS


def test_stale_consensus_keeps_what_the_chair_typed(client):
    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)

    def consensus_post(level, rationale):
        data = {"version": "1"}
        for c in panel.competencies:
            data |= {f"c{c.number}": level, f"c{c.number}_rationale": rationale}
        return data

    client.post(url(panel, "consensus"), consensus_post("2", "Saved in another window."))
    response = client.post(url(panel, "consensus"), consensus_post("3", "Typed here."))

    assert response.status_code == 200
    form = response.context["form"]
    assert form.non_field_errors()[0].startswith(
        "The panel's consensus changed since you opened this page"
    )
    c1 = f"c{panel.competencies[0].number}"
    assert (form[c1].value(), form[f"{c1}_rationale"].value(), form["version"].value()) == (
        "3",
        "Typed here.",
        "2",
    )
    assert set(AgreedRating.objects.values_list("level", flat=True)) - {None} == {2}


def test_close_consensus_refused_with_the_reasons(client):
    panel = build_scoring_panel(stage=Stage.CONSENSUS)
    client.force_login(panel.chair.person.user)

    response = client.post(url(panel, "consensus") + "close/")

    html = response.content.decode()
    assert "<title>Error: Consensus:" in html
    assert '<h2 class="h5" id="error-summary-title">There is a problem</h2>' in html
    assert (
        '<li><a href="#id_c1_0">1. Locally leading the NHS: no agreed value yet.</a></li>' in html
    )
    # the members table comes first on the page, then the items
    assert _summary(response)[1][1].startswith("Seat 2 (Member 2) has not submitted")
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS


def _summary(response) -> list[tuple[str, str]]:
    return summary_entries(response.context["form"])


def test_close_consensus_lists_each_missing_rationale_as_its_own_linked_message(client):
    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)
    data = {"version": "1"}
    for c in panel.competencies:
        data[f"c{c.number}"] = "2"
    for a in panel.areas:
        data[a.code] = "amber"
    client.post(url(panel, "consensus"), data)

    response = client.post(url(panel, "consensus") + "close/")

    hrefs = [href for href, _message in _summary(response)]
    assert hrefs == [f"#id_c{c.number}_rationale" for c in panel.competencies] + [
        f"#id_{a.code}_rationale" for a in panel.areas
    ]
    assert _summary(response)[0][1] == "1. Locally leading the NHS: no rationale yet."
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS


def test_chair_saves_agreed_values_without_rationales_as_a_draft(client):
    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)
    first = panel.competencies[0]

    response = client.post(url(panel, "consensus"), {"version": "1", f"c{first.number}": "3"})

    assert response.status_code == 302
    assert [(r.competency_id, r.level, r.rationale) for r in AgreedRating.objects.all()] == [
        (first.pk, 3, "")
    ]


def test_chair_excuses_a_member_from_the_consensus_page(client):
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)

    version = str(panel.seats[2].version)
    page = client.get(url(panel, "consensus")).content.decode()
    assert f'<input type="hidden" name="version" value="{version}">' in page

    check = client.post(url(panel, "seats/3/absent"), {"reason": "On leave.", "version": version})

    assert check.context["carry"] == [("reason", "On leave."), ("version", version)]
    assert Seat.objects.get(pk=panel.seats[2].pk).absence_reason == ""
    client.post(
        url(panel, "seats/3/absent"), {"reason": "On leave.", "version": version, "confirm": "1"}
    )

    assert Seat.objects.get(pk=panel.seats[2].pk).absence_reason == "On leave."


def test_an_excuse_confirmed_after_the_seat_changed_hands_excuses_nobody(client):
    """The review: SHA staff replaced the member between the check page and the confirm,
    and the newcomer was excused with the reason given for the member who left."""
    panel = build_scoring_panel()
    seat = panel.seats[2]
    client.force_login(panel.chair.person.user)
    data = {"reason": "Bob is on leave.", "version": str(seat.version)}
    client.post(url(panel, "seats/3/absent"), data)
    newcomer = PersonFactory(full_name="Nia Newcomer")
    Seat.objects.filter(pk=seat.pk).update(person=newcomer, version=seat.version + 1)

    response = client.post(url(panel, "seats/3/absent"), {**data, "confirm": "1"}, follow=True)

    assert Seat.objects.get(pk=seat.pk).absence_reason == ""
    [message] = [str(m) for m in response.context["messages"]]
    assert "Nia Newcomer holds it now. Nobody was excused" in message


def test_go_back_from_the_excuse_check_keeps_the_reason_typed(client):
    """As the send-back comment: "Go back" used to come back to an empty reason box."""
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)

    check = client.post(url(panel, "seats/3/absent"), {"reason": "On leave <until> May."})
    page = client.get(check.context["back"]).content.decode()

    assert re.fullmatch(
        re.escape(url(panel, "consensus")) + r"\?typed=[\w-]+#reason-3", check.context["back"]
    )
    assert (
        'id="reason-3" name="reason" required placeholder="Reason" value="On leave &lt;until&gt; May."'
        in page
    )
    # No maxlength: the browser would cut a pasted reason silently; the server says the limit.
    assert 'id="reason-2" name="reason" required placeholder="Reason">' in page


def test_excusing_without_a_reason_names_the_member_in_an_error_summary_linked_to_the_field(
    client,
):
    """The GOV.UK pattern (the panel walk found a flash message off screen instead)."""
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)
    seat = panel.seats[2]

    response = client.post(url(panel, "seats/3/absent"), {"reason": "  "})
    invisible = client.post(url(panel, "seats/3/absent"), {"reason": "\u200b"})

    page = response.content.decode()
    assert response.status_code == 200
    assert invisible.context["absence"] == response.context["absence"]  # no check page
    assert "<title>Error: " in page
    message = f"Seat 3 ({seat.seat_type.name}): give the reason {seat.person} could not take part."
    assert f'<a href="#reason-3">{escape(message)}</a>' in page
    assert 'is-invalid" aria-invalid="true" aria-describedby="reason-3_error"' in page
    assert Seat.objects.get(pk=seat.pk).absence_reason == ""


def test_a_reason_too_long_says_so_and_comes_back_as_typed(client):
    """The bad-input walk: 1,200 characters read "give the reason", and the box came back
    empty."""
    panel = build_scoring_panel()
    client.force_login(panel.chair.person.user)
    seat = panel.seats[2]
    typed = "Away on leave. " * 80  # 1,200 characters

    response = client.post(url(panel, "seats/3/absent"), {"reason": typed})

    page = response.content.decode()
    message = f"Seat 3 ({seat.seat_type.name}): Keep the reason to 1,000 characters or fewer (it has 1199)."
    assert f'<a href="#reason-3">{escape(message)}</a>' in page
    assert "Keep the reason to 1,000 characters or fewer (it has 1199).</p>" in page
    assert f'rows="4" required>{typed}</textarea>' in page  # whole, in a box that shows it
    assert Seat.objects.get(pk=seat.pk).absence_reason == ""


def test_a_member_cannot_excuse_another(client):
    panel = build_scoring_panel()
    client.force_login(panel.seats[1].person.user)

    assert (
        client.post(url(panel, "seats/3/absent"), {"reason": "No.", "confirm": "1"}).status_code
        == 404
    )
    assert Seat.objects.get(pk=panel.seats[2].pk).absence_reason == ""


def test_consensus_highlights_items_where_members_differ_by_two(client):
    panel = build_scoring_panel()
    submit(panel, panel.chair, level=2)
    submit(panel, panel.seats[1], level=4)
    client.force_login(panel.chair.person.user)

    response = client.get(url(panel, "consensus"))

    divided = [row.code for row in response.context["view"].rows if row.divided]
    assert divided == ["c1", "c2"]
    assert len(re.findall(r'data-test="divided"', response.content.decode())) == 2


@pytest.mark.parametrize("submitted", [1, 3])
def test_consensus_page_query_count_does_not_grow(client, django_assert_num_queries, submitted):
    panel = build_scoring_panel()
    for seat in panel.seats[:submitted]:
        submit(panel, seat)
    Assessment.objects.filter(pk=panel.assessment.pk).update(stage=Stage.CONSENSUS)
    Seat.objects.filter(panel=panel.panel).update(submitted_at=timezone.now())
    client.force_login(panel.chair.person.user)

    with django_assert_num_queries(17):
        client.get(url(panel, "consensus"))


@pytest.mark.parametrize("submitted", [1, 3])
def test_score_page_query_count_does_not_grow(client, django_assert_num_queries, submitted):
    panel = build_scoring_panel()
    for seat in panel.seats[1 : 1 + submitted]:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)

    with django_assert_num_queries(16):
        client.get(url(panel, "score"))


@pytest.mark.parametrize("others", [1, 3])
def test_score_page_after_submitting_shows_the_panel_in_as_many_queries(
    client, django_assert_num_queries, others
):
    panel = build_scoring_panel()
    for seat in panel.seats[: 1 + others]:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)

    with django_assert_num_queries(16):
        response = client.get(url(panel, "score"))

    first = response.context["view"].rows[0]
    assert [score is not None for _seat, score in first.members] == [True] * (1 + others) + [
        False
    ] * (4 - others)


def test_last_member_submitting_is_saved_when_the_mail_server_fails(
    client, settings, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.mail.BrokenBackend"
    panel = build_scoring_panel()
    for seat in panel.seats[1:]:
        submit(panel, seat)
    client.force_login(panel.chair.person.user)

    # The on-commit callbacks (queueing, and with the tests' immediate backend, sending)
    # run on leaving the block: a failure there would escape as the request's error.
    with django_capture_on_commit_callbacks(execute=True):
        response = post_and_confirm(
            client, url(panel, "score"), scoring_post(panel, action="submit")
        )

    assert (response.status_code, response["Location"]) == (302, url(panel, "score"))
    assert Seat.objects.get(pk=panel.chair.pk).submitted_at is not None
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS
    assert mailoutbox == []
    assert given_up(caplog) == [panel.chair.person.user.email]


# --- Query counts of the page and of a save, for a round of ten and of eleven -----------


@pytest.mark.parametrize("competencies", [10, 11])
def test_score_page_query_count_is_the_same_for_ten_and_eleven_competencies(
    client, django_assert_num_queries, competencies
):
    panel = build_scoring_panel(competencies=competencies, sub_indicators=2)
    client.force_login(panel.seats[1].person.user)

    with django_assert_num_queries(16):
        response = client.get(url(panel, "score"))

    assert len(response.context["form"].rows) == competencies + 3 + 2


@pytest.mark.parametrize("competencies", [10, 11])
def test_first_draft_save_query_count_is_the_same_for_ten_and_eleven_competencies(
    client, django_assert_num_queries, competencies
):
    panel = build_scoring_panel(competencies=competencies, sub_indicators=2)
    client.force_login(panel.seats[1].person.user)

    # Session, user, assessment, access, seat; the items (4), read once for the form and
    # the service; in the transaction (2): the claim, the seat's scores, one INSERT of
    # scores and one of history. Nothing once per item.
    with django_assert_num_queries(15):
        response = client.post(url(panel, "score"), scoring_post(panel, level="3"))

    assert (response.status_code, response["Location"]) == (302, url(panel, "score"))
    assert MemberScore.objects.filter(seat=panel.seats[1]).count() == competencies + 3 + 2
    assert RatingChange.objects.count() == competencies + 3


@pytest.mark.parametrize("competencies", [10, 11])
def test_changed_draft_save_query_count_is_the_same_for_ten_and_eleven_competencies(
    client, django_assert_num_queries, competencies
):
    panel = build_scoring_panel(competencies=competencies, sub_indicators=2)
    client.force_login(panel.seats[1].person.user)
    client.post(url(panel, "score"), scoring_post(panel, level="3"))

    with django_assert_num_queries(15):
        response = client.post(url(panel, "score"), scoring_post(panel, level="2", version=2))

    assert (response.status_code, response["Location"]) == (302, url(panel, "score"))
    assert MemberScore.objects.filter(seat=panel.seats[1]).count() == competencies + 3 + 2
    assert set(
        MemberScore.objects.filter(competency__isnull=False).values_list("level", flat=True)
    ) == {2}
    assert RatingChange.objects.filter(old_value="3", new_value="2").count() == competencies


def test_after_moderation_the_chair_sees_the_panels_value_and_what_moderation_changed(client):
    """The panel walk: the chair's page showed the moderated level as "Agreed", beside the
    panel's rationale, with nothing saying moderation had changed it."""
    from assessments.regions import agreed_rating_moderate
    from panels.services.scoring import consensus_close, consensus_record

    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat, level=2)
    Assessment.objects.filter(pk=panel.assessment.pk).update(stage=Stage.CONSENSUS)
    panel.panel.assessment.refresh_from_db()
    chair = panel.chair.person.user
    consensus_record(panel=panel.panel, values=panel.agreed(), by=chair, expected_version=1)
    consensus_close(assessment=Assessment.objects.get(pk=panel.assessment.pk), by=chair)
    rating = AgreedRating.objects.get(assessment=panel.assessment, competency__number=1)
    panel_level = rating.level
    moderator = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=panel.assessment.pct.sha).user
    agreed_rating_moderate(
        rating=rating,
        value=panel_level % 4 + 1,
        reason="Out of line with the region's evidence.",
        by=moderator,
        expected_version=rating.version,
    )
    client.force_login(chair)

    page = client.get(url(panel, "consensus")).content.decode()

    agreed = re.findall(r'<td data-test="agreed">(.*?)</td>', page, re.S)
    assert f'<span class="wcc-level">{panel_level}</span>' in agreed[0]
    assert f'moderated to <span class="wcc-level">{panel_level % 4 + 1}</span>' in agreed[0]
    assert "moderated to" not in agreed[1]
    assert 'data-test="moderation-changes"' in page
    assert "Out of line with the region&#x27;s evidence." in page
    assert "changed 1 of the panel's agreed ratings." in page
    # Walk N: an adjustment made by mistake and undone counted as two more changes.
    rating.refresh_from_db()
    agreed_rating_moderate(
        rating=rating,
        value=1 if panel_level != 1 else 2,
        reason="Wrong one.",
        by=moderator,
        expected_version=rating.version,
    )
    rating.refresh_from_db()
    agreed_rating_moderate(
        rating=rating,
        value=panel_level % 4 + 1,
        reason="Undo.",
        by=moderator,
        expected_version=rating.version,
    )
    again = client.get(url(panel, "consensus")).content.decode()
    assert "changed 1 of the panel's agreed ratings (3 adjustments in all" in again
    rating.refresh_from_db()
    agreed_rating_moderate(
        rating=rating,
        value=panel_level,
        reason="Back.",
        by=moderator,
        expected_version=rating.version,
    )
    undone = client.get(url(panel, "consensus")).content.decode()
    assert "made 4 adjustments and undid them: every rating is as the panel agreed" in undone


def test_the_consensus_page_labels_each_change_after_consensus_by_its_stage(client):
    """The trail walk: a rating changed by answering a board's factual-accuracy comment was
    listed under "Changed at regional moderation" and counted as moderation's change."""
    from assessments.regions import agreed_rating_moderate
    from assessments.services import agreed_rating_adjust
    from panels.services.scoring import consensus_close, consensus_record

    panel = build_scoring_panel()
    for seat in panel.seats:
        submit(panel, seat, level=2)
    Assessment.objects.filter(pk=panel.assessment.pk).update(stage=Stage.CONSENSUS)
    panel.panel.assessment.refresh_from_db()
    chair = panel.chair.person.user
    consensus_record(panel=panel.panel, values=panel.agreed(), by=chair, expected_version=1)
    consensus_close(assessment=Assessment.objects.get(pk=panel.assessment.pk), by=chair)
    first, second = AgreedRating.objects.filter(
        assessment=panel.assessment, competency__number__in=(1, 2)
    ).order_by("competency__number")
    moderator = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=panel.assessment.pct.sha).user
    agreed_rating_moderate(
        rating=first,
        value=first.level % 4 + 1,
        reason="Out of line.",
        by=moderator,
        expected_version=first.version,
    )
    Assessment.objects.filter(pk=panel.assessment.pk).update(stage=Stage.FACTUAL_ACCURACY)
    agreed_rating_adjust(
        rating=second,
        value=second.level % 4 + 1,
        reason="The board's comment: the plan was approved in March.",
        by=moderator,
        expected_version=second.version,
        source=RatingChange.Source.FACTUAL_ACCURACY,
    )
    client.force_login(chair)

    page = client.get(url(panel, "consensus")).content.decode()

    section = page.split('data-test="moderation-changes"')[1].split("</section>")[0]
    assert "Changed at regional moderation</h2>" not in section
    assert [label.strip() for label in re.findall(r'data-test="stage">([^<]*)<', section)] == [
        "Changed at regional moderation",
        "Changed at factual-accuracy check",
    ]
    count = section.split('data-test="moderated-count">')[1].split("</p>")[0]
    assert "changed 1 of the panel's agreed ratings." in count
    assert "1 change came later, at the stage named below." in count


def test_an_excused_member_reads_excused_and_a_late_one_overdue_on_their_pages(client):
    """The panel walk: an excused member's home said "Not submitted"; the deadline was
    marked overdue on the home page's queue only."""
    from assessments.models import AssessmentRound

    panel = build_scoring_panel()
    AssessmentRound.objects.filter(pk=panel.assessment.round_id).update(
        scoring_due=timezone.localdate() - datetime.timedelta(days=1)
    )
    Seat.objects.filter(pk=panel.seats[2].pk).update(absence_reason="On leave.")
    client.force_login(panel.seats[2].person.user)
    excused = client.get("/").content.decode()
    client.force_login(panel.seats[1].person.user)
    late = [
        client.get(path).content.decode() for path in ("/", "/panels/mine/", url(panel, "score"))
    ]

    assert "<td>Excused</td>" in excused and "Overdue" not in excused
    assert all('data-test="overdue"' in page for page in late)


def test_the_chairs_page_says_a_member_who_has_not_submitted_was_deactivated(client):
    """Walk N: a deactivated member read as just "Not yet submitted"."""
    from panels.models import Person

    panel = build_scoring_panel()
    Person.objects.filter(pk=panel.seats[3].person.pk).update(is_active=False)
    client.force_login(panel.chair.person.user)

    page = client.get(url(panel, "consensus")).content.decode()

    members = page.split('data-test="members"')[1].split("</table>")[0]
    assert members.count('data-test="deactivated"') == 1
    assert f"{panel.seats[3].person} was deactivated on the people list." in members


def test_the_consensus_page_of_a_pct_with_no_panel_yet_is_404_not_500(client):
    """The phone walk: the moderation page linked Dudley's consensus page while Dudley was
    still at self-assessment, and the page failed on the missing panel."""
    from tests.factories import AssessmentFactory

    assessment = AssessmentFactory(stage=Stage.SELF_ASSESSMENT)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get(f"/panels/{assessment.round.slug}/{assessment.pct.ods_code}/consensus/")

    assert response.status_code == 404
