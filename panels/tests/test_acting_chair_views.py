"""Handing a panel's chair to another member, from the panel's formation page
(``panels.views.formation.hand_chair``): the link, the page and its errors, the check page,
"Go back", the confirmation, the conflict, the personas, and what the panel's pages say
afterwards (the consensus page read-only for the chair)."""

import datetime
import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from assessments.form_errors import summary_entries
from assessments.models import AgreedRating, Assessment, RatingChange, Role, Stage
from panels.models import Panel, Person, Seat, SeatChange
from panels.services.formation import panel_acting_chair_set
from panels.tests.formation_builders import build_region
from tests.factories import (
    CompetencyFactory,
    GovernanceAreaFactory,
    RoleFactory,
    SHAFactory,
    SubIndicatorFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region(stage=Stage.CONSENSUS)
    region.panel = region.seated()
    Seat.objects.filter(panel=region.panel).update(submitted_at=timezone.now())
    return region


def url(region, page="chair/hand"):
    return f"/panels/{region.round.slug}/{region.pct.ods_code}/" + (f"{page}/" if page else "")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha, user__first_name="Sam").user


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def seat(region, number) -> Seat:
    return Seat.objects.get(panel=region.panel, seat_type__number=number)


def panel(region) -> Panel:
    return Panel.objects.get(pk=region.panel.pk)


def posted(region, number=3, **extra) -> dict:
    return {
        "seat": str(seat(region, number).pk),
        "reason": "Ann Chair is ill until March",
        "version": str(panel(region).version),
        **extra,
    }


def handed(region, number=3, reason="Ann Chair is ill until March"):
    return panel_acting_chair_set(
        panel=panel(region),
        seat=seat(region, number),
        reason=reason,
        by=UserFactory(),
        expected_version=panel(region).version,
    )


@pytest.mark.parametrize("stage", [Stage.SCORING, Stage.CONSENSUS])
def test_formation_page_links_to_hand_the_chair_by_the_chairs_seat(region, stage):
    region.assessment.stage = stage
    region.assessment.save(update_fields=["stage"])

    response = client_for(staff_of(region.sha_a)).get(url(region, "formation"))

    links = re.findall(r'data-test="hand-chair" href="([^"]+)"', response.content.decode())
    assert links == [url(region)]
    row = re.search(r'data-test="seat-1">(.*?)</tr>', text(response)).group(1)
    assert "Hand the chair to another member" in row


def test_formation_page_at_moderation_offers_no_hand_over(region):
    region.assessment.stage = Stage.MODERATION
    region.assessment.save(update_fields=["stage"])

    response = client_for(staff_of(region.sha_a)).get(url(region, "formation"))

    assert "chair/hand" not in response.content.decode()


def test_hand_page_offers_the_other_members(region):
    response = client_for(staff_of(region.sha_a)).get(url(region))

    assert response.templates[0].name == "panels/hand_chair.html"
    labels = [label for _value, label in response.context["form"].fields["seat"].choices]
    assert [label.split(",")[0] for label in labels] == [
        "Bob Medic",
        "Cat Services",
        "Dan Outside",
        "Eve Chief",
    ]
    assert "Ann Chair holds the chair's seat" in text(response)


def test_hand_page_with_an_acting_chair_offers_the_chair_back_and_says_who_acts(region):
    handed(region, 3)

    response = client_for(staff_of(region.sha_a)).get(url(region))

    labels = [label for _value, label in response.context["form"].fields["seat"].choices]
    assert [label.split(",")[0] for label in labels] == [
        "Bob Medic",
        "Dan Outside",
        "Eve Chief",
        "Ann Chair again",
    ]
    assert "Acting chair: Cat Services (since " in text(response)
    assert "because \u201cAnn Chair is ill until March\u201d)" in text(response)


def test_hand_page_at_moderation_redirects_with_the_stage(region):
    region.assessment.stage = Stage.MODERATION
    region.assessment.save(update_fields=["stage"])

    response = client_for(staff_of(region.sha_a)).get(url(region), follow=True)

    assert response.redirect_chain == [(url(region, "formation"), 302)]
    assert "only while the panel is scoring or at consensus" in text(response)


