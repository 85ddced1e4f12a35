"""E-mail about a region's review: its boards' factual-accuracy window opening and closing,
the national team sending the region back to its SHA staff, and SHA staff proceeding to
a PCT's panel without its board's self-assessment (``assessments.proceeding``); and about
a deadline of an opened round changed, to those who work to it (``assessments.deadlines``).

``region_confirm`` and ``region_send_back`` (``assessments.regions``) call these inside
their transaction; ``window_closed_notices_send`` is run daily by ``send_reminders``,
which finds the windows that closed since its last run (``RegionReview.
closed_notice_sent_at`` records that the boards were told). Messages are rendered from
``templates/email/`` and queued through ``assessments.mail.mail_enqueue``, so nothing is
sent for a change that is rolled back. A user without an e-mail address is skipped.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.deadlines import Work
from assessments.factual_accuracy import unanswered_comments
from assessments.mail import Message, mail_enqueue, rendered
from assessments.models import (
    Assessment,
    FactualAccuracyComment,
    RegionReview,
    Role,
    SelfAssessment,
    Stage,
    StrategicHealthAuthority,
)
from assessments.selectors import board_members_to_tell


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _board_messages(template: str, review: RegionReview, assessments) -> list[Message]:
    by_pct = {a.pct_id: a for a in assessments}
    roles = (
        Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct_id__in=by_pct, user__is_active=True)
        .select_related("user", "pct")
        .order_by("pct__name", "user__username")
    )
    unanswered = Counter(
        unanswered_comments()
        .filter(assessment__in=list(by_pct.values()))
        .values_list("assessment__pct_id", flat=True)
    )
    commented = Counter(
        FactualAccuracyComment.objects.filter(assessment__in=list(by_pct.values())).values_list(
            "assessment__pct_id", flat=True
        )
    )
    messages = []
    for role in roles:
        if not role.user.email:
            continue
        slug, ods = review.round.slug, role.pct.ods_code
        context = {
            "review": review,
            "round": review.round,
            "sha": review.sha,
            "pct": role.pct,
            "user": role.user,
            "closes": timezone.localtime(review.factual_accuracy_closes)
            if review.factual_accuracy_closes
            else None,
            "unanswered": unanswered[role.pct_id],
            "commented": commented[role.pct_id],
            "results_url": _absolute(reverse("reports:pct_page", args=[ods, slug])),
            "pdf_url": _absolute(reverse("reports:pct_pdf", args=[ods, slug])),
        }
        messages.append(rendered(template, context, role.user.email))
    return messages


def _region_assessments(review: RegionReview):
    return list(
        Assessment.objects.filter(
            round=review.round, pct__sha=review.sha, stage=Stage.FACTUAL_ACCURACY
        ).select_related("pct")
    )


def window_opened_notices(*, review: RegionReview) -> int:
    """Tell each board of the confirmed region that its draft is ready and until when it may
    comment. Call inside the confirming transaction."""
    return mail_enqueue(
        messages=_board_messages("window_opened", review, _region_assessments(review))
    )


def sha_staff_to_tell(*, sha: StrategicHealthAuthority) -> list:
    """The active staff of ``sha`` with an e-mail address, by username (one query): those
    the notices to a region's staff go to."""
    roles = Role.objects.filter(
        kind=Role.Kind.SHA_STAFF, sha=sha, user__is_active=True
    ).select_related("user")
    return [role.user for role in roles.order_by("user__username") if role.user.email]


def sent_back_notices(*, review: RegionReview) -> int:
    """Tell the region's SHA staff (active, with an address: ``sha_staff_to_tell``) that
    the national team sent it back, with the comment."""
    url = _absolute(reverse("reports:moderation", args=[review.round.slug, review.sha.ods_code]))
    messages = [
        rendered(
            "region_sent_back",
            {
                "review": review,
                "round": review.round,
                "sha": review.sha,
                "user": user,
                "today": timezone.localdate(),
                "moderation_url": url,
            },
            user.email,
        )
        for user in sha_staff_to_tell(sha=review.sha)
    ]
    return mail_enqueue(messages=messages)


def closed_windows(*, now: datetime) -> list[RegionReview]:
    """Confirmed regions whose window has closed and whose boards were not told yet (rounds
    whose publication notices went are left alone: their boards know)."""
    return list(
        RegionReview.objects.filter(
            status=RegionReview.Status.CONFIRMED,
            factual_accuracy_closes__lte=now,
            closed_notice_sent_at__isnull=True,
            round__publication_notified_at__isnull=True,
        )
        .select_related("round", "sha")
        .order_by("round__slug", "sha__name")
    )


