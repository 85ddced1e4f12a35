from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import migrations, models


def fill_first_published_at(apps, schema_editor):
    """Rounds already published keep their publication time as their first (a time set and
    not yet reached too: it follows that time until it passes); a round whose
    publication was withdrawn takes the time its first withdrawal took offline (kept in its
    history as UK time, "2009-02-17 09:30")."""
    AssessmentRound = apps.get_model("assessments", "AssessmentRound")
    RoundChange = apps.get_model("assessments", "RoundChange")
    for round_ in AssessmentRound.objects.filter(first_published_at__isnull=True):
        withdrawal = (
            RoundChange.objects.filter(round=round_, field="published_at", new_value="withdrawn")
            .order_by("changed_at", "pk")
            .first()
        )
        first = None
        if withdrawal is not None:
            try:
                first = datetime.fromisoformat(withdrawal.old_value).replace(
                    tzinfo=ZoneInfo("Europe/London")
                )
            except ValueError:
                first = None
        if first is None and round_.published_at is not None and withdrawal is None:
            # Published, or set and not yet reached: the first publication time follows
            # the publication time until it passes (``round_set_publication``).
            first = round_.published_at
        if first is not None:
            round_.first_published_at = first
            round_.save(update_fields=["first_published_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0017_stage_change_without_self_assessment"),
    ]

    operations = [
        migrations.AddField(
            model_name="assessmentround",
            name="first_published_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the results were first published: follows the publication "
                "time until the round is first published, then never moves (a withdrawal and "
                "a corrected republication keep it).",
                null=True,
            ),
        ),
        migrations.RunPython(fill_first_published_at, migrations.RunPython.noop),
    ]
