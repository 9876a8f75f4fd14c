"""Benchmark: server time and query count of every dashboard and list page, per role.

    .venv/bin/python bench/pages.py              # BENCH_DATABASES, else DATABASE_URL
    .venv/bin/python bench/pages.py --databases postgres://postgres@127.0.0.1:5432/kos_scale
    .venv/bin/python bench/pages.py --only certificates --requests 10 --no-record

What it measures, per page x role: the time around `django.test.Client.get()` in this
process (URL resolution, middleware, view, queries, template rendering; no network, no
web server), N requests after warm-up, as median and p95 in milliseconds; and the number
of queries of one more request, counted with CaptureQueriesContext. DEBUG is off
(DJANGO_DEBUG=0) for the timed requests; only the counting request records queries.
Requests run as in production (autocommit, no wrapping transaction, whose savepoints would
add queries): the roster's personal-data log gets a line per request from the bench users,
and the sessions are deleted afterwards.

National lists are measured at page 1 and at page 4,000 (or their last page when they
have fewer pages; the results say which page was shown).

Databases: `--databases URL[,URL...]` (or `--both`: kos_scale and kos_scale_small), else
BENCH_DATABASES (comma-separated, set by `make bench`), else DATABASE_URL if it is
PostgreSQL, else both. (`--database-url`, which bench/run.py passes to every script for
the throwaway databases of the import benchmarks, is ignored here.) A database that does
not exist is created, migrated and seeded (`seed_scale`, full scale for the first, 1/100
for the others) and its rollups refreshed; one that holds data but no bench users is refused
(run `manage.py seed_scale --yes` on it).

Results go to bench/results.json (a list of {page, role, scale, p50_ms, p95_ms, queries}
plus url, page_number, status and the counts) unless --no-record; pages whose query count
differs between the scales, pages above 12 queries and pages with p95 above 50 ms are
listed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_DATABASES = (
    "postgres://postgres@127.0.0.1:5432/kos_scale,"
    "postgres://postgres@127.0.0.1:5432/kos_scale_small"
)
MAX_QUERIES = 12
MAX_P95_MS = 50.0
FAR_PAGE = 4000
DOC_START = "<!-- national-scale-results -->"
DOC_END = "<!-- /national-scale-results -->"

NAT = ["national"]
NC = ["national", "coordinator"]
NCL = ["national", "coordinator", "leader"]
NCLI = ["national", "coordinator", "leader", "instructor"]
# (label, url name, which object it needs, roles that may see it, national list?)
# Roles follow tests/test_url_access.py EXPECTED (200 for that role).
PAGES: list[tuple[str, str, str, list[str], bool]] = [
    ("dashboard index (redirect)", "dashboards:index", "", NCL, False),
    ("dashboard: country", "dashboards:country", "", NAT, False),
    ("dashboard: voivodeship", "dashboards:voivodeship", "voivodeship", NAT, False),
    ("dashboard: powiat", "dashboards:powiat", "powiat", NAT, False),
    ("dashboard: gmina", "dashboards:gmina", "gmina", NC, False),
    ("dashboard: club", "dashboards:club", "club", NCL, False),
    ("gmina reports", "dashboards:report-list", "gmina", NC, False),
    ("clubs list", "clubs:club-list", "", NCLI, True),
    ("partners", "clubs:partner-list", "", NCLI, True),
    ("directory (public)", "clubs:directory", "", ["anonymous", "national"], True),
    ("invitations", "clubs:invitation-list", "", NCL, True),
    ("starter pack library", "clubs:starter-document-list", "", NAT, True),
    ("club starter pack", "clubs:club-starter-pack", "club", NCLI, False),
    ("roster", "members:roster", "club", NCL, False),
    ("applications", "members:application-list", "", NCL, True),
    ("access log", "members:access-log", "", NAT, True),
    ("sessions of a club", "training:session-list", "club", NCLI, False),
    ("my sessions", "training:my-sessions", "", ["instructor"], False),
    ("instructors", "training:instructor-list", "", NCL, True),
    ("catalogue", "training:course-list", "", ["anonymous", "national", "member"], True),
    ("certificates", "certificates:certificate-list", "", [*NCLI, "member"], True),
    ("threats", "resilience:threat-list", "", NCLI, True),
    ("exercises", "resilience:exercise-list", "", NCLI, True),
    ("corrective actions", "resilience:action-list", "", NCLI, True),
    ("problem cases", "resilience:case-list", "", NCL, True),
    ("surveys", "resilience:survey-list", "", NCL, True),
]


def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kos_portal.settings")
    # Production-like: DEBUG off (no debug cursor, no debug context). The test client
    # needs its host allowed; secure=True on every request keeps the HTTPS redirect away.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 40)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import warnings

    import django

    # whitenoise warns when collectstatic has not run; the pages serve no static files here.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()


def _admin_url(database_url: str) -> str:
    parsed = urlparse(database_url)
    return parsed._replace(path="/postgres").geturl()


def ensure_database(database_url: str, scale: float) -> None:
    """Create, migrate and seed the database when it does not exist or is empty."""
    import psycopg2

    name = urlparse(database_url).path.lstrip("/")
    admin = psycopg2.connect(_admin_url(database_url))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"creating database {name}", flush=True)
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    env = {**os.environ, "DATABASE_URL": database_url}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True)
    check = subprocess.run(
        [*manage, "shell", "-c", _CHECK], env=env, capture_output=True, text=True, check=True
    )
    state = check.stdout.strip().splitlines()[-1]
    if state == "empty":
        print(f"seeding {name} at scale {scale} (a few minutes at full scale)", flush=True)
        subprocess.run([*manage, "seed_scale", "--scale", str(scale)], env=env, check=True)
    elif state != "ready":
        raise SystemExit(
            f"{name} holds data but no bench users: run "
            f"`DATABASE_URL={database_url} manage.py seed_scale --yes` (it wipes the database)."
        )
    if state == "empty" or "norollup" in check.stdout:
        print(f"refreshing the rollups of {name}", flush=True)
        subprocess.run([*manage, "shell", "-c", _REFRESH], env=env, check=True)


_CHECK = """
from dashboards.scale import BENCH_USERS, database_is_empty
from kos_portal.models import User
if database_is_empty():
    print("empty")