@transaction.atomic
def window_closed_notices_send(*, review: RegionReview, now: datetime | None = None) -> int:
    """Tell the region's boards that their window has closed (once: the review records it).
    Returns how many messages were queued; 0 if another run told them first."""
    now = now or timezone.now()
    claimed = RegionReview.objects.filter(pk=review.pk, closed_notice_sent_at__isnull=True).update(
        closed_notice_sent_at=now
    )
    if not claimed:
        return 0
    review.closed_notice_sent_at = now
    return mail_enqueue(
        messages=_board_messages("window_closed", review, _region_assessments(review))
    )


def comment_answered_send(*, comment, changed: str = "") -> int:
    """Tell the board of the comment's PCT that SHA staff answered it (``comment_answer``
    calls it in its transaction): the answer, and the rating's change if any (``changed``,
    "from level 2 to level 3"). The board walk found it told nothing: the item left the
    home page's list and the answer waited on the results page for a visit."""
    from competencies.selectors import item_label

    assessment = comment.assessment
    item = item_label(comment.rating.item) if comment.rating_id else "the draft as a whole"
    unanswered = unanswered_comments().filter(assessment=assessment).count()
    results = _absolute(
        reverse("reports:pct_page", args=[assessment.pct.ods_code, assessment.round.slug])
    )
    context = {
        "round": assessment.round,
        "sha": assessment.pct.sha,
        "pct": assessment.pct,
        "item": item,
        "answer": comment.response,
        "changed": changed,
        "rated": comment.rating_id is not None,
        "unanswered": unanswered,
        "results_url": f"{results}#comment-{comment.pk}",
    }
    roles = Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct_id=assessment.pct_id).select_related(
        "user"
    )
    return mail_enqueue(
        messages=[
            rendered("comment_answered", context, role.user.email)
            for role in roles
            if role.user.email and role.user.is_active
        ]
    )


def proceeded_without_notices(*, assessment: Assessment, change) -> int:
    """Tell the PCT's board members that its panel proceeds without their self-assessment,
    why (``change.note``) and who decided (``change``: the stage change written). Call
    inside the transaction that moved the assessment on."""
    decided_by = change.changed_by
    context = {
        "round": assessment.round,
        "sha": assessment.pct.sha,
        "pct": assessment.pct,
        "reason": change.note,
        "decided_by": (decided_by.get_full_name() or decided_by.username) if decided_by else "",
        # Who moved it on: the PCT's SHA, or the national team (the walk of today's fixes:
        # "West Midlands has moved Dudley…", then "Decided by National Assurance Team").
        "mover": "the national assurance team"
        if decided_by is not None and decided_by.roles.filter(kind=Role.Kind.NATIONAL).exists()
        else assessment.pct.sha.name,
        "when": timezone.localtime(change.changed_at),
        "page_url": _absolute(
            reverse(
                "assessments:self_assessment", args=[assessment.round.slug, assessment.pct.ods_code]
            )
        ),
    }
    return mail_enqueue(
        messages=[
            rendered("proceeded_without", {**context, "user": user}, user.email)
            for user in board_members_to_tell(assessment=assessment)
        ]
    )


# --- A deadline of an opened round changed (``round_set_timetable``) -----------------------


def _deadline_work(round_, fields) -> list[Work]:
    """This app's part of ``assessments.deadlines``: the boards still to submit their
    self-assessment, the SHA staff of regions still forming panels or moderating, and the
    national team while any assessment is still to reach it. Up to four queries."""
    assessments = Assessment.objects.filter(round=round_)
    work: list[Work] = []
    if "self_assessment_due" in fields:
        roles = (
            Role.objects.filter(
                kind=Role.Kind.PCT_BOARD,
                pct__assessments__in=assessments.filter(stage=Stage.SELF_ASSESSMENT).exclude(
                    self_assessment__status=SelfAssessment.Status.SUBMITTED
                ),
            )
            .select_related("user", "pct")
            .order_by("pct__name", "user__username")
        )
        work += [
            Work(
                role.user,
                "self_assessment_due",
                f"the self-assessment of {role.pct.name}",
                reverse("assessments:self_assessment", args=[round_.slug, role.pct.ods_code]),
            )
            for role in roles
        ]
    staff_fields = {
        "panel_formation_due": (Stage.PANEL_FORMATION, "panels:formation_region", "panels of"),
        "moderation_due": (Stage.MODERATION, None, "moderation of"),
    }
    for field, (until, url_name, doing) in staff_fields.items():
        if field not in fields:
            continue
        roles = (
            Role.objects.filter(
                kind=Role.Kind.SHA_STAFF,
                sha__pcts__assessments__in=assessments.filter(stage__lte=until),
            )
            .distinct()
            .select_related("user", "sha")
            .order_by("sha__name", "user__username")
        )
        for role in roles:
            path = (
                reverse(url_name, args=[round_.slug])
                if url_name
                else reverse("reports:moderation", args=[round_.slug, role.sha.ods_code])
            )
            work.append(Work(role.user, field, f"the {doing} {role.sha.name}", path))
    if "cross_check_due" in fields and assessments.filter(stage__lte=Stage.CROSS_CHECK).exists():
        roles = Role.objects.filter(kind=Role.Kind.NATIONAL).select_related("user")
        path = reverse("reports:cross_check", args=[round_.slug])
        work += [
            Work(role.user, "cross_check_due", "the national cross-check", path)
            for role in roles.order_by("user__username")
        ]
    return work


