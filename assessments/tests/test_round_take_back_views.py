"""The "Take back the opening" pages of a round: choose the SHAs and the reason, the
check page (who leaves, who stays and why, who is told), confirming; the national team
only."""

import re

import pytest
from django.utils import timezone
from django.utils.html import escape

from assessments.models import Assessment, AssessmentRound, PrimaryCareTrust, Role, RoundChange
from assessments.rounds import framework_source, round_create, round_open
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    EvidenceDocumentFactory,
    FrameworkFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URL = "/rounds/2010-11/take-back/"
REASON = "Opened for the wrong SHA: East Midlands was meant."


@pytest.fixture
def national():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


@pytest.fixture
def east():
    return SHAFactory(ods_code="Q35", name="East of England")


@pytest.fixture
def opened(national, east):
    framework = FrameworkFactory(slug="2009-10")
    CompetencyFactory(framework=framework, number=1)
    AssessmentRoundFactory(slug="2009-10", framework=framework)
    round_ = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )
    for name in ("Alpha", "Beta"):
        pct = PCTFactory(sha=east, name=name)
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct, user=UserFactory(email=f"{name}@x.org"))
    SHAFactory(ods_code="Q36", name="East Midlands")  # no assessment: not offered
    round_open(round_=round_, shas=[east], by=national)
    return round_


def test_the_page_offers_only_shas_with_assessments(client, opened, national, east):
    client.force_login(national)

    page = client.get(URL)

    assert page.status_code == 200
    labels = re.findall(r'<label for="id_shas_[0-9]+"[^>]*>\s*([^<]+)', page.text)
    assert [label.strip() for label in labels] == ["East of England (Q35): 2 PCTs in the round"]
    assert "East Midlands" not in page.text


def test_the_check_page_names_who_leaves_who_stays_and_who_is_told(client, opened, national, east):
    EvidenceDocumentFactory(assessment=Assessment.objects.get(round=opened, pct__name="Beta"))
    client.force_login(national)

    check = client.post(URL, {"shas": [east.pk], "reason": REASON})

    assert check.templates[0].name == "rounds/take_back_check.html"
    assert [a.pct.name for a in check.context["plan"].removed] == ["Alpha"]
    assert "1 PCT in 1 SHA leaves 2010-11" in check.text
    assert "Its board has uploaded evidence." in check.text
    assert "1 PCT stays in the round: someone has acted on it (named below" in check.text
    assert check.context["told"] == (
        "The 1 board member (active, with an e-mail address) of the PCTs that leave is "
        "e-mailed that their PCT will not take part after all, by your decision, quoting your "
        "reason. No staff of East of England is told: none active with an e-mail address."
    )
    assert escape(REASON) in check.text
    assert "This cannot be undone" not in check.text
    assert Assessment.objects.filter(round=opened).count() == 2  # nothing changed yet


def test_the_check_page_of_a_whole_take_back_says_the_framework_can_be_edited_again(
    client, opened, national, east
):
    client.force_login(national)

    check = client.post(URL, {"shas": [east.pk], "reason": REASON})

    assert (
        "No PCT is left in 2010-11: it is no longer open, and may then be discarded. "
        f"Its framework, {escape(opened.framework.name)}, can be edited again: nothing was "
        "rated under its words."
    ) in check.text


def test_confirming_takes_back_and_says_who_was_told(
    client, opened, national, east, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(national)
    check = client.post(URL, {"shas": [east.pk], "reason": REASON})
    expected = [str(a.pk) for a in check.context["plan"].removed]
    kept_for_go_back = "typed:take-back:2010-11" in client.session

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            URL,
            {"shas": [east.pk], "reason": REASON, "expected": expected, "confirm": "1"},
            follow=True,
        )

    assert done.redirect_chain == [("/rounds/2010-11/", 302)]
    assert (
        "Took back the opening of 2010-11 for 2 PCTs in 1 SHA. E-mailed 2 board members "
        "and 0 members of SHA staff. "
        "No PCT is left: 2010-11 is no longer open and may be discarded. "
        f"Its framework, {escape(opened.framework.name)}, can be edited again."
    ) in done.text
    assert f"Reason: {escape(REASON)}" in done.text
    assert "Discard this round" in done.text
    # What the check page kept for its "Go back" is forgotten once done (review X).
    assert kept_for_go_back and "typed:take-back:2010-11" not in client.session
    assert not Assessment.objects.filter(round=opened).exists()
    assert sorted(m.to[0] for m in mailoutbox) == ["Alpha@x.org", "Beta@x.org"]
    assert RoundChange.objects.filter(round=opened, new_value__startswith="taken back").count() == 1


