"""The GUS TERC import: `manage.py import_teryt` and the `clubs.teryt` service."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from clubs.models import Club, Municipality, Powiat, Voivodeship
from clubs.teryt import TerytFileError, teryt_import

pytestmark = pytest.mark.django_db

HEADER = "WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD;STAN_NA"
DEMO_TERC = Path(__file__).resolve().parents[2] / "clubs" / "fixtures" / "terc_demo.csv"

# A small register in the real layout: parts (4, 5), a Warsaw district (8) and a Łódź
# delegation (9) are in the file, as in the real one.
V2025 = [
    "10;;;;ŁÓDZKIE;województwo;2025-01-01",
    "10;61;;;Łódź;miasto na prawach powiatu;2025-01-01",
    "10;61;01;1;Łódź;gmina miejska;2025-01-01",
    "10;61;02;9;Łódź-Bałuty;delegatura;2025-01-01",
    "14;;;;MAZOWIECKIE;województwo;2025-01-01",
    "14;18;;;piaseczyński;powiat;2025-01-01",
    "14;18;01;3;Góra Kalwaria;gmina miejsko-wiejska;2025-01-01",
    "14;18;01;4;Góra Kalwaria;miasto;2025-01-01",
    "14;18;01;5;Góra Kalwaria;obszar wiejski;2025-01-01",
    "14;18;03;2;Lesznowola;gmina wiejska;2025-01-01",
    "14;18;04;3;Piaseczno;gmina miejsko-wiejska;2025-01-01",
    "14;18;04;4;Piaseczno;miasto;2025-01-01",
    "14;18;04;5;Piaseczno;obszar wiejski;2025-01-01",
    "14;65;;;Warszawa;miasto stołeczne, na prawach powiatu;2025-01-01",
    "14;65;01;1;Warszawa;gmina miejska, miasto stołeczne;2025-01-01",
    "14;65;02;8;Bemowo;dzielnica;2025-01-01",
]
GMINA_CODES = {"1061011", "1418013", "1418032", "1418043", "1465011"}


def terc_bytes(rows: list[str], header: str = HEADER) -> bytes:
    """A TERC CSV as GUS ships it: UTF-8 with BOM, `;`, CRLF."""
    return b"\xef\xbb\xbf" + "".join(f"{line}\r\n" for line in [header, *rows]).encode()


def write_csv(tmp_path: Path, rows: list[str], name: str = "TERC_Urzedowy_2025-01-01.csv"):
    path = tmp_path / name
    path.write_bytes(terc_bytes(rows))
    return path


def write_zip(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "TERC_Urzedowy_2025-01-01.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("TERC_Urzedowy_2025-01-01.csv", terc_bytes(rows))
    return path


def replace(rows: list[str], old: str, new: list[str]) -> list[str]:
    """`rows` with the row starting with `old` replaced by `new` (or dropped if empty)."""
    index = next(i for i, row in enumerate(rows) if row.startswith(old))
    return rows[:index] + new + rows[index + 1 :]


def snapshot() -> list:
    return [
        list(Voivodeship.objects.values_list("pk", "code", "name", "is_current")),
        list(Powiat.objects.values_list("pk", "code", "name", "is_city", "is_current")),
        list(Municipality.objects.values_list("pk", "code", "name", "kind", "is_current")),
    ]


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever translations exist."""
    with translation.override("en"):
        yield


def run_command(path: Path) -> str:
    out = io.StringIO()
    call_command("import_teryt", str(path), stdout=out)
    return out.getvalue()


# --- Importing -------------------------------------------------------------------------


def test_import_creates_every_level_and_counts_it(tmp_path):
    result = teryt_import(path_or_file=write_csv(tmp_path, V2025))

    assert (result.voivodeships.created, result.powiats.created) == (2, 3)
    assert result.municipalities.created == 5
    assert result.stan_na == "2025-01-01"
    assert Voivodeship.objects.count() == 2
    assert Powiat.objects.count() == 3
    assert set(Municipality.objects.values_list("code", flat=True)) == GMINA_CODES


def test_voivodeship_names_are_stored_in_lower_case(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))

    assert dict(Voivodeship.objects.values_list("code", "name")) == {
        "10": "łódzkie",
        "14": "mazowieckie",
    }