def test_hand_page_is_not_found_for_another_regions_staff_and_members(region):
    for user in (
        staff_of(region.sha_b),
        staff_of(SHAFactory()),
        region.people[1].user,
        region.people[3].user,
    ):
        client = client_for(user)
        assert client.get(url(region)).status_code == 404
        assert client.post(url(region), posted(region, confirm="1")).status_code == 404
    assert (panel(region).acting_chair, SeatChange.objects.count()) == (None, 0)


def test_hand_page_sends_the_logged_out_to_login(region):
    response = Client().get(url(region))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_hand_without_a_choice_or_reason_shows_the_errors_linked_and_keeps_the_typing(region):
    response = client_for(staff_of(region.sha_a)).post(
        url(region), {"seat": "", "reason": "", "version": str(panel(region).version)}
    )

    assert response.templates[0].name == "panels/hand_chair.html"
    assert summary_entries(response.context["form"]) == [
        ("#id_seat_0", "Who chairs the panel: Choose who chairs the panel."),
        ("#id_reason", "Reason: Give the reason for handing the chair on."),
    ]
    assert "<title>Error: " in response.content.decode()

    typed = client_for(staff_of(region.sha_a)).post(url(region), posted(region, reason=""))
    assert typed.context["form"]["seat"].value() == str(seat(region, 3).pk)


def test_hand_to_a_deactivated_member_shows_why_beside_the_choice(region):
    holder = region.people[3]
    holder.is_active = False
    holder.save(update_fields=["is_active"])

    response = client_for(staff_of(region.sha_a)).post(url(region), posted(region))

    assert response.context["form"].errors["seat"] == [
        "Cat Services has been deactivated and cannot chair the panel."
    ]
    assert "Ann Chair is ill until March" in text(response)


def test_hand_check_page_says_what_happens_and_who_is_told(region):
    response = client_for(staff_of(region.sha_a)).post(url(region), posted(region))

    page = text(response)
    assert response.templates[0].name == "confirm.html"
    assert "Hand the chair of the panel of Assessed PCT to Cat Services?" in page
    assert (
        "Cat Services (seat 3, " in page
        and "chairs the panel of Assessed PCT in place of Ann Chair, with your reason in the "
        "panel's history: Ann Chair is ill until March"
        in page
    )
    assert "Ann Chair can still open the consensus page, but no longer change it." in page
    assert "the chair's submitted scores stay the chair's" in page
    assert (
        "Cat Services is e-mailed that they chair the panel, what they now do and the link to "
        "the consensus page; Ann Chair is e-mailed that they no longer chair it" in page
    )
    assert "Confirm and hand the chair to Cat Services" in page
    assert "You can hand the chair back to the chair, or to someone else" in page
    assert (panel(region).acting_chair, SeatChange.objects.count()) == (None, 0)


def test_hand_go_back_shows_what_was_typed(region):
    client = client_for(staff_of(region.sha_a))
    check = client.post(url(region), posted(region, reason="Typed before going back"))

    response = client.get(check.context["back"])

    form = response.context["form"]
    assert (form["seat"].value(), form["reason"].value()) == (
        str(seat(region, 3).pk),
        "Typed before going back",
    )


def test_hand_confirmed_names_the_acting_chair_and_says_who_was_told(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(staff_of(region.sha_a))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(region), posted(region, confirm="1"), follow=True)

    assert response.redirect_chain == [(url(region, "formation"), 302)]
    page = text(response)
    assert (
        "Cat Services is now the acting chair of the panel of Assessed PCT. Cat Services and "
        "Ann Chair have been e-mailed."
    ) in page
    assert "Acting chair: Cat Services (since " in page
    assert panel(region).acting_chair == seat(region, 3)
    change = SeatChange.objects.get()
    assert (change.how, change.note) == (SeatChange.How.ACTING, "Ann Chair is ill until March")
    assert [m.to for m in mailoutbox] == [[region.people[3].email], [region.people[1].email]]


