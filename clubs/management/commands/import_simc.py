"""`manage.py import_simc FILE`: load the GUS SIMC register of localities. The work is in
clubs.simc; see docs/teryt.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clubs.simc import SimcFileError, simc_import


class Command(BaseCommand):
    help = (
        "Import localities from the official GUS SIMC file (SIMC_Urzedowy_<date>.zip or the "
        "CSV inside it). All or nothing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="SIMC_Urzedowy_<date>.zip or .csv from GUS eTERYT")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")

    def handle(self, *args, path: str, dry_run: bool, **options):
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(
                _("Can't read %(path)s: %(error)s") % {"path": path, "error": error}
            ) from error
        try:
            result = simc_import(data=data, dry_run=dry_run)
        except SimcFileError as error:
            raise CommandError(_("Nothing was imported. %(error)s") % {"error": error}) from error
        if result.errors:
            for line, message in result.errors:
                self.stderr.write(
                    _("Line %(line)s: %(message)s") % {"line": line, "message": message}
                )
            raise CommandError(
                _("Nothing was imported: %(count)s errors in the file.")
                % {"count": len(result.errors)}
            )
        counts = _(
            "localities: %(created)s created, %(updated)s updated, %(unchanged)s unchanged, "
            "%(gone)s marked not current; %(skipped)s skipped (their gmina is not in the "
            "portal's register)"
        ) % {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "gone": result.marked_not_current,
            "skipped": result.skipped_no_gmina,
        }
        if dry_run:
            self.stdout.write(_("Dry run, nothing written: %(counts)s.") % {"counts": counts})
        else:
            self.stdout.write(
                self.style.SUCCESS(_("SIMC imported: %(counts)s.") % {"counts": counts})
            )
