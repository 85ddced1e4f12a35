"""A PCT moved to another SHA while its assessment is at work (walk W: 5PE moved from West
Midlands to East Midlands at consensus; "Nobody is e-mailed", and the West Midlands staff who
formed its panel got a bare 404 on every page of it).

Cross-app (``assessments.organisations`` with a panel of ``panels``): the check page says
what happens to each assessment at work and who is e-mailed, a move that would change a
signed-off region's figures is refused, both SHAs' staff are e-mailed once it commits, and
the old SHA's staff following an old link are told where it went (404 for anyone else)."""

import datetime
import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import PCTChange, PrimaryCareTrust, RegionReview, Role, Stage
from assessments.organisations import pct_moved_away_for, pct_update, pct_update_plan
from panels.models import Seat
from panels.tests.formation_builders import build_region
from tests.factories import RegionReviewFactory, RoleFactory, SHAFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff(sha, name: str, *, email: bool = True, active: bool = True):
    first, last = name.split()
    user = RoleFactory(
        kind=Role.Kind.SHA_STAFF,
        sha=sha,
        user__first_name=first,
        user__last_name=last,
        user__email=f"{first.lower()}@example.nhs.uk" if email else "",
        user__is_active=active,
    ).user
    return user


@pytest.fixture
def region():
    """The assessed PCT (in SHA Alpha) at panel consensus, its panel seated and chaired by
    Ann Chair, an SHA Alpha director; staff of both SHAs."""
    region = build_region(stage=Stage.CONSENSUS)
    region.panel = region.seated()
    region.old_staff = [
        staff(region.sha_a, "Quentin Old"),
        staff(region.sha_a, "Nora Noaddress", email=False),
        staff(region.sha_a, "Ivy Inactive", active=False),
    ]
    region.new_staff = [staff(region.sha_b, "Beth New")]
    return region


@pytest.fixture
def national():
    return RoleFactory(kind=Role.Kind.NATIONAL, user__first_name="Nat", user__last_name="Lead").user


def move(region, national, sha=None):
    pct = PrimaryCareTrust.objects.get(pk=region.pct.pk)
    return pct_update(
        pct=pct, name=pct.name, sha=sha or region.sha_b, org_type=pct.org_type,
        closed_on=None, by=national,
    )  # fmt: skip


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The service ------------------------------------------------------------------------


def test_a_move_at_consensus_e_mails_both_shas_staff_once_it_commits(
    region, national, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert move(region, national) == 1

    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_b
    assert list(PCTChange.objects.values_list("field", "old_value", "new_value")) == [
        ("sha", region.sha_a.ods_code, region.sha_b.ods_code)
    ]
    by_to = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_to) == ["beth@example.nhs.uk", "quentin@example.nhs.uk"]
    old, new = by_to["quentin@example.nhs.uk"], by_to["beth@example.nhs.uk"]
    assert old.subject == (
        f"Assessed PCT ({region.pct.ods_code}) has moved to SHA Beta: its assessment is no "
        "longer yours"
    )
    assert "the staff of SHA Beta form, moderate and sign off its assessment" in old.body
    assert "you no longer see its pages" in old.body
    assert "(Nat Lead, national assurance team," in old.body
    assert new.subject == (
        f"Assessed PCT ({region.pct.ods_code}) has moved to SHA Beta: its assessment is now yours"
    )
    assert "you, the staff of SHA Beta, form, moderate and sign off its assessment" in new.body
    assert (
        "- Round 2009-10: at Panel consensus. Its panel keeps its members and their scores; "
        "Ann Chair (SHA Alpha) chairs it." in new.body
    )
    assert f"/panels/2009-10/{region.pct.ods_code}/" in new.body


