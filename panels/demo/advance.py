"""``demo_advance``: take the demo's round one stage on, through the services.

Each call finds the earliest stage any of the round's assessments is at and does what the
people of that stage would do, as those people (the demo users), through the same
services as the pages: the board submits its self-assessment; SHA staff fill the empty
seats and open scoring; every member scores (near a pattern built on last year's agreed
ratings, with a generator seeded by the PCT and seat, so the same call always gives the
same scores) and submits; each chair records the panel's consensus (the members' median,
with a rationale) and closes it; SHA staff sign off their regions; the national team
confirms them; the windows are closed early (``region_window_close``, with the reason);
the national team sets the publication time half a minute ahead; once it has passed,
the boards are told (``publication_notices_send``). After that every call says there is
nothing left to do.

Refused on a round ``seed_demo`` did not make (``AssessmentRound.illustrative``) or when
the demo users are missing: it must never touch real data.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assessments.factual_accuracy import held_back_assessments
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    RegionReview,
    SelfAssessment,
    Stage,
    StrategicHealthAuthority,
)
from assessments.notices import window_closed_notices_send
from assessments.publication import publication_notices_send, round_set_publication
from assessments.regions import region_confirm, region_sign_off, region_window_close
from assessments.services import self_assessment_submit
from competencies.models import Competency, GovernanceArea, SubIndicator, item_key, rating_key
from competencies.selectors import rated_items
from competencies.vocabulary import Light
from panels.demo.ratings import Ratings, year_two_rest
from panels.demo.seed import SCORING_SHA
from panels.demo.texts import Texts
from panels.models import PRESIDING, MemberScore, Panel, Seat, SeatType
from panels.selectors import eligible_people
from panels.services.formation import panel_ensure, panel_open_scoring, panel_seats_set
from panels.services.scoring import (
    AgreedInput,
    MemberInput,
    consensus_close,
    consensus_record,
    member_scores_save,
)

PUBLISH_AFTER = timedelta(seconds=30)
LIGHTS = [Light.RED, Light.AMBER, Light.GREEN]  # worst to best


class NotADemo(Exception):
    """The round (or the database) is not the demo's."""


@dataclass(frozen=True)
class Outcome:
    did: str
    next: str
    finished: bool = False


def _user(username: str):
    try:
        return get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise NotADemo(
            f"The demo user {username!r} is missing: run `manage.py seed_demo` first."
        ) from None


def _staff(sha: StrategicHealthAuthority):
    return _user(f"moderator.{sha.ods_code.lower()}")


def _names(assessments) -> str:
    names = [f"{a.pct.name} ({a.pct.ods_code})" for a in assessments]
    return ", ".join(names) if len(names) <= 4 else f"{len(names)} PCTs"


def demo_round(slug: str) -> AssessmentRound:
    round_ = AssessmentRound.objects.filter(slug=slug).select_related("framework").first()
    if round_ is None:
        raise NotADemo(f"No round {slug!r}. demo_advance works on the demo: run seed_demo first.")
    if not round_.illustrative:
        raise NotADemo(
            f"{slug} is not a demo round (seed_demo marks its rounds illustrative); "
            "demo_advance changes only the demo's invented data."
        )
    _user("national")
    return round_


