"""Population per gmina: `manage.py import_population` with the BDL export or a plain file."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from clubs.models import Municipality
from clubs.services.population import bdl_to_teryt, population_import
from tests import factories

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def gminas(db):
    mazowieckie = factories.VoivodeshipFactory(code="14", name="mazowieckie")
    piaseczynski = factories.PowiatFactory(code="1418", voivodeship=mazowieckie)
    warszawa = factories.PowiatFactory(code="1465", voivodeship=mazowieckie, name="Warszawa")
    return {
        "piaseczno": factories.MunicipalityFactory(code="1418043", powiat=piaseczynski, kind="3"),
        "prazmow": factories.MunicipalityFactory(code="1418052", powiat=piaseczynski, kind="2"),
        "warszawa": factories.MunicipalityFactory(code="1465011", powiat=warszawa, kind="1"),
    }


def test_a_bdl_unit_code_holds_the_teryt_code():
    assert bdl_to_teryt("071412865011") == "1465011"  # Warsaw
    assert bdl_to_teryt("011212161011") == "1261011"  # Kraków
    assert bdl_to_teryt("0714130180430"[:12]) == "1418043"
    assert bdl_to_teryt("071400000000") is None  # a voivodeship
    assert bdl_to_teryt("071413018000") is None  # a powiat
    assert bdl_to_teryt("1418043") == "1418043"


def test_the_bdl_export_sets_each_gminas_newest_population(gminas):
    out = StringIO()
    call_command("import_population", str(DATA / "bdl_population.csv"), stdout=out)
    piaseczno = Municipality.objects.get(code="1418043")
    assert (piaseczno.population, piaseczno.population_year) == (86104, 2023)
    prazmow = Municipality.objects.get(code="1418052")  # 2023 is empty: 2022 is used
    assert (prazmow.population, prazmow.population_year) == (13208, 2022)
    assert Municipality.objects.get(code="1465011").population == 1862402
    assert "3 gminas updated, 0 unchanged, 6 rows that are not gminas skipped" in out.getvalue()


def test_a_plain_file_with_spaces_is_read_and_a_second_run_changes_nothing(gminas):
    result = population_import(data=(DATA / "population_plain.csv").read_bytes())
    assert result.ok and result.updated == 2
    assert Municipality.objects.get(code="1418052").population == 13208
    again = population_import(data=(DATA / "population_plain.csv").read_bytes())
    assert (again.updated, again.unchanged) == (0, 2)


def test_one_bad_row_writes_nothing_and_each_error_names_its_line(gminas):
    data = (
        "teryt;population;year\n"
        "1418043;86104;2023\n"
        "9999999;100;2023\n"
        "1418052;dużo;2023\n"
        "1418044;51311;2023\n"
        "1418043;1;2023\n"
    ).encode()
    result = population_import(data=data)
    assert [line for line, _message in result.errors] == [3, 4, 5, 6]
    assert "9999999" in result.errors[0][1]
    assert "dużo" in result.errors[1][1]
    assert "part of a gmina" in result.errors[2][1]
    assert "already on line 2" in result.errors[3][1]
    assert Municipality.objects.filter(population__isnull=False).count() == 0


def test_the_dry_run_writes_nothing(gminas):
    out = StringIO()
    call_command("import_population", str(DATA / "bdl_population.csv"), "--dry-run", stdout=out)
    assert "Dry run, nothing written: 3 gminas updated" in out.getvalue()
    assert Municipality.objects.filter(population__isnull=False).count() == 0


def test_a_gmina_whose_kind_changed_is_found_with_a_warning(gminas):
    data = b"teryt;population;year\n1418042;86104;2023\n"
    result = population_import(data=data)
    assert result.ok and result.updated == 1
    assert "1418043" in result.warnings[0][1]


def test_a_file_of_another_kind_is_refused(gminas, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"gmina,people\nPiaseczno,1\n")
    with pytest.raises(CommandError, match="neither a BDL export"):
        call_command("import_population", str(path), stdout=StringIO())
