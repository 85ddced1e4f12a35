"""The board's flash after a comment and the page's factual-accuracy section state the
same, true rule for holding results back (``assessments.factual_accuracy``): a comment
still unanswered at the publication time holds them back (issue 11, finding 9)."""

import html

import pytest
from django.contrib.messages import get_messages

from assessments.factual_accuracy import HOLD_BACK_RULE
from assessments.models import AgreedRating, AssessmentRound, StrategicHealthAuthority
from assessments.regions import region_confirm, region_sign_off
from tests.users import demo_user

pytestmark = pytest.mark.django_db
PAGE = "/reports/pct/5ND/2009-10/"


def test_flash_and_section_state_the_same_hold_back_rule(client, demo):
    round_ = AssessmentRound.objects.get(slug="2009-10")
    sha = StrategicHealthAuthority.objects.get(ods_code="Q30")
    region_sign_off(round_=round_, sha=sha, by=demo_user("moderator.q30"))
    region_confirm(round_=round_, sha=sha, by=demo_user("national"))
    target = AgreedRating.objects.get(
        assessment__pct__ods_code="5ND", assessment__round=round_, competency__number=3
    )
    client.force_login(demo_user("board.5nd"))

    response = client.post(
        PAGE + "comments/", {"rating": target.pk, "comment": "Wrong date.", "confirm": "1"}
    )

    flash = [str(m) for m in get_messages(response.wsgi_request)]
    page = html.unescape(client.get(PAGE).content.decode())
    assert flash == [f"Comment sent: SHA staff will answer it. {HOLD_BACK_RULE}"]
    assert f'<span data-test="hold-back-rule">{HOLD_BACK_RULE}</span>' in page
    assert "when the window closes" not in page
    assert "publication time" in HOLD_BACK_RULE