def test_a_board_following_its_old_link_is_told_the_opening_was_taken_back(
    client, opened, national, east
):
    """Walk V: the link in the boards' first e-mail gave a bare "Page not found"."""
    client.force_login(national)
    check = client.post(URL, {"shas": [east.pk], "reason": REASON})
    expected = [str(a.pk) for a in check.context["plan"].removed]
    client.post(URL, {"shas": [east.pk], "reason": REASON, "expected": expected, "confirm": "1"})
    alpha = Role.objects.get(kind=Role.Kind.PCT_BOARD, pct__name="Alpha")
    link = f"/assessments/2010-11/{alpha.pct.ods_code}/self-assessment/"

    client.force_login(alpha.user)
    page = client.get(link)

    assert page.status_code == 404
    today = f"{timezone.localdate():%-d %B %Y}"
    assert (
        f"WCC 2010/11 is not open for your PCT: the national team took back its opening on "
        f"{today}, saying: \u201c{escape(REASON)}\u201d Your board was e-mailed" in page.text
    )
    client.force_login(UserFactory())  # anyone else: the bare 404, nothing of the reason
    assert client.get(link).status_code == 404
    assert escape(REASON) not in client.get(link).text


def test_a_check_page_gone_stale_is_shown_again_and_nothing_is_taken(
    client, opened, national, east, mailoutbox
):
    client.force_login(national)
    check = client.post(URL, {"shas": [east.pk], "reason": REASON})
    expected = [str(a.pk) for a in check.context["plan"].removed]
    EvidenceDocumentFactory(assessment=Assessment.objects.get(round=opened, pct__name="Alpha"))

    again = client.post(
        URL, {"shas": [east.pk], "reason": REASON, "expected": expected, "confirm": "1"}
    )

    assert "changed since the check page" in again.text
    assert [a.pct.name for a in again.context["plan"].removed] == ["Beta"]
    assert Assessment.objects.filter(round=opened).count() == 2
    assert mailoutbox == []


def test_a_missing_reason_is_refused_with_the_choice_kept(client, opened, national, east):
    client.force_login(national)

    page = client.post(URL, {"shas": [east.pk], "reason": "  "})

    assert page.templates[0].name == "rounds/take_back.html"
    assert "There is a problem" in page.text
    assert (
        '<a href="#id_reason">Why the opening is taken back: Give the reason for taking back '
        "the opening" in page.text
    )
    assert re.search(rf'value="{east.pk}"[^>]*checked', page.text)
    assert Assessment.objects.filter(round=opened).count() == 2


def test_a_reason_over_the_limit_is_refused_and_kept_whole(client, opened, national, east):
    client.force_login(national)
    long = "x" * 1001

    page = client.post(URL, {"shas": [east.pk], "reason": long})

    assert "Keep the reason to 1,000 characters or fewer (it has 1001)." in page.text
    assert long in page.text
    assert 'maxlength="1000"' not in page.text


def test_go_back_from_the_check_page_keeps_the_reason(client, opened, national, east):
    client.force_login(national)
    check = client.post(URL, {"shas": [east.pk], "reason": REASON})

    back = client.get(check.context["back"])

    assert escape(REASON) in back.text
    assert re.search(rf'value="{east.pk}"[^>]*checked', back.text)


def test_a_published_round_says_its_opening_can_no_longer_be_taken_back(client, opened, national):
    AssessmentRound.objects.filter(pk=opened.pk).update(published_at=timezone.now())
    client.force_login(national)

    page = client.get(URL)

    assert "its opening can no longer be taken back" in page.text
    assert 'name="shas"' not in page.text


@pytest.mark.parametrize("kind", [Role.Kind.SHA_STAFF, Role.Kind.PCT_BOARD, None])
def test_everyone_but_the_national_team_gets_404(client, opened, east, kind):
    if kind == Role.Kind.SHA_STAFF:
        user = RoleFactory(kind=kind, sha=east).user  # the SHA of the round's PCTs
    elif kind == Role.Kind.PCT_BOARD:
        user = Role.objects.filter(kind=kind).first().user
    else:
        user = UserFactory()
    client.force_login(user)

    get = client.get(URL)
    post = client.post(URL, {"shas": [east.pk], "reason": REASON, "confirm": "1"})

    assert (get.status_code, post.status_code) == (404, 404)
    assert Assessment.objects.filter(round=opened).count() == 2