def _deadline_audience(round_, changed):
    """``(dates, by_user)``: the changed deadlines that someone works to (``field: (old,
    new)``), and per account told, ``(user, address, {field: [Work]})``."""
    from assessments.deadlines import deadline_finders
    from assessments.rounds import TIMETABLE_FIELDS

    dates = {field: (old, new) for field, old, new in changed if field in TIMETABLE_FIELDS}
    dates.pop("publication_due", None)
    by_user: dict[int, tuple[object, str, dict[str, list[Work]]]] = {}
    if not dates:
        return dates, by_user
    work = _deadline_work(round_, dates)
    for finder in deadline_finders:
        work += list(finder(round_, dates))
    for item in work:
        address = item.address or item.user.email
        if not (address and item.user.is_active):
            continue
        _user, _address, fields = by_user.setdefault(item.user.pk, (item.user, address, {}))
        if item not in fields.setdefault(item.field, []):
            fields[item.field].append(item)
    return dates, by_user


def deadline_change_audience(*, round_, changed: list[tuple[str, object, object]]) -> int:
    """How many people ``deadline_changed_notices`` would e-mail for ``changed`` (the
    timetable's check page says it before saving). Writes nothing."""
    return len(_deadline_audience(round_, changed)[1])


def deadline_changed_notices(
    *, round_, changed: list[tuple[str, object, object]], by, reason: str = ""
) -> int:
    """Tell everyone who works to a changed deadline of ``round_`` (``changed``: ``(field,
    old, new)`` of ``TIMETABLE_FIELDS``), one e-mail each listing their changed deadlines
    and what each is for, and ``reason`` (why) when given. Nobody is told of the target publication date, which only the
    national team works to. Call inside the saving transaction; returns how many e-mails."""
    from assessments.rounds import TIMETABLE_FIELDS

    dates, by_user = _deadline_audience(round_, changed)
    name = (by.get_full_name() or by.get_username()) if by is not None else "The national team"
    messages = []
    for user, address, fields in by_user.values():
        changes = [
            {
                "label": TIMETABLE_FIELDS[field],
                "old": dates[field][0],
                "new": dates[field][1],
                "items": [(item.what, _absolute(item.path)) for item in items],
            }
            for field, items in sorted(fields.items(), key=lambda kv: list(dates).index(kv[0]))
        ]
        context = {"round": round_, "user": user, "by": name, "changes": changes, "reason": reason}
        messages.append(rendered("deadline_changed", context, address))
    return mail_enqueue(messages=messages)


# --- A PCT moved to another SHA while an assessment is at work (``pct_update``) ------------


def _moving_link(item, sha) -> str:
    """Where the new SHA's staff pick the assessment up: their moderation page from
    regional moderation on, else the panel's page, or its formation page before it has a
    panel."""
    round_slug, ods = item.round.slug, item.assessment.pct.ods_code
    if item.stage >= Stage.MODERATION:
        return _absolute(reverse("reports:moderation", args=[round_slug, sha.ods_code]))
    name = "panels:panel_detail" if item.has_panel else "panels:formation_panel"
    return _absolute(reverse(name, args=[round_slug, ods]))


def pct_moved_notices(*, pct, move, by) -> int:
    """A PCT moved to another SHA while assessments of it are at work (``move``:
    ``assessments.organisations.PctMove``): the old SHA's staff are told that the PCT and
    its assessments have left them (who works on them now, that their pages are no longer
    theirs), the new SHA's that they now form, moderate and sign them off: each one's stage,
    its panel's chair, a link. Active staff with an address only. Call inside the
    transaction of the move: queued once it commits."""
    context = {
        "pct": pct,
        "old": move.old,
        "new": move.new,
        "by_name": (by.get_full_name() or by.get_username()) if by is not None else "",
        "when": timezone.localtime(),
        "moving": [
            {
                "item": item,
                "link": _moving_link(item, move.new),
                "moderating": item.stage >= Stage.MODERATION,
            }
            for item in move.moving
        ],
        "home_url": _absolute(reverse("home")),
    }
    messages = [
        rendered(template, {**context, "user": user}, user.email)
        for template, users in (
            ("pct_moved_old", move.old_staff),
            ("pct_moved_new", move.new_staff),
        )
        for user in users
    ]
    return mail_enqueue(messages=messages)