elif User.objects.filter(email__in=BENCH_USERS.values()).count() == len(BENCH_USERS):
    print("ready")
else:
    print("other")
"""
# The dashboards read rollup tables: a database never refreshed gets one refresh.
_CHECK = (
    "from dashboards.models import RollupRun\n"
    "if not RollupRun.objects.filter(finished_at__isnull=False).exists():\n"
    "    print('norollup')\n"
) + _CHECK
_REFRESH = "from dashboards.services.rollups import rollups_refresh; print(rollups_refresh())"


# --- In the measuring process -----------------------------------------------------------


def _context() -> dict:
    """The objects the pages need, found from the bench users."""
    from django.db.models import Count

    from certificates.models import Certificate
    from clubs.models import Assignment, Club
    from dashboards.scale import BENCH_USERS
    from kos_portal.models import User
    from kos_portal.roles import Role
    from members.models import Member
    from training.models import Enrolment

    users = {role: User.objects.get(email=email) for role, email in BENCH_USERS.items()}
    users["anonymous"] = None
    gmina = Assignment.objects.get(user=users["coordinator"], role=Role.COORDINATOR).municipality
    big_club = Assignment.objects.get(user=users["leader"], role=Role.LEADER).club
    gmina_club = (
        Club.objects.filter(municipality=gmina)
        .annotate(n=Count("memberships"))
        .order_by("-n", "pk")
        .first()
    )
    return {
        "users": users,
        "gmina": gmina,
        "powiat": gmina.powiat,
        "voivodeship": gmina.powiat.voivodeship,
        # Each role looks at a club it may see: the coordinator at the biggest in its gmina.
        "club": {
            "national": big_club,
            "leader": big_club,
            "instructor": big_club,
            "coordinator": gmina_club,
        },
        "counts": {
            "clubs": Club.objects.count(),
            "members": Member.objects.count(),
            "enrolments": Enrolment.objects.count(),
            "certificates": Certificate.objects.count(),
        },
    }


def _url(name: str, needs: str, role: str, ctx: dict) -> str:
    from django.urls import reverse

    if needs == "voivodeship":
        return reverse(name, kwargs={"voivodeship_code": ctx["voivodeship"].code})
    if needs == "powiat":
        return reverse(name, kwargs={"powiat_code": ctx["powiat"].code})
    if needs == "gmina":
        return reverse(name, kwargs={"municipality_pk": ctx["gmina"].pk})
    if needs == "club":
        return reverse(name, kwargs={"club_pk": ctx["club"][role].pk})
    return reverse(name)


def _page_of(response) -> tuple[int | None, int | None]:
    """(page shown, number of pages) from the response's context, when it has a page."""
    from django.core.paginator import Page

    contexts = response.context
    if contexts is None:
        return None, None
    for context in contexts if isinstance(contexts, list) else [contexts]:
        for value in context.flatten().values() if hasattr(context, "flatten") else []:
            if isinstance(value, Page):
                return value.number, value.paginator.num_pages
    return None, None


