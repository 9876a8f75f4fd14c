"""Benchmark: import a 10,000-person roster into one club.

    .venv/bin/python bench/import_members.py                      # throwaway SQLite in /tmp
    .venv/bin/python bench/import_members.py --database-url postgres://postgres@127.0.0.1:5432/kos_bench_members

It never touches the developer's db.sqlite3: the database is a throwaway SQLite file in
/tmp (recreated on each run) or a PostgreSQL database you created for it. It migrates the
database, adds 50 gminas, a club, and 20,000 people already registered in other clubs
(2,000 of whom are also in the roster, so they are linked, not duplicated), writes the
roster as Polish Excel saves it (Windows-1250, `;`) and as XLSX, and times a dry run, the
import, and a re-import of the same file. The figures are printed and added to
docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "sqlite:////tmp/bench_members.sqlite3"
RESULTS_MARKER = "<!-- member-import-results -->"
TABLE_HEADER = (
    "| date | database | rows | dry run | import | re-import, unchanged | XLSX dry run "
    "| machine |\n|---|---|---|---|---|---|---|---|\n"
)
FIRST = ["Zofia", "Łucja", "Jan", "Piotr", "Małgorzata", "Żaneta", "Ścibor", "Ewa", "Józef"]
LAST = ["Żółkiewska", "Nowak", "Wiśniewski", "Kowalczyk", "Dąbrowska", "Łęcki", "Źrebiec"]
HEADER = [
    "first_name",
    "last_name",
    "birth_date",
    "email",
    "phone",
    "gmina_teryt",
    "guardian_name",
    "guardian_contact",
    "guardian_consent_date",
]


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kos_portal.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _fresh_sqlite(database_url: str) -> None:
    if database_url == DEFAULT_DATABASE:
        Path(database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def _person(index: int, rng: random.Random) -> tuple[str, str, date]:
    first = rng.choice(FIRST)
    last = f"{rng.choice(LAST)}-{index}"
    # One in ten is a minor (born 10–17 years ago); the rest are adults.
    years = rng.randint(10, 17) if index % 10 == 0 else rng.randint(18, 80)
    born = date.today() - timedelta(days=int(365.25 * years) + rng.randint(1, 300))
    return first, last, born


def prepare(rows: int, linked: int, existing: int, rng: random.Random):
    """The territory, the club, people already registered elsewhere, and the roster rows."""
    from clubs.models import Club, Municipality, Powiat, Voivodeship, search_key
    from members.models import Member, Membership

    voivodeship, _ = Voivodeship.objects.get_or_create(code="14", defaults={"name": "mazowieckie"})
    powiat, _ = Powiat.objects.get_or_create(
        code="1418", defaults={"name": "piaseczyński", "voivodeship": voivodeship}
    )
    gminas = [
        Municipality.objects.get_or_create(
            code=f"14{18 + i // 90:02d}{i % 90 + 1:02d}2",
            defaults={"name": f"Gmina {i}", "powiat": powiat, "kind": "2"},
        )[0]
        for i in range(50)
    ]
    club = Club.objects.create(name="KOS Bench", municipality=gminas[0], status="active")
    other = Club.objects.create(name="KOS Elsewhere", municipality=gminas[1], status="active")
    people = [_person(i, rng) for i in range(existing)]
    members = Member.objects.bulk_create(
        [
            Member(
                first_name=first,
                last_name=last,
                birth_date=born,
                birth_year=born.year,
                email=f"elsewhere{i}@example.pl",
                search_text=search_key(first, last, f"elsewhere{i}@example.pl"),
            )
            for i, (first, last, born) in enumerate(people)
        ],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [Membership(member=m, club=other) for m in members], batch_size=2000
    )
    lines = []
    for index in range(rows):
        if index < linked:  # already registered in another club: matched by name + birth
            first, last, born = people[index]
            email = ""
        else:
            first, last, born = _person(existing + index, rng)
            email = f"roster{index}@example.pl"
        minor = (date.today().year - born.year) < 18
        phone = f"+48 6{index % 100:02d} {index // 1000 % 1000:03d} {index % 1000:03d}"
        guardian = ["Anna Opiekun", "+48 600 100 200", "2025-01-10"] if minor else ["", "", ""]
        teryt = gminas[index % len(gminas)].code
        lines.append([first, last, born.isoformat(), email, phone, teryt, *guardian])
    return club, lines


def _csv(rows: list[list[str]]) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp1250")


def _xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(club, data: bytes, *, dry_run: bool):
    from members.services.roster_import import roster_import

    started = time.perf_counter()
    result = roster_import(
        club=club, data=data, imported_by=None, dry_run=dry_run, consent_forms_attested=True
    )
    elapsed = time.perf_counter() - started
    if result.errors:
        raise SystemExit(f"{len(result.errors)} errors, first: {result.errors[:3]}")
    return elapsed, result


def record(lines: list[str]) -> None:
    """Add the run's figures under the "Member import" section of docs/performance.md."""
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    if RESULTS_MARKER not in text:
        text += f"\n## Member import\n\n{RESULTS_MARKER}\n{TABLE_HEADER}"
    before, after = text.split(RESULTS_MARKER, 1)
    separator = after.index("|---")
    end_of_header = after.index("\n", separator) + 1
    after = after[:end_of_header] + "\n".join(lines) + "\n" + after[end_of_header:]
    doc.write_text(before + RESULTS_MARKER + after, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    database_url = args.database_url or DEFAULT_DATABASE
    if "db.sqlite3" in database_url:
        raise SystemExit("Refusing to run against the developer database db.sqlite3.")
    _fresh_sqlite(database_url)
    _setup(database_url)

    from django.core.management import call_command
    from django.db import connection

    from members.models import Member, Membership

    call_command("migrate", verbosity=0)
    if Member.objects.exists():
        raise SystemExit("The bench database is not empty: drop and create it again.")
    rng = random.Random(2025)
    linked = args.rows // 5
    club, rows = prepare(args.rows, linked=linked, existing=20_000, rng=rng)
    csv_data, xlsx_data = _csv(rows), _xlsx(rows)

    dry, result = timed(club, csv_data, dry_run=True)
    assert (result.new, result.linked) == (args.rows - linked, linked), result
    first, result = timed(club, csv_data, dry_run=False)
    assert Membership.objects.filter(club=club).count() == args.rows
    again, result = timed(club, csv_data, dry_run=False)
    assert (result.new, result.linked, result.in_club) == (0, 0, args.rows), result
    xlsx, result = timed(club, xlsx_data, dry_run=True)
    assert result.in_club == args.rows, result

    vendor = connection.vendor
    version = ""
    if vendor == "postgresql":
        number = connection.cursor().connection.server_version
        version = f"{number // 10000}.{number % 100}"
    elif vendor == "sqlite":
        import sqlite3

        version = sqlite3.sqlite_version
    machine = f"{os.cpu_count()} cores, Python {platform.python_version()}"
    database = f"{vendor} {version}".strip()
    when = date.today().isoformat()
    lines = [
        f"| {when} | {database} | {args.rows:,} ({linked:,} linked) | {dry:.1f} s | "
        f"{first:.1f} s | {again:.1f} s | {xlsx:.1f} s | {machine}; 20,000 people elsewhere |"
    ]
    print(f"Database: {database}; {machine}")
    print(f"Dry run (cp1250, ';'):           {dry:6.2f} s")
    print(f"Import ({args.rows:,} rows, {linked:,} linked): {first:6.2f} s")
    print(f"Re-import, all already in club:  {again:6.2f} s")
    print(f"Dry run of the same roster XLSX: {xlsx:6.2f} s")
    if not args.no_record:
        record(lines)
        print("Recorded in docs/performance.md")


if __name__ == "__main__":
    main()