def test_a_move_of_a_pct_with_nothing_at_work_e_mails_nobody(
    region, national, mailoutbox, django_capture_on_commit_callbacks
):
    region.round.first_published_at = timezone.now()
    region.round.published_at = timezone.now()
    region.round.save()

    with django_capture_on_commit_callbacks(execute=True):
        move(region, national)

    assert mailoutbox == []
    assert pct_update_plan(
        pct=PrimaryCareTrust.objects.get(pk=region.pct.pk), name="Assessed PCT",
        sha=region.sha_a, org_type="pct", closed_on=None,
    ).move is None  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "refusal"),
    [
        (
            Stage.CROSS_CHECK,
            "Assessed PCT cannot move to SHA Beta now: its assessment in 2009-10 is at "
            "National cross-check (SHA Alpha signed it off), and moving it would change "
            "figures SHA Alpha signed off. Send SHA Alpha back at the cross-check first (its "
            "assessments return to regional moderation), then move it.",
        ),
        (
            Stage.FACTUAL_ACCURACY,
            "Assessed PCT cannot move to SHA Beta now: its assessment in 2009-10 is at "
            "Factual-accuracy check (SHA Alpha signed it off and the national team confirmed "
            "it), and moving it would change figures SHA Alpha signed off. Move it once "
            "2009-10 is published.",
        ),
    ],
)
def test_a_move_past_the_old_regions_sign_off_is_refused_writing_nothing(
    region, national, mailoutbox, django_capture_on_commit_callbacks, stage, refusal
):
    region.assessment.stage = stage
    region.assessment.save()

    with pytest.raises(ValidationError) as raised, django_capture_on_commit_callbacks(execute=True):
        move(region, national)

    assert raised.value.message_dict == {"sha": [refusal]}
    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_a
    assert not PCTChange.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        (RegionReview.Status.MODERATING, False),
        (RegionReview.Status.SENT_BACK, False),
        (RegionReview.Status.SIGNED_OFF, True),
        (RegionReview.Status.CONFIRMED, True),
    ],
)
def test_a_move_into_a_signed_off_region_is_refused(region, national, status, refused):
    RegionReviewFactory(round=region.round, sha=region.sha_b, status=status)

    if not refused:
        assert move(region, national) == 1
        return
    with pytest.raises(ValidationError) as raised:
        move(region, national)
    assert raised.value.messages[0].startswith(
        f"Assessed PCT cannot move to SHA Beta now: SHA Beta is {status.label.lower()} in "
        "2009-10, and taking Assessed PCT in would change the figures it signed off."
    )
    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_a


# --- The check page and the confirmation ---------------------------------------------------


def edit_url(region) -> str:
    return f"/organisations/{region.pct.ods_code}/"


def typed(region, sha) -> dict:
    return {"name": "Assessed PCT", "sha": str(sha.pk), "org_type": "pct", "closed_on": ""}


def test_the_check_page_says_who_works_on_the_assessment_and_who_is_e_mailed(region, national):
    response = client_for(national).post(edit_url(region), typed(region, region.sha_b))

    assert response.templates[0].name == "confirm.html"
    assert [html.unescape(line) for line in response.context["happens"]] == [
        "SHA SHA Alpha to SHA Beta. Its results in 2009-10 move from the figures of SHA Alpha "
        "to those of SHA Beta: the SHA means its PCT pages compare with, and the region's "
        "tables and files. Its assessment in 2009-10, at Panel consensus, goes to the staff of "
        "SHA Beta: from now on they form its panel, moderate it and sign it off, and the staff "
        "of SHA Alpha lose access to it (an old link tells them where it went). Its panel "
        "keeps its members and their scores; Ann Chair (SHA Alpha) still chairs it.",
        # Walk Z: the chair is SHA Alpha's director; SHA Beta's staff may hand it on.
        "Ann Chair (SHA Alpha) will still chair the panel of a PCT now in SHA Beta; SHA Beta's "
        'staff can hand the chair on at <a href="'
        + reverse("panels:hand_chair", args=["2009-10", region.pct.ods_code])
        + '" data-test="hand-chair">the 2009-10 panel\'s hand-over page</a>.',
    ]
    assert response.context["told"] == (
        "E-mailed once you confirm: 1 member of the SHA staff of SHA Alpha, that the PCT and "
        "its assessment have left them; and 1 member of the SHA staff of SHA Beta, that they "
        "now form, moderate and sign off its assessment, with its stage, its panel's chair and "
        "a link. The change is kept in the PCT's history on its page, with your name."
    )
    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_a


