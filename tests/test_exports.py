"""Exports neutralise formulas and keep Polish letters."""

from datetime import date
from io import BytesIO

import pytest
from django.utils import translation
from openpyxl import load_workbook

from kos_portal.exports import csv_response, safe_cell, xlsx_response


def test_formula_cells_are_neutralised():
    assert safe_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert safe_cell("+48 600 000 000") == "'+48 600 000 000"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-1+1") == "'-1+1"
    assert safe_cell("Złotokłos") == "Złotokłos"
    assert safe_cell(42) == 42
    assert safe_cell(None) == ""


def test_csv_has_a_bom_and_polish_letters():
    response = csv_response("x", ["Nazwa"], [["Żółć"], ["=1+1"]])
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeffNazwa")
    assert "Żółć" in body
    assert "'=1+1" in body


def test_xlsx_keeps_types_and_escapes_formulas():
    response = xlsx_response("x", ["Nazwa", "Data"], [["=cmd", date(2026, 1, 2)]])
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "'=cmd"
    assert rows[1][1].date() == date(2026, 1, 2)


def test_csv_for_polish_excel_splits_at_semicolons_with_decimal_commas():
    with translation.override("pl"):
        response = csv_response("x", ["Klub", "Frekwencja"], [["KOS Złotokłos, Piaseczno", 87.5]])
        content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    assert content.splitlines() == ["\ufeffKlub;Frekwencja", "KOS Złotokłos, Piaseczno;87,5"]


def test_csv_in_english_keeps_commas_and_decimal_points():
    with translation.override("en"):
        response = csv_response("x", ["Club", "Rate"], [["KOS Złotokłos", 87.5]])
        content = b"".join(response.streaming_content).decode("utf-8")
    assert content.splitlines()[1] == "KOS Złotokłos,87.5"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+48601234567", "+48 601 234 567"),
        ("+48225551234", "+48 22 555 12 34"),
        ("601234567", "+48 601 234 567"),
        ("tel. w sekretariacie", "tel. w sekretariacie"),
        ("", ""),
        (None, ""),
    ],
)
def test_phones_are_grouped_for_reading(stored, shown):
    from kos_portal.templatetags.kos_formats import phone

    assert phone(stored) == shown


def test_the_printed_own_data_shows_certificate_states_and_dates_in_polish():
    from django.template.loader import render_to_string

    row = {
        "number": "KOS/2026/000001",
        "course_code": "KPP",
        "course_title": "Kwalifikowana pierwsza pomoc",
        "holder_name": "Anna Nowak",
        "issued_on": "2026-12-07",
        "expires_on": None,
        "state": "valid",
        "revocation_reason": "",
        "verification_url": "https://kos.example/verify/x/",
    }
    with translation.override("pl"):
        html = render_to_string(
            "certificates/_my_certificates_export.html", {"certificates": [row]}
        )
    assert "7 gru 2026" in html
    assert ">ważny<" in html
    assert ">valid<" not in html
