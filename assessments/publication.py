"""Writes for publication: the national team sets a round's publication time.

Publication itself is on the clock (``AssessmentRound.is_published``): at the time every
PCT's results appear at once, with no job having to run. ``publication_notices_send``
only tells the boards afterwards, once.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, Role, Stage


@transaction.atomic
def round_set_publication(
    *, round_: AssessmentRound, published_at: datetime, by: AbstractBaseUser
) -> AssessmentRound:
    """Set when the round's results are published. Refused for a time in the past, or while
    any assessment of the round has not reached its factual-accuracy check."""
    if published_at <= timezone.now():
        raise ValidationError("Choose a publication time in the future.")
    behind = (
        Assessment.objects.filter(round=round_, stage__lt=Stage.FACTUAL_ACCURACY)
        .select_related("pct")
        .order_by("pct__name")
    )
    if behind.exists():
        names = [a.pct.name for a in behind[:5]]
        more = behind.count() - len(names)
        raise ValidationError(
            "Every region must be confirmed at the national cross-check first; not yet: "
            + ", ".join(names)
            + (f" and {more} more." if more > 0 else ".")
        )
    round_.published_at = published_at
    round_.full_clean()
    round_.save(update_fields=["published_at"])
    return round_


@transaction.atomic
def publication_notices_send(*, round_: AssessmentRound, now: datetime | None = None) -> int:
    """After the publication time, e-mail each PCT board once; returns how many were sent."""
    now = now or timezone.now()
    locked = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    if not locked.is_published(now) or locked.publication_notified_at is not None:
        return 0
    roles = Role.objects.filter(
        kind=Role.Kind.PCT_BOARD, pct__assessments__round=locked
    ).select_related("user", "pct")
    messages = [
        (
            f"{locked.name}: your results are published",
            f"The results of {locked.name} were published on "
            f"{timezone.localtime(locked.published_at):%d %B %Y at %H:%M}.\n\n"
            f"Your feedback report for {role.pct.name}: "
            f"{settings.SITE_URL}{reverse('reports:pct_pdf', args=[role.pct.ods_code, locked.slug])}\n"
            f"The league table: {settings.SITE_URL}{reverse('reports:league_table', args=[locked.slug])}\n",
            settings.DEFAULT_FROM_EMAIL,
            [role.user.email],
        )
        for role in roles
        if role.user.email
    ]
    locked.publication_notified_at = now
    locked.save(update_fields=["publication_notified_at"])
    transaction.on_commit(lambda: send_mass_mail(messages))
    return len(messages)