def test_the_check_page_at_moderation_says_whose_sign_off_covers_it(region, national):
    region.assessment.stage = Stage.MODERATION
    region.assessment.save()
    Role.objects.filter(sha=region.sha_b).delete()

    response = client_for(national).post(edit_url(region), typed(region, region.sha_b))

    assert response.context["happens"][0].endswith(
        "still chairs it. It leaves SHA Alpha's regional moderation for SHA Beta's, whose "
        "sign-off will cover it; any moderation changes SHA Alpha made to it are kept, with "
        "their reasons."
    )
    assert response.context["told"] == (
        "E-mailed once you confirm: 1 member of the SHA staff of SHA Alpha, that the PCT and "
        "its assessment have left them. SHA Beta has no active staff with an e-mail address: "
        "nobody there is told. The change is kept in the PCT's history on its page, with your "
        "name."
    )


def test_confirming_the_move_saves_and_e_mails_both_shas(
    region, national, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(national)
    check = client.post(edit_url(region), typed(region, region.sha_b))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit_url(region), {**dict(check.context["carry"]), "confirm": "1"}, follow=True
        )

    assert [str(m) for m in response.context["messages"]] == [
        f"Saved Assessed PCT ({region.pct.ods_code}): SHA SHA Alpha to SHA Beta. E-mailed 1 "
        "member of the SHA staff of SHA Alpha and 1 member of the SHA staff of SHA Beta."
    ]
    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_b
    assert sorted(m.to[0] for m in mailoutbox) == ["beth@example.nhs.uk", "quentin@example.nhs.uk"]


def test_a_refused_move_is_shown_on_the_pcts_page_with_what_was_typed(region, national):
    region.assessment.stage = Stage.CROSS_CHECK
    region.assessment.save()

    response = client_for(national).post(edit_url(region), typed(region, region.sha_b))

    assert response.templates[0].name == "organisations/pct.html"
    assert list(response.context["form"].errors) == ["sha"]
    assert response.context["form"]["sha"].value() == str(region.sha_b.pk)
    assert 'href="#id_sha"' in response.text
    assert "Send SHA Alpha back at the cross-check first" in text(response)


# --- The old SHA's staff following an old link -----------------------------------------------


@pytest.mark.parametrize(
    "page",
    ["{round}/{ods}/", "{round}/{ods}/consensus/", "{round}/{ods}/formation/"],
)
def test_the_old_shas_staff_following_an_old_link_are_told_where_it_went(region, national, page):
    move(region, national)
    link = "/panels/" + page.format(round=region.round.slug, ods=region.pct.ods_code)

    told = client_for(region.old_staff[0]).get(link)

    assert told.status_code == 404
    assert (
        f"Assessed PCT moved to SHA Beta on {timezone.localdate():%-d %B %Y} (by Nat Lead): "
        "its SHA Beta staff deal with it now." in text(told)
    )
    # The new SHA's staff have it; anyone else gets the bare 404.
    assert client_for(region.new_staff[0]).get(link).status_code == 200
    for other in (staff(SHAFactory(name="SHA Gamma"), "Gil Other"), UserFactory()):
        bare = client_for(other).get(link)
        assert bare.status_code == 404
        assert "moved to" not in text(bare)