def test_gminas_get_their_kind_name_and_powiat(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))

    piaseczno = Municipality.objects.get(code="1418043")
    assert (piaseczno.name, piaseczno.kind, piaseczno.powiat.code) == ("Piaseczno", "3", "1418")
    assert Municipality.objects.get(code="1418032").kind == Municipality.Kind.RURAL
    assert Municipality.objects.get(code="1465011").kind == Municipality.Kind.URBAN


def test_cities_with_powiat_rights_are_marked(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))

    assert dict(Powiat.objects.values_list("code", "is_city")) == {
        "1061": True,
        "1418": False,
        "1465": True,
    }


def test_parts_districts_and_delegations_are_skipped(tmp_path):
    result = teryt_import(path_or_file=write_csv(tmp_path, V2025))

    assert (
        result.skipped_parts == 6
    )  # two gminas with parts 4 and 5, one district (8), one delegation (9)
    assert not Municipality.objects.filter(code__regex=r"[4589]$").exists()
    assert not Municipality.objects.filter(name__in=["Bemowo", "Łódź-Bałuty"]).exists()


def test_command_prints_the_counts(tmp_path):
    output = run_command(write_csv(tmp_path, V2025))

    assert "Voivodeships: 2 in the file; 2 created, 0 updated, 0 unchanged" in output
    assert "Powiats: 3 in the file; 3 created" in output
    assert "Gminas: 5 in the file; 5 created, 0 updated, 0 unchanged, 0 marked not current" in (
        output
    )
    assert "Skipped 6 parts" in output


def test_zip_from_gus_imports_like_the_csv(tmp_path):
    output = run_command(write_zip(tmp_path, V2025))

    assert "Gminas: 5 in the file; 5 created" in output
    assert set(Municipality.objects.values_list("code", flat=True)) == GMINA_CODES


def test_an_open_binary_file_is_accepted(tmp_path):
    with write_zip(tmp_path, V2025).open("rb") as upload:
        result = teryt_import(path_or_file=upload)

    assert result.municipalities.created == 5


def test_shipped_demo_file_imports():
    result = teryt_import(path_or_file=DEMO_TERC)

    assert result.voivodeships.created == 16
    assert result.powiats.created == 2
    assert result.municipalities.created == 7
    assert result.skipped_parts == 10
    assert Voivodeship.objects.get(code="14").name == "mazowieckie"
    assert Municipality.objects.get(code__startswith="141804").name == "Piaseczno"
    assert Powiat.objects.get(code="1465").is_city


# --- Running again ---------------------------------------------------------------------


def test_second_run_of_the_same_file_changes_nothing(tmp_path):
    path = write_csv(tmp_path, V2025)
    teryt_import(path_or_file=path)
    before = snapshot()

    result = teryt_import(path_or_file=path)

    assert not result.changed
    assert result.municipalities.unchanged == 5
    assert result.powiats.unchanged == 3
    assert result.voivodeships.unchanged == 2
    assert snapshot() == before


def test_command_says_when_nothing_changed(tmp_path):
    path = write_csv(tmp_path, V2025)
    run_command(path)

    output = run_command(path)

    assert "Gminas: 5 in the file; 0 created, 0 updated, 5 unchanged, 0 marked not current" in (
        output
    )
    assert "nothing changed" in output


