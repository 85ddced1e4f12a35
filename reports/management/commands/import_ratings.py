"""``import_ratings FILE --round SLUG [--reason TEXT] [--dry-run]``: agreed ratings from CSV
or XLSX. ``--reason`` is each changed rating's reason, which its board reads, where the file
changes agreed ratings at or after regional moderation (``reports.imports.needing_reason``).
Without it such a file still imports, as the command always did (its form is a contract:
shared/CONTRACTS.md), with "Imported from <file>" as the reason, and a warning says so; the
web import requires a reason."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from assessments.management.options import round_option
from assessments.models import AssessmentRound

# A file of thousands of bad rows would print thousands of lines: the first are enough to
# see what is wrong.
ERRORS_SHOWN = 100


class Command(BaseCommand):
    help = (
        "Import agreed ratings from a CSV or XLSX file in the league-table columns; all or "
        "nothing. Each error names the row, the column, the value and the rule."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--round", required=True, help="The round's slug, e.g. 2009-10.")
        parser.add_argument(
            "--reason",
            default="",
            help="Why the ratings change: each changed rating's reason, which its board reads. "
            "Required when the file changes agreed ratings at or after regional moderation.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the changes, write nothing."
        )

    def handle(self, *args, **options):
        from reports.forms import IMPORT_REASON_MAX_CHARS
        from reports.imports import (
            ImportRefused,
            apply_import,
            needing_reason,
            plan_import,
            read_table,
        )

        path: Path = options["file"]
        round_ = round_option(options["round"], AssessmentRound.objects.select_related("framework"))
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        try:
            header, rows = read_table(content, path.name)
            changes = plan_import(round_=round_, header=header, rows=rows, filename=path.name)
        except ImportRefused as exc:
            shown = exc.errors[:ERRORS_SHOWN]
            more = len(exc.errors) - len(shown)
            raise CommandError(
                f"Nothing was imported: {len(exc.errors):,} error(s).\n"
                + "\n".join(shown)
                + (f"\n… and {more:,} more, not shown." if more else "")
            ) from None
        for change in changes:
            self.stdout.write(f"  {change}")
        reason = options["reason"].strip()
        if len(reason) > IMPORT_REASON_MAX_CHARS:  # the web form's limit
            raise CommandError(
                f"Nothing was imported: keep --reason to {IMPORT_REASON_MAX_CHARS:,} characters "
                f"(it has {len(reason):,})."
            )
        adjusted = len(needing_reason(changes))
        if options["dry_run"]:
            self.stdout.write(
                f"Dry run: {len(changes)} change(s) would be made; nothing was written."
                + (
                    f" {adjusted} of them change agreed ratings after panel consensus: without "
                    f'--reason, each board would read "Imported from {path.name}" as the reason.'
                    if adjusted and not reason
                    else ""
                )
            )
            return
        if adjusted and not reason:
            reason = f"Imported from {path.name}"
            self.stderr.write(
                f"Warning: {adjusted} change(s) are to agreed ratings after panel consensus, "
                f'with no --reason: each board reads "{reason}" beside its rating. Give '
                "--reason to say why."
            )
        # History names who changed a rating: from the command line, an inactive account
        # standing for the import itself.
        by, _created = get_user_model().objects.get_or_create(
            username="import.command",
            defaults={"first_name": "Command-line", "last_name": "import", "is_active": False},
        )
        applied = apply_import(changes=changes, by=by, filename=path.name, reason=reason)
        self.stdout.write(self.style.SUCCESS(f"Imported {applied} change(s) from {path.name}."))