@pytest.mark.parametrize(
    "link",
    [
        "/reports/moderation/{round}/{sha}/pct/{ods}/sub-indicators/",
        "/reports/development/{round}/{ods}/",
        "/boards/{ods}/",
    ],
)
def test_the_old_shas_other_pages_of_the_pct_are_explained_too(region, national, link):
    """Review AB: the pages of the PCT outside the panels' (its sub-indicators at
    moderation, its development plan, its board's accounts) gave the bare 404."""
    url = link.format(round=region.round.slug, ods=region.pct.ods_code, sha=region.sha_a.ods_code)
    assert client_for(region.old_staff[0]).get(url).status_code == 200
    move(region, national)

    told = client_for(region.old_staff[0]).get(url)

    assert told.status_code == 404
    assert "Assessed PCT moved to SHA Beta on" in text(told)
    bare = client_for(UserFactory()).get(url)
    assert bare.status_code in (302, 404)  # the log-in page or the bare 404
    assert "moved to" not in text(bare)


def test_the_self_assessment_link_is_explained_too(region, national):
    move(region, national)
    link = f"/assessments/2009-10/{region.pct.ods_code}/self-assessment/"

    told = client_for(region.old_staff[0]).get(link)

    assert told.status_code == 404
    assert "Assessed PCT moved to SHA Beta on" in text(told)


def test_pct_moved_away_for_only_the_old_shas_staff(region, national):
    ods = region.pct.ods_code
    assert pct_moved_away_for(user=region.old_staff[0], ods=ods) is None  # not moved yet
    move(region, national)

    change = pct_moved_away_for(user=region.old_staff[0], ods=ods.lower())

    assert (change.old_value, change.new_value) == (region.sha_a.ods_code, region.sha_b.ods_code)
    assert pct_moved_away_for(user=region.new_staff[0], ods=ods) is None
    assert pct_moved_away_for(user=national, ods=ods) is None
    # Moved back: the old SHA has it again.
    move(region, national, sha=region.sha_a)
    assert pct_moved_away_for(user=region.old_staff[0], ods=ods) is None
    assert pct_moved_away_for(user=region.new_staff[0], ods=ods).new_value == (
        region.sha_a.ods_code
    )


def test_the_check_page_links_the_formation_page_for_a_chair_of_a_panel_being_formed(
    region, national
):
    region.assessment.stage = Stage.PANEL_FORMATION
    region.assessment.save()

    response = client_for(national).post(edit_url(region), typed(region, region.sha_b))

    formation = reverse("panels:formation_panel", args=["2009-10", region.pct.ods_code])
    assert html.unescape(response.context["happens"][1]) == (
        "Ann Chair (SHA Alpha) will still chair the panel of a PCT now in SHA Beta; SHA Beta's "
        f'staff can hand the chair on at <a href="{formation}" data-test="hand-chair">the '
        "2009-10 panel's formation page (replace the chair's seat)</a>."
    )
    assert f'<a href="{formation}" data-test="hand-chair">' in response.text  # a link


def test_the_check_page_says_nothing_of_a_chair_from_another_sha(region, national):
    gamma = SHAFactory(name="SHA Gamma")
    chair = Seat.objects.select_related("person").get(panel=region.panel, seat_type__is_chair=True)
    chair.person.sha = gamma
    chair.person.save()

    response = client_for(national).post(edit_url(region), typed(region, region.sha_b))

    assert len(response.context["happens"]) == 1
    assert response.context["happens"][0].endswith("Ann Chair (SHA Gamma) still chairs it.")
    assert 'data-test="hand-chair"' not in response.text


# --- A file of PCTs that moves one (its preview says what applying would refuse) -----------