@transaction.atomic
def demo_advance(*, round_slug: str, now: datetime | None = None) -> Outcome:
    """Move the demo round ``round_slug`` one stage on; what it did and what comes next."""
    round_ = demo_round(round_slug)
    now = now or timezone.now()
    assessments = list(
        Assessment.objects.filter(round=round_).select_related("pct__sha", "round__framework")
    )
    earliest = min((a.stage for a in assessments), default=Stage.PUBLISHED)
    at = [a for a in assessments if a.stage == earliest]
    slug = round_.slug

    if earliest == Stage.SELF_ASSESSMENT:
        for a in at:
            sa = SelfAssessment.objects.get(assessment=a)
            self_assessment_submit(
                assessment=a,
                by=_user(f"board.{a.pct.ods_code.lower()}"),
                expected_version=sa.version,
            )
        return Outcome(
            f"The board of {_names(at)} submitted its self-assessment: on to panel formation.",
            "fill the empty seats of the panels being formed and open scoring (SHA staff).",
        )
    if earliest == Stage.PANEL_FORMATION:
        _form_panels(at)
        return Outcome(
            f"SHA staff filled the empty seats of {_names(at)} and opened scoring "
            "(the members were e-mailed).",
            "every member scores and submits (on to panel consensus).",
        )
    if earliest == Stage.SCORING:
        count = _score(at, round_)
        return Outcome(
            f"{count} member(s) of {_names(at)} scored and submitted: on to panel consensus.",
            "each chair records the consensus and closes it (on to regional moderation).",
        )
    if earliest == Stage.CONSENSUS:
        _agree(at, round_)
        return Outcome(
            f"The chairs of {_names(at)} recorded the consensus and closed it: on to "
            "regional moderation.",
            "SHA staff sign off every region (on to the national cross-check).",
        )
    reviews = {r.sha_id: r for r in RegionReview.objects.filter(round=round_).select_related("sha")}
    if earliest == Stage.MODERATION:
        shas = sorted({a.pct.sha for a in at}, key=lambda s: s.name)
        for sha in shas:
            region_sign_off(round_=round_, sha=sha, by=_staff(sha))
        return Outcome(
            f"SHA staff signed off {len(shas)} region(s): {', '.join(s.name for s in shas)}.",
            "the national team confirms every region (the boards' factual-accuracy windows open).",
        )
    if earliest == Stage.CROSS_CHECK:
        shas = sorted({a.pct.sha for a in at}, key=lambda s: s.name)
        national = _user("national")
        for sha in shas:
            region_confirm(round_=round_, sha=sha, by=national)
        return Outcome(
            f"The national team confirmed {len(shas)} region(s); their boards' "
            "factual-accuracy windows are open (the boards were e-mailed).",
            "close the factual-accuracy windows now rather than in ten working days.",
        )
    if earliest == Stage.FACTUAL_ACCURACY:
        open_windows = sorted(
            (
                r
                for r in reviews.values()
                if r.factual_accuracy_closes is not None and r.factual_accuracy_closes > now
            ),
            key=lambda r: r.sha.name,
        )
        if open_windows:
            national = _user("national")
            for review in open_windows:
                closed = region_window_close(
                    round_=round_,
                    sha=review.sha,
                    by=national,
                    reason="Closed early by demo_advance, to reach publication in minutes.",
                    now=now,
                )
                window_closed_notices_send(review=closed, now=now)
            return Outcome(
                f"Closed the factual-accuracy windows of {len(open_windows)} region(s) "
                "(the boards were e-mailed).",
                f"the national team sets the publication time of {slug}.",
            )
        if round_.published_at is None:
            when = now + PUBLISH_AFTER
            round_set_publication(round_=round_, published_at=when, by=_user("national"))
            return Outcome(
                f"The national team set {slug}'s publication for "
                f"{timezone.localtime(when):%H:%M:%S} (in {PUBLISH_AFTER.seconds} seconds).",
                "after that time: the boards are told their results are published.",
            )
        if not round_.is_published(now):
            return Outcome(
                "Nothing to do yet.",
                f"{slug} will be published at "
                f"{timezone.localtime(round_.published_at):%-d %B %Y %H:%M:%S}; call again after it.",
            )
        if round_.publication_notified_at is not None:
            # Published, but some PCTs wait at the check: unanswered comments hold them back.
            held = list(held_back_assessments(round_=round_))
            return Outcome(
                f"{slug} is published; {_names(held)} held back by unanswered factual-accuracy "
                "comments: their SHA staff answer them on the PCT's page, which publishes it.",
                "nothing.",
                finished=True,
            )
        sent = publication_notices_send(round_=round_, now=now)
        return Outcome(
            f"{slug} is published: the league table is public and {sent} board(s) were told.",
            "nothing.",
            finished=True,
        )
    if round_.is_published(now) and round_.publication_notified_at is None:
        sent = publication_notices_send(round_=round_, now=now)
        return Outcome(f"{slug} is published and {sent} board(s) were told.", "nothing.", True)
    return Outcome(f"{slug} is published; nothing left to do.", "nothing.", finished=True)


