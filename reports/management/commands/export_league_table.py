"""``export_league_table --round SLUG [--sha CODE] [--sub-indicators] --format csv|xlsx -o FILE``.

``--sub-indicators`` adds one column per governance sub-indicator of the round's framework
after ``total`` (``strategy_1`` … ``board_5``: the area's code and the sub-indicator's
number), holding the agreed light; ``import_ratings`` accepts these columns and ignores
them, so that exporting and importing back still changes nothing."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.management.options import round_option
from assessments.models import AssessmentRound, StrategicHealthAuthority
from competencies.vocabulary import AREA_CODES

FILE_COLUMNS = ["rank", "ods_code", "pct", "sha", *AREA_CODES]


class Command(BaseCommand):
    help = (
        "Write a round's league table (the full England ranking, or one SHA's rows of it) "
        "as CSV or XLSX in the columns of the league-table file."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", required=True, help="The round's slug, e.g. 2008-09.")
        parser.add_argument("--sha", help="Only this SHA's rows (ODS code, e.g. Q34).")
        parser.add_argument("--format", required=True, choices=["csv", "xlsx"])
        parser.add_argument("-o", "--output", required=True, type=Path, help="The file to write.")
        parser.add_argument(
            "--sub-indicators",
            action="store_true",
            help="Add the agreed governance sub-indicator lights (strategy_1 … board_5).",
        )

    def handle(self, *args, **options):
        from reports.exports import column_widths, csv_pieces, xlsx_file
        from reports.tables import competency_columns, league_frame, with_extras

        round_ = round_option(
            options["round"], AssessmentRound.objects.select_related("framework", "previous")
        )
        sha = (options["sha"] or "").strip().upper() or None
        if sha and not StrategicHealthAuthority.objects.filter(ods_code=sha).exists():
            raise CommandError(f"Unknown SHA {options['sha']!r}: use an ODS code from Q30 to Q39.")
        output: Path = options["output"]
        suffix = f".{options['format']}"
        if output.suffix.lower() != suffix:
            raise CommandError(
                f"Cannot write {output}: {'an' if options['format'] == 'xlsx' else 'a'} "
                f"{options['format'].upper()} file's name ends in "
                f"{suffix} (such as {output.stem if output.stem not in ('', '-') else 'table'}"
                f"{suffix}), so that it opens as what it is."
            )
        if not output.parent.is_dir():
            raise CommandError(f"Cannot write {output}: the folder {output.parent} does not exist.")
        frame, _previous = league_frame(round_=round_, sha_codes=[sha] if sha else None)
        table = frame[[*FILE_COLUMNS, *competency_columns(round_), "governance", "total"]]
        # A chunk of rows at a time, as the page's files (reports.tables.with_extras), into
        # a file beside the output that replaces it only when whole: never half a table.
        chunks = with_extras(
            table, round_=round_, sub_indicators=options["sub_indicators"], rationales=False
        )
        partial = output.with_name(f".{output.name}.part")
        try:
            with partial.open("wb") as file:
                if options["format"] == "csv":
                    for piece in csv_pieces(chunks):
                        file.write(piece)
                else:
                    with xlsx_file(chunks, widths=column_widths(table)) as workbook:
                        shutil.copyfileobj(workbook, file)
            partial.replace(output)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
        finally:  # whatever stopped it (the database, Ctrl-C): no half-written file left
            partial.unlink(missing_ok=True)
        self.stdout.write(self.style.SUCCESS(f"Wrote {len(table)} rows to {output}."))