def file_preview(region, national, sha):
    """The preview of a file moving the assessed PCT to ``sha``, as the national team sees it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    row = f"{region.pct.ods_code},Assessed PCT,PCT,{sha.ods_code},\n"
    upload = SimpleUploadedFile(
        "pcts.csv", ("ods_code,name,org_type,sha_ods_code,sha_name\n" + row).encode()
    )
    return client_for(national).post("/organisations/file/", {"file": upload}, follow=True)


def test_a_file_moving_a_pct_past_its_sign_off_shows_the_refusal_on_its_row(region, national):
    region.assessment.stage = Stage.CROSS_CHECK
    region.assessment.save()

    response = file_preview(region, national, region.sha_b)

    page = text(response)
    refusal = (
        "Assessed PCT cannot move to SHA Beta now: its assessment in 2009-10 is at National "
        "cross-check (SHA Alpha signed it off), and moving it would change figures SHA Alpha "
        "signed off. Send SHA Alpha back at the cross-check first (its assessments return to "
        "regional moderation), then move it."
    )
    assert [c.refusal for c in response.context["plan"].changes] == [refusal]
    assert f'data-test="refusal"><strong>Will be refused:</strong> {refusal}</p>' in page
    # Said at the top, linked to its row; no confirm button, the corrected file below.
    assert "<title>Error: Preview of pcts.csv" in page
    assert f'<a href="#refused-2">Row 2: {region.pct.ods_code} cannot move to SHA Beta' in page
    assert 'id="refused-2"' in page
    assert 'data-test="confirm"' not in page and 'data-test="file-form"' in page
    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_a


def test_a_file_moving_a_pct_into_a_signed_off_region_shows_that_refusal(region, national):
    RegionReviewFactory(round=region.round, sha=region.sha_b, status="signed_off")

    response = file_preview(region, national, region.sha_b)

    assert (
        response.context["plan"]
        .refused[0]
        .refusal.startswith(
            "Assessed PCT cannot move to SHA Beta now: SHA Beta is signed off, awaiting national "
            "cross-check in 2009-10"
        )
    )
    assert 'data-test="confirm"' not in response.text


def test_a_file_with_an_allowed_move_is_confirmed_as_before(region, national):
    response = file_preview(region, national, region.sha_b)

    assert [(c.kind, c.refusal) for c in response.context["plan"].changes] == [("move", "")]
    assert 'data-test="confirm"' in response.text
    assert 'data-test="refusal"' not in response.text
    assert 'data-test="refused"' not in response.text


def test_a_move_while_the_rounds_publication_is_withdrawn_is_refused_as_before_it(
    region, national, mailoutbox, django_capture_on_commit_callbacks
):
    """Review AB: a round withdrawn to be corrected is not published: its PCT at the
    factual-accuracy check is at work, so moving it is refused as before the first
    publication (it went through, and nobody was told)."""
    region.assessment.stage = Stage.FACTUAL_ACCURACY
    region.assessment.save()
    round_ = region.round
    round_.first_published_at = timezone.now() - datetime.timedelta(days=2)
    round_.published_at = None  # withdrawn: offline until published again
    round_.save()
    assert round_.is_withdrawn() and not round_.is_published()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as refused,
    ):
        move(region, national)

    assert f"once {round_.slug} is published" in " ".join(refused.value.messages)
    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_a
    assert mailoutbox == []


def test_a_move_of_a_pct_held_back_from_published_results_is_refused(region, national):
    """Review AE: a PCT held back by an unanswered comment after its round's publication
    moved freely; its region then, which answers the comment and whose published figures
    count it, would have lost it."""
    from tests.factories import FactualAccuracyCommentFactory

    region.assessment.stage = Stage.FACTUAL_ACCURACY
    region.assessment.save()
    published = timezone.now() - datetime.timedelta(days=2)
    round_ = region.round
    round_.first_published_at = round_.published_at = published
    round_.save()
    FactualAccuracyCommentFactory(assessment=region.assessment)

    with pytest.raises(ValidationError) as refused:
        move(region, national)

    assert "Move it once its factual-accuracy comment is answered" in " ".join(
        refused.value.messages
    )
    assert PrimaryCareTrust.objects.get(pk=region.pct.pk).sha == region.sha_a
