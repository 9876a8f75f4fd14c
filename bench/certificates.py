"""Benchmark: certificate PDFs, in one process and end to end with a real worker.

    .venv/bin/python bench/certificates.py                # in-process figures only
    createdb -h 127.0.0.1 -U postgres kos_bench_certificates
    .venv/bin/python bench/certificates.py \\
        --database-url postgres://postgres@127.0.0.1:5432/kos_bench_certificates \\
        --broker-url redis://127.0.0.1:6379/8
    dropdb -h 127.0.0.1 -U postgres kos_bench_certificates

In process (no database needed: the certificates are unsaved objects) it measures a cold
process's first render, warm renders (median, p95, throughput, PDF size) for 200 and 1,000
certificates, the same with a new FontConfiguration per render (the leak the shared one
avoids), merged multi-page documents of 10/50/100 certificates, and the resident memory
(VmRSS from /proc/self/status) over 1,000 renders. With --database-url and --broker-url it
also migrates that (throwaway, PostgreSQL) database, starts `celery worker
--concurrency=2`, records 500 passes with training's results service, and times from that
call until every PDF is stored. Figures are printed and added to docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEDIA = Path("/tmp/bench_certificates_media")
RESULTS_MARKER = "<!-- certificate-results -->"
FIRST = ["Zażółć", "Łucja", "Jan", "Piotr", "Małgorzata", "Żaneta", "Ścibor", "Ewa", "Józef"]
LAST = ["Gęślą-Jaźń", "Nowak", "Wiśniewski", "Kowalczyk", "Dąbrowska", "Łęcki", "Źrebiec"]
COLD_SCRIPT = """
import time; started = time.perf_counter()
import bench.certificates as b; b.setup()
from certificates.services import rendering
imported = time.perf_counter()
rendering.certificate_pdf_bytes(b.sample(0))
first = time.perf_counter()
rendering.certificate_pdf_bytes(b.sample(1))
second = time.perf_counter()
print(imported - started, first - imported, second - first)
"""


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kos_portal.settings")
    os.environ["MEDIA_ROOT"] = str(MEDIA)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def sample(index: int):
    """An unsaved certificate with everything a render reads."""
    from certificates.models import Certificate
    from clubs.models import Pillar
    from training.models import Course

    course = Course(
        code="PP-01",
        title="Pierwsza pomoc przedmedyczna",
        title_en="Pre-medical first aid",
        hours=Decimal("8"),
    )
    return Certificate(
        number=f"KOS/2026/{index + 1:06d}",
        holder_name=f"{FIRST[index % len(FIRST)]} {LAST[index % len(LAST)]}",
        instructor_names="Anna Nowak, Piotr Żak",
        course_title=course.title,
        course=course,
        pillar=Pillar(number=1, code="first-aid", name_pl="Pierwsza pomoc", name_en="First aid"),
        hours=course.hours,
        session_dates="3–5 grudnia 2026",
        issued_on=date(2026, 12, 5),
        expires_on=date(2029, 12, 5),
    )


def warm(count: int, *, shared_fonts: bool = True) -> dict:
    from certificates.services import rendering

    rendering.certificate_pdf_bytes(sample(0))  # warm up: fonts, stylesheet, template
    times, cpu_times, sizes = [], [], []
    started = time.perf_counter()
    for index in range(count):
        certificate = sample(index)
        t, cpu = time.perf_counter(), time.process_time()
        if shared_fonts:
            content = rendering.certificate_pdf_bytes(certificate)
        else:
            content = _render_with_new_font_config(certificate)
        times.append((time.perf_counter() - t) * 1000)
        cpu_times.append((time.process_time() - cpu) * 1000)
        sizes.append(len(content))
    total = time.perf_counter() - started
    return {
        "median_ms": statistics.median(times),
        # CPU time of this process: what a render costs when other work shares the cores.
        "median_cpu_ms": statistics.median(cpu_times),
        "p95_ms": sorted(times)[int(len(times) * 0.95) - 1],
        "per_minute": count / total * 60,
        "size_kb": statistics.mean(sizes) / 1024,
    }


def _render_with_new_font_config(certificate) -> bytes:
    # The anti-pattern, for comparison: a FontConfiguration and stylesheet per render.
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from certificates.services import rendering

    shared = rendering._get_shared()
    font_config = FontConfiguration()
    css_path = rendering.static_root() / rendering.STYLESHEET
    css = CSS(
        string=css_path.read_text(), font_config=font_config, url_fetcher=shared["url_fetcher"]
    )
    html = shared["template"].render({"items": [rendering._item(certificate)]})
    return HTML(string=html, url_fetcher=shared["url_fetcher"]).write_pdf(
        stylesheets=[css], font_config=font_config
    )


def merged(batch: int, rounds: int = 3) -> dict:
    from certificates.services import rendering

    times, size = [], 0
    for _ in range(rounds):
        certificates = [sample(i) for i in range(batch)]
        t = time.perf_counter()
        size = len(rendering.certificates_render_merged(certificates))
        times.append((time.perf_counter() - t) * 1000)
    per = statistics.median(times) / batch
    return {"per_ms": per, "per_minute": 60_000 / per, "size_kb_each": size / batch / 1024}


def memory(count: int = 1000) -> list[float]:
    from certificates.services import rendering

    samples = [rss_mb()]
    for index in range(count):
        rendering.certificate_pdf_bytes(sample(index))
        if (index + 1) % 200 == 0:
            samples.append(rss_mb())
    return samples


def cold() -> tuple[float, float, float]:
    output = subprocess.run(
        [sys.executable, "-c", COLD_SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return tuple(float(x) * 1000 for x in output[-3:])


def end_to_end(count: int, database_url: str, broker_url: str) -> dict:
    """Record `count` passes, let a 2-process worker render them; seconds until all are stored."""
    from django.core.management import call_command
    from django.utils import timezone

    from certificates.models import Certificate
    from clubs.models import Club, Municipality, Pillar, Powiat, Voivodeship
    from kos_portal.celery import app
    from members.models import Member
    from training.models import Course, Enrolment, Meeting, Session
    from training.services.results import results_record

    call_command("migrate", verbosity=0)
    if Certificate.objects.exists():
        raise SystemExit("The bench database is not empty: drop and create it again.")
    voivodeship = Voivodeship.objects.create(code="14", name="mazowieckie")
    powiat = Powiat.objects.create(code="1418", name="piaseczyński", voivodeship=voivodeship)
    gmina = Municipality.objects.create(code="1418052", name="Piaseczno", powiat=powiat, kind="2")
    club = Club.objects.create(name="KOS Bench", municipality=gmina, status="active")
    course = Course.objects.create(
        code="BENCH-1",
        title="Pierwsza pomoc",
        hours=8,
        validity_months=36,
        pillar=Pillar.objects.order_by("number").first(),
    )
    starts = timezone.now() - timedelta(days=1)
    session = Session.objects.create(
        club=club,
        course=course,
        capacity=count,
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
    )
    meeting = Meeting.objects.create(
        session=session, club=club, starts_at=starts, ends_at=starts + timedelta(hours=3)
    )
    members = Member.objects.bulk_create(
        Member(first_name=FIRST[i % len(FIRST)], last_name=f"{LAST[i % len(LAST)]}-{i}")
        for i in range(count)
    )
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(session=session, club=club, member=m) for m in members
    )

    app.control.purge()
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kos_portal",
            "worker",
            "--concurrency=2",
            "-l",
            "warning",
            "-n",
            "bench-certificates@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(
            destination=[f"bench-certificates@{os.uname().nodename}"], timeout=0.5
        ):
            if time.monotonic() > deadline:
                raise SystemExit("The worker did not answer a ping.")
        started = time.perf_counter()
        results_record(
            session=session,
            rows={e.pk: {"present": {meeting.pk}, "score": None} for e in enrolments},
            recorded_by=None,
        )
        issued = time.perf_counter() - started
        pending = Certificate.objects.filter(render_status=Certificate.RenderStatus.PENDING)
        while pending.exists() or Certificate.objects.count() < count:
            time.sleep(0.1)
            if time.perf_counter() - started > 600:
                raise SystemExit("Not all certificates were rendered in 10 minutes.")
        total = time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)
    done = Certificate.objects.filter(render_status=Certificate.RenderStatus.DONE).count()
    sizes = [c.pdf.size for c in Certificate.objects.all()[:50]]
    return {
        "count": count,
        "issued_s": issued,
        "total_s": total,
        "per_minute": count / total * 60,
        "done": done,
        "size_kb": statistics.mean(sizes) / 1024,
    }


def record(lines: list[str]) -> None:
    """Add the run's figures under the "Certificates" section of docs/performance.md."""
    doc = ROOT / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8")
    if RESULTS_MARKER not in text:
        raise SystemExit(f"docs/performance.md has no {RESULTS_MARKER} marker.")
    before, after = text.split(RESULTS_MARKER, 1)
    doc.write_text(before + RESULTS_MARKER + "\n" + "\n".join(lines) + "\n" + after, "utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL"))
    parser.add_argument("--end-to-end", type=int, default=500, help="certificates end to end")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()
    if args.database_url:
        if "postgres" not in args.database_url or not args.broker_url:
            raise SystemExit("End to end needs a PostgreSQL --database-url and --broker-url.")
        os.environ["DATABASE_URL"] = args.database_url
        os.environ["CELERY_BROKER_URL"] = args.broker_url
    else:
        os.environ["DATABASE_URL"] = "sqlite:////tmp/bench_certificates.sqlite3"  # unused
        os.environ.pop("CELERY_BROKER_URL", None)
    shutil.rmtree(MEDIA, ignore_errors=True)
    setup()

    load = os.getloadavg()[0]
    lines = [
        f"### {date.today():%Y-%m-%d}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load average {load:.1f} at start",
        "",
    ]

    def out(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    imported, first, second = cold()
    out(
        f"- cold process: import {imported:.0f} ms, first render {first:.0f} ms, "
        f"second render {second:.0f} ms"
    )
    for count in (200, 1000):
        r = warm(count)
        out(
            f"- warm, {count} one-page PDFs: median {r['median_ms']:.1f} ms "
            f"(CPU {r['median_cpu_ms']:.1f} ms), p95 "
            f"{r['p95_ms']:.1f} ms, {r['per_minute']:,.0f}/min in one process, "
            f"{r['size_kb']:.1f} KB each"
        )
    samples = memory()
    out(
        "- memory over 1,000 renders, shared FontConfiguration (VmRSS every 200): "
        + " → ".join(f"{s:.0f}" for s in samples)
        + " MB"
    )
    for batch in (10, 50, 100):
        r = merged(batch)
        out(
            f"- merged document of {batch}: {r['per_ms']:.1f} ms and {r['size_kb_each']:.1f} KB "
            f"per certificate ({r['per_minute']:,.0f}/min)"
        )
    r = warm(200, shared_fonts=False)
    out(
        f"- warm, 200 with a new FontConfiguration and CSS per render (not what we do): "
        f"median {r['median_ms']:.1f} ms (CPU {r['median_cpu_ms']:.1f} ms), "
        f"{r['per_minute']:,.0f}/min"
    )
    if args.database_url:
        r = end_to_end(args.end_to_end, args.database_url, args.broker_url)
        out(
            f"- end to end, PostgreSQL + Redis, worker --concurrency=2: {r['count']} passes "
            f"recorded → {r['done']} PDFs stored in {r['total_s']:.1f} s "
            f"({r['per_minute']:,.0f}/min; issuing took {r['issued_s']:.1f} s of it), "
            f"{r['size_kb']:.1f} KB each"
        )
    if not args.no_record:
        lines.append("")
        record(lines)


if __name__ == "__main__":
    main()
