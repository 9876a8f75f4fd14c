"""The GUS SIMC import of localities (`manage.py import_simc`)."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from clubs.models import Locality
from clubs.simc import simc_import
from tests import factories

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def piaseczynski(db):
    powiat = factories.PowiatFactory(code="1418")
    return {
        "piaseczno": factories.MunicipalityFactory(
            code="1418043", powiat=powiat, name="Piaseczno", kind="3"
        ),
        "lesznowola": factories.MunicipalityFactory(
            code="1418032", powiat=powiat, name="Lesznowola", kind="2"
        ),
    }


def test_localities_are_imported_into_their_gminas(piaseczynski):
    out = StringIO()
    call_command("import_simc", str(DATA / "simc_excerpt.csv"), stdout=out)
    zlotoklos = Locality.objects.get(sym="0006652")
    assert zlotoklos.name == "Złotokłos"
    assert zlotoklos.municipality == piaseczynski["piaseczno"]  # its rural part (RODZ 5)
    assert Locality.objects.get(sym="0921410").municipality == piaseczynski["piaseczno"]
    assert Locality.objects.get(sym="0006669").parent_sym == "0006652"
    assert "4 created" in out.getvalue() and "1 skipped" in out.getvalue()


def test_a_second_run_changes_nothing_and_missing_localities_are_kept(piaseczynski):
    data = (DATA / "simc_excerpt.csv").read_bytes()
    simc_import(data=data)
    again = simc_import(data=data)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    without = data.replace("Złotokłos-Kolonia".encode(), b"X").replace(b"0006669;", b"0006670;")
    result = simc_import(data=without)
    assert result.marked_not_current == 1
    assert not Locality.objects.get(sym="0006669").is_current


def test_a_bad_file_writes_nothing(piaseczynski, tmp_path):
    text = (DATA / "simc_excerpt.csv").read_bytes().decode("utf-8-sig")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(text.replace("0005947;0005947", "59;0005947").encode())
    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_simc", str(bad), stdout=StringIO(), stderr=StringIO())
    assert not Locality.objects.exists()
    terc = tmp_path / "terc.csv"
    terc.write_bytes(b"WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA\n14;;;;X;y;2025-01-01\n")
    with pytest.raises(CommandError, match="not a SIMC file"):
        call_command("import_simc", str(terc), stdout=StringIO())
