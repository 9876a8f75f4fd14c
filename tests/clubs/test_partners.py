"""Partner pages: lists with filters and exports, details, changes, links and agreements."""

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from clubs.models import Partner, PartnerLink
from clubs.services.partners import partner_create
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


PDF = b"%PDF-1.7 an agreement"


def pdf(name: str = "umowa.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def link_data(club, **overrides) -> dict:
    data = {
        "club": club.pk,
        "role": "sala na zajęcia",
        "agreement_type": "venue",
        "agreement_signed_on": "2026-01-10",
        "agreement_expires_on": "2027-01-09",
    }
    data.update(overrides)
    return data


# --- Adding and changing partners ------------------------------------------------------


def test_leader_adds_a_partner_in_their_clubs_gmina(client, world):
    login(client, world.users["leader"])
    response = client.post(
        reverse("clubs:partner-create"),
        {
            "name": "Szkoła Podstawowa nr 1",
            "kind": "school",
            "municipality": world.municipality.pk,
            "offers_venue": "on",
        },
    )
    partner = Partner.objects.get(name="Szkoła Podstawowa nr 1")
    assert response.status_code == 302
    assert response["Location"] == partner.get_absolute_url()
    assert partner.offers_venue and partner.name_key == "szkoła podstawowa nr 1"


def test_leader_cannot_add_a_partner_in_another_gmina(client, world):
    login(client, world.users["leader"])
    response = client.post(
        reverse("clubs:partner-create"),
        {"name": "OSP Obca", "kind": "osp", "municipality": world.other_municipality.pk},
    )
    assert response.status_code == 200
    assert "municipality" in response.context["form"].errors
    assert not Partner.objects.filter(name="OSP Obca").exists()


def test_the_service_refuses_a_gmina_outside_the_users_scope(world):
    with pytest.raises(ValidationError, match="may not add"):
        partner_create(
            user=world.users["leader"],
            municipality=world.other_municipality,
            name="OSP Obca",
            kind="osp",
        )


def test_a_second_partner_with_the_same_name_is_refused_clearly(client, world):
    login(client, world.users["coordinator"])
    response = client.post(
        reverse("clubs:partner-create"),
        {"name": "osp  ZŁOTOKŁOS", "kind": "osp", "municipality": world.municipality.pk},
    )
    assert response.status_code == 200
    assert "already has a partner" in response.content.decode()
    assert Partner.objects.filter(municipality=world.municipality).count() == 1


def test_national_staff_give_the_gmina_as_its_teryt_code(client, world):
    login(client, world.users["national"])
    response = client.post(
        reverse("clubs:partner-create"),
        {"name": "KPP Piaseczno", "kind": "police", "municipality": world.municipality.code},
    )
    assert response.status_code == 302
    assert Partner.objects.get(name="KPP Piaseczno").municipality == world.municipality


def test_coordinator_edits_a_partner(client, world):
    partner = world.objects["partner"]
    login(client, world.users["coordinator"])
    response = client.post(
        reverse("clubs:partner-edit", kwargs={"partner_pk": partner.pk}),
        {
            "name": partner.name,
            "kind": "osp",
            "municipality": world.municipality.pk,
            "is_ksrg": "on",
            "contact_person": "Jan Strażak",
            "offers_other": "=HYPERLINK(1)",
        },
    )
    assert response.status_code == 302
    partner.refresh_from_db()
    assert partner.is_ksrg and partner.contact_person == "Jan Strażak"
    assert "jan strazak" in partner.search_text


def test_instructor_cannot_edit_a_partner(client, world):
    login(client, world.users["instructor"])
    url = reverse("clubs:partner-edit", kwargs={"partner_pk": world.objects["partner"].pk})
    assert client.post(url, {"name": "X", "kind": "osp"}).status_code == 403
    assert Partner.objects.get().name == "OSP Złotokłos"


# --- Links and agreements -------------------------------------------------------------


def test_leader_links_a_partner_with_an_agreement_document(client, world):
    partner = factories.PartnerFactory(municipality=world.municipality, name="OSP Głosków")
    login(client, world.users["leader"])
    url = reverse("clubs:partner-link-create", kwargs={"partner_pk": partner.pk})
    response = client.post(url, {**link_data(world.club), "agreement_document": pdf()})
    assert response.status_code == 302
    link = PartnerLink.objects.get(partner=partner)
    assert link.agreement_expires_on == date(2027, 1, 9)
    # Stored under a random name, so it can't be found by guessing.
    assert "umowa" not in link.agreement_document.name
    assert link.agreement_document.read() == PDF


def test_an_agreement_cannot_expire_before_it_was_signed(client, world):
    partner = factories.PartnerFactory(municipality=world.municipality)
    login(client, world.users["leader"])
    url = reverse("clubs:partner-link-create", kwargs={"partner_pk": partner.pk})
    response = client.post(url, link_data(world.club, agreement_expires_on="2025-12-31"))
    assert response.status_code == 200
    assert response.context["form"].errors["agreement_expires_on"] == [
        "The agreement can't expire before it was signed."
    ]
    assert not PartnerLink.objects.filter(partner=partner).exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("umowa.exe", b"MZ..."), "PDF, DOCX, ODT, JPG or PNG"),
        (SimpleUploadedFile("umowa.pdf", b"<html>not a pdf"), "not a PDF document"),
        (
            SimpleUploadedFile("umowa.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024)),
            "the limit is 10 MB",
        ),
    ],
)
def test_agreement_documents_must_be_documents_of_at_most_10_mb(client, world, upload, message):
    partner = factories.PartnerFactory(municipality=world.municipality)
    login(client, world.users["leader"])
    url = reverse("clubs:partner-link-create", kwargs={"partner_pk": partner.pk})
    response = client.post(url, {**link_data(world.club), "agreement_document": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PartnerLink.objects.filter(partner=partner).exists()


def test_leader_cannot_link_a_partner_to_another_club(client, world):
    partner = factories.PartnerFactory(municipality=world.municipality)
    login(client, world.users["leader"])
    url = reverse("clubs:partner-link-create", kwargs={"partner_pk": partner.pk})
    response = client.post(url, link_data(world.other_club))
    assert response.status_code == 200
    assert "club" in response.context["form"].errors
    assert not PartnerLink.objects.filter(partner=partner).exists()


def test_linking_the_same_club_twice_is_refused(client, world):
    login(client, world.users["leader"])
    url = reverse("clubs:partner-link-create", kwargs={"partner_pk": world.objects["partner"].pk})
    response = client.post(url, link_data(world.club))
    assert response.status_code == 200
    assert "already linked" in response.content.decode()
    assert PartnerLink.objects.count() == 1


def test_a_new_document_replaces_the_old_file(client, world, django_capture_on_commit_callbacks):
    link = world.objects["partner_link"]
    old_name = link.agreement_document.name
    storage = link.agreement_document.storage
    login(client, world.users["leader"])
    url = reverse("clubs:partner-link-edit", kwargs={"link_pk": link.pk})
    data = link_data(world.club, agreement_document=pdf("aneks.pdf", b"%PDF-1.7 annex"))
    data.pop("club")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.agreement_document.read() == b"%PDF-1.7 annex"
    assert not storage.exists(old_name)


def test_removing_a_link_removes_its_document(client, world, django_capture_on_commit_callbacks):
    link = world.objects["partner_link"]
    name = link.agreement_document.name
    login(client, world.users["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clubs:partner-link-delete", kwargs={"link_pk": link.pk}))
    assert response.status_code == 302
    assert not PartnerLink.objects.exists()
    assert not link.agreement_document.storage.exists(name)


@pytest.mark.parametrize("role", ["national", "coordinator", "leader"])
def test_club_staff_download_the_agreement(client, world, role):
    login(client, world.users[role])
    link = world.objects["partner_link"]
    response = client.get(reverse("clubs:partner-link-document", kwargs={"link_pk": link.pk}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 agreement"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "private" in response["Cache-Control"]


@pytest.mark.parametrize(("role", "status"), [("outsider", 404), ("instructor", 403)])
def test_others_cannot_download_the_agreement(client, world, role, status):
    login(client, world.users[role])
    link = world.objects["partner_link"]
    url = reverse("clubs:partner-link-document", kwargs={"link_pk": link.pk})
    assert client.get(url).status_code == status


def test_the_detail_page_hides_agreements_from_instructors(client, world):
    partner = world.objects["partner"]
    url = reverse("clubs:partner-detail", kwargs={"partner_pk": partner.pk})
    login(client, world.users["instructor"])
    body = client.get(url).content.decode()
    assert "KOS Złotokłos" in body
    assert "partner-link-document" not in body and "/document/" not in body
    login(client, world.users["leader"])
    assert "/document/" in client.get(url).content.decode()


# --- The list: filters, search, sorting, exports --------------------------------------


@pytest.fixture
def partners(world):
    """Partners of several kinds in the world's gmina, and one in the outsider's gmina."""
    gmina = world.municipality
    return {
        "ksrg": factories.PartnerFactory(
            name="OSP Głosków", municipality=gmina, is_ksrg=True, offers_equipment=True
        ),
        "school": factories.PartnerFactory(
            name="ŻÓŁTA Szkoła", kind="school", municipality=gmina, offers_venue=True
        ),
        "formula": factories.PartnerFactory(
            name="=cmd|' /C calc'!A0", kind="business", municipality=gmina, address="+48 1"
        ),
        "elsewhere": factories.PartnerFactory(
            name="OSP Sieradz", municipality=world.other_municipality
        ),
    }


def names(response) -> set[str]:
    return {partner.name for partner in response.context["page"]}


def test_coordinator_lists_only_partners_in_their_gminas(client, world, partners):
    login(client, world.users["coordinator"])
    response = client.get(reverse("clubs:partner-list"))
    assert "OSP Sieradz" not in names(response)
    assert "OSP Głosków" in names(response)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "school"}, {"ŻÓŁTA Szkoła"}),
        ({"ksrg": "true"}, {"OSP Głosków"}),
        ({"offers": ["venue"]}, {"ŻÓŁTA Szkoła"}),
        ({"offers": ["venue", "equipment"]}, set()),
        ({"q": "żółta"}, {"ŻÓŁTA Szkoła"}),  # case-folded, Polish letters included
        ({"q": "głosków osp"}, {"OSP Głosków"}),
    ],
)
def test_filters_narrow_the_list(client, world, partners, query, expected):
    login(client, world.users["national"])
    response = client.get(reverse("clubs:partner-list"), query)
    assert names(response) == expected


