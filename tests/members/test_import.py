"""Roster import: file formats, checks per row, matching people, all-or-nothing, command."""

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clubs.models import Club
from members.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    Member,
    Membership,
    MembershipStatusChange,
    PersonalDataAccess,
)
from members.services.roster_import import RosterFileError, default_mapping, roster_import
from tests import factories
from tests.members.helpers import born_years_ago

HEADER = (
    "first_name,last_name,birth_date,email,phone,gmina_teryt,"
    "guardian_name,guardian_contact,guardian_consent_date"
)


def csv_bytes(*rows: str, header: str = HEADER, encoding="utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def adult(first="Jan", last="Kowalski", email="jan@example.pl", phone="600 700 800", teryt=""):
    return f"{first},{last},1990-05-01,{email},{phone},{teryt},,,"


def run(world, data: bytes, by="leader", **kwargs):
    kwargs.setdefault("consent_forms_attested", True)
    return roster_import(club=world.club, data=data, imported_by=world.users[by], **kwargs)


def in_club(world) -> int:
    return Membership.objects.filter(club=world.club).count()


def test_a_csv_roster_is_imported_with_memberships_history_and_consents(world):
    data = csv_bytes(
        adult(teryt=world.municipality.code),
        adult("Zofia", "Żółkiewska", "ZOFIA@Example.pl", "+48 601 702 803"),
    )
    before = in_club(world)
    result = run(world, data)
    assert result.ok and (result.new, result.in_club, result.linked) == (2, 0, 0)
    assert in_club(world) == before + 2
    zofia = Member.objects.get(last_name="Żółkiewska")
    assert zofia.email == "zofia@example.pl"
    assert zofia.phone == "+48601702803"
    assert zofia.birth_year == 1990
    assert zofia.search_text == "zofia zolkiewska zofia@example.pl"  # folded
    jan = Member.objects.get(last_name="Kowalski")
    assert jan.municipality == world.municipality
    membership = jan.memberships.get()
    assert membership.status == Membership.Status.ACTIVE
    assert membership.joined_on == timezone.localdate()
    change = MembershipStatusChange.objects.get(membership=membership)
    assert (change.from_status, change.to_status) == ("", "active")
    assert change.changed_by == world.users["leader"]
    consent = Consent.objects.get(member=jan)
    assert consent.purpose == ConsentPurpose.MEMBERSHIP_DATA and consent.given
    assert consent.method == ConsentMethod.IMPORT
    assert consent.text_version == "membership-2025-01"
    assert consent.recorded_by == world.users["leader"]


def test_the_import_and_the_attestation_are_logged(world):
    run(world, csv_bytes(adult()))
    entry = PersonalDataAccess.objects.get(action=PersonalDataAccess.Action.CHANGE)
    assert entry.club == world.club and entry.member_count == 1
    assert "consent forms" in entry.detail
    assert entry.user == world.users["leader"]


def test_a_real_import_needs_the_consent_forms_attested(world):
    with pytest.raises(ValidationError, match="signed consent forms"):
        run(world, csv_bytes(adult()), consent_forms_attested=False)
    assert not Member.objects.filter(last_name="Kowalski").exists()


def test_a_cp1250_file_separated_by_semicolons_is_read(world):
    header = HEADER.replace(",", ";")
    row = "Łucja;Ślązak;1985-12-24;lucja@example.pl;;;;;"
    result = run(world, csv_bytes(row, header=header, encoding="cp1250"))
    assert result.ok, result.errors
    assert Member.objects.filter(first_name="Łucja", last_name="Ślązak").exists()


def test_a_utf8_file_with_a_bom_is_read(world):
    result = run(world, b"\xef\xbb\xbf" + csv_bytes(adult("Żaneta", "Źdźbło")))
    assert result.ok, result.errors
    assert Member.objects.filter(first_name="Żaneta").exists()


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_roster_is_read_with_real_dates_and_numeric_phones(world):
    data = xlsx_bytes(
        [
            ["first_name", "last_name", "birth_date", "email", "phone"],
            ["Marek", "Wiśniewski", date(1979, 3, 8), "marek@example.pl", 600700800],
            ["Ewa", "Lis", "2001-01-31", "", "+48 602 000 111"],
        ]
    )
    result = run(world, data)
    assert result.ok, result.errors
    marek = Member.objects.get(last_name="Wiśniewski")
    assert marek.birth_date == date(1979, 3, 8)
    assert marek.phone == "+48600700800"


def test_errors_in_an_xlsx_file_name_the_spreadsheet_row(world):
    data = xlsx_bytes(
        [
            ["first_name", "last_name", "birth_date", "email"],
            ["Marek", "Wiśniewski", "1979-03-08", "marek@example.pl"],
            ["Ewa", "", "2001-01-31", "ewa@example.pl"],
        ]
    )
    result = run(world, data, dry_run=True)
    assert [line for line, _message in result.errors] == [3]


def test_own_column_names_are_mapped_onto_the_fields(world):
    header = "Nazwisko;Imię;Urodzony;Adres poczty;Komórka"
    data = csv_bytes("Nowak;Anna;1992-07-14;anna@example.pl;600 100 200", header=header)
    mapping = {"last_name": 0, "first_name": 1, "birth_date": 2, "email": 3, "phone": 4}
    result = run(world, data, mapping=mapping)
    assert result.ok, result.errors
    anna = Member.objects.get(email="anna@example.pl")
    assert (anna.first_name, anna.last_name, anna.phone) == ("Anna", "Nowak", "+48600100200")


def test_the_default_mapping_knows_polish_headers():
    header = ["Imię", "Nazwisko", "Data urodzenia", "E-mail", "Telefon", "inne"]
    assert default_mapping(header) == {
        "first_name": 0,
        "last_name": 1,
        "birth_date": 2,
        "email": 3,
        "phone": 4,
    }


def test_a_file_without_a_required_column_is_refused_before_any_row(world):
    data = csv_bytes("Jan,Kowalski", header="first_name,last_name")
    with pytest.raises(RosterFileError, match="birth_date"):
        run(world, data, dry_run=True)


def test_a_dry_run_writes_nothing_and_reports_what_would_happen(world):
    before = (Member.objects.count(), Membership.objects.count(), Consent.objects.count())
    result = run(world, csv_bytes(adult(), adult("Ola", "Nowak", "ola@example.pl")), dry_run=True)
    assert result.ok and result.dry_run and result.new == 2
    assert [row.line for row in result.preview] == [2, 3]
    after = (Member.objects.count(), Membership.objects.count(), Consent.objects.count())
    assert after == before
    assert not PersonalDataAccess.objects.exists()


def test_one_bad_row_writes_nothing_and_every_error_names_its_line(world):
    data = csv_bytes(
        adult(),
        "Ola,Nowak,1990-13-01,ola@example.pl,,,,,",
        adult("Piotr", "Zieliński", "not-an-email"),
        "Ala,,31.01.1990,,,,,,",
    )
    before = Member.objects.count()
    result = run(world, data)
    assert not result.ok
    assert Member.objects.count() == before
    lines = {line for line, _message in result.errors}
    assert lines == {3, 4, 5}
    messages = dict(result.errors)
    assert "not a real date" in messages[3]
    assert "not a valid email" in messages[4]
    assert any("YYYY-MM-DD" in m for line, m in result.errors if line == 5)


def test_an_invalid_phone_is_an_error_of_its_row(world):
    result = run(world, csv_bytes(adult(), adult("Ola", "Nowak", "ola@example.pl", "12345")))
    assert result.errors == [
        (3, "“12345” is not a valid phone number (e.g. 600 700 800 or +48 600 700 800).")
    ]
    assert not Member.objects.filter(last_name__in=["Kowalski", "Nowak"]).exists()


def test_an_unknown_teryt_code_is_an_error(world):
    result = run(world, csv_bytes(adult(teryt="9999999")), dry_run=True)
    assert result.errors == [(2, "No gmina has the TERYT code “9999999”.")]


def test_a_teryt_code_that_lost_its_leading_zero_is_understood(world):
    gmina = factories.MunicipalityFactory(code="0201011")
    result = run(world, csv_bytes(adult(teryt="201011")))
    assert result.ok, result.errors
    assert Member.objects.get(last_name="Kowalski").municipality == gmina


def test_an_adult_without_any_contact_is_an_error(world):
    result = run(world, csv_bytes(adult(email="", phone="")), dry_run=True)
    assert result.errors == [(2, "Give an email address or a phone number (or both).")]


def test_the_same_person_twice_in_one_file_is_an_error(world):
    data = csv_bytes(
        adult(), adult(email="JAN@example.pl"), adult("JAN", "KOWALSKI", "x@example.pl")
    )
    result = run(world, data, dry_run=True)
    assert [line for line, _m in result.errors] == [3, 4]
    assert "line 2" in result.errors[0][1]


def test_reimporting_the_same_file_changes_nothing(world):
    data = csv_bytes(adult(), adult("Ola", "Nowak", "ola@example.pl"))
    run(world, data)
    counts = (
        Member.objects.count(),
        Membership.objects.count(),
        Consent.objects.count(),
        MembershipStatusChange.objects.count(),
    )
    result = run(world, data)
    assert (result.new, result.in_club, result.linked) == (0, 2, 0)
    assert counts == (
        Member.objects.count(),
        Membership.objects.count(),
        Consent.objects.count(),
        MembershipStatusChange.objects.count(),
    )


def test_a_person_already_in_the_club_matches_by_name_and_birth_date_ignoring_case(world):
    factories.MembershipFactory(
        club=world.club,
        member=factories.MemberFactory(
            first_name="Zofia", last_name="Żółkiewska", birth_date=date(1990, 5, 1), email=""
        ),
    )
    result = run(world, csv_bytes(adult("ZOFIA", "ŻÓŁKIEWSKA", "zofia@example.pl")))
    assert (result.new, result.in_club) == (0, 1)
    assert Member.objects.filter(last_name__iexact="Żółkiewska").count() == 1


def test_a_person_from_another_club_is_linked_not_duplicated(world):
    other = factories.MemberFactory(
        first_name="Jan", last_name="Kowalski", email="jan@example.pl", phone="+48600000001"
    )
    factories.MembershipFactory(member=other, club=world.other_club)
    result = run(world, csv_bytes(adult(email="Jan@Example.PL")))
    assert (result.new, result.linked) == (0, 1)
    assert set(other.memberships.values_list("club_id", flat=True)) == {
        world.club.pk,
        world.other_club.pk,
    }
    other.refresh_from_db()
    assert other.phone == "+48600000001"  # another club's record is not overwritten
    assert Consent.objects.filter(member=other, method=ConsentMethod.IMPORT).count() == 1


def test_erased_people_are_never_matched(world):
    factories.MemberFactory(
        first_name="", last_name="", email="", anonymised_at=timezone.now(), birth_year=1990
    )
    result = run(world, csv_bytes(adult()), dry_run=True)
    assert result.new == 1


def minor(guardian="Anna Kowalska,+48 600 100 200,2025-01-10"):
    born = born_years_ago(12).isoformat()
    return f"Staś,Kowalski,{born},,,,{guardian}"


def test_a_minor_without_the_guardians_data_is_an_error(world):
    result = run(world, csv_bytes(minor(guardian=",,")))
    assert len(result.errors) == 1
    line, message = result.errors[0]
    assert line == 2 and "Under 18" in message and "guardian_consent_date" in message
    assert not Member.objects.filter(first_name="Staś").exists()


def test_a_minor_with_the_guardians_data_gets_the_guardians_consent(world):
    result = run(world, csv_bytes(minor()))
    assert result.ok, result.errors
    stas = Member.objects.get(first_name="Staś")
    consent = GuardianConsent.objects.get(member=stas)
    assert consent.guardian_name == "Anna Kowalska"
    assert consent.consent_date == date(2025, 1, 10)
    assert consent.method == ConsentMethod.IMPORT
    consent = Consent.objects.get(member=stas)
    assert (consent.given_by, consent.guardian_name) == ("guardian", "Anna Kowalska")
    assert stas.memberships.get().status == Membership.Status.ACTIVE


def test_a_guardians_consent_dated_in_the_future_is_an_error(world):
    future = (timezone.localdate().replace(year=timezone.localdate().year + 1)).isoformat()
    result = run(world, csv_bytes(minor(guardian=f"Anna,600100200,{future}")), dry_run=True)
    assert result.errors == [(2, "The date of the guardian's consent is in the future.")]


def test_only_staff_of_the_club_may_import(world):
    with pytest.raises(ValidationError):
        run(world, csv_bytes(adult()), by="outsider")
    with pytest.raises(ValidationError):
        run(world, csv_bytes(adult()), by="instructor")


def test_a_closed_club_takes_no_import(world):
    Club.objects.filter(pk=world.club.pk).update(status=Club.Status.CLOSED)
    world.club.refresh_from_db()
    with pytest.raises(ValidationError, match="not taking new members"):
        run(world, csv_bytes(adult()))


def test_the_number_of_queries_does_not_grow_with_the_rows(world):
    def queries(count: int, offset: int) -> int:
        rows = [adult("P", f"N{offset + i}", f"p{offset + i}@example.pl") for i in range(count)]
        with CaptureQueriesContext(connection) as context:
            assert run(world, csv_bytes(*rows)).ok
        return len(context.captured_queries)

    queries(1, 0)  # the first call also reads the importer's roles (cached on the user)
    assert queries(5, 10) == queries(60, 100)


# --- The command ------------------------------------------------------------------------


def test_the_command_imports_and_reports(world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(adult(), adult("Ola", "Nowak", "ola@example.pl")))
    out = io.StringIO()
    call_command("import_members", str(world.club.pk), str(path), stdout=out)
    assert "Members imported: 2 new, 0 linked" in out.getvalue()
    assert Member.objects.filter(last_name="Nowak").exists()
    out = io.StringIO()
    call_command("import_members", str(world.club.pk), str(path), stdout=out)
    assert "0 new, 0 linked to people from other clubs, 2 already in the club" in out.getvalue()


def test_the_command_reports_errors_by_line_and_fails(world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(adult(), adult("Ola", "", "ola@example.pl")))
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_members", str(world.club.pk), str(path), stderr=err)
    assert "Line 3: The first and last name are required." in err.getvalue()
    assert not Member.objects.filter(last_name="Kowalski").exists()


def test_the_command_exits_with_code_1_on_a_missing_club(world, tmp_path, capsys):
    from members.management.commands.import_members import Command

    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(adult()))
    # run_from_argv is what manage.py runs: the exit code is what shell scripts see.
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "import_members", "999999", str(path)])
    assert exit_info.value.code == 1
    assert "No club has the id 999999." in capsys.readouterr().err


def test_the_command_dry_run_writes_nothing(world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(csv_bytes(adult()))
    out = io.StringIO()
    call_command("import_members", str(world.club.pk), str(path), "--dry-run", stdout=out)
    assert "Dry run, nothing written: 1 new" in out.getvalue()
    assert not Member.objects.filter(last_name="Kowalski").exists()


def test_the_command_refuses_an_unreadable_file(world, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match=r"Nothing was imported\. The file is empty\."):
        call_command("import_members", str(world.club.pk), str(path))
