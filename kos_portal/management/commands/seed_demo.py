import contextlib
import logging

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kos_portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, DEMO_USERS, demo_seed

DEMO_MEMBER_EMAIL = DEMO_USERS[-1].email


class Command(BaseCommand):
    help = "Load the demo: Gmina Piaseczno, KOS Złotokłos, its partners and one user per role."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Seed even with DJANGO_DEBUG off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to load demo users with DJANGO_DEBUG off (use --force).")
        with _quiet_inline_tasks():
            users = demo_seed()
            # Dashboards read only the rollup tables: fill them now rather than at beat's
            # first run (docs/rollups.md).
            from dashboards.services.rollups import rollups_refresh

            rollups_refresh()
        self.stdout.write(self.style.SUCCESS("Demo loaded. Sign in at " + settings.SITE_URL))
        self.stdout.write(f"Password for every demo user: {DEMO_PASSWORD}")
        for demo, needs_totp in users:
            note = "  (+ TOTP code: manage.py demo_totp)" if needs_totp else ""
            self.stdout.write(f"  {demo.role:<12} {demo.email}{note}")
        self.stdout.write(
            f"Demo TOTP secret (add it to an authenticator app if you like): {DEMO_TOTP_SECRET}"
        )
        from certificates.models import Certificate

        certificate = (
            Certificate.objects.filter(member__user__email=DEMO_MEMBER_EMAIL).first()
            or Certificate.objects.order_by("pk").first()
        )
        if certificate is not None:
            self.stdout.write(
                f"Verify a demo certificate ({certificate.number}): "
                f"{certificate.get_verification_url()}"
            )


@contextlib.contextmanager
def _quiet_inline_tasks():
    """Celery's per-task "succeeded" lines and kombu's "No hostname was supplied" (tasks
    inline without a broker still borrow a producer) say nothing to someone loading the
    demo; warnings and errors still show."""
    loggers = [logging.getLogger(name) for name in ("celery.app.trace", "kombu.connection")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
