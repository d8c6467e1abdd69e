"""`python -m reference.manage payments_reconcile`: settle online payments left open."""

from django.core.management.base import BaseCommand, CommandParser

from reference.payments.services import payments_reconcile


class Command(BaseCommand):
    help = (
        "Ask the gateway about online payments still open after --older-than seconds (a "
        "worker killed between the gateway's capture and the commit, a webhook that never "
        "came) and apply what it says, exactly once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=60, metavar="SECONDS")

    def handle(self, *args: object, **options: object) -> None:
        captured = payments_reconcile(older_than_seconds=options["older_than"])
        self.stdout.write(f"{captured} payment(s) captured")
