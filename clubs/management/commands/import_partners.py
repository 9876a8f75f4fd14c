"""`manage.py import_partners FILE`: bulk-import partners from the OSP register or RSPO
export as published, or from our own columns. The work is in clubs.services.partner_import;
see docs/partners.md for the file formats."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clubs.services.partner_import import PartnerImportError, partner_import
from kos_portal.models import User


class Command(BaseCommand):
    help = (
        "Import partners from the OSP register export, the RSPO school register export, or a "
        "CSV/XLSX file with our own columns (UTF-8 or Windows-1250, ',' ';' or tab "
        "separated). All or nothing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV or XLSX file")
        parser.add_argument(
            "--as-user",
            metavar="EMAIL",
            help="import with this user's rights (a coordinator: only their gminas). "
            "Without it the import runs as national staff.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )
        parser.add_argument(
            "--only-my-gminas",
            action="store_true",
            help="with --as-user: skip (and count) the rows outside the user's gminas",
        )

    def handle(
        self,
        *args,
        path: str,
        as_user: str | None,
        dry_run: bool,
        only_my_gminas: bool,
        **options,
    ):
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
            result = partner_import(
                data=data, user=user, dry_run=dry_run, only_my_gminas=only_my_gminas
            )
        except (PartnerImportError, ValidationError) as error:
            message = " ".join(error.messages) if isinstance(error, ValidationError) else error
            raise CommandError(_("Nothing was imported. %(error)s") % {"error": message}) from error
        self.stdout.write(_("Read as %(layout)s.") % {"layout": result.layout})
        for line, message in result.warnings:
            self.stdout.write(
                _("Line %(line)s (warning): %(message)s") % {"line": line, "message": message}
            )
        if result.skipped_out_of_scope:
            self.stdout.write(
                _("Skipped %(count)s rows in gminas outside your scope.")
                % {"count": result.skipped_out_of_scope}
            )
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