def _scale_label(counts: dict) -> str:
    from dashboards.scale import FULL

    ratio = counts["enrolments"] / FULL["enrolments"]
    if ratio >= 0.95:
        return "full"
    return f"1/{round(1 / ratio)}" if ratio > 0 else "empty"


def measure(requests: int, warmup: int, only: str | None) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import (
        CaptureQueriesContext,
        override_settings,
        setup_test_environment,
        teardown_test_environment,
    )

    ctx = _context()
    scale = _scale_label(ctx["counts"])
    results = []
    # Static files without the manifest (no collectstatic needed); lookups only.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        for label, name, needs, roles, national_list in PAGES:
            if only and only not in name and only not in label:
                continue
            for role in roles:
                targets = [1]
                if national_list and role in ("national", "anonymous"):
                    targets.append(FAR_PAGE)
                for page in targets:
                    try:
                        url = _url(name, needs, role, ctx)
                    except Exception as error:  # a page that needs an object we lack
                        print(f"skip {label} / {role}: {error}")
                        continue
                    if page != 1:
                        url += f"?page={page}"
                    client = Client()
                    if ctx["users"][role] is not None:
                        client.force_login(ctx["users"][role])
                    # One request with the test instrumentation: the page shown.
                    setup_test_environment()
                    try:
                        probe = client.get(url, secure=True)
                        shown, pages = _page_of(probe)
                    finally:
                        teardown_test_environment()
                    for _ in range(warmup):
                        client.get(url, secure=True)
                    times = []
                    for _ in range(requests):
                        started = time.perf_counter()
                        response = client.get(url, secure=True)
                        times.append((time.perf_counter() - started) * 1000)
                    with CaptureQueriesContext(connection) as queries:
                        client.get(url, secure=True)
                    client.logout()  # its session row goes
                    times.sort()
                    row = {
                        "page": label + (f" p.{page}" if page != 1 else ""),
                        "role": role,
                        "scale": scale,
                        "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[max(0, round(0.95 * len(times)) - 1)], 1),
                        "queries": len(queries),
                        "url": url,
                        "status": response.status_code,
                        "page_number": shown,
                        "pages": pages,
                        "counts": ctx["counts"],
                    }
                    results.append(row)
                    print(
                        f"{row['page']:<34} {role:<12} {response.status_code} "
                        f"p50 {row['p50_ms']:>7.1f} ms  p95 {row['p95_ms']:>7.1f} ms  "
                        f"{row['queries']:>3} q"
                        + (f"  (page {shown} of {pages})" if page != 1 else ""),
                        flush=True,
                    )
    return results


# --- Driver -----------------------------------------------------------------------------


def report(results: list[dict]) -> list[str]:
    lines = []
    by_key: dict[tuple[str, str], dict[str, int]] = {}
    for row in results:
        by_key.setdefault((row["page"], row["role"]), {})[row["scale"]] = row["queries"]
    differ = [(k, v) for k, v in by_key.items() if len(set(v.values())) > 1]
    lines.append(f"query counts differing between scales: {len(differ)}")
    for (page, role), counts in differ:
        lines.append(f"  {page} / {role}: {counts}")
    over_q = [r for r in results if r["queries"] > MAX_QUERIES]
    lines.append(f"pages over {MAX_QUERIES} queries: {len(over_q)}")
    for r in over_q:
        lines.append(f"  {r['page']} / {r['role']} ({r['scale']}): {r['queries']}")
    slow = [r for r in results if r["p95_ms"] > MAX_P95_MS]
    lines.append(f"pages with p95 over {MAX_P95_MS:.0f} ms: {len(slow)}")
    for r in slow:
        lines.append(f"  {r['page']} / {r['role']} ({r['scale']}): p95 {r['p95_ms']} ms")
    bad = [r for r in results if r["status"] >= 400]
    lines.append(f"pages not answering 2xx/3xx: {len(bad)}")
    for r in bad:
        lines.append(f"  {r['page']} / {r['role']} ({r['scale']}): {r['status']}")
    return lines


