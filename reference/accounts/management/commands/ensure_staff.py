from django.conf import settings
from django.core.management.base import BaseCommand

from reference.accounts.services import staff_ensure


class Command(BaseCommand):
    help = "Create or update the staff account from LC_STAFF_EMAIL / LC_STAFF_PASSWORD."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--phone", default="+919000000001", help="Phone of a new account.")
        parser.add_argument("--name", default="LaundryConnect Operator", help="Full name.")

    def handle(self, *args: object, **options: object) -> None:
        user, created = staff_ensure(
            email=settings.STAFF_EMAIL,
            password=settings.STAFF_PASSWORD,
            full_name=str(options["name"]),
            phone_number=str(options["phone"]),
        )
        self.stdout.write(f"staff account {user.email} {'created' if created else 'updated'}")
