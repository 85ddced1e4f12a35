"""The SHA each PCT of a round was in when the round was first published, for those moved
since: the published figures grouped by SHA (summaries, a PCT page's SHA mean, the
moderation page's word on a move) keep the SHAs they were published with, and the staff of
the SHA then keep the report they signed off (``reports.rules``). No pandas here: the access
rule asks it on a request that builds no table.
"""

from dataclasses import dataclass

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, PCTChange, StrategicHealthAuthority


@dataclass(frozen=True)
class ShaThen:
    """The SHA a PCT was in when its round was first published."""

    code: str
    name: str
    pk: int | None


def shas_when_published(
    round_: AssessmentRound, *, pct_id: int | None = None
) -> dict[str, ShaThen]:
    """The SHA each of the round's PCTs (or the one PCT ``pct_id``) was in when the round
    was first published, for those moved to another SHA since, by ODS code: the old value
    of the first move after that time. One query for a round published once (even if
    withdrawn since), none otherwise; a
    PCT moved and moved back is left out. The published figures grouped by SHA (summaries,
    a PCT page's SHA mean) keep the SHAs they were published with, and the staff of the SHA
    then keep the report they signed off (``reports.rules``)."""
    first = round_.first_published_at
    if first is None or first > timezone.now():  # withdrawn since: as the PCT page reads it
        return {}
    if pct_id is not None:
        pcts = Q(pct_id=pct_id)
    else:
        pcts = Q(pct_id__in=Assessment.objects.filter(round=round_).values("pct_id"))
    then_sha = StrategicHealthAuthority.objects.filter(ods_code=OuterRef("old_value"))
    rows = (
        PCTChange.objects.filter(pcts, field="sha", changed_at__gt=first)
        .annotate(
            sha_name=Subquery(then_sha.values("name")[:1]),
            sha_pk=Subquery(then_sha.values("pk")[:1]),
        )
        .order_by("changed_at", "pk")
        .values_list("pct__ods_code", "pct__sha__ods_code", "old_value", "sha_name", "sha_pk")
    )
    then: dict[str, ShaThen] = {}
    moved_back = set()
    for ods_code, sha_now, old_value, sha_name, sha_pk in rows:
        if ods_code not in then:  # the first move after publication: the SHA then
            then[ods_code] = ShaThen(old_value, sha_name or old_value, sha_pk)
            if old_value == sha_now:
                moved_back.add(ods_code)
    return {code: sha for code, sha in then.items() if code not in moved_back}