def test_place_filters_narrow_the_list(client, world, partners):
    login(client, world.users["national"])
    url = reverse("clubs:partner-list")
    voivodeship = world.other_municipality.powiat.voivodeship
    assert names(client.get(url, {"gmina": world.other_municipality.pk})) == {"OSP Sieradz"}
    if voivodeship != world.municipality.powiat.voivodeship:
        assert names(client.get(url, {"voivodeship": voivodeship.pk})) == {"OSP Sieradz"}
    powiat = world.municipality.powiat
    assert "OSP Sieradz" not in names(client.get(url, {"powiat": powiat.pk}))


def test_sorting_takes_whitelisted_columns_only(client, world, partners):
    login(client, world.users["national"])
    url = reverse("clubs:partner-list")
    by_name_desc = [p.name for p in client.get(url, {"sort": "-name"}).context["page"]]
    assert by_name_desc == sorted(by_name_desc, reverse=True)
    response = client.get(url, {"sort": "municipality__powiat__voivodeship__code; DROP"})
    assert response.status_code == 200  # an unknown column is ignored


def test_the_list_has_pages_of_50(client, world):
    for n in range(51):
        factories.PartnerFactory(municipality=world.municipality, name=f"Partner {n:02d}")
    login(client, world.users["leader"])
    response = client.get(reverse("clubs:partner-list"))
    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.count == 52