def markdown(results: list[dict]) -> list[str]:
    """One row per page x role, the scales side by side."""
    scales = list(dict.fromkeys(row["scale"] for row in results))
    rows: dict[tuple[str, str], dict[str, dict]] = {}
    for row in results:
        rows.setdefault((row["page"], row["role"]), {})[row["scale"]] = row
    header = "| page | role | " + " | ".join(
        f"{scale} p50 ms | {scale} p95 ms | {scale} queries" for scale in scales
    )
    lines = [header + " |", "|---|---|" + "---:|---:|---:|" * len(scales)]
    for (page, role), by_scale in rows.items():
        cells = []
        for scale in scales:
            r = by_scale.get(scale)
            if r is None:
                cells += ["", "", ""]
                continue
            mark = lambda value, limit: f"**{value}**" if value > limit else f"{value}"  # noqa: E731
            cells += [
                f"{r['p50_ms']}",
                mark(r["p95_ms"], MAX_P95_MS),
                mark(r["queries"], MAX_QUERIES),
            ]
        label = page
        if "p." in page:
            shown = [
                f"{r['page_number']}/{r['pages']}"
                for r in by_scale.values()
                if r.get("page_number") is not None
            ]
            label += f" (page shown: {', '.join(shown)})" if shown else " (not paginated)"
        lines.append(f"| {label} | {role} | " + " | ".join(cells) + " |")
    return lines


def record(results: list[dict], header: str) -> None:
    """Replace the table between the markers in docs/performance.md (if they are there)."""
    path = ROOT / "docs" / "performance.md"
    text = path.read_text()
    if DOC_START not in text or DOC_END not in text:
        print(f"docs/performance.md has no {DOC_START} marker: table not recorded")
        return
    before, rest = text.split(DOC_START, 1)
    _old, after = rest.split(DOC_END, 1)
    table = "\n".join([header, "", *markdown(results)])
    path.write_text(f"{before}{DOC_START}\n{table}\n{DOC_END}{after}")
    print("table written to docs/performance.md")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", help="comma-separated URLs (default: BENCH_DATABASES)")
    parser.add_argument("--both", action="store_true", help="kos_scale and kos_scale_small")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", help="only pages whose URL name or label contains this")
    parser.add_argument("--no-record", action="store_true", help="do not write results.json")
    parser.add_argument("--no-seed", action="store_true", help="never create or seed")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args, _unknown = parser.parse_known_args()

    if args.measure_only:  # child process: one database, JSON on the last line
        _setup(os.environ["DATABASE_URL"])
        results = measure(args.requests, args.warmup, args.only)
        print("RESULTS " + json.dumps(results))
        return 0

    database_url = os.environ.get("DATABASE_URL", "")
    databases = (
        (DEFAULT_DATABASES if args.both else args.databases)
        or os.environ.get("BENCH_DATABASES")
        or (database_url if database_url.startswith("postgres") else "")
        or DEFAULT_DATABASES
    ).split(",")
    databases = [d.strip() for d in databases if d.strip()]
    if not databases or any(not d.startswith("postgres") for d in databases):
        print(
            "bench/pages.py skipped: it needs PostgreSQL. Set BENCH_DATABASES (or "
            f"DATABASE_URL) to postgres:// URLs, e.g. {DEFAULT_DATABASES}"
        )
        return 0
    try:
        import psycopg2

        psycopg2.connect(_admin_url(databases[0])).close()
    except Exception as error:
        print(f"bench/pages.py skipped: PostgreSQL is not reachable ({error}).")
        return 0
    results: list[dict] = []
    started = time.perf_counter()
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for index, database_url in enumerate(databases):
        if not args.no_seed:
            ensure_database(database_url, 1.0 if index == 0 else 0.01)
        name = urlparse(database_url).path.lstrip("/")
        print(f"\n--- {name} ---", flush=True)
        command = [sys.executable, __file__, "--measure-only", "--requests", str(args.requests),
                   "--warmup", str(args.warmup)]  # fmt: skip
        if args.only:
            command += ["--only", args.only]
        payload = []
        with subprocess.Popen(
            command,
            env={**os.environ, "DATABASE_URL": database_url},
            stdout=subprocess.PIPE,
            text=True,
        ) as child:
            for line in child.stdout:  # streamed: each page's figures as it is measured
                if line.startswith("RESULTS "):
                    payload.append(line)
                else:
                    print(line, end="", flush=True)
        if child.returncode or not payload:
            print(f"measuring {name} failed")
            return 1
        for row in json.loads(payload[-1][len("RESULTS ") :]):
            row["database"] = name
            results.append(row)
    print()
    for line in report(results):
        print(line)
    print(
        f"\n{len(results)} measurements in {time.perf_counter() - started:.0f} s "
        f"({platform.python_version()}, {os.cpu_count()} cores)"
    )
    if not args.no_record:
        RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
        print(f"written to {RESULTS.relative_to(ROOT)}")
        header = (
            f"Run of {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.requests} "
            f"requests after {args.warmup} warm-up, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {load[0]:.1f} at start. Bold: over "
            f"{MAX_P95_MS:.0f} ms p95 or {MAX_QUERIES} queries."
        )
        record(results, header)
    return 0


if __name__ == "__main__":
    sys.exit(main())
