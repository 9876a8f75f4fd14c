"""Bulk import of partners: the command, the service and the web upload."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from clubs.models import Municipality, Partner
from clubs.services.partner_import import (
    PartnerImportError,
    import_upload_store,
    partner_import,
)
from tests import factories


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in English; the site's default language is Polish."""
    with translation.override("en"):
        yield


def login(client, user) -> None:
    """Sign in a user who reads the portal in English (the middleware uses their setting)."""
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)


HEADER = "name,kind,teryt,gmina,powiat,voivodeship,address,ksrg\n"


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.PARTNER_IMPORT_DIR = str(tmp_path / "imports")


@pytest.fixture
def territory(db):
    """Sieradz has an urban and a rural gmina; two powiats each have a gmina Brzeziny."""
    lodzkie = factories.VoivodeshipFactory(code="10", name="łódzkie")
    wielkopolskie = factories.VoivodeshipFactory(code="30", name="wielkopolskie")
    sieradzki = factories.PowiatFactory(code="1014", voivodeship=lodzkie, name="sieradzki")
    brzezinski = factories.PowiatFactory(code="1021", voivodeship=lodzkie, name="brzeziński")
    kaliski = factories.PowiatFactory(code="3007", voivodeship=wielkopolskie, name="kaliski")
    dolnoslaskie = factories.VoivodeshipFactory(code="02", name="dolnośląskie")
    wroclawski = factories.PowiatFactory(code="0223", voivodeship=dolnoslaskie, name="wrocławski")
    gminas = {
        "sieradz_urban": factories.MunicipalityFactory(
            code="1014011", powiat=sieradzki, name="Sieradz", kind=Municipality.Kind.URBAN
        ),
        "sieradz_rural": factories.MunicipalityFactory(
            code="1014082", powiat=sieradzki, name="Sieradz", kind=Municipality.Kind.RURAL
        ),
        "wroblew": factories.MunicipalityFactory(
            code="1014092", powiat=sieradzki, name="Wróblew", kind=Municipality.Kind.RURAL
        ),
        "brzeziny_lodz": factories.MunicipalityFactory(
            code="1021022", powiat=brzezinski, name="Brzeziny", kind=Municipality.Kind.RURAL
        ),
        "brzeziny_kalisz": factories.MunicipalityFactory(
            code="3007012", powiat=kaliski, name="Brzeziny", kind=Municipality.Kind.RURAL
        ),
        "kobierzyce": factories.MunicipalityFactory(
            code="0223022", powiat=wroclawski, name="Kobierzyce", kind=Municipality.Kind.RURAL
        ),
    }
    return gminas


def write(tmp_path, text: str, encoding: str = "utf-8") -> str:
    path = tmp_path / "partners.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def run(path: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_partners", path, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_reads_utf8_with_a_bom(territory, tmp_path):
    text = HEADER + "OSP Wróblew,osp,1014092,,,,Wróblew 15,tak\n"
    output = run(write(tmp_path, text, "utf-8-sig"))
    partner = Partner.objects.get()
    assert partner.name == "OSP Wróblew"  # the BOM did not end up in the header or the name
    assert partner.municipality == territory["wroblew"]
    assert partner.is_ksrg is True
    assert partner.address == "Wróblew 15"
    assert partner.name_key == "osp wróblew"
    assert "created 1, updated 0, unchanged 0" in output


def test_import_reads_utf8_without_a_bom(territory, tmp_path):
    text = HEADER + "Szkoła Podstawowa w Wróblewie,school,1014092,,,,,no\n"
    run(write(tmp_path, text))
    assert Partner.objects.get().kind == Partner.Kind.SCHOOL


def test_import_reads_what_polish_excel_saves(territory, tmp_path):
    text = (
        "name;kind;gmina;powiat;voivodeship;address;ksrg\r\n"
        "OSP Łężyca;osp;Wróblew;sieradzki;Łódzkie;ul. Żółta 1, Łężyca;TAK\r\n"
        ";;;;;;\r\n"  # Excel leaves empty rows at the end
    )
    run(write(tmp_path, text, "cp1250"))
    partner = Partner.objects.get()
    assert partner.name == "OSP Łężyca"
    assert partner.address == "ul. Żółta 1, Łężyca"
    assert partner.municipality == territory["wroblew"]
    assert partner.is_ksrg is True


