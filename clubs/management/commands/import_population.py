"""`manage.py import_population FILE`: population per gmina from the GUS BDL export or a
plain `teryt;population;year` file. The work is in clubs.services.population; see
docs/population.md."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clubs.services.population import PopulationFileError, population_import


class Command(BaseCommand):
    help = (
        "Set the population of gminas from the GUS Local Data Bank (BDL) CSV export or a "
        "plain teryt;population;year file. All or nothing; safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the CSV (or XLSX) file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def handle(self, *args, path: str, dry_run: bool, **options):
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(
                _("Can't read %(path)s: %(error)s") % {"path": path, "error": error}
            ) from error
        try:
            result = population_import(data=data, dry_run=dry_run)
        except PopulationFileError as error:
            raise CommandError(_("Nothing was imported. %(error)s") % {"error": error}) from error
        for line, message in result.warnings:
            self.stdout.write(
                _("Line %(line)s (warning): %(message)s") % {"line": line, "message": message}
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
        counts = _(
            "%(updated)s gminas updated, %(unchanged)s unchanged, %(skipped)s rows that are "
            "not gminas skipped"
        ) % {"updated": result.updated, "unchanged": result.unchanged, "skipped": result.skipped}
        if dry_run:
            self.stdout.write(_("Dry run, nothing written: %(counts)s.") % {"counts": counts})
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Population imported: %(counts)s.") % {"counts": counts})
            )
