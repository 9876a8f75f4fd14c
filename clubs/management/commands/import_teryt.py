"""`manage.py import_teryt PATH`: load the GUS TERC register. The work is in clubs.teryt."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clubs.teryt import TerytFileError, teryt_import


class Command(BaseCommand):
    help = (
        "Import voivodeships, powiats and gminas from the official GUS TERC file "
        "(TERC_Urzedowy_<date>.zip or the CSV inside it). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="TERC_Urzedowy_<date>.zip or .csv from GUS eTERYT")

    def handle(self, *args, path: str, **options):
        try:
            result = teryt_import(path_or_file=path, stdout=self.stdout)
        except TerytFileError as exc:
            raise CommandError(_("Nothing was imported. %(error)s") % {"error": exc}) from exc
        if result.changed:
            self.stdout.write(self.style.SUCCESS(_("TERC import finished.")))
        else:
            self.stdout.write(self.style.SUCCESS(_("TERC import finished: nothing changed.")))
