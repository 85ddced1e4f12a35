"""A real year from a fresh install: only the reference data, then everyone invited through
the product, and round 2010-11 taken from creation to publication (issue 10).

South East Coast (Q37, eight PCTs, the smallest region) is opened. Brighton and Hove City
(5LQ) goes through every step in the browser; its seven neighbours are moved along through
the same services as the pages (a region is signed off only once every PCT of it has
reached moderation), so that the test stays a few minutes long.
"""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import (
    Assessment,
    PrimaryCareTrust,
    Role,
    Stage,
    StrategicHealthAuthority,
)
from assessments.services import self_assessment_save
from competencies.models import Competency, SubIndicator
from competencies.selectors import rated_items
from panels.models import ExternalOrganisation, JobRole, Panel, Person, Seat, SeatType
from panels.services.formation import panel_ensure, panel_open_scoring, panel_seats_set
from panels.services.people import person_create, person_invite
from panels.services.scoring import (
    AgreedInput,
    MemberInput,
    consensus_close,
    consensus_record,
    member_scores_save,
)

time_machine = pytest.importorskip("time_machine")

ROUND = "2010-11"
SHA = "Q37"
PCT = "5LQ"  # Brighton and Hove City
PASSWORD = "A long real-year passphrase 2010"
SHOTS = "/tmp/real-year"  # noqa: S108 (screenshots for a person to look at, not kept)
LINK = re.compile(r"https?://\S+/accounts/reset/\S+/")


def _shot(page, name):
    page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def _link(mailoutbox, email):
    """The path of the last set-password link e-mailed to ``email``."""
    links = [LINK.search(m.body) for m in mailoutbox if email in m.to]
    links = [link for link in links if link]
    assert links, f"no set-password link was e-mailed to {email}"
    return urlsplit(links[-1].group(0)).path


