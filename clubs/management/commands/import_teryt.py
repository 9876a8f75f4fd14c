"""`manage.py import_teryt PATH`: load the GUS TERC register. The work is in clubs.teryt."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clubs.teryt import TerytFileError, teryt_import


class Command(BaseCommand):
    help = (
        "Import voivodeships, powiats and gminas from the official GUS TERC file "
        "(TERC_Urzedowy_<date>.zip or the CSV inside it). Refuses the 'adresowy' variant; "
        "use --dry-run to see the changes first. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="TERC_Urzedowy_<date>.zip or .csv from GUS eTERYT")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="show what would be new, renamed, change kind or leave the register; write "
            "nothing",
        )
        parser.add_argument(
            "--confirm",
            action="store_true",
            help="allow more than 5 gminas to leave the register in one import",
        )

    def handle(self, *args, path: str, dry_run: bool, confirm: bool, **options):
        try:
            result = teryt_import(
                path_or_file=path, stdout=self.stdout, dry_run=dry_run, confirm=confirm
            )
        except TerytFileError as exc:
            raise CommandError(_("Nothing was imported. %(error)s") % {"error": exc}) from exc
        if dry_run:
            return
        if result.changed:
            self.stdout.write(self.style.SUCCESS(_("TERC import finished.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("TERC import finished: nothing changed.")))