def test_the_round_page_links_to_take_back_and_the_open_check_no_longer_says_never(
    client, opened, national, east
):
    client.force_login(national)
    SHAFactory(ods_code="Q37")
    PCTFactory(sha=east, name="Gamma")

    detail = client.get("/rounds/2010-11/")
    check = client.post("/rounds/2010-11/open/", {"shas": [east.pk], "action": "check"})

    assert f'href="{URL}" data-test="take-back-link"' in detail.text
    assert "This cannot be undone" not in check.text
    assert "can be taken back for PCTs whose boards have not started" in check.text


MERGED = "These PCTs will not be assessed this year (Alpha has merged)"


def test_listing_an_shas_pcts_keeps_what_was_typed_and_says_which_can_go(
    client, opened, national, east
):
    EvidenceDocumentFactory(assessment=Assessment.objects.get(round=opened, pct__name="Beta"))
    client.force_login(national)

    page = client.post(URL, {"action": "filter", "sha": str(east.pk), "reason": MERGED})

    assert page.templates[0].name == "rounds/take_back.html"
    assert "There is a problem" not in page.text
    rows = re.findall(r'<tr data-test="pct-([^"]+)">(.*?)</tr>', page.text, re.S)
    said = {code: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for code, row in rows}
    alpha, beta = (Assessment.objects.get(round=opened, pct__name=n).pct for n in ("Alpha", "Beta"))
    assert said == {
        alpha.ods_code: f"Alpha {alpha.ods_code} East of England Self-assessment Yes: nobody "
        "has acted on it.",
        beta.ods_code: f"Beta {beta.ods_code} East of England Self-assessment No, it stays: "
        "its board has uploaded evidence.",
    }
    assert re.search(rf'value="{beta.pk}" id="id_pcts_1" disabled', page.text)
    assert escape(MERGED) in page.text  # what was typed is kept


def test_a_pct_chosen_in_the_address_is_listed_ticked_alone(client, opened, national):
    alpha = Assessment.objects.get(round=opened, pct__name="Alpha").pct
    client.force_login(national)

    page = client.get(f"{URL}?pcts={alpha.pk}")

    assert re.findall(r'<tr data-test="pct-([^"]+)">', page.text) == [alpha.ods_code]
    assert f'value="{alpha.pk}" id="id_pcts_0" checked' in page.text


def test_one_chosen_pct_is_checked_then_taken_back_telling_its_board_and_sha_staff(
    client, opened, national, east, mailoutbox, django_capture_on_commit_callbacks
):
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=east, user=UserFactory(email="s1@sha.org"))
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=east, user=UserFactory(email="s2@sha.org"))
    alpha = Assessment.objects.get(round=opened, pct__name="Alpha").pct
    client.force_login(national)

    check = client.post(URL, {"pcts": [alpha.pk], "reason": MERGED})

    assert [a.pct.name for a in check.context["plan"].removed] == ["Alpha"]
    assert check.context["told"] == (
        "The 1 board member (active, with an e-mail address) of the PCTs that leave is "
        "e-mailed that their PCT will not take part after all, by your decision, quoting your "
        "reason. 2 members of SHA staff (active, with an e-mail address) get one e-mail each "
        "listing their SHA's PCTs that leave, with your reason (2 of East of England)."
    )
    assert f"pcts={alpha.pk}" in check.context["back"]
    expected = [str(a.pk) for a in check.context["plan"].removed]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            URL,
            {"pcts": [alpha.pk], "reason": MERGED, "expected": expected, "confirm": "1"},
            follow=True,
        )

    assert done.redirect_chain == [("/rounds/2010-11/", 302)]
    assert (
        "Took back the opening of 2010-11 for 1 PCT in 1 SHA. E-mailed 1 board member and 2 "
        "members of SHA staff."
    ) in done.text
    assert list(Assessment.objects.filter(round=opened).values_list("pct__name", flat=True)) == [
        "Beta"
    ]
    assert sorted(m.to[0] for m in mailoutbox) == ["Alpha@x.org", "s1@sha.org", "s2@sha.org"]