def test_htmx_gets_the_results_without_the_page(client, world, partners):
    login(client, world.users["leader"])
    response = client.get(
        reverse("clubs:partner-list"),
        {"kind": "school"},
        headers={"HX-Request": "true", "HX-Target": "partner-results"},
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'id="partner-results"' in body and "ŻÓŁTA Szkoła" in body


def export_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_export_holds_exactly_the_filtered_scoped_rows_escaped(client, world, partners):
    login(client, world.users["coordinator"])
    response = client.get(reverse("clubs:partner-export"), {"format": "csv", "kind": "business"})
    rows = export_rows(response)
    assert response["Content-Type"].startswith("text/csv")
    assert len(rows) == 2  # header + the one business partner
    assert rows[1][0] == "'=cmd|' /C calc'!A0"
    assert rows[1][6] == "'+48 1"
    everything = export_rows(client.get(reverse("clubs:partner-export")))
    assert {row[0] for row in everything[1:]} == {
        "OSP Złotokłos",
        "OSP Głosków",
        "ŻÓŁTA Szkoła",
        "'=cmd|' /C calc'!A0",
    }


def test_xlsx_export_is_scoped_and_escaped(client, world, partners):
    login(client, world.users["leader"])
    response = client.get(reverse("clubs:partner-export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    names_in_sheet = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert "OSP Sieradz" not in names_in_sheet
    assert "'=cmd|' /C calc'!A0" in names_in_sheet
    assert len(names_in_sheet) == 4


def test_members_see_no_partner_pages(client, world):
    login(client, world.users["member"])
    assert client.get(reverse("clubs:partner-list")).status_code == 403
    assert client.get(reverse("clubs:partner-export")).status_code == 403


def test_the_navigation_offers_partners_to_staff_only(client, world):
    login(client, world.users["instructor"])
    assert reverse("clubs:partner-list") in client.get(reverse("home")).content.decode()
    login(client, world.users["member"])
    assert reverse("clubs:partner-list") not in client.get(reverse("home")).content.decode()


# --- Query counts ----------------------------------------------------------------------


def queries_for(client, url: str, data=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("role", ["national", "coordinator", "leader", "instructor"])
def test_partner_list_query_count_does_not_grow(client, world, role):
    login(client, world.users[role])
    url = reverse("clubs:partner-list")
    query = {"voivodeship": world.municipality.powiat.voivodeship_id}
    small = queries_for(client, url, query)
    for n in range(12):
        factories.PartnerFactory(
            municipality=world.municipality, name=f"Partner {n}", offers_venue=n % 2 == 0
        )
        factories.MunicipalityFactory(powiat=world.municipality.powiat)
    assert queries_for(client, url, query) == small


@pytest.mark.parametrize("role", ["national", "coordinator", "leader", "instructor"])
def test_partner_detail_query_count_does_not_grow(client, world, role):
    partner = world.objects["partner"]
    login(client, world.users[role])
    url = reverse("clubs:partner-detail", kwargs={"partner_pk": partner.pk})
    small = queries_for(client, url)
    for _ in range(6):
        club = factories.ClubFactory(municipality=world.municipality)
        club.partner_links.create(partner=partner, role="sala", agreement_type="venue")
        factories.AssignmentFactory(user=world.users["leader"], role="leader", club=club)
    assert queries_for(client, url) == small
