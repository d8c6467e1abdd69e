"""`python -m reference.manage housekeeping`: what a long-running backend clears up on a timer
(cron, a systemd timer, a Kubernetes CronJob), hourly or daily.

It lives with the photos, most of what it clears; the idempotency keys it also clears are
common's, the bottom layer, which imports no app.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reference.common.idempotency import idempotency_keys_purge
from reference.uploads.services import images_orphaned_purge


class Command(BaseCommand):
    help = (
        "Delete Idempotency-Key records past their 24 hours, and garment photos that no order "
        "and no chat message took within --orphan-hours of their upload (with their files)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orphan-hours", type=float, default=24.0, metavar="HOURS",
                            help="age past which an unused photo is deleted (default 24)")

    def handle(self, *args: object, **options: object) -> None:
        hours = options["orphan_hours"]
        if hours <= 0:
            raise CommandError(f"--orphan-hours must be more than 0, not {hours:g}")
        keys = idempotency_keys_purge()
        photos = images_orphaned_purge(older_than=timedelta(hours=hours))
        self.stdout.write(f"{keys} expired idempotency key(s) and {photos} unused photo(s) "
                          "deleted")