def test_hand_back_to_the_chair_confirmed(region):
    handed(region, 3)
    data = posted(region, confirm="1", reason="Ann Chair is back")
    data["seat"] = "chair"

    response = client_for(staff_of(region.sha_a)).post(url(region), data, follow=True)

    assert "Ann Chair chairs the panel of Assessed PCT again." in text(response)
    assert "Acting chair:" not in text(response)
    assert panel(region).acting_chair is None


def test_hand_confirmed_on_a_stale_panel_keeps_the_typing_and_asks_again(region):
    data = posted(region, confirm="1", reason="Kept after the conflict")
    Panel.objects.filter(pk=region.panel.pk).update(version=panel(region).version + 1)

    response = client_for(staff_of(region.sha_a)).post(url(region), data)

    assert response.templates[0].name == "panels/hand_chair.html"
    assert summary_entries(response.context["form"])[0][1].startswith(
        "This panel was changed by someone else since you opened it"
    )
    assert response.context["form"]["version"].value() == panel(region).version
    assert "Kept after the conflict" in text(response)
    assert (panel(region).acting_chair, SeatChange.objects.count()) == (None, 0)


def test_national_team_may_hand_the_chair(region):
    client = client_for(RoleFactory(kind=Role.Kind.NATIONAL).user)

    client.post(url(region), posted(region, confirm="1"))

    assert panel(region).acting_chair == seat(region, 3)


# --- The panel's pages afterwards ----------------------------------------------------------


def test_panel_detail_says_who_acts_since_when_and_why(region):
    handed(region, 3)

    response = client_for(region.people[2].user).get(url(region, ""))

    page = text(response)
    assert "Acting chair: Cat Services (since " in page
    assert "because \u201cAnn Chair is ill until March\u201d)" in page
    assert re.findall(r"<th scope=\"row\">([^<]+)<strong data-test=\"acting-mark\">", page) == [
        "Cat Services "
    ]


def test_consensus_page_is_read_only_for_the_old_chair_and_says_why(region):
    handed(region, 3)

    response = client_for(region.people[1].user).get(url(region, "consensus"))

    assert response.status_code == 200
    assert (response.context["is_chair"], response.context["editable"]) == (False, False)
    page = text(response)
    assert "Acting chair: Cat Services (since " in page
    assert (
        "You hold the chair's seat, but no longer chair this panel: this page is read-only" in page
    )


def test_consensus_page_is_editable_for_the_acting_chair(region):
    handed(region, 3)

    response = client_for(region.people[3].user).get(url(region, "consensus"))

    assert (response.context["is_chair"], response.context["editable"]) == (True, True)
    assert "You hold the chair's seat" not in text(response)
    assert "Acting chair: Cat Services (since " in text(response)


def test_old_chair_cannot_save_or_close_consensus(region):
    handed(region, 3)
    client = client_for(region.people[1].user)

    saved = client.post(url(region, "consensus"), {"version": str(panel(region).version)})
    closed = client.post(url(region, "consensus/close"), {"version": "1", "confirm": "1"})

    assert (saved.status_code, closed.status_code) == (403, 404)
    assert Assessment.objects.get(pk=region.assessment.pk).stage == Stage.CONSENSUS
    assert "You no longer chair the panel of" in text(closed)