def test_newer_file_renames_units_in_place(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    lesznowola = Municipality.objects.get(code="1418032")
    powiat = Powiat.objects.get(code="1418")
    newer = replace(V2025, "14;18;03;2", ["14;18;03;2;Nowa Lesznowola;gmina wiejska;2026-01-01"])
    newer = replace(newer, "14;18;;", ["14;18;;;piaseczyński nowy;powiat;2026-01-01"])

    result = teryt_import(path_or_file=write_csv(tmp_path, newer, "newer.csv"))

    assert result.municipalities.updated == 1
    assert result.powiats.updated == 1
    assert result.municipalities.unchanged == 4
    lesznowola.refresh_from_db()
    powiat.refresh_from_db()
    assert (lesznowola.code, lesznowola.name) == ("1418032", "Nowa Lesznowola")
    assert powiat.name == "piaseczyński nowy"
    assert Municipality.objects.count() == 5


def test_gmina_that_became_urban_rural_keeps_its_row_and_clubs(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    lesznowola = Municipality.objects.get(code="1418032")
    club = Club.objects.create(name="KOS Lesznowola", municipality=lesznowola)
    newer = replace(
        V2025,
        "14;18;03;2",
        [
            "14;18;03;3;Lesznowola;gmina miejsko-wiejska;2026-01-01",
            "14;18;03;4;Lesznowola;miasto;2026-01-01",
            "14;18;03;5;Lesznowola;obszar wiejski;2026-01-01",
        ],
    )

    result = teryt_import(path_or_file=write_csv(tmp_path, newer, "newer.csv"))

    lesznowola.refresh_from_db()
    assert (lesznowola.code, lesznowola.kind) == ("1418033", Municipality.Kind.URBAN_RURAL)
    assert lesznowola.is_current
    assert result.municipalities.updated == 1
    assert result.municipalities.created == 0
    assert Club.objects.get(pk=club.pk).municipality_id == lesznowola.pk


def test_rodz_change_moves_the_current_gmina_not_an_old_one_with_the_same_gmi(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    current = Municipality.objects.get(code="1418032")
    old = Municipality.objects.create(
        code="1418033", name="Lesznowola (old)", kind="3", powiat=current.powiat, is_current=False
    )
    newer = replace(V2025, "14;18;03;2", ["14;18;03;1;Lesznowola;gmina miejska;2026-01-01"])

    teryt_import(path_or_file=write_csv(tmp_path, newer, "newer.csv"))

    current.refresh_from_db()
    old.refresh_from_db()
    assert (current.code, current.kind, current.is_current) == ("1418031", "1", True)
    assert (old.code, old.is_current) == ("1418033", False)


# --- Units that disappear --------------------------------------------------------------


def test_gmina_used_by_a_club_is_kept_and_marked_not_current(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    gora = Municipality.objects.get(code="1418013")
    Club.objects.create(name="KOS Góra Kalwaria", municipality=gora)
    newer = [row for row in V2025 if not row.startswith("14;18;01;")]

    result = teryt_import(path_or_file=write_csv(tmp_path, newer, "newer.csv"))

    gora.refresh_from_db()
    assert not gora.is_current
    assert gora.clubs.count() == 1
    assert result.municipalities.marked_not_current == 1
    assert result.not_current_in_use == ["1418013 Góra Kalwaria (1 club)"]


def test_command_names_the_gminas_clubs_still_use(tmp_path):
    run_command(write_csv(tmp_path, V2025))
    Club.objects.create(
        name="KOS Góra Kalwaria", municipality=Municipality.objects.get(code="1418013")
    )
    newer = [row for row in V2025 if not row.startswith(("14;18;01;", "14;18;03;"))]

    output = run_command(write_csv(tmp_path, newer, "newer.csv"))

    assert "2 marked not current" in output
    assert "still used by clubs:\n  1418013 Góra Kalwaria (1 club)" in output
    # Not used by a club: in the diff, but not among the gminas clubs still use.
    assert "Lesznowola" not in output.split("still used by clubs:")[1]
    assert set(Municipality.objects.filter(is_current=False).values_list("code", flat=True)) == {
        "1418013",
        "1418032",
    }


def test_missing_powiat_and_voivodeship_are_marked_not_current(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    without_lodz = [row for row in V2025 if not row.startswith("10;")]

    result = teryt_import(path_or_file=write_csv(tmp_path, without_lodz, "newer.csv"))

    assert (result.voivodeships.marked_not_current, result.powiats.marked_not_current) == (1, 1)
    assert not Voivodeship.objects.get(code="10").is_current
    assert not Powiat.objects.get(code="1061").is_current
    assert not Municipality.objects.get(code="1061011").is_current


def test_unit_back_in_the_register_is_current_again(tmp_path):
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    newer = [row for row in V2025 if not row.startswith("14;18;03;")]
    teryt_import(path_or_file=write_csv(tmp_path, newer, "newer.csv"))

    result = teryt_import(path_or_file=write_csv(tmp_path, V2025))

    assert Municipality.objects.get(code="1418032").is_current
    assert result.municipalities.updated == 1
    assert result.municipalities.created == 0


# --- Bad files -------------------------------------------------------------------------

# A newer file that renames a gmina: if any of it were written before the error, the
# snapshot would change.
RENAMED = replace(V2025, "14;18;03;2", ["14;18;03;2;Nowa Lesznowola;gmina wiejska;2026-01-01"])


def bad_header():
    return terc_bytes(RENAMED, header="WOJ;POW;GMI;RODZ;NAZWA;NAZWA_DOD")


def bad_code():
    return terc_bytes([*RENAMED, "14;1A;01;2;Bielsk;gmina wiejska;2025-01-01"])


def truncated_row():
    return terc_bytes([*RENAMED, "14;18;05;2;Prażmów"])


def not_utf8():
    return terc_bytes(RENAMED) + "14;18;05;2;Prażmów;gmina wiejska;2025-01-01\r\n".encode("cp1250")


def garbage():
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


def gmina_without_powiat():
    return terc_bytes([*RENAMED, "14;19;01;2;Bielsk;gmina wiejska;2025-01-01"])


def unknown_rodz():
    return terc_bytes([*RENAMED, "14;18;05;7;Prażmów;gmina wiejska;2025-01-01"])


def duplicate_gmina():
    return terc_bytes([*RENAMED, "14;18;03;2;Lesznowola;gmina wiejska;2025-01-01"])


LAST = len(RENAMED) + 2  # the header is line 1; the bad row comes after RENAMED

BAD_FILES = {
    "wrong header": (bad_header, 1, "not a TERC file"),
    "non-digit code": (bad_code, LAST, "POW must be 2 digit(s)"),
    "truncated row": (truncated_row, LAST, "expected 7 columns"),
    "not UTF-8": (not_utf8, LAST, "not UTF-8"),
    "garbage": (garbage, 1, "not UTF-8"),
    "gmina whose powiat is missing": (gmina_without_powiat, LAST, "has no powiat 1419"),
    "unknown RODZ": (unknown_rodz, LAST, "unknown RODZ"),
    "gmina listed twice": (duplicate_gmina, LAST, "already appears on line"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_names_the_line_and_writes_nothing(tmp_path, case):
    make, line, problem = BAD_FILES[case]
    teryt_import(path_or_file=write_csv(tmp_path, V2025))
    before = snapshot()
    path = tmp_path / "bad.csv"
    path.write_bytes(make())

    with pytest.raises(TerytFileError) as error:
        teryt_import(path_or_file=path)

    assert error.value.line == line
    assert f"bad.csv, line {line}: " in str(error.value)
    assert problem in str(error.value)
    assert snapshot() == before


def test_command_turns_a_bad_file_into_a_command_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(truncated_row())

    with pytest.raises(CommandError, match=rf"Nothing was imported\. bad\.csv, line {LAST}: "):
        call_command("import_teryt", str(path))

    assert not Voivodeship.objects.exists()


def test_bad_line_inside_a_zip_is_named_with_the_csv(tmp_path):
    path = tmp_path / "TERC_Urzedowy_2025-01-01.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("TERC_Urzedowy_2025-01-01.csv", bad_code())

    with pytest.raises(CommandError, match=rf"TERC_Urzedowy_2025-01-01\.csv, line {LAST}: "):
        call_command("import_teryt", str(path))

    assert not Municipality.objects.exists()


def test_corrupt_zip_is_refused(tmp_path):
    path = write_zip(tmp_path, V2025)
    path.write_bytes(path.read_bytes()[:200])  # a download cut short

    with pytest.raises(CommandError, match="is not a valid ZIP archive"):
        call_command("import_teryt", str(path))

    assert not Voivodeship.objects.exists()


def test_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_teryt", str(tmp_path / "nope.csv"))


# --- Speed -----------------------------------------------------------------------------


def full_size_rows(suffix: str = "") -> list[str]:
    """About 4,000 rows, the size of the real register."""
    rows = []
    for w in range(2, 34, 2):
        rows.append(f"{w:02d};;;;WOJEWÓDZTWO {w}{suffix};województwo;2025-01-01")
        for p in range(1, 25):
            rows.append(f"{w:02d};{p:02d};;;powiat {w}-{p}{suffix};powiat;2025-01-01")
            for g in range(1, 9):
                rodz = "3" if g % 3 == 0 else "2"
                rows.append(f"{w:02d};{p:02d};{g:02d};{rodz};gmina {g}{suffix};x;2025-01-01")
                if rodz == "3":
                    rows.append(f"{w:02d};{p:02d};{g:02d};4;gmina {g};miasto;2025-01-01")
    return rows


def test_full_size_file_takes_a_fixed_number_of_queries(tmp_path, django_assert_max_num_queries):
    rows = full_size_rows()
    assert len(rows) > 3800
    with django_assert_max_num_queries(40):
        result = teryt_import(path_or_file=write_csv(tmp_path, rows))
    assert result.municipalities.created == 16 * 24 * 8

    with django_assert_max_num_queries(60):
        result = teryt_import(path_or_file=write_csv(tmp_path, full_size_rows(" b"), "b.csv"))
    assert result.municipalities.updated == 16 * 24 * 8
