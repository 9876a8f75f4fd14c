"""Partner import of the public registers' exports as published (OSP register, RSPO)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from clubs.models import MunicipalityChange, Partner
from clubs.services.partner_import import MappingNeeded, partner_import
from tests import factories

DATA = Path(__file__).parent / "data"
URBAN, RURAL, URBAN_RURAL = "1", "2", "3"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def territory(db):
    mazowieckie = factories.VoivodeshipFactory(code="14", name="mazowieckie")
    piaseczynski = factories.PowiatFactory(
        code="1418", voivodeship=mazowieckie, name="piaseczyński"
    )
    lodzkie = factories.VoivodeshipFactory(code="10", name="łódzkie")
    sieradzki = factories.PowiatFactory(code="1014", voivodeship=lodzkie, name="sieradzki")
    dolnoslaskie = factories.VoivodeshipFactory(code="02", name="dolnośląskie")
    wroclawski = factories.PowiatFactory(code="0223", voivodeship=dolnoslaskie, name="wrocławski")
    pomorskie = factories.VoivodeshipFactory(code="22", name="pomorskie")
    slupski = factories.PowiatFactory(code="2212", voivodeship=pomorskie, name="słupski")

    def gmina(code, powiat, name, kind):
        return factories.MunicipalityFactory(code=code, powiat=powiat, name=name, kind=kind)

    gminas = {
        "piaseczno": gmina("1418043", piaseczynski, "Piaseczno", URBAN_RURAL),
        "prazmow": gmina("1418052", piaseczynski, "Prażmów", RURAL),
        "sieradz_urban": gmina("1014011", sieradzki, "Sieradz", URBAN),
        "sieradz_rural": gmina("1014082", sieradzki, "Sieradz", RURAL),
        # Became urban-rural: its code changed from 0223022 to 0223023.
        "kobierzyce": gmina("0223023", wroclawski, "Kobierzyce", URBAN_RURAL),
        # The rural gmina Słupsk, renamed Redzikowo on 2025-01-01 (recorded by a TERC import).
        "redzikowo": gmina("2212082", slupski, "Redzikowo", RURAL),
    }
    MunicipalityChange.objects.create(
        municipality=gminas["redzikowo"],
        former_code="2212082",
        former_name="Słupsk",
        former_kind=RURAL,
    )
    return gminas


def run(*args) -> str:
    out = StringIO()
    call_command("import_partners", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_osp_register_export_is_imported_as_published(territory):
    output = run(str(DATA / "osp_register.csv"))
    assert "the OSP register" in output
    assert Partner.objects.filter(kind="osp").count() == 6
    zlotoklos = Partner.objects.get(registry_ref="14180402")
    assert zlotoklos.name == "OSP Złotokłos"
    assert zlotoklos.municipality == territory["piaseczno"]
    assert zlotoklos.address == "ul. Szkolna 1 (wjazd od Ogrodowej), 05-504 Złotokłos"
    assert (str(zlotoklos.latitude), str(zlotoklos.longitude)) == ("52.001020", "20.935120")
    assert zlotoklos.is_ksrg is False
    assert Partner.objects.get(registry_ref="14180401").is_ksrg is True


def test_two_units_of_one_name_in_one_gmina_are_two_partners(territory):
    run(str(DATA / "osp_register.csv"))
    twins = Partner.objects.filter(name="OSP Mała Wieś", municipality=territory["prazmow"])
    assert sorted(twins.values_list("registry_ref", flat=True)) == ["14180501", "14180502"]


def test_the_locality_tells_the_town_gmina_from_the_rural_one(territory):
    run(str(DATA / "osp_register.csv"))
    assert Partner.objects.get(name="OSP Sieradz").municipality == territory["sieradz_urban"]
    assert Partner.objects.get(name="OSP Męka").municipality == territory["sieradz_rural"]


def test_a_reimport_updates_in_place_by_register_number(territory, tmp_path):
    run(str(DATA / "osp_register.csv"))
    text = (DATA / "osp_register.csv").read_bytes().decode("utf-8-sig")
    text = text.replace("OSP Złotokłos,Nie", "OSP Złotokłos im. Strażaków,Tak")
    changed = tmp_path / "osp.csv"
    changed.write_bytes(b"\xef\xbb\xbf" + text.encode())
    before = set(Partner.objects.values_list("pk", flat=True))
    output = run(str(changed))
    assert "created 0, updated 1, unchanged 5" in output
    assert set(Partner.objects.values_list("pk", flat=True)) == before
    renamed = Partner.objects.get(registry_ref="14180402")
    assert (renamed.name, renamed.is_ksrg) == ("OSP Złotokłos im. Strażaków", True)


def test_a_partner_entered_by_hand_gets_the_register_number(territory):
    by_hand = factories.PartnerFactory(
        name="OSP Piaseczno", kind="osp", municipality=territory["piaseczno"]
    )
    run(str(DATA / "osp_register.csv"))
    by_hand.refresh_from_db()
    assert by_hand.registry_ref == "14180401"
    assert Partner.objects.filter(name="OSP Piaseczno").count() == 1


def test_the_rspo_export_resolves_town_and_rural_parts_to_the_gmina(territory):
    output = run(str(DATA / "rspo_schools.csv"))
    assert "the RSPO school register" in output
    school = Partner.objects.get(registry_ref="20345")
    assert school.kind == "school"
    assert school.name == "Szkoła Podstawowa nr 1 im. Mikołaja Kopernika w Piasecznie"
    assert school.detail == "Szkoła podstawowa"
    assert school.address == "Szkolna 14, 05-500 Piaseczno"
    assert school.municipality == territory["piaseczno"]
    village = Partner.objects.get(registry_ref="20346")
    assert village.municipality == territory["piaseczno"]
    assert village.address == "Złotokłos 5, 05-504 Złotokłos"


def test_a_code_of_a_gmina_that_changed_kind_is_resolved_with_a_warning(territory):
    output = run(str(DATA / "rspo_schools.csv"))
    assert "Line 4 (warning)" in output and "0223023" in output
    assert Partner.objects.get(registry_ref="31200").municipality == territory["kobierzyce"]


def test_a_former_gmina_name_is_a_row_error_that_says_what_it_is_now(territory):
    data = (
        "name,kind,gmina,powiat,voivodeship\r\n"
        "OSP Redzikowo,osp,Redzikowo,słupski,pomorskie\r\n"
        "OSP Bydlino,osp,Słupsk,słupski,pomorskie\r\n"
    ).encode()
    result = partner_import(data=data, user=None)
    assert [line for line, _message in result.errors] == [3]
    assert "is now Redzikowo (2212082)" in result.errors[0][1]
    assert not Partner.objects.exists()


def test_a_coordinator_imports_only_their_gminas_from_a_national_file(territory):
    coordinator = factories.coordinator_of(territory["piaseczno"])
    data = (DATA / "osp_register.csv").read_bytes()
    refused = partner_import(data=data, user=coordinator)
    assert len(refused.errors) == 4 and not Partner.objects.exists()
    result = partner_import(data=data, user=coordinator, only_my_gminas=True)
    assert result.ok, result.errors
    assert (result.created, result.skipped_out_of_scope) == (2, 4)
    assert set(Partner.objects.values_list("municipality", flat=True)) == {
        territory["piaseczno"].pk
    }


def test_a_file_of_another_layout_needs_the_mapping_step(territory):
    data = b"Jednostka;Kod gminy;Telefon\nOSP X;1418043;600\n"
    with pytest.raises(MappingNeeded):
        partner_import(data=data, user=None)
    result = partner_import(
        data=data, user=None, mapping={"name": 0, "teryt": 1}, default_kind="ngo"
    )
    assert result.ok and result.created == 1
    assert Partner.objects.get().kind == "ngo"


def test_a_bad_coordinate_is_a_row_error_and_nothing_is_written(territory):
    data = (
        b"name,kind,teryt,lat,lon\n"
        b"OSP A,osp,1418043,52.1,21.0\n"
        b"OSP B,osp,1418043,472345.67,643210.12\n"
    )
    result = partner_import(data=data, user=None)
    assert [line for line, _message in result.errors] == [3]
    assert "outside Poland" in result.errors[0][1]
    assert not Partner.objects.exists()


def test_the_same_register_number_twice_is_an_error(territory):
    data = b"name,kind,teryt,ref\nOSP A,osp,1418043,1\nOSP B,osp,1418043,1\n"
    result = partner_import(data=data, user=None)
    assert result.errors == [(3, "The register number 1 is already on line 2.")]


def test_a_refused_file_changes_nothing(territory, tmp_path):
    run(str(DATA / "osp_register.csv"))
    before = list(Partner.objects.order_by("pk").values())
    bad = tmp_path / "bad.csv"
    text = (DATA / "osp_register.csv").read_bytes().decode("utf-8-sig")
    bad.write_bytes(text.replace("Prażmów", "Nigdzie").encode())
    with pytest.raises(CommandError):
        run(str(bad))
    assert list(Partner.objects.order_by("pk").values()) == before


# --- The web flow: mapping step, and large files in a worker with a progress bar --------


def _login(client, user):
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)


def _upload(client, data: bytes, name="partners.csv", **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("clubs:partner-import"), {"file": file, **extra})


def test_a_file_of_unknown_columns_is_mapped_on_the_web(client, territory):
    from django.urls import reverse

    _login(client, factories.national_user())
    response = _upload(client, b"Jednostka;Gmina TERYT;Rodzaj partnera\nOSP X;1418043;osp\n")
    assert response.templates[0].name == "clubs/partner_import_mapping.html"
    form = response.context["form"]
    assert form["map_kind"].initial == "2"  # "Rodzaj partnera" is a known alias
    token = form["token"].value()
    checked = client.post(
        reverse("clubs:partner-import"),
        {"step": "map", "token": token, "map_name": "0", "map_teryt": "1", "map_kind": "2"},
    )
    assert checked.context["result"].created == 1
    assert not Partner.objects.exists()
    confirm = checked.context["confirm"]
    response = client.post(
        reverse("clubs:partner-import"),
        {name: confirm[name].value() or "" for name in ("token", "mapping", "default_kind")},
    )
    assert response.status_code == 302
    assert Partner.objects.get().municipality == territory["piaseczno"]


def test_a_large_file_is_checked_and_imported_by_a_worker_with_progress(
    client, territory, monkeypatch, django_capture_on_commit_callbacks
):
    from django.urls import reverse

    from kos_portal import uploads
    from kos_portal.models import ImportJob

    monkeypatch.setattr(uploads, "INLINE_ROWS", 3)
    _login(client, factories.national_user())
    data = (DATA / "osp_register.csv").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, data)
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("clubs:partner-import-job", kwargs={"job_pk": job.pk})
    assert not Partner.objects.exists()  # the dry run wrote nothing
    page = client.get(response["Location"])
    assert page.context["result"]["created"] == 6
    confirm = page.context["confirm"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clubs:partner-import"), {"token": confirm["token"].value()})
    second = ImportJob.objects.latest("pk")
    assert second.options["dry_run"] is False and second.state == "done"
    assert Partner.objects.count() == 6
    assert client.get(response["Location"])["Location"] == reverse("clubs:partner-list")


def test_the_progress_fragment_polls_until_the_job_is_done(client, territory):
    from django.urls import reverse

    from kos_portal.models import ImportJob

    national = factories.national_user()
    _login(client, national)
    job = ImportJob.objects.create(
        user=national,
        purpose="clubs.partner-import",
        token="x",
        done=4000,
        total=16000,
        options={"dry_run": True},
    )
    url = reverse("clubs:partner-import-job", kwargs={"job_pk": job.pk})
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in fragment
    assert 'value="25"' in fragment and "4000 of 16000 rows" in fragment
    other = factories.national_user()
    _login(client, other)
    assert client.get(url).status_code == 404  # only its owner sees a job


def test_the_partner_page_shows_the_register_number_and_location(client, territory):
    from django.urls import reverse

    run(str(DATA / "rspo_schools.csv"))
    Partner.objects.filter(registry_ref="20345").update(latitude="52.0735", longitude="21.0238")
    school = Partner.objects.get(registry_ref="20345")
    _login(client, factories.national_user())
    html = client.get(reverse("clubs:partner-detail", kwargs={"partner_pk": school.pk}))
    page = html.content.decode()
    assert "20345 (Szkoła podstawowa)" in page
    assert "52.073500, 21.023800" in page