def test_old_chair_saving_a_page_opened_before_the_hand_over_is_told_and_given_back_the_typing(
    region,
):
    """Walk W: the chair's save from a consensus page opened before SHA staff handed the
    chair to another member answered a bare 403 "You cannot change this", and every agreed
    value and rationale typed was lost; so did "Record" on a member's excuse."""
    client = client_for(region.people[1].user)
    version = str(panel(region).version)
    panel_acting_chair_set(
        panel=panel(region),
        seat=seat(region, 3),
        reason="Ann Chair is ill until March",
        by=UserFactory(first_name="Sam", last_name="Staff"),
        expected_version=panel(region).version,
    )
    history = SeatChange.objects.count()

    saved = client.post(
        url(region, "consensus"),
        {"version": version, "c1": "3", "c1_rationale": "Strong <plan> evidence.", "c2": ""},
    )
    excused = client.post(url(region, "seats/4/absent"), {"reason": "Ill", "confirm": "1"})

    assert (saved.status_code, excused.status_code) == (403, 404)
    page = text(saved)
    assert (
        "Sam Staff handed the chair of the panel of "
        f"{region.pct.name} ({region.round.name}) to Cat Services on" in page
    )
    assert "saying: “Ann Chair is ill until March”" in page
    assert "Cat Services records the panel's consensus and excuses members from now on." in page
    assert "Nothing was saved." in page
    assert "<td>c1</td><td>3</td><td>Strong &lt;plan&gt; evidence.</td>" in saved.content.decode()
    assert "You no longer chair the panel of" in text(excused)
    assert "What you had typed is below, to pass on to Cat Services." in text(excused)
    assert (
        '<p data-test="typed-excuse">You were excusing Dan Outside (seat 4: '
        f"{seat(region, 4).seat_type.name}), with the reason: “Ill”</p>"
    ) in text(excused)
    assert AgreedRating.objects.filter(assessment=region.assessment).count() == 0
    assert RatingChange.objects.filter(assessment=region.assessment).count() == 0
    assert seat(region, 4).absence_reason == ""
    assert SeatChange.objects.count() == history
    # A member who never chaired still gets the bare 404.
    other = client_for(region.people[2].user).post(url(region, "consensus"), {"version": version})
    assert other.status_code == 404 and "You no longer chair" not in text(other)


def test_an_acting_chair_whose_chair_was_handed_on_is_told_and_given_back_what_was_typed(
    region,
):
    """Walk W: the acting chair's save after SHA staff handed the chair back answered a
    bare 404, and the agreed values and rationales typed were lost."""
    handed(region, 3)
    client = client_for(region.people[3].user)
    version = str(panel(region).version)
    panel_acting_chair_set(
        panel=panel(region),
        seat=None,
        reason="Ann Chair is back",
        by=UserFactory(first_name="Sam", last_name="Staff"),
        expected_version=panel(region).version,
    )

    saved = client.post(
        url(region, "consensus"),
        {"version": version, "c1": "3", "c1_rationale": "Strong <plan> evidence.", "c2": ""},
    )
    excused = client.post(url(region, "seats/4/absent"), {"reason": "Ill", "confirm": "1"})

    assert (saved.status_code, excused.status_code) == (404, 404)
    page = text(saved)
    assert (
        "Sam Staff handed the chair of the panel of "
        f"{region.pct.name} ({region.round.name}) to Ann Chair on" in page
    )
    assert "saying: “Ann Chair is back”" in page
    assert "Nothing was saved." in page
    assert "<td>c1</td><td>3</td><td>Strong &lt;plan&gt; evidence.</td>" in saved.content.decode()
    assert "You no longer chair the panel of" in text(excused)
    assert seat(region, 4).absence_reason == ""
    # Anyone else still gets the bare 404.
    other = client_for(region.people[2].user).post(url(region, "seats/4/absent"), {"reason": "x"})
    assert other.status_code == 404 and "You no longer chair" not in text(other)


def _framework_items(region):
    framework = region.round.framework
    CompetencyFactory(framework=framework, number=1, short_name="Locally leading the NHS")
    CompetencyFactory(framework=framework, number=2, short_name="Working with community partners")
    GovernanceAreaFactory(framework=framework, code="strategy", name="Strategy", position=1)
    finance = GovernanceAreaFactory(
        framework=framework, code="finance", name="Financial management", position=2
    )
    SubIndicatorFactory(area=finance, number=3, name="Robust financial management")


