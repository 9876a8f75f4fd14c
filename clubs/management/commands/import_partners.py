"""`manage.py import_partners PATH.csv`: bulk-import partners. The work is in
clubs.services.partner_import; see docs/partners.md for the file format."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clubs.services.partner_import import PartnerImportError, partner_import
from kos_portal.models import User


class Command(BaseCommand):
    help = (
        "Import partners (OSP units, schools, NGOs...) from a CSV file: UTF-8 or Windows-1250, "
        "',' or ';' separated. All or nothing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV file")
        parser.add_argument(
            "--as-user",
            metavar="EMAIL",
            help="import with this user's rights (a coordinator: only their gminas). "
            "Without it the import runs as national staff.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def handle(self, *args, path: str, as_user: str | None, dry_run: bool, **options):
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(
                _("Can't read %(path)s: %(error)s") % {"path": path, "error": error}
            ) from error
        # Without --as-user this is operations work from the shell: the whole country.
        user = None
        if as_user is not None:
            user = User.objects.filter(email__iexact=as_user, is_active=True).first()
        if as_user is not None and user is None:
            raise CommandError(_("No user has the email address %(email)s.") % {"email": as_user})
        try:
            result = partner_import(data=data, user=user, dry_run=dry_run)
        except (PartnerImportError, ValidationError) as error:
            message = " ".join(error.messages) if isinstance(error, ValidationError) else error
            raise CommandError(_("Nothing was imported. %(error)s") % {"error": message}) from error
        if result.errors:
            for line, message in result.errors:
                self.stderr.write(
                    _("Line %(line)s: %(message)s") % {"line": line, "message": message}
                )
            raise CommandError(
                _("Nothing was imported: %(count)s errors in the file.")
                % {"count": len(result.errors)}
            )
        counts = _("created %(created)s, updated %(updated)s, unchanged %(unchanged)s") % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        if dry_run:
            self.stdout.write(
                _("Dry run, nothing written: would have %(counts)s.") % {"counts": counts}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Partners imported: %(counts)s.") % {"counts": counts})
            )