def _set_password_and_log_in(page, mailoutbox, email, username):
    page.context.clear_cookies()
    page.goto(_link(mailoutbox, email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set your password")
    page.locator("input[name=new_password1]").fill(PASSWORD)
    page.locator("input[name=new_password2]").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Set your password")
    _log_in(page, username)


def _log_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=username]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def _check_every_radio_group(page, form_selector, prefer):
    """Check one radio of every group in the form: the first value in ``prefer`` offered."""
    page.locator(form_selector).evaluate(
        """(form, prefer) => {
            const names = [...new Set([...form.querySelectorAll('input[type=radio]')]
                .map(r => r.name))];
            for (const name of names) {
                const radios = [...form.querySelectorAll(`input[type=radio][name="${name}"]`)];
                const pick = prefer.map(v => radios.find(r => r.value === v)).find(r => r)
                    || radios[radios.length - 1];
                pick.checked = true;
            }
        }""",
        prefer,
    )


def _create_user(**options):
    call_command("create_user", verbosity=0, **options)


def _move_neighbours_to_moderation(round_slug, people, staff, boards):
    """The seven other PCTs of the region, through the pages' services: the board submits,
    staff seat the same panel (two other seat holders where the usual ones work at the
    PCT) and open scoring, every member submits, the chair closes the consensus."""
    seat_types = {t.number: t for t in SeatType.objects.all()}
    for assessment in (
        Assessment.objects.filter(round__slug=round_slug)
        .exclude(pct__ods_code=PCT)
        .select_related("pct", "round__framework")
    ):
        items = rated_items(assessment.round.framework)
        self_assessment_save(
            assessment=assessment,
            values={i: (2 if isinstance(i, Competency) else "amber", "") for i in items},
            commentary="",
            by=boards[assessment.pct.ods_code],
            expected_version=0,
            submit=True,
        )
        panel = Panel.objects.get(
            pk=panel_ensure(assessment=Assessment.objects.get(pk=assessment.pk)).pk
        )
        seated = {
            n: (people[f"alt{n}"] if people[n].pct_id == assessment.pct_id else people[n])
            for n in seat_types
        }
        panel_seats_set(panel=panel, people=seated, by=staff, expected_version=panel.version)
        panel_open_scoring(assessment=Assessment.objects.get(pk=assessment.pk), by=staff)
        for seat in Seat.objects.filter(panel=panel).select_related(
            "person__user", "panel__assessment__round__framework", "seat_type"
        ):
            values = {i: MemberInput(2 if isinstance(i, Competency) else "amber") for i in items}
            member_scores_save(
                seat=seat,
                values=values,
                by=seat.person.user,
                expected_version=seat.version,
                submit=True,
            )
        panel = Panel.objects.get(pk=panel.pk)
        agreed = {
            i: AgreedInput(2 if isinstance(i, Competency) else "amber", "Agreed on the day.")
            for i in items
        }
        consensus_record(
            panel=panel, values=agreed, by=people[1].user, expected_version=panel.version
        )
        consensus_close(assessment=Assessment.objects.get(pk=assessment.pk), by=people[1].user)


def test_a_real_year_from_a_fresh_install_to_publication(page, live_server, mailoutbox):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    started = time.monotonic()
    call_command("load_reference_data", verbosity=0)
    print(f"load_reference_data: {time.monotonic() - started:.1f}s")

    # 1. The first national account (create_user), its password set through the e-mailed link.
    _create_user(username="jo.bloggs", email="jo.bloggs@example.nhs.uk", role="national")
    _set_password_and_log_in(page, mailoutbox, "jo.bloggs@example.nhs.uk", "jo.bloggs")

    # 2. Create 2010-11 at /rounds/new/: on a fresh install there is no round to copy, so
    # the 2009-10 framework version is offered instead.
    page.goto("/")
    page.locator("[data-test=rounds-link]").get_by_role("link", name="Rounds").click()
    _shot(page, "01-rounds-empty")
    page.get_by_role("link", name="Create a round").click()
    page.locator("input[name=slug]").fill(ROUND)
    page.locator("input[name=name]").fill("World Class Commissioning assurance 2010/11")
    page.locator("select[name=source]").select_option("2009-10")
    page.get_by_role("button", name="Create the round").click()
    expect(page).to_have_url(re.compile(rf"/rounds/{ROUND}/$"))

    # The timetable: each deadline a week after the one before.
    page.get_by_role("link", name="Set the timetable").click()
    day = timezone.localdate()
    for n, field in enumerate(
        [
            "self_assessment_due",
            "panel_formation_due",
            "scoring_due",
            "consensus_due",
            "moderation_due",
            "cross_check_due",
            "publication_due",
        ],
        start=1,
    ):
        page.locator(f"input[name={field}]").fill(str(day + timedelta(weeks=n)))
    page.locator("input[name=factual_accuracy_working_days]").fill("10")
    page.get_by_role("button", name="Save the timetable").click()
    expect(page).to_have_url(re.compile(rf"/rounds/{ROUND}/$"))

    # Accounts that only create_user makes: a role (SHA staff, a PCT's board) is granted by
    # role_grant, and no page grants roles (README, "Accounts and people").
    _create_user(username="sam.staff", email="sam.staff@secoast.nhs.uk", role="sha_staff", sha=SHA)
    boards = {}
    for pct in PrimaryCareTrust.objects.filter(sha__ods_code=SHA):
        code = pct.ods_code.lower()
        _create_user(
            username=f"board.{code}",
            email=f"board.{code}@example.nhs.uk",
            role="board",
            pct=pct.ods_code,
        )
        boards[pct.ods_code] = Role.objects.get(pct=pct, kind=Role.Kind.PCT_BOARD).user

    # 3. Open the round for South East Coast only.
    page.locator("[data-test=open-link]").click()
    sha = StrategicHealthAuthority.objects.get(ods_code=SHA)
    # Every SHA with PCTs to start is ticked to begin with: untick all but one.
    for box in page.locator("input[name=shas]").all():
        box.uncheck()
    page.locator(f"input[name=shas][value='{sha.pk}']").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-test=summary]")).to_contain_text("8 PCTs in 1 SHA")
    _shot(page, "02-open-check")
    page.get_by_role("button", name="Confirm and open the round for these PCTs").click()
    assert Assessment.objects.filter(round__slug=ROUND).count() == 8
    assert set(Assessment.objects.filter(round__slug=ROUND).values_list("stage", flat=True)) == {
        Stage.SELF_ASSESSMENT
    }
    _shot(page, "03-round-opened")

    # 4. Brighton and Hove's board sets its password, fills every item and submits.
    _set_password_and_log_in(page, mailoutbox, "board.5lq@example.nhs.uk", "board.5lq")
    page.locator("[data-test=self-assessment] a").click()
    _check_every_radio_group(page, "form:has([name=commentary])", ["2", "amber"])
    page.locator("textarea[name=commentary]").fill("Our board's agreed view of 2010-11.")
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Submit self-assessment").click()
    _shot(page, "04-self-assessment-check")
    page.locator("[data-test=confirm]").click()
    expect(page.get_by_text(re.compile("submitted", re.I)).first).to_be_visible()
    assert Assessment.objects.get(round__slug=ROUND, pct__ods_code=PCT).stage == (
        Stage.PANEL_FORMATION
    )

    # 5. The international reviewer's organisation: outside the NHS, shared by every SHA,
    # so the national team adds it (a fresh install lists none).
    _log_in(page, "jo.bloggs")
    page.locator("[data-test=people-link] a").click()
    page.locator("[data-test=organisation-add]").click()
    page.locator("input[name=name]").fill("Vancouver Coastal Health")
    page.locator("input[name=sector]").fill("Health system")
    page.locator("input[name=country]").fill("Canada")
    page.get_by_role("button", name="Add the organisation").click()
    expect(page.get_by_text("Vancouver Coastal Health has been added")).to_be_visible()

    # SHA staff add and invite four of the panel at /people/.
    _set_password_and_log_in(page, mailoutbox, "sam.staff@secoast.nhs.uk", "sam.staff")
    surrey = PrimaryCareTrust.objects.get(ods_code="5P5")
    members = [
        ("Helen Ward", "helen.ward@secoast.nhs.uk", f"sha-{sha.pk}", JobRole.SHA_DIRECTOR),
        ("Ravi Patel", "ravi.patel@surrey.nhs.uk", f"pct-{surrey.pk}", JobRole.PEC_CHAIR),
        (
            "Claire Dunn",
            "claire.dunn@surrey.nhs.uk",
            f"pct-{surrey.pk}",
            JobRole.DIRECTOR_ADULT_SERVICES,
        ),
        (
            "Marie Tremblay",
            "marie.tremblay@vch.example.ca",
            f"ext-{ExternalOrganisation.objects.get().pk}",
            JobRole.EXTERNAL_EXECUTIVE,
        ),
    ]

    def add_and_invite(full_name, email, organisation, job_role):
        page.goto("/")
        page.locator("[data-test=people-link] a").click()
        page.get_by_role("link", name="Add a person").first.click()
        page.locator("input[name=full_name]").fill(full_name)
        page.locator("input[name=email]").fill(email)
        page.locator("select[name=organisation]").select_option(organisation)
        page.locator("select[name=job_role]").select_option(job_role)
        page.get_by_role("button", name="Add person").click()
        expect(page.get_by_text(f"{full_name} has been added.")).to_be_visible()
        page.get_by_role("button", name="Invite").click()
        expect(page.get_by_text(f"Invitation sent to {full_name}")).to_be_visible()

    for member in members:
        add_and_invite(*member)
    _shot(page, "05-person-invited")
    page.goto("/people/")
    _shot(page, "06-people")

    # The peer chief executive sits in a PCT of another SHA, which SHA staff cannot choose
    # (they add only their own region's people): the national team adds them.
    _log_in(page, "jo.bloggs")
    durham = PrimaryCareTrust.objects.get(ods_code="5ND")
    add_and_invite(
        "Alan Foster", "alan.foster@durham.nhs.uk", f"pct-{durham.pk}", JobRole.CHIEF_EXECUTIVE
    )

    # Each member sets their password through their link.
    usernames = {}
    for full_name, email, *_ in [*members, ("Alan Foster", "alan.foster@durham.nhs.uk")]:
        person = Person.objects.select_related("user").get(full_name=full_name)
        usernames[full_name] = person.user.username
        _set_password_and_log_in(page, mailoutbox, email, person.user.username)

    # 6. SHA staff form Brighton and Hove's panel and open scoring.
    _log_in(page, "sam.staff")
    page.locator("[data-test=formation-link]").first.click()
    page.get_by_role("link", name="Brighton and Hove City", exact=True).click()
    order = ["Helen Ward", "Ravi Patel", "Claire Dunn", "Marie Tremblay", "Alan Foster"]
    for number, full_name in enumerate(order, start=1):
        person = Person.objects.get(full_name=full_name)
        page.locator(f"select[name=seat_{number}]").select_option(str(person.pk))
    page.locator("[data-test=seats-form] [type=submit]").click()
    expect(page.locator("[data-test=filled]")).to_have_text("5/5")
    page.locator("[data-test=open-scoring]").click()  # saves the seats, then the check page
    expect(page.locator("[data-test=confirmation] h1")).to_have_text(
        "Open scoring for Brighton and Hove City?"
    )
    page.locator("[data-test=confirm]").click()
    expect(page.get_by_text("Scoring is open for Brighton and Hove City")).to_be_visible()
    assert Assessment.objects.get(round__slug=ROUND, pct__ods_code=PCT).stage == Stage.SCORING

    # The other seven PCTs, through the same services (see the module's docstring).
    staff = Role.objects.get(kind=Role.Kind.SHA_STAFF).user
    people = {
        n: Person.objects.select_related("user").get(full_name=f) for n, f in enumerate(order, 1)
    }
    west_sussex = PrimaryCareTrust.objects.get(ods_code="5P6")
    for number, role in ((2, JobRole.MEDICAL_DIRECTOR), (3, JobRole.DIRECTOR_CHILDRENS_SERVICES)):
        alt = person_create(
            full_name=f"Alt Member {number}",
            email=f"alt{number}@westsussex.nhs.uk",
            job_role=role,
            pct=west_sussex,
            by=staff,
        )
        person_invite(person=alt, by=staff)
        people[f"alt{number}"] = Person.objects.select_related("user").get(pk=alt.pk)
    for n in (1, 4, 5):
        people[f"alt{n}"] = people[n]

    # 7. The five members score every item (the sub-indicators copied from 2009-10 too).
    sub_indicators = SubIndicator.objects.filter(area__framework__rounds__slug=ROUND).count()
    assert sub_indicators == 16
    for number, full_name in enumerate(order, start=1):
        _log_in(page, usernames[full_name])
        # The home page's "Waiting for you" lists the scores due.
        page.locator("[data-test=queue-item]").get_by_role(
            "link", name="Brighton and Hove City"
        ).click()
        _check_every_radio_group(page, "form:has(button:text('Submit my scores'))", ["2", "amber"])
        page.get_by_role("button", name="Submit my scores").click()
        if number == 1:
            _shot(page, "07-scoring-check")
        page.get_by_role("button", name="Confirm and submit my scores").click()
        expect(page.get_by_text("Your scores are submitted.")).to_be_visible()
    assert Assessment.objects.get(round__slug=ROUND, pct__ods_code=PCT).stage == Stage.CONSENSUS

    # 8. The chair records the consensus and closes it.
    _log_in(page, usernames["Helen Ward"])
    page.get_by_role("link", name="Consensus for Brighton and Hove City").click()
    expect(page.locator("[data-test=done]")).to_have_text("5 of 5")
    _check_every_radio_group(page, "form:has(button:text('Save consensus'))", ["2", "amber"])
    page.locator("form:has(button:text('Save consensus')) textarea[name$=_rationale]").evaluate_all(
        "areas => areas.forEach(a => { a.value = 'The panel agreed on the evidence.'; })"
    )
    page.get_by_role("button", name="Save consensus").click()
    expect(page.get_by_text("Consensus saved.")).to_be_visible()
    page.get_by_role("button", name="Close consensus").click()
    page.get_by_role("button", name="Confirm and close consensus").click()
    expect(page.get_by_text(re.compile("Consensus closed"))).to_be_visible()
    assert Assessment.objects.get(round__slug=ROUND, pct__ods_code=PCT).stage == Stage.MODERATION

    _move_neighbours_to_moderation(ROUND, people, staff, boards)

    # 9. SHA staff sign off the region.
    _log_in(page, "sam.staff")
    page.locator("[data-test=moderation-link]").click()
    _shot(page, "08-moderation")
    page.get_by_role("button", name="Sign off South East Coast").click()
    page.get_by_role("button", name="Confirm and sign off South East Coast").click()
    expect(page.get_by_text("South East Coast signed off")).to_be_visible()

    # 10. The national team confirms it: the boards' factual-accuracy window opens.
    _log_in(page, "jo.bloggs")
    page.get_by_role("link", name="National cross-check").click()
    _shot(page, "09-cross-check")
    page.get_by_role("button", name="Confirm South East Coast").click()
    page.locator("[data-test=confirm]").click()
    assert Assessment.objects.get(round__slug=ROUND, pct__ods_code=PCT).stage == (
        Stage.FACTUAL_ACCURACY
    )

    # 11. Brighton and Hove's board has no comments.
    _log_in(page, "board.5lq")
    page.locator("[data-test=report-page]").click()
    page.locator("[data-test=no-comments] a").click()
    page.get_by_role("button", name="Confirm: no comments").click()
    _shot(page, "10-no-comments")

    # 12. The region's window closes after its working days (the board's confirmation
    # closes the board's own window, not the region's, and no page closes a region's
    # window early: only the service ``region_window_close``, which demo_advance calls): go
    # past it with time_machine, then the national team sets the publication time a few
    # minutes ahead.
    from assessments.models import RegionReview

    closes = RegionReview.objects.get(round__slug=ROUND, sha=sha).factual_accuracy_closes
    with time_machine.travel(closes + timedelta(hours=1), tick=True):
        _log_in(page, "jo.bloggs")
        page.get_by_role("link", name="Publication").click()
        when = timezone.localtime() + timedelta(minutes=5)
        page.locator("input[name=published_at]").fill(when.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Set the publication time").click()
        page.locator("[data-test=confirm]").click()
        _shot(page, "11-publication-set")

    # 13. After it, the league table answers an anonymous visitor, with the PCT in it.
    with time_machine.travel(closes + timedelta(hours=2), tick=True):
        page.context.clear_cookies()
        page.goto("/")
        page.get_by_role("link", name=f"League table {ROUND}").click()
        expect(page.locator("table").first).to_contain_text("Brighton and Hove City")
        _shot(page, "12-league-table")
    print(f"whole test: {time.monotonic() - started:.1f}s")