def _form_panels(assessments: list[Assessment]) -> None:
    seat_types = list(SeatType.objects.order_by("number"))
    for assessment in assessments:
        staff = _staff(assessment.pct.sha)
        panel = panel_ensure(assessment=assessment)
        panel = Panel.objects.get(pk=panel.pk)
        seats = {s.seat_type.number: s for s in panel.seats.select_related("seat_type", "person")}
        taken = {s.person_id for s in seats.values() if s.person_id}
        wanted = {}
        for seat_type in seat_types:
            if seats[seat_type.number].person_id is not None:
                continue
            # The eligible person who sits on the fewest panels this round, by name, among
            # those who can log in to score (scoring refuses to open with anyone else: a
            # person added on the people list and not invited yet has no account).
            person = (
                eligible_people(seat_type=seat_type, assessment=assessment)
                .exclude(pk__in=taken)
                .filter(user__isnull=False, user__is_active=True)
                .order_by("panels_this_round", "full_name", "pk")
                .first()
            )
            if person is None:
                raise NotADemo(f"Nobody eligible for seat {seat_type.number} of {assessment.pct}.")
            wanted[seat_type.number] = person
            taken.add(person.pk)
        if wanted:
            panel_seats_set(panel=panel, people=wanted, by=staff, expected_version=panel.version)
        panel_open_scoring(assessment=assessment, by=staff)


def _targets(round_: AssessmentRound) -> dict[str, Ratings]:
    """What the panels of the PCTs still to agree settle on in the demo's 2009-10: the
    seed's ``year_two_rest`` for the West Midlands (the same ratings as the seed's, from
    last year's agreed ones), so that all 152 read as the published year two."""
    if round_.slug != "2009-10" or round_.previous is None:
        return {}
    codes = sorted(
        Assessment.objects.filter(round=round_, pct__sha__ods_code=SCORING_SHA).values_list(
            "pct__ods_code", flat=True
        )
    )
    previous = {code: Ratings() for code in codes}
    for rating in AgreedRating.objects.filter(
        assessment__round=round_.previous, assessment__pct__ods_code__in=codes
    ).select_related("assessment__pct", "competency", "area"):
        before = previous[rating.assessment.pct.ods_code]
        if rating.competency_id and rating.level is not None:
            before.levels[rating.competency.number] = rating.level
        elif rating.area_id:
            before.lights[rating.area.code] = rating.light
    if not codes or any(not r.levels or len(r.lights) < 3 for r in previous.values()):
        return {}  # not the demo as seeded: last year's pattern below
    return year_two_rest(previous, codes)


def _pattern(assessment: Assessment, items, targets: dict[str, Ratings]) -> dict:
    """The level or light the panel will settle on: the demo's target for the PCT when it
    has one (``_targets``); else last year's agreed value, a level higher on every third
    competency (year two improved), level 1 or 2 on a competency new this year, and last
    year's lights."""
    target = targets.get(assessment.pct.ods_code)
    before = {}
    previous = assessment.round.previous_id
    for rating in AgreedRating.objects.filter(
        assessment__round_id=previous, assessment__pct_id=assessment.pct_id
    ).select_related("competency", "area"):
        key = ("c", rating.competency.number) if rating.competency_id else ("a", rating.area.code)
        before[key] = rating.value
    rng = random.Random(f"demo-advance-pattern-{assessment.round.slug}-{assessment.pct.ods_code}")
    pattern = {}
    for item in items:
        if isinstance(item, Competency):
            last = before.get(("c", item.number))
            level = rng.choice([1, 2, 2]) if last is None else int(last) + (item.number % 3 == 0)
            if target is not None and item.number in target.levels:
                level = target.levels[item.number]
            pattern[item] = max(1, min(3, level))
        elif isinstance(item, GovernanceArea):
            pattern[item] = before.get(("a", item.code)) or Light.AMBER
            if target is not None and item.code in target.lights:
                pattern[item] = target.lights[item.code]
    # A sub-indicator settles near its area's light (``rated_items`` loads its area).
    for item in items:
        if isinstance(item, SubIndicator):
            pattern[item] = pattern[item.area]
    return pattern


