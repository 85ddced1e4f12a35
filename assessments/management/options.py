"""What the management commands share in reading their options."""

from django.core.management import CommandError
from django.db.models import QuerySet

from assessments.models import AssessmentRound


def round_option(slug: str, rounds: QuerySet[AssessmentRound] | None = None) -> AssessmentRound:
    """The round ``--round`` names, or ``CommandError`` listing the rounds there are (the
    bad-input walk: ``import_ratings`` and ``generate_reports`` did not say)."""
    found = (rounds if rounds is not None else AssessmentRound.objects).filter(slug=slug).first()
    if found is None:
        known = ", ".join(AssessmentRound.objects.order_by("slug").values_list("slug", flat=True))
        raise CommandError(f"Unknown round {slug!r} (known rounds: {known or 'none'}).")
    return found
