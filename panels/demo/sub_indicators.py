"""The demo's governance sub-indicator ratings (year two's sixteen), illustrative.

``seed_sub_indicator_ratings`` is called by ``panels.demo.seed.demo_seed`` after the agreed
ratings, and ``seed_sub_indicator_self_ratings`` after it: wherever a PCT has agreed
ratings in a round whose framework has sub-indicators *and* that the demo shapes with them
(``ROUNDS``: 2009-10 only; year one's published figures and its panels' ratings stay as they
were), each sub-indicator gets an agreed light consistent with the area's headline light,
with a rationale and its consensus history row; and each submitted self-assessment of
those rounds rates the sub-indicators too, a little above the panel's view (or, where the
panel has not agreed yet, around the board's own headline light). Deterministic: one
generator per PCT and area, seeded from the demo's seed.
"""

import random
from datetime import datetime

from django.contrib.auth import get_user_model

from assessments.history import rating_change_row
from assessments.models import (
    AgreedRating,
    Assessment,
    RatingChange,
    SelfAssessment,
    SelfAssessmentRating,
)
from competencies.models import SubIndicator
from competencies.vocabulary import Light
from panels.models import Seat

ROUNDS = ("2009-10",)

# Headline light -> the lights its sub-indicators are drawn from (weights in order green,
# amber, red); the headline's own light is then forced onto at least one sub-indicator, so
# that the area's light is always explained by something the board can read.
_DRAW = {
    Light.GREEN.value: (0.8, 0.2, 0.0),
    Light.AMBER.value: (0.35, 0.5, 0.15),
    Light.RED.value: (0.0, 0.45, 0.55),
}
_LIGHTS = tuple(_DRAW)  # best to worst

_SAYS = {
    Light.GREEN.value: (
        "the evidence seen on the panel day gives no concerns",
        "the panel found this sound and well evidenced",
        "the board showed a clear, tested position",
    ),
    Light.AMBER.value: (
        "the panel has some concerns and expects action within the year",
        "parts of the evidence were general or not yet tested",
        "progress is real but not yet consistent",
    ),
    Light.RED.value: (
        "the panel has serious concerns that need a plan agreed with the SHA",
        "the evidence did not support the board's own view",
        "the position is not credible without substantial change",
    ),
}


def _lights(rng: random.Random, headline: str, count: int) -> list[str]:
    lights = [rng.choices(_LIGHTS, weights=_DRAW[headline])[0] for _ in range(count)]
    if headline not in lights:
        lights[rng.randrange(count)] = headline
    return lights


def seed_sub_indicator_ratings(
    *,
    seed: int,
    assessments: dict[tuple[str, str], Assessment],
    agreed: dict[str, dict],
    pct_names: dict[str, str],
    when: dict[str, datetime],
) -> dict[str, int]:
    """Write the agreed sub-indicator ratings of ``ROUNDS``; returns how many.

    ``agreed``: the shaped ratings by round and ODS code (``panels.demo.ratings``);
    ``when``: the consensus time per round, for the history rows.
    """
    rows, history = [], []
    chairs = _chairs(ROUNDS)
    for slug in ROUNDS:
        codes = sorted(code for (s, code) in assessments if s == slug and code in agreed[slug])
        if not codes:
            continue
        framework_id = assessments[(slug, codes[0])].round.framework_id
        subs: dict[str, list[SubIndicator]] = {}
        for sub in SubIndicator.objects.filter(area__framework_id=framework_id).select_related(
            "area"
        ):
            subs.setdefault(sub.area.code, []).append(sub)
        for code in codes:
            assessment = assessments[(slug, code)]
            target = agreed[slug][code]
            for area_code, area_subs in sorted(subs.items()):
                area_subs.sort(key=lambda s: s.number)
                rng = random.Random(f"{seed}-sub-indicators-{slug}-{code}-{area_code}")
                lights = _lights(rng, target.lights[area_code], len(area_subs))
                for sub, light in zip(area_subs, lights, strict=True):
                    rationale = (
                        f"{sub.name}, {pct_names[code]}: {rng.choice(_SAYS[light])} (illustrative)."
                    )
                    rows.append(
                        AgreedRating(
                            assessment=assessment,
                            sub_indicator=sub,
                            light=light,
                            panel_light=light,
                            rationale=rationale,
                        )
                    )
                    history.append(
                        rating_change_row(
                            assessment=assessment,
                            source=RatingChange.Source.CONSENSUS,
                            sub_indicator=sub,
                            old_value="",
                            new_value=light,
                            by=chairs.get(assessment.pk),
                            changed_at=when[slug],
                        )
                    )
    AgreedRating.objects.bulk_create(rows, batch_size=1000)
    RatingChange.objects.bulk_create(history, batch_size=2000)
    return {"agreed sub-indicator ratings": len(rows)}


def _chairs(slugs) -> dict[int, object]:
    """The chair's user per assessment (seat 1), in two queries."""
    pairs = dict(
        Seat.objects.filter(
            panel__assessment__round__slug__in=slugs,
            seat_type__number=1,
            person__user__isnull=False,
        ).values_list("panel__assessment_id", "person__user_id")
    )
    users = get_user_model().objects.in_bulk(set(pairs.values()))
    return {assessment_id: users[user_id] for assessment_id, user_id in pairs.items()}


def seed_sub_indicator_self_ratings(*, seed: int) -> dict[str, int]:
    """The self-assessments of ``ROUNDS`` (submitted, and the complete draft a board has
    not submitted yet) rate every sub-indicator: the agreed light, one step greener now and
    then (boards rate themselves above the panel), or the board's own headline light where
    nothing is agreed yet. Four queries."""
    self_assessments = list(
        SelfAssessment.objects.filter(assessment__round__slug__in=ROUNDS).select_related(
            "assessment__round", "assessment__pct"
        )
    )
    headline = {
        (sa_id, code): light
        for sa_id, code, light in SelfAssessmentRating.objects.filter(
            self_assessment__in=self_assessments, area__isnull=False
        ).values_list("self_assessment_id", "area__code", "light")
    }
    agreed = {
        (a_id, sub_id): light
        for a_id, sub_id, light in AgreedRating.objects.filter(
            assessment__round__slug__in=ROUNDS, sub_indicator__isnull=False
        ).values_list("assessment_id", "sub_indicator_id", "light")
    }
    subs = list(
        SubIndicator.objects.filter(area__framework__rounds__slug__in=ROUNDS)
        .select_related("area")
        .order_by("area__position", "number")
    )
    rows = []
    for sa in sorted(
        self_assessments, key=lambda s: (s.assessment.round.slug, s.assessment.pct.ods_code)
    ):
        a = sa.assessment
        rng = random.Random(f"{seed}-sub-indicator-self-{a.round.slug}-{a.pct.ods_code}")
        for sub in subs:
            if sub.area.framework_id != a.round.framework_id:
                continue
            base = agreed.get((a.pk, sub.pk)) or headline.get((sa.pk, sub.area.code))
            if not base:
                continue
            step = 1 if rng.random() < 0.3 else 0
            light = _LIGHTS[max(0, _LIGHTS.index(base) - step)]
            rows.append(SelfAssessmentRating(self_assessment=sa, sub_indicator=sub, light=light))
    SelfAssessmentRating.objects.bulk_create(rows, batch_size=1000)
    return {"self-assessed sub-indicator ratings": len(rows)}
