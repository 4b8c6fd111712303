"""Top up the pool of pre-cloned spare schemas."""

from django.core.management import BaseCommand

from tenants.spares import fill_pool


class Command(BaseCommand):
    help = "Clone the template into spare schemas until the pool is full."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=None)

    def handle(self, *args, size=None, **options):
        self.stdout.write(f"Made {fill_pool(size)} spare schema(s).")
