"""Review AB: e-mails to a PCT's board reach its active accounts only, as the staff's do
(``sha_staff_to_tell``) and ``board_members_to_tell`` does: a deactivated board member
was still told that the draft was ready, that the results were published or withdrawn,
and that a round had opened."""

import datetime

import pytest
from django.utils import timezone

from assessments.models import Role, Stage
from assessments.notices import window_opened_notices
from assessments.publication import (
    publication_notices_send,
    withdrawal_board_roles,
    withdrawal_pct_count,
)
from assessments.rounds import round_open, round_open_plan
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    PCTFactory,
    RegionReviewFactory,
    RoleFactory,
)

pytestmark = pytest.mark.django_db


def boards(pct):
    """An active and a deactivated board account of ``pct``."""
    for active in (True, False):
        RoleFactory(
            kind=Role.Kind.PCT_BOARD,
            pct=pct,
            user__email=f"{'on' if active else 'left'}.{pct.ods_code.lower()}@x.nhs.uk",
            user__is_active=active,
        )


def sent_to(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_the_draft_is_ready_notice(mailoutbox, django_capture_on_commit_callbacks):
    round_, pct = AssessmentRoundFactory(slug="2031-32"), PCTFactory(ods_code="5ZA")
    AssessmentFactory(round=round_, pct=pct, stage=Stage.FACTUAL_ACCURACY)
    boards(pct)

    with django_capture_on_commit_callbacks(execute=True):
        window_opened_notices(review=RegionReviewFactory(round=round_, sha=pct.sha))

    assert sent_to(mailoutbox) == ["on.5za@x.nhs.uk"]


def test_the_publication_and_withdrawal_notices(mailoutbox, django_capture_on_commit_callbacks):
    past = timezone.now() - datetime.timedelta(hours=1)
    round_ = AssessmentRoundFactory(slug="2032-33", published_at=past, first_published_at=past)
    pct = PCTFactory(ods_code="5ZB")
    AssessmentFactory(round=round_, pct=pct, stage=Stage.FACTUAL_ACCURACY)
    boards(pct)

    with django_capture_on_commit_callbacks(execute=True):
        publication_notices_send(round_=round_)

    assert sent_to(mailoutbox) == ["on.5zb@x.nhs.uk"]
    assert [r.user.email for r in withdrawal_board_roles(round_=round_)] == ["on.5zb@x.nhs.uk"]
    assert withdrawal_pct_count(round_=round_) == 1


def test_the_round_has_opened_notice(mailoutbox, django_capture_on_commit_callbacks):
    round_ = AssessmentRoundFactory(slug="2033-34", published_at=None, first_published_at=None)
    told, untold = PCTFactory(ods_code="5ZC"), PCTFactory(ods_code="5ZD")
    boards(told)
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=untold, user__is_active=False)

    assert round_open_plan(round_=round_, shas=[told.sha, untold.sha]).boards == 1
    with django_capture_on_commit_callbacks(execute=True):
        round_open(round_=round_, shas=[told.sha, untold.sha], by=None)

    assert sent_to(mailoutbox) == ["on.5zc@x.nhs.uk"]
