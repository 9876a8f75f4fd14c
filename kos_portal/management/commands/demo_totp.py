from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kos_portal.demo import demo_totp_code


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo's staff (every role but the member)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo TOTP code is for local demos only (DJANGO_DEBUG on).")
        self.stdout.write(demo_totp_code())
