"""Benchmark: import the whole country's OSP units (about 16,000 rows) as partners.

    .venv/bin/python bench/import_partners.py                      # throwaway SQLite in /tmp
    .venv/bin/python bench/import_partners.py --database-url postgres://postgres@127.0.0.1:5432/kos_bench_partners

It never touches the developer's db.sqlite3: the database is a throwaway SQLite file in
/tmp (recreated on each run) or a PostgreSQL database you created for it. It migrates the
database, adds a synthetic register of 2,479 gminas if the real one isn't there, writes
the same 16,000 OSP units as Polish Excel saves them (Windows-1250, `;`) and as UTF-8
(`,`), and times the first import, a re-import of the same file, and a re-import that
changes some rows. The figures are printed and added to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "sqlite:////tmp/bench_partners.sqlite3"
RESULTS_MARKER = "<!-- partner-import-results -->"
TABLE_HEADER = (
    "| date | database | rows | first import | re-import, unchanged | re-import with changes "
    "| machine |\n|---|---|---|---|---|---|---|\n"
)

VOIVODESHIPS = [
    ("02", "dolnośląskie"), ("04", "kujawsko-pomorskie"), ("06", "lubelskie"),
    ("08", "lubuskie"), ("10", "łódzkie"), ("12", "małopolskie"), ("14", "mazowieckie"),
    ("16", "opolskie"), ("18", "podkarpackie"), ("20", "podlaskie"), ("22", "pomorskie"),
    ("24", "śląskie"), ("26", "świętokrzyskie"), ("28", "warmińsko-mazurskie"),
    ("30", "wielkopolskie"), ("32", "zachodniopomorskie"),
]  # fmt: skip
STEMS = [
    "Łęk", "Wól", "Żabn", "Grąd", "Brzóz", "Dąbr", "Księż", "Sęk", "Źródl", "Ślęż",
    "Olsz", "Mił", "Krzyż", "Głog", "Chełm", "Częst", "Zawad", "Nowosiół", "Borów", "Piask",
]  # fmt: skip
ENDINGS = ["owo", "ice", "ów", "no", "ek", "iny", "owice", "ca", "y", "sk"]


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kos_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fresh_sqlite(database_url: str) -> None:
    """The default database is a throwaway file: start from nothing each run."""
    if database_url == DEFAULT_DATABASE:
        Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def _name(rng: random.Random) -> str:
    return rng.choice(STEMS) + rng.choice(ENDINGS)


def ensure_territory(rng: random.Random) -> int:
    """A synthetic register shaped like the real one, unless the real one is loaded."""
    from clubs.models import Municipality, Powiat, Voivodeship

    if Municipality.objects.filter(is_current=True).count() >= 2000:
        return 0
    Voivodeship.objects.bulk_create(
        [Voivodeship(code=code, name=name) for code, name in VOIVODESHIPS],
        ignore_conflicts=True,
    )
    voivodeships = list(Voivodeship.objects.order_by("code"))
    powiats = []
    for index in range(380):  # 380 powiats, 2,479 gminas, as in the 2025 register
        voivodeship = voivodeships[index % 16]
        number = index // 16 + 1
        powiats.append(
            Powiat(code=f"{voivodeship.code}{number:02d}", voivodeship=voivodeship,
                   name=f"{_name(rng).lower()}ski {index}")
        )  # fmt: skip
    Powiat.objects.bulk_create(powiats, ignore_conflicts=True)
    powiats = list(Powiat.objects.order_by("code"))
    gminas = []
    for index in range(2479):
        powiat = powiats[index % len(powiats)]
        number = index // len(powiats) + 1
        kind = rng.choice("1223")
        name = f"{_name(rng)} {index}"
        gminas.append(
            Municipality(code=f"{powiat.code}{number:02d}{kind}", powiat=powiat, name=name,
                         kind=kind)
        )  # fmt: skip
    Municipality.objects.bulk_create(gminas, ignore_conflicts=True)
    return len(gminas)


def write_csv(rows: int, rng: random.Random, directory: Path) -> tuple[Path, Path, Path]:
    """The OSP units as cp1250 `;`, as UTF-8 `,`, and a UTF-8 copy with changed rows."""
    from clubs.models import Municipality

    gminas = list(
        Municipality.objects.filter(is_current=True).values_list(
            "code", "name", "kind", "powiat__name", "powiat__voivodeship__name"
        )
    )
    qualifier = {"1": "gmina miejska", "2": "gmina wiejska", "3": "gmina miejsko-wiejska"}
    lines, changed = [], []
    for index in range(rows):
        code, name, kind, powiat, voivodeship = gminas[index % len(gminas)]
        partner = f"OSP {_name(rng)} nr {index}"
        address = f"ul. Strażacka {index % 90 + 1}, {_name(rng)}"
        ksrg = "tak" if index % 3 == 0 else "nie"
        if index % 2:  # half the rows give the TERYT code, half the names
            place = [code, "", "", ""]
        else:
            place = ["", f"{name} ({qualifier[kind]})", powiat, voivodeship]
        lines.append([partner, "osp", *place, address, ksrg])
        new_ksrg = "nie" if index % 10 == 0 and ksrg == "tak" else ksrg
        changed.append([partner, "osp", *place, address, new_ksrg])
    header = ["name", "kind", "teryt", "gmina", "powiat", "voivodeship", "address", "ksrg"]
    excel = directory / "bench_partners_cp1250.csv"
    utf8 = directory / "bench_partners_utf8.csv"
    utf8_changed = directory / "bench_partners_utf8_changed.csv"
    excel.write_bytes(_csv(header, lines, ";").encode("cp1250"))
    utf8.write_bytes(_csv(header, lines, ",").encode("utf-8-sig"))
    utf8_changed.write_bytes(_csv(header, changed, ",").encode("utf-8"))
    return excel, utf8, utf8_changed


def _csv(header: list[str], rows: list[list[str]], delimiter: str) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def timed(path: Path) -> tuple[float, object]:
    from clubs.services.partner_import import partner_import

    started = time.perf_counter()
    result = partner_import(data=path.read_bytes(), user=None)
    elapsed = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"{path.name}: {len(result.errors)} errors, first: {result.errors[:3]}")
    return elapsed, result


def record(lines: list[str]) -> None:
    """Add the run's figures to the table under the "Partner import" section of
    docs/performance.md (newest first), which the marker comment sits above."""
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if RESULTS_MARKER not in text:
        text += f"\n## Partner import\n\n{RESULTS_MARKER}\n{TABLE_HEADER}"
    before, after = text.split(RESULTS_MARKER, 1)
    separator = after.index("|---")
    end_of_header = after.index("\n", separator) + 1
    after = after[:end_of_header] + "\n".join(lines) + "\n" + after[end_of_header:]
    doc.write_text(before + RESULTS_MARKER + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=16_000)
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    database_url = args.database_url or DEFAULT_DATABASE
    if "db.sqlite3" in database_url:
        raise SystemExit("Refusing to run against the developer database db.sqlite3.")
    _fresh_sqlite(database_url)
    _setup(database_url)

    from django.core.management import call_command
    from django.db import connection

    from clubs.models import Partner

    call_command("migrate", verbosity=0)
    Partner.objects.all().delete()  # a PostgreSQL bench database may hold an earlier run
    rng = random.Random(2025)
    synthetic = ensure_territory(rng)
    directory = Path("/tmp")
    excel, utf8, utf8_changed = write_csv(args.rows, rng, directory)

    first, result = timed(excel)
    assert result.created == args.rows, result
    again, result = timed(utf8)
    assert (result.created, result.updated) == (0, 0), result
    changes, result = timed(utf8_changed)
    updated = result.updated
    assert Partner.objects.count() == args.rows

    vendor = connection.vendor
    version = ""
    if vendor == "postgresql":
        number = connection.cursor().connection.server_version  # 150020 is 15.20
        version = f"{number // 10000}.{number % 100}"
    elif vendor == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    database = f"{vendor} {version}".strip()
    when = datetime.now().strftime("%Y-%m-%d")
    register = f"synthetic register ({synthetic} gminas)" if synthetic else "real register"
    lines = [
        f"| {when} | {database} | {args.rows:,} | {first:.1f} s | {again:.1f} s | "
        f"{changes:.1f} s ({updated:,} updated) | {machine}; {register} |"
    ]
    print(f"Database: {database}; {machine}; {register}")
    print(f"First import (Windows-1250, ';'):     {first:6.2f} s, {args.rows:,} created")
    print(f"Re-import, same rows (UTF-8, ','):    {again:6.2f} s, nothing changed")
    print(f"Re-import, {updated:,} KSRG changes (UTF-8): {changes:6.2f} s")
    if not args.no_record:
        record(lines)
        print("Recorded in docs/performance.md")


if __name__ == "__main__":
    main()
