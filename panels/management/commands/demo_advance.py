"""``demo_advance --round SLUG``: the demo's round one stage on (``panels.demo.advance``)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.exceptions import TransitionError
from panels.demo.advance import NotADemo, demo_advance


class Command(BaseCommand):
    help = (
        "Demo only: move the demo's round one stage on through the real services (board "
        "submits, seats filled, members score, consensus closed, regions signed off and "
        "confirmed, windows closed, publication set), saying what it did and what the next "
        "call will do. Refused on a round seed_demo did not make."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", dest="round_slug", required=True, help="The round's slug.")

    def handle(self, *args, round_slug: str, **options):
        try:
            outcome = demo_advance(round_slug=round_slug)
        except NotADemo as exc:
            raise CommandError(f"Nothing was changed. {exc}") from None
        except (ValidationError, TransitionError) as exc:
            message = "; ".join(getattr(exc, "messages", [str(exc)]))
            raise CommandError(f"Nothing was changed: {message}") from None
        self.stdout.write(self.style.SUCCESS(outcome.did))
        if not outcome.finished:
            self.stdout.write(f"Next call: {outcome.next}")
