"""TERC updates that cannot damage data: variant check, dry-run diff, --confirm, history."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from clubs.models import Club, Municipality, MunicipalityChange, Partner
from clubs.services.partner_import import partner_import
from clubs.teryt import TerytFileError, TerytRefused, teryt_import
from tests import factories
from tests.clubs.test_import_teryt import V2025, replace, snapshot, write_csv

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def run(*args) -> str:
    out = StringIO()
    call_command("import_teryt", *args, stdout=out)
    return out.getvalue()


def test_the_adresowy_variant_is_refused_on_an_empty_database():
    with pytest.raises(TerytFileError, match="“adresowy” variant") as refused:
        teryt_import(path_or_file=DATA / "terc_adresowy.csv")
    assert "141801" in str(refused.value) and refused.value.line == 4
    assert Municipality.objects.count() == 0


def test_the_adresowy_variant_changes_nothing_on_a_loaded_database(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    club = Club.objects.create(
        name="KOS Piaseczno", municipality=Municipality.objects.get(code="1418043")
    )
    before = snapshot()
    with pytest.raises(CommandError, match="Nothing was changed"):
        run(str(DATA / "terc_adresowy.csv"))
    assert snapshot() == before
    assert Municipality.objects.get(pk=club.municipality_id).is_current


def test_a_big_file_without_urban_rural_gminas_is_refused(tmp_path):
    rows = ["14;;;;MAZOWIECKIE;województwo;2025-01-01", "14;18;;;piaseczyński;powiat;2025-01-01"]
    rows += [f"14;18;{n:02d};2;Gmina {n};gmina wiejska;2025-01-01" for n in range(1, 100)]
    rows += ["14;19;;;nowy;powiat;2025-01-01", "14;19;01;1;Miasto;gmina miejska;2025-01-01"]
    with pytest.raises(TerytFileError, match="no urban-rural gmina"):
        teryt_import(path_or_file=write_csv(tmp_path, rows))
    assert Municipality.objects.count() == 0


NEWER = [
    *replace(
        replace(
            replace(
                V2025,
                "14;18;03;2",
                [
                    "14;18;03;3;Lesznowola;gmina miejsko-wiejska;2026-01-01",
                    "14;18;03;4;Lesznowola;miasto;2026-01-01",
                    "14;18;03;5;Lesznowola;obszar wiejski;2026-01-01",
                ],
            ),
            "14;18;01;3",
            ["14;18;01;3;Góra Kalwaria Nowa;gmina miejsko-wiejska;2026-01-01"],
        ),
        "10;61;01;1",
        [],
    ),
    "14;18;05;2;Prażmów;gmina wiejska;2026-01-01",
]


def test_the_dry_run_shows_the_diff_and_writes_nothing(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    before = snapshot()
    output = run(str(write_csv(tmp_path, NEWER, "newer.csv")), "--dry-run")
    assert "New gminas (1):\n  1418052 Prażmów" in output
    assert "Renamed gminas (1):\n  1418013 Góra Kalwaria → Góra Kalwaria Nowa" in output
    assert "changed (1):\n  1418032 → 1418033 Lesznowola" in output
    assert "Gminas leaving the register (1):\n  1061011 Łódź" in output
    assert "Dry run: nothing was written." in output
    assert snapshot() == before
    assert not MunicipalityChange.objects.exists()


def test_a_kind_change_keeps_the_row_and_records_the_former_code(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    lesznowola = Municipality.objects.get(code="1418032")
    club = Club.objects.create(name="KOS Lesznowola", municipality=lesznowola)
    partner = factories.PartnerFactory(municipality=lesznowola)
    member = factories.MemberFactory(municipality=lesznowola)
    teryt_import(path_or_file=write_csv(tmp_path, NEWER, "newer.csv"))
    lesznowola.refresh_from_db()
    assert (lesznowola.code, lesznowola.kind) == ("1418033", "3")
    for row in (club, partner, member):
        row.refresh_from_db()
        assert row.municipality_id == lesznowola.pk
    change = MunicipalityChange.objects.get(municipality=lesznowola)
    assert (change.former_code, change.former_name, change.former_kind) == (
        "1418032",
        "Lesznowola",
        "2",
    )
    assert change.register_date == "2026-01-01"


def test_files_with_the_former_code_or_name_are_understood_after_an_update(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    teryt_import(path_or_file=write_csv(tmp_path, NEWER, "newer.csv"))
    data = (
        "name,kind,teryt,gmina,powiat,voivodeship\n"
        "OSP Lesznowola,osp,1418032,,,\n"
        "OSP Dobiesz,osp,,Góra Kalwaria,piaseczyński,mazowieckie\n"
    ).encode()
    result = partner_import(data=data, user=None)
    assert result.warnings == [(2, "TERYT code 1418032 is now Lesznowola (1418033).")]
    assert result.errors == [
        (
            3,
            "The gmina “Góra Kalwaria (piaseczyński, mazowieckie)” is no longer in the "
            "register: it is now Góra Kalwaria Nowa (1418013). Write the new name or the "
            "TERYT code.",
        )
    ]
    assert not Partner.objects.exists()


def test_retiring_more_than_five_gminas_needs_confirm(tmp_path):
    rows = V2025 + [f"14;18;{n:02d};2;Wieś {n};gmina wiejska;2025-01-01" for n in range(10, 16)]
    teryt_import(path_or_file=write_csv(tmp_path, rows))
    before = snapshot()
    with pytest.raises(TerytRefused, match="retire 6 gminas"):
        teryt_import(path_or_file=write_csv(tmp_path, V2025, "newer.csv"))
    assert snapshot() == before
    with pytest.raises(CommandError, match="needs --confirm"):
        run(str(write_csv(tmp_path, V2025, "newer.csv")))
    assert snapshot() == before
    run(str(write_csv(tmp_path, V2025, "newer.csv")), "--confirm")
    assert Municipality.objects.filter(is_current=False).count() == 6