def test_register_qualifier_picks_the_urban_or_the_rural_gmina(territory, tmp_path):
    text = (
        HEADER
        + "OSP Sieradz,osp,,Sieradz (gmina miejska),,,,\n"
        + "OSP Męka,osp,,Sieradz (gmina wiejska),,,,\n"
    )
    run(write(tmp_path, text))
    assert Partner.objects.get(name="OSP Sieradz").municipality == territory["sieradz_urban"]
    assert Partner.objects.get(name="OSP Męka").municipality == territory["sieradz_rural"]


def test_a_name_shared_by_two_gminas_is_an_error_not_a_guess(territory):
    data = (HEADER + "OSP Sieradz,osp,,Sieradz,,,,\n").encode()
    result = partner_import(data=data, user=None)
    assert len(result.errors) == 1
    line, message = result.errors[0]
    assert line == 2
    assert "1014011" in message and "1014082" in message
    assert not Partner.objects.exists()


def test_powiat_and_voivodeship_tell_apart_gminas_of_the_same_name(territory):
    data = (
        HEADER
        + "OSP Brzeziny,osp,,Brzeziny,kaliski,wielkopolskie,,\n"
        + "OSP Brzeziny,osp,,Brzeziny,powiat brzeziński,województwo łódzkie,,\n"
    ).encode()
    result = partner_import(data=data, user=None)
    assert result.ok, result.errors
    gminas = set(Partner.objects.values_list("municipality_id", flat=True))
    assert gminas == {territory["brzeziny_kalisz"].pk, territory["brzeziny_lodz"].pk}


def test_unknown_gmina_and_unknown_code_are_row_errors(territory):
    data = (HEADER + "OSP Nigdzie,osp,,Nigdziebądź,,,,\n" + "OSP Kod,osp,9999999,,,,,\n").encode()
    result = partner_import(data=data, user=None)
    assert [line for line, _ in result.errors] == [2, 3]
    assert "Nigdziebądź" in result.errors[0][1]
    assert "9999999" in result.errors[1][1]


def test_a_code_that_lost_its_leading_zero_in_a_spreadsheet_still_matches(territory):
    result = partner_import(data=(HEADER + "OSP Kobierzyce,osp,223022,,,,,\n").encode(), user=None)
    assert result.ok, result.errors
    assert Partner.objects.get().municipality == territory["kobierzyce"]


def test_bad_kind_and_ksrg_values_are_reported_per_row(territory):
    data = (
        HEADER
        + "OSP Dobra,osp,1014092,,,,,yes\n"
        + "Straż,fire,1014092,,,,,yes\n"
        + "OSP Zła,osp,1014092,,,,,może\n"
    ).encode()
    result = partner_import(data=data, user=None)
    assert [line for line, _ in result.errors] == [3, 4]
    assert "fire" in result.errors[0][1]
    assert "może" in result.errors[1][1]


def test_one_bad_row_means_nothing_is_written(territory, tmp_path):
    text = HEADER + "OSP Dobra,osp,1014092,,,,,\n" + ",osp,1014092,,,,,\n"
    with pytest.raises(CommandError, match="1 errors"):
        run(write(tmp_path, text))
    assert not Partner.objects.exists()


def test_the_command_prints_errors_with_line_numbers(territory, tmp_path):
    from io import StringIO

    err = StringIO()
    path = write(tmp_path, HEADER + "OSP,osp,1014092,,,,,\nX,bad,1014092,,,,,\n")
    with pytest.raises(CommandError):
        call_command("import_partners", path, stdout=StringIO(), stderr=err)
    assert "Line 3:" in err.getvalue()


def test_reimport_creates_no_duplicates_and_updates_in_place(territory, tmp_path):
    run(
        write(
            tmp_path,
            HEADER + "OSP Wróblew,osp,1014092,,,,Wróblew 1,no\nOSP Męka,osp,1014082,,,,,\n",
        )
    )
    first = Partner.objects.get(name="OSP Wróblew")
    output = run(
        write(
            tmp_path,
            HEADER + "osp  WRÓBLEW,osp,1014092,,,,Wróblew 15,tak\nOSP Męka,osp,1014082,,,,,\n",
        )
    )
    assert Partner.objects.count() == 2
    first.refresh_from_db()
    assert (first.address, first.is_ksrg) == ("Wróblew 15", True)
    assert "wroblew 15" in first.search_text
    assert "created 0, updated 1, unchanged 1" in output


