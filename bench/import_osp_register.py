"""Benchmark: import a national OSP register export (about 16,000 units) in its real format.

The file is synthetic but shaped like the published export: header `Numer,Nazwa,KSRG,...,
Długość,Szerokość,x,y`, UTF-8 with a BOM, CRLF, some quoted addresses with a line break,
gminas by name with powiat and voivodeship, and WGS84 coordinates. It runs on the same
throwaway database as bench/import_partners.py (SQLite in /tmp, or --database-url) and
times `partner_import()`: the first import (16,000 created) and a re-import (nothing
changes). The figures are printed and added to docs/performance.md.
"""

import argparse
import os
import platform
import random
import sys
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import import_partners as base  # the same database setup and register

RESULTS_MARKER = "<!-- osp-register-results -->"
OSP_HEADER = (
    "Numer,Nazwa,KSRG,Rodzaj,Kategoria,Kraj,Województwo,Powiat,Gmina,Miejscowość,"
    "Kod pocztowy,Adres,Nazwa obiektu,Długość,Szerokość,x,y"
)


def write_export(rows: int, rng: random.Random, path: Path) -> None:
    import csv
    import io

    from clubs.models import Municipality

    gminas = list(
        Municipality.objects.filter(is_current=True).values_list(
            "name", "powiat__name", "powiat__voivodeship__name"
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(OSP_HEADER + "\r\n")
    for index in range(rows):
        gmina, powiat, voivodeship = gminas[index % len(gminas)]
        street = f"ul. Strażacka {index % 90 + 1}"
        if index % 50 == 0:
            street += "\r\n(wjazd od podwórza)"  # quoted line breaks, as in the real export
        writer.writerow(
            [
                f"{index + 1:07d}",
                f"OSP {base._name(rng)}",  # names repeat: the number is the identity
                "Tak" if index % 3 == 0 else "Nie",
                "OSP",
                rng.choice(["S1", "S2", "S3", "S4"]),
                "Polska",
                voivodeship,
                powiat,
                gmina,
                base._name(rng),
                f"{rng.randint(0, 99):02d}-{rng.randint(0, 999):03d}",
                street,
                "Remiza OSP",
                f"{rng.uniform(14.2, 24.0):.6f}",
                f"{rng.uniform(49.1, 54.8):.6f}",
                f"{rng.uniform(170000, 860000):.2f}",
                f"{rng.uniform(140000, 780000):.2f}",
            ]
        )
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))


def timed(path: Path) -> tuple[float, object]:
    from clubs.services.partner_import import partner_import

    started = time.perf_counter()
    result = partner_import(data=path.read_bytes(), user=None)
    elapsed = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"{len(result.errors)} errors, first: {result.errors[:3]}")
    return elapsed, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=16_000)
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    database_url = args.database_url or base.DEFAULT_DATABASE
    if "db.sqlite3" in database_url:
        raise SystemExit("Refusing to run against the developer database db.sqlite3.")
    base._fresh_sqlite(database_url)
    base._setup(database_url)

    from django.core.management import call_command
    from django.db import connection

    from clubs.models import Partner

    call_command("migrate", verbosity=0)
    Partner.objects.all().delete()
    rng = random.Random(2026)
    synthetic = base.ensure_territory(rng)
    path = Path("/tmp/bench_osp_register.csv")
    write_export(args.rows, rng, path)
    first, result = timed(path)
    assert result.created == args.rows, result
    again, result = timed(path)
    assert (result.created, result.updated) == (0, 0), result
    vendor = connection.vendor
    version = ""
    if vendor == "postgresql":
        number = connection.cursor().connection.server_version
        version = f"{number // 10000}.{number % 100}"
    else:
        import sqlite3

        version = sqlite3.sqlite_version
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    register = f"synthetic register ({synthetic} gminas)" if synthetic else "real register"
    line = (
        f"| {datetime.now():%Y-%m-%d} | {vendor} {version} | {args.rows:,} | {first:.1f} s | "
        f"{again:.1f} s | {machine}; {register} |"
    )
    print(line)
    if not args.no_record:
        doc = base.ROOT / "docs" / "performance.md"
        text = doc.read_text(encoding="utf-8")
        before, after = text.split(RESULTS_MARKER, 1)
        end_of_header = after.index("\n", after.index("|---")) + 1
        doc.write_text(
            before + RESULTS_MARKER + after[:end_of_header] + line + "\n" + after[end_of_header:],
            encoding="utf-8",
        )
        print("Recorded in docs/performance.md")


if __name__ == "__main__":
    main()