def _score(assessments: list[Assessment], round_: AssessmentRound) -> int:
    texts = Texts()
    items = rated_items(round_.framework)
    targets = _targets(round_)
    count = 0
    for assessment in assessments:
        pattern = _pattern(assessment, items, targets)
        seats = Seat.objects.filter(
            panel__assessment=assessment, submitted_at__isnull=True, absence_reason=""
        ).select_related("seat_type", "person__user", "panel__assessment__round__framework")
        for seat in seats.order_by("seat_type__number"):
            rng = random.Random(
                f"demo-advance-{round_.slug}-{assessment.pct.ods_code}-{seat.seat_type.number}"
            )
            values = {}
            for item in items:
                roll = rng.random()
                step = -1 if roll < 0.12 else 1 if roll > 0.88 else 0
                if isinstance(item, Competency):
                    values[item] = MemberInput(
                        max(1, min(4, pattern[item] + step)),
                        notes_for_board=texts.member_note_for_board(
                            rng,
                            number=item.number,
                            pct=assessment.pct.name,
                            sha=assessment.pct.sha.name,
                        ),
                    )
                else:
                    index = max(0, min(2, LIGHTS.index(pattern[item]) + step))
                    values[item] = MemberInput(LIGHTS[index])
            member_scores_save(
                seat=seat,
                values=values,
                by=seat.person.user,
                expected_version=seat.version,
                submit=True,
            )
            count += 1
    return count


def _agree(assessments: list[Assessment], round_: AssessmentRound) -> None:
    texts = Texts()
    items = rated_items(round_.framework)
    numbers = [i.number for i in items if isinstance(i, Competency)]
    targets = _targets(round_)
    for assessment in assessments:
        # The demo's target, where it has one, is what the panel agrees after discussing
        # the members' scores (near it); otherwise the members' median.
        target = targets.get(assessment.pct.ods_code)
        settled = _pattern(assessment, items, targets) if target is not None else {}
        panel = Panel.objects.get(assessment=assessment)
        chair = (
            Seat.objects.filter(PRESIDING, panel=panel)  # the acting chair's, when there is one
            .select_related("person__user")
            .get()
            .person.user
        )
        scores = defaultdict(list)
        for score in MemberScore.objects.filter(seat__panel=panel):
            scores[rating_key(score)].append(score.value)
        rng = random.Random(f"demo-advance-agreed-{round_.slug}-{assessment.pct.ods_code}")
        pct, sha = assessment.pct.name, assessment.pct.sha.name
        values = {}
        for item in items:
            if isinstance(item, Competency):
                level = settled.get(item) or int(statistics.median_low(scores[item_key(item)]))
                rationale = texts.competency_rationale(
                    rng, number=item.number, level=level, pct=pct, sha=sha
                )
                values[item] = AgreedInput(level, rationale)
            else:
                lights = sorted(scores[item_key(item)], key=LIGHTS.index)
                light = settled.get(item) or lights[len(lights) // 2]
                if isinstance(item, SubIndicator):
                    rationale = (
                        f"The panel agreed {light} on {item.name.lower()} from the members' "
                        "scores and the evidence seen on the panel day."
                    )
                else:
                    rationale = texts.governance_rationale(
                        rng, area=item.code, light=light, pct=pct, sha=sha, competencies=numbers
                    )
                values[item] = AgreedInput(light, rationale)
        consensus_record(panel=panel, values=values, by=chair, expected_version=panel.version)
        consensus_close(assessment=Assessment.objects.get(pk=assessment.pk), by=chair)