def test_the_typing_given_back_names_each_item_as_the_consensus_page_does(region):
    """The races brief: the agreed values given back were labelled by their form codes
    ("c1", "finance_3"), which the chair never saw on the consensus page."""
    _framework_items(region)
    client = client_for(region.people[1].user)
    version = str(panel(region).version)
    handed(region, 3)

    saved = client.post(
        url(region, "consensus"),
        {
            "version": version,
            "c1": "3",
            "c1_rationale": "Strong plan.",
            "c2": "",
            "c2_rationale": "",
            "finance_3": "amber",
            "finance_3_rationale": "Thin reserves.",
            "strategy": "green",
            "strategy_rationale": "",
        },
    )

    assert saved.status_code == 403
    assert re.findall(
        r"<tr><td>([^<]*)</td><td>([^<]*)</td>",
        saved.content.decode().split('data-test="typed"')[1],
    ) == [
        ("1. Locally leading the NHS", "3"),
        ("Financial management: Robust financial management", "amber"),
        ("Strategy", "green"),
    ]


@pytest.mark.parametrize("typed", [1, 3])
def test_the_typing_given_back_reads_the_items_in_queries_that_do_not_grow(
    region, typed, django_assert_num_queries
):
    _framework_items(region)
    client = client_for(region.people[1].user)
    version = str(panel(region).version)
    handed(region, 3)
    codes = ["c1", "c2", "strategy"][:typed]
    data = {"version": version} | {code: "" for code in codes}
    data |= {f"{code}_rationale": f"Typed for {code}." for code in codes}

    with django_assert_num_queries(14):
        saved = client.post(url(region, "consensus"), data)

    assert saved.content.decode().count("<td>Typed for ") == typed


def test_the_chair_told_after_a_second_hand_over_reads_who_chairs_now(region):
    """The chair was handed to Cat Services, then from her to Dan Outside: the chair's save
    from a page opened before both names Dan, who chairs now, not Cat."""
    client = client_for(region.people[1].user)
    version = str(panel(region).version)
    handed(region, 3)
    handed(region, 4, reason="Cat Services is away too")

    saved = client.post(url(region, "consensus"), {"version": version, "c1": "2"})
    acting_before = client_for(region.people[3].user).post(
        url(region, "consensus"), {"version": version}
    )

    assert (saved.status_code, acting_before.status_code) == (403, 404)
    for page in (text(saved), text(acting_before)):
        assert f"({region.round.name}) to Dan Outside on" in page
        assert "saying: “Cat Services is away too”" in page
        assert "to Cat Services" not in page


def test_acting_chair_excuses_the_chair_while_scoring(region):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    handed(region, 3)
    client = client_for(region.people[3].user)

    page = client.get(url(region, "consensus"))
    client.post(url(region, "seats/1/absent"), {"reason": "Ill", "confirm": "1"})

    excusable = re.findall(r"seats/([0-9])/absent/", page.content.decode())
    assert excusable == ["1", "2", "4", "5"]
    assert seat(region, 1).absence_reason == "Ill"


def test_history_page_shows_each_hand_over_with_its_reason(region):
    handed(region, 3)
    panel_acting_chair_set(
        panel=panel(region),
        seat=None,
        reason="Ann Chair is back",
        by=UserFactory(),
        expected_version=panel(region).version,
    )

    response = client_for(staff_of(region.sha_a)).get(url(region, "history"))

    rows = [e for e in response.context["entries"] if e.kind == "seat"]
    assert [(e.item, e.change, e.source, e.note) for e in rows] == [
        (
            "The panel's chair",
            "Chair handed from Cat Services back to Ann Chair, who holds the chair's seat; "
            "seats unchanged",
            "Chair handed back",
            "Ann Chair is back",
        ),
        (
            "The panel's chair",
            "Chair handed from Ann Chair to Cat Services, as acting chair; seats unchanged",
            "Chair handed to another member",
            "Ann Chair is ill until March",
        ),
    ]
    # Walk W: it read "Seat 1: ... | Ann Chair -> Cat Services", as if Cat took Ann's seat.
    page = text(response)
    assert (
        '<th scope="row">The panel\'s chair</th> <td>Chair handed from Ann Chair to Cat '
        "Services, as acting chair; seats unchanged</td> <td>Chair handed to another "
        "member</td> <td>Ann Chair is ill until March</td>" in page
    )
    assert "Ann Chair → Cat Services" not in page