def test_the_same_partner_twice_in_one_file_is_an_error(territory):
    data = (HEADER + "OSP Wróblew,osp,1014092,,,,,\nOSP  wróblew,osp,1014092,,,,,\n").encode()
    result = partner_import(data=data, user=None)
    assert result.errors == [(3, "The same partner (gmina, kind and name) is already on line 2.")]


def test_a_header_without_the_required_columns_is_refused(territory):
    with pytest.raises(PartnerImportError, match="kind"):
        partner_import(data=b"name,gmina\nOSP,Wr\xc3\xb3blew\n", user=None)


def test_coordinator_cannot_import_into_another_gmina(territory):
    coordinator = factories.coordinator_of(territory["wroblew"])
    data = (HEADER + "OSP Wróblew,osp,1014092,,,,,\nOSP Męka,osp,1014082,,,,,\n").encode()
    result = partner_import(data=data, user=coordinator)
    assert len(result.errors) == 1
    assert result.errors[0][0] == 3
    assert "may not import" in result.errors[0][1]
    assert not Partner.objects.exists()


def test_dry_run_writes_nothing(territory):
    result = partner_import(
        data=(HEADER + "OSP Wróblew,osp,1014092,,,,,\n").encode(), user=None, dry_run=True
    )
    assert (result.created, result.ok) == (1, True)
    assert not Partner.objects.exists()


# --- The web upload --------------------------------------------------------------------


def upload(client, text: str, encoding: str = "utf-8"):
    file = SimpleUploadedFile("partners.csv", text.encode(encoding), content_type="text/csv")
    return client.post(reverse("clubs:partner-import"), {"file": file})


def test_web_upload_shows_a_preview_then_imports_on_confirmation(client, territory):
    coordinator = factories.coordinator_of(territory["wroblew"])
    login(client, coordinator)
    response = upload(client, HEADER + "OSP Wróblew,osp,1014092,,,,,tak\n")
    assert response.status_code == 200
    assert "OSP Wróblew" in response.content.decode()
    assert not Partner.objects.exists()  # the dry run wrote nothing
    token = response.context["confirm"].initial["token"]
    response = client.post(reverse("clubs:partner-import"), {"token": token})
    assert response.status_code == 302
    assert Partner.objects.get().is_ksrg is True
    # The kept file is gone: confirming twice imports nothing more.
    response = client.post(reverse("clubs:partner-import"), {"token": token}, follow=True)
    assert "expired" in response.content.decode()
    assert Partner.objects.count() == 1


def test_web_upload_lists_errors_per_row_and_offers_no_confirmation(client, territory):
    coordinator = factories.coordinator_of(territory["wroblew"])
    login(client, coordinator)
    response = upload(client, HEADER + "OSP Męka,osp,1014082,,,,,\n", "cp1250")
    body = response.content.decode()
    assert response.status_code == 200
    assert "may not import" in body
    assert "confirm" not in response.context
    assert not Partner.objects.exists()


def test_a_token_from_another_user_is_refused(client, territory):
    coordinator = factories.coordinator_of(territory["wroblew"])
    other = factories.national_user()
    token = import_upload_store(data=(HEADER + "OSP X,osp,1014092,,,,,\n").encode(), user=other)
    login(client, coordinator)
    response = client.post(reverse("clubs:partner-import"), {"token": token}, follow=True)
    assert "expired" in response.content.decode()
    assert not Partner.objects.exists()


def test_a_forged_token_is_refused(client, territory):
    login(client, factories.national_user())
    response = client.post(
        reverse("clubs:partner-import"), {"token": "../../etc/passwd"}, follow=True
    )
    assert "expired" in response.content.decode()


def test_leaders_cannot_import(client, world):
    login(client, world.users["leader"])
    assert upload(client, HEADER).status_code == 403


def test_the_command_imports_with_a_coordinators_rights_when_asked(territory, tmp_path):
    from io import StringIO

    factories.coordinator_of(territory["wroblew"], email="koordynator@kos.example")
    path = write(tmp_path, HEADER + "OSP Męka,osp,1014082,,,,,\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_partners", path, "--as-user", "koordynator@kos.example", stderr=err)
    assert "Sieradz (1014082)" in err.getvalue()
    assert not Partner.objects.exists()


def test_the_command_dry_run_writes_nothing(territory, tmp_path):
    from io import StringIO

    out = StringIO()
    path = write(tmp_path, HEADER + "OSP Wróblew,osp,1014092,,,,,\n")
    call_command("import_partners", path, "--dry-run", stdout=out)
    assert "would have created 1" in out.getvalue()
    assert not Partner.objects.exists()