def test_choosing_neither_pct_nor_sha_is_refused_with_the_reason_kept(client, opened, national):
    client.force_login(national)

    page = client.post(URL, {"reason": MERGED})

    assert page.templates[0].name == "rounds/take_back.html"
    assert '<a href="#id_shas_0">Choose at least one PCT or SHA.</a>' in page.text
    assert escape(MERGED) in page.text
    assert Assessment.objects.filter(round=opened).count() == 2


def test_choosing_nothing_and_giving_no_reason_names_both(client, opened, national):
    client.force_login(national)

    page = client.post(URL, {"reason": ""})

    assert re.findall(r'<li><a href="(#id_[a-z_0-9]+)">', page.text) == ["#id_shas_0", "#id_reason"]


@pytest.mark.parametrize("pcts", [1, 3])
def test_the_listed_pcts_take_the_same_queries_whatever_their_number(
    client, opened, national, east, pcts, django_assert_num_queries
):
    for number in range(pcts - 1):
        AssessmentFactory(round=opened, pct=PCTFactory(sha=east, name=f"Extra {number}"))
    client.force_login(national)
    client.get("/rounds/")  # the session and user are loaded once before counting

    with django_assert_num_queries(7):
        client.get(f"{URL}?sha={east.ods_code}")


def test_the_discard_page_of_a_round_opened_and_wholly_taken_back_says_so(
    client, opened, national, east
):
    """Walk AC: it said "No PCT has started it and nobody was told" of a round whose
    boards were e-mailed twice."""
    from django.contrib.admin.models import LogEntry

    client.force_login(national)
    check = client.post(URL, {"shas": [east.pk], "reason": MERGED})
    expected = [str(a.pk) for a in check.context["plan"].removed]
    client.post(URL, {"shas": [east.pk], "reason": MERGED, "expected": expected, "confirm": "1"})
    today = f"{timezone.localdate():%-d %B %Y}"

    page = client.get("/rounds/2010-11/discard/")
    client.post("/rounds/2010-11/discard/", {"confirm": "1"})

    assert page.context["happens"] == [
        "The round 2010-11, its copy of the framework (with any wording changed in it) and its "
        f"timetable are deleted. It was opened for 2 PCTs on {today} and taken back on {today}, "
        f"the reason given: \u201c{MERGED}\u201d; their boards were told both times."
    ]
    assert "nobody was told" not in page.text
    assert LogEntry.objects.get().change_message == (
        "Discarded round 2010-11 (opened, then wholly taken back), with its framework copy."
    )


def test_the_discard_page_of_a_round_never_opened_says_nobody_was_told(client, opened, national):
    round_create(
        slug="2011-12", name="WCC 2011/12", source=framework_source("2010-11"), by=national
    )
    client.force_login(national)

    page = client.get("/rounds/2011-12/discard/")

    assert page.context["happens"][0].endswith(
        "are deleted. No PCT has started it and nobody was told."
    )


def test_a_round_opened_twice_and_taken_back_twice_names_each_time(national, east):
    from assessments.rounds import round_opening_taken_back

    framework = FrameworkFactory(slug="2009-10")
    AssessmentRoundFactory(slug="2009-10", framework=framework)
    round_ = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )
    RoundChange.objects.create(round=round_, field="opened", new_value="3 PCTs in Q35")
    RoundChange.objects.create(
        round=round_, field="opened", old_value="3 PCTs in Q35", new_value="taken back", reason="A"
    )
    RoundChange.objects.create(round=round_, field="opened", new_value="1 PCT in Q36")
    RoundChange.objects.create(
        round=round_,
        field="opened",
        old_value="1 PCT in Q36: 5AB",
        new_value="taken back; the round is not open",
        reason="B",
    )
    today = f"{timezone.localdate():%-d %B %Y}"

    said = round_opening_taken_back(round_=round_)

    assert said == (
        f"It was opened for 4 PCTs on {today} and taken back in 2 steps on {today}, the "
        "reasons given: \u201cA\u201d; \u201cB\u201d; their boards were told each time."
    )


def test_the_check_page_counts_one_member_of_staff_in_the_singular(client, opened, national, east):
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=east, user=UserFactory(email="s1@sha.org"))
    client.force_login(national)

    check = client.post(URL, {"shas": [east.pk], "reason": MERGED})

    assert check.context["told"].endswith(
        "1 member of SHA staff (active, with an e-mail address) gets one e-mail listing their "
        "SHA's PCTs that leave, with your reason (1 of East of England)."
    )