def test_my_panels_gives_the_acting_chair_the_consensus_link(region):
    handed(region, 3)
    consensus = url(region, "consensus")

    acting = client_for(region.people[3].user).get("/panels/mine/")
    member = client_for(region.people[2].user).get("/panels/mine/")

    assert consensus in acting.content.decode()
    assert "(acting chair since " in text(acting)
    assert consensus not in member.content.decode()


def test_my_panels_says_since_when_the_acting_chair_chairs(region):
    """The races brief: 'My panels' said "(acting chair)" without since when, as the home
    page says it; the latest hand-over to them is the date."""
    handed(region, 3)
    handed(region, 5, reason="Cat Services is away")
    handed(region, 3, reason="Cat Services is back")
    first, _away, latest = SeatChange.objects.filter(how=SeatChange.How.ACTING).order_by("pk")
    SeatChange.objects.filter(pk=first.pk).update(
        changed_at=datetime.datetime(2009, 11, 3, 10, tzinfo=datetime.UTC)
    )
    SeatChange.objects.filter(pk=latest.pk).update(
        changed_at=datetime.datetime(2009, 11, 20, 10, tzinfo=datetime.UTC)
    )

    acting = text(client_for(region.people[3].user).get("/panels/mine/"))
    member = text(client_for(region.people[5].user).get("/panels/mine/"))

    assert re.findall(r'<strong data-test="acting-mark">(.*?)</strong>', acting) == [
        '(acting chair since <time datetime="2009-11-20">20 November 2009</time>)'
    ]
    assert 'data-test="acting-mark"' not in member


def test_a_member_who_may_not_chair_is_said_so_beside_their_name(region):
    """Walk W: a deactivated chair was offered the chair back, refused only after Continue."""
    handed(region, 3)
    Person.objects.filter(pk=region.people[1].pk).update(is_active=False)

    page = text(client_for(staff_of(region.sha_a)).get(url(region)))

    assert "Ann Chair again, the chair (deactivated: cannot chair)" in page


def test_a_choice_handed_the_chair_in_another_tab_meanwhile_says_so(region):
    """Walk W: the refusal read only "Choose who chairs the panel from the list"."""
    client = client_for(staff_of(region.sha_a))
    stale = posted(region, 3)
    handed(region, 3)  # another tab, first

    response = client.post(url(region), stale)

    assert response.status_code == 200
    assert response.context["form"].errors["seat"] == [
        "Cat Services chairs the panel already: the chair was handed to them since you "
        "opened this page. Choose someone else, or leave it."
    ]
    assert SeatChange.objects.filter(how=SeatChange.How.ACTING).count() == 1


@pytest.mark.django_db
def test_the_chair_handed_on_while_scoring_sees_no_scores_on_the_consensus_page_until_submitting(
    client,
):
    """Review X: once an acting chair is named while the panel scores, the chair's seat
    holder is a member who still scores; their consensus page (read-only) showed every
    submitted member's scores and notes before they had scored themselves."""
    from panels.tests.scoring_builders import build_scoring_panel
    from panels.tests.test_scoring_views import submit, url

    built = build_scoring_panel()
    submit(built, built.seats[1], notes="Secret view of seat")
    panel_acting_chair_set(
        panel=Panel.objects.get(pk=built.panel.pk),
        seat=Seat.objects.get(pk=built.seats[2].pk),
        reason="Chair ill",
        by=UserFactory(),
        expected_version=Panel.objects.get(pk=built.panel.pk).version,
    )
    client.force_login(built.chair.person.user)

    before = client.get(url(built, "consensus"))
    submit(built, built.chair, notes="The chair's own")
    after = client.get(url(built, "consensus"))

    assert before.status_code == 200 and not before.context["show_scores"]
    assert "Secret view of seat 2" not in before.text
    assert after.context["show_scores"] and "Secret view of seat 2" in after.text
