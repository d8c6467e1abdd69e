from django.core.management.base import BaseCommand

from reference.catalog.services import catalog_load


class Command(BaseCommand):
    help = "Install or refresh the default laundry catalog (idempotent)."

    def handle(self, *args: object, **options: object) -> None:
        categories, items = catalog_load()
        self.stdout.write(f"catalog loaded: {categories} categories, {items} items")
