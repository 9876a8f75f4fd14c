"""`manage.py import_members CLUB PATH`: import a club's roster from CSV or XLSX. The work is
in members.services.roster_import; see docs/member-import.md for the file format."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clubs.models import Club
from kos_portal.models import User
from members.services.roster_import import RosterFileError, roster_import


class Command(BaseCommand):
    help = (
        "Import a club's members from a CSV (UTF-8 or Windows-1250, ',' or ';') or XLSX file "
        "with the columns first_name, last_name, birth_date, email, phone, gmina_teryt, "
        "guardian_name, guardian_contact, guardian_consent_date. All or nothing; safe to run "
        "again. Running it attests that the signed consent forms are held."
    )

    def add_arguments(self, parser):
        parser.add_argument("club", type=int, help="the club's id")
        parser.add_argument("path", help="the CSV or XLSX file")
        parser.add_argument(
            "--as-user",
            metavar="EMAIL",
            help="import with this user's rights and record them as the importer",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def handle(self, *args, club: int, path: str, as_user: str | None, dry_run: bool, **options):
        club_obj = Club.objects.filter(pk=club).first()
        if club_obj is None:
            raise CommandError(_("No club has the id %(id)s.") % {"id": club})
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CommandError(
                _("Can't read %(path)s: %(error)s") % {"path": path, "error": error}
            ) from error
        user = None
        if as_user is not None:
            user = User.objects.filter(email__iexact=as_user, is_active=True).first()
            if user is None:
                raise CommandError(
                    _("No user has the email address %(email)s.") % {"email": as_user}
                )
        try:
            result = roster_import(
                club=club_obj,
                data=data,
                imported_by=user,
                dry_run=dry_run,
                # Whoever runs the command from the shell vouches for the paper forms.
                consent_forms_attested=True,
            )
        except (RosterFileError, ValidationError) as error:
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
        counts = _(
            "%(new)s new, %(linked)s linked to people from other clubs, "
            "%(in_club)s already in the club"
        ) % {"new": result.new, "linked": result.linked, "in_club": result.in_club}
        if dry_run:
            self.stdout.write(_("Dry run, nothing written: %(counts)s.") % {"counts": counts})
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Members imported: %(counts)s.") % {"counts": counts})
            )
