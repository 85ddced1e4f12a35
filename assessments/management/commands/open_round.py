"""``open_round --round SLUG --name "…" --copy-framework-from SLUG [--sha CODE …]``.

Creates the round with its own copy of an earlier framework (named by a round's slug, or a
framework version's on a deployment with no rounds yet) and opens self-assessment for every
open PCT of the SHAs named (all SHAs by default); each PCT's board is e-mailed through the
task worker. The same as ``/rounds/new/`` then *Open the round* on the web, without the
chance to edit the framework in between: to change its wording, create the round on the
web instead. Bad input (a duplicate or malformed slug, an unknown source, an unknown SHA)
is refused with a message and a non-zero exit, and nothing is written.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.mail import mail_outcome
from assessments.models import StrategicHealthAuthority
from assessments.rounds import framework_source, round_create_and_open, shas_by_codes


class Command(BaseCommand):
    help = (
        "Create a round with a copy of an earlier round's framework and open self-assessment "
        "for every open PCT of the SHAs named (all by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", required=True, help="The new round's slug, e.g. 2010-11.")
        parser.add_argument("--name", required=True, help="Its name, e.g. 'WCC assurance 2010/11'.")
        parser.add_argument(
            "--copy-framework-from",
            required=True,
            metavar="SLUG",
            help="The round (or framework version) whose framework is copied, e.g. 2009-10.",
        )
        parser.add_argument(
            "--sha",
            nargs="+",
            action="extend",
            metavar="CODE",
            help="Open only these SHAs (ODS codes such as Q34); all SHAs by default.",
        )

    def handle(self, *args, **options):
        source = framework_source(options["copy_framework_from"])
        if source is None:
            raise CommandError(
                f"Unknown round or framework {options['copy_framework_from']!r} to copy the "
                "framework from. Nothing was written."
            )
        try:
            if options["sha"]:
                shas = shas_by_codes(options["sha"])
            else:
                shas = list(StrategicHealthAuthority.objects.order_by("ods_code"))
            round_, opened = round_create_and_open(
                slug=options["round"], name=options["name"], source=source, shas=shas, by=None
            )
        except ValidationError as exc:
            # Each problem names its option (the bad-input walk: a name too long did not).
            options_of = {"name": "--name", "slug": "--round", "sha": "--sha"}
            problems = "; ".join(
                f"{options_of[field]}: {message}" if field in options_of else message
                for field, messages in exc.message_dict.items()
                for message in messages
            )
            raise CommandError(f"{problems} Nothing was written.") from None
        self.stdout.write(
            f"Created {round_.slug} ({round_.name}) with a copy of {source.copy_label}."
        )
        self.stdout.write(
            f"Opened self-assessment for {opened.assessments} PCT(s) in {opened.shas} SHA(s); "
            + mail_outcome(opened.messages, "e-mail(s) to boards")
        )