def test_one_pcts_take_back_is_told_to_its_board_only(client, opened, national, east):
    """Takeback2's left-out: the old-link message matched a take-back by the SHA's code,
    so a board of the same SHA whose PCT never had an assessment read another PCT's."""
    from assessments.rounds import round_take_back

    alpha = Role.objects.get(kind=Role.Kind.PCT_BOARD, pct__name="Alpha")
    gamma = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=east, name="Gamma"))
    round_take_back(round_=opened, pcts=[alpha.pct], reason=REASON, by=national)

    def page(role):
        client.force_login(role.user)
        return client.get(f"/assessments/2010-11/{role.pct.ods_code}/self-assessment/")

    assert "took back its opening" in page(alpha).text
    assert page(gamma).status_code == 404
    assert "took back its opening" not in page(gamma).text


@pytest.mark.parametrize(
    ("what", "covered"),
    [
        ("2 PCTs in Q35: 5AA, 5AB", True),
        ("1 PCT in Q35: 5AB", False),
        ("2 PCTs in Q35", True),  # a row from before the PCTs' codes were kept
        ("240 PCTs in Q35: 5AB, 5AC, 5AD, …", False),  # cut short: only those it names
        ("240 PCTs in Q35: 5AB, 5AA, 5AD, …", True),
    ],
)
def test_whether_a_take_back_row_covers_a_pct(what, covered):
    from assessments.selectors import _took_back

    assert _took_back(what, "5AA") is covered


def test_a_boards_home_page_says_its_pct_left_the_round(client, opened, national, east):
    """Walk AC: the home page of a board whose PCT's opening was taken back read "No
    assessment has been opened for Hastings and Rother yet.", as if nothing had happened."""
    from assessments.rounds import round_take_back

    alpha = Role.objects.get(kind=Role.Kind.PCT_BOARD, pct__name="Alpha")
    beta = Role.objects.get(kind=Role.Kind.PCT_BOARD, pct__name="Beta")
    round_take_back(round_=opened, pcts=[alpha.pct], reason=REASON, by=national)
    today = f"{timezone.localdate():%-d %B %Y}"

    client.force_login(alpha.user)
    page = client.get("/").text
    client.force_login(beta.user)
    other = client.get("/").text

    by = national.get_full_name() or "the national assurance team"
    said = f"Alpha is not in WCC 2010/11: {by} took back its opening on {today}"
    assert said in page
    assert escape(REASON) in page
    assert "No assessment has been opened for Alpha yet" not in page
    assert 'data-test="taken-back"' not in other  # Beta is still in the round


def test_a_pct_never_in_the_round_is_not_said_taken_back_after_a_large_take_back():
    """Review AE: the history value of a take-back of 20 PCTs was cut at 100 characters,
    and every PCT of the SHA read as taken back, one that joined it later included."""
    from assessments.rounds import round_take_back
    from assessments.selectors import board_pcts, openings_taken_back

    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    west = SHAFactory(ods_code="Q34", name="West Midlands")
    east = SHAFactory(ods_code="Q33", name="East Midlands")
    framework = FrameworkFactory(slug="2009-10")
    CompetencyFactory(framework=framework, number=1)
    AssessmentRoundFactory(slug="2009-10", framework=framework)
    round_ = round_create(
        slug="2010-11", name="WCC 2010/11", source=framework_source("2009-10"), by=national
    )
    for n in range(20):
        PCTFactory(sha=west, name=f"W{n:02}", ods_code=f"5{n:02}")
    newcomer = PCTFactory(sha=east, name="Newcomer", ods_code="9ZZ")  # not opened: East
    round_open(round_=round_, shas=[west], by=national)
    round_take_back(round_=round_, shas=[west], reason="Opened by mistake.", by=national)
    row = RoundChange.objects.get(round=round_, field="opened", new_value__startswith="taken")
    assert row.old_value.endswith(", 519")  # every PCT named
    # Newcomer moves into West Midlands afterwards (never had an assessment in 2010-11).
    PrimaryCareTrust.objects.filter(pk=newcomer.pk).update(sha=west)
    pcts = list(board_pcts(pct_ids=frozenset([newcomer.pk])))
    openings_taken_back(pcts)
    assert pcts[0].taken_back == []
    taken = list(
        board_pcts(
            pct_ids=frozenset(
                PrimaryCareTrust.objects.filter(ods_code="519").values_list("pk", flat=True)
            )
        )
    )
    openings_taken_back(taken)
    assert [c.pk for c in taken[0].taken_back] == [row.pk]
