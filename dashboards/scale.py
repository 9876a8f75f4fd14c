"""A realistic country for the national-scale bench: `manage.py seed_scale`.

Defaults: the real territorial structure (16 voivodeships, 380 powiats, 2,479 gminas,
about 37.5 M residents; imported TERYT units are used where present, the rest is
synthesised with TERYT-shaped codes), 2,500 clubs, 250,000 members, 1,000,000 enrolments
and 500,000 certificates, with instructors, partners, leaders and coordinators around them.

Rows are generated in Python with a seeded `random.Random` (the same seed gives the same
country) and carry their primary keys, so foreign keys need no read-back. On PostgreSQL
the big tables are written with COPY ... FREEZE from in-memory buffers in the transaction
that truncated them; elsewhere (SQLite, tests) with `bulk_create`. Afterwards sequences
are reset and PostgreSQL gets ANALYZE. Also: a personal-data access log, threats and
exercises, and five bench users (BENCH_USERS) with the demo password.

Dashboards stand on top of every app, so this module may import from all of them.
"""

from __future__ import annotations

import base64
import io
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from certificates.models import Certificate, CertificateNumberSequence
from clubs.map import VOIVODESHIPS
from clubs.models import (
    Assignment,
    Club,
    Municipality,
    Partner,
    PartnerLink,
    Pillar,
    Powiat,
    Voivodeship,
    search_key,
)
from kos_portal.models import User
from kos_portal.roles import Role
from members.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    Member,
    Membership,
    PersonalDataAccess,
    Skill,
)
from training.models import (
    Attendance,
    Course,
    Enrolment,
    InstructorProfile,
    InstructorQualification,
    Meeting,
    Session,
)
from training.selectors_history import add_months  # what issuing uses for expires_on

BENCH_PASSWORD = "kos-demo-2026"  # the demo password (kos_portal.demo.DEMO_PASSWORD)
BENCH_USERS = {
    "national": "bench.krajowy@kos.example",
    "coordinator": "bench.koordynator@kos.example",
    "leader": "bench.lider@kos.example",
    "instructor": "bench.instruktor@kos.example",
    "member": "bench.czlonek@kos.example",
}

FULL = {
    "clubs": 2_500,
    "members": 250_000,
    "enrolments": 1_000_000,
    "certificates": 500_000,
    "instructors": 5_000,
    "partners": 16_000,
    "access_log": 500_000,  # personal-data access log rows (a national list)
}
TOTAL_POPULATION = 37_500_000
POPULATION_UNKNOWN_SHARE = 0.03

# Real shape of the register (2025): powiats and gminas per voivodeship, residents (M).
TERRITORY = {
    "02": (30, 169, 2.87),
    "04": (23, 144, 2.00),
    "06": (24, 213, 2.00),
    "08": (14, 82, 0.98),
    "10": (24, 177, 2.40),
    "12": (22, 182, 3.43),
    "14": (42, 315, 5.51),
    "16": (12, 71, 0.95),
    "18": (25, 161, 2.08),
    "20": (17, 118, 1.15),
    "22": (20, 123, 2.36),
    "24": (36, 167, 4.35),
    "26": (14, 102, 1.18),
    "28": (21, 116, 1.37),
    "30": (35, 226, 3.49),
    "32": (21, 113, 1.63),
}
# Cities with powiat rights per voivodeship (their powiat codes start at 61).
CITIES = {"02": 4, "04": 4, "06": 4, "08": 2, "10": 3, "12": 3, "14": 5, "16": 1, "18": 4,
          "20": 3, "22": 4, "24": 19, "26": 1, "28": 2, "30": 4, "32": 3}  # fmt: skip

STEMS = [
    "Łęk", "Wól", "Żabn", "Grąd", "Brzóz", "Dąbr", "Księż", "Sęk", "Źródl", "Ślęż", "Olsz",
    "Mił", "Krzyż", "Głog", "Chełm", "Częst", "Zawad", "Nowosiół", "Borów", "Piask", "Lip",
    "Jabłon", "Rud", "Kamień", "Gór", "Wierzb", "Brzez", "Sosn", "Modrz", "Jawor",
]  # fmt: skip
ENDINGS = ["owo", "ice", "ów", "no", "ek", "iny", "owice", "ca", "y", "sk", "in", "ówka"]
FIRST_F = ["Anna", "Maria", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa",
           "Zofia", "Łucja", "Żaneta", "Joanna", "Magdalena", "Aleksandra", "Natalia"]  # fmt: skip
FIRST_M = ["Piotr", "Krzysztof", "Andrzej", "Tomasz", "Paweł", "Jan", "Michał", "Marcin",
           "Józef", "Łukasz", "Grzegorz", "Mateusz", "Ścibor", "Jakub"]  # fmt: skip
LAST = ["Nowak", "Kowalsk", "Wiśniewsk", "Wójcik", "Kowalczyk", "Kamińsk", "Lewandowsk",
        "Zielińsk", "Szymańsk", "Woźniak", "Dąbrowsk", "Kozłowsk", "Jankowsk", "Mazur",
        "Kwiatkowsk", "Krawczyk", "Piotrowsk", "Grabowsk", "Nowakowsk", "Pawłowsk",
        "Michalsk", "Król", "Wieczorek", "Jabłońsk", "Wróbel", "Gęślą-Jaźń", "Łęck",
        "Żółkiewsk", "Ścibiorek", "Źrebiec"]  # fmt: skip

# The demo catalogue (training.demo) plus a few more per pillar: all five pillars and ZPOS.
EXTRA_COURSES = [
    ("PP-PODST", "Pierwsza pomoc przedmedyczna", "Pre-medical first aid", "first-aid", 8, None,
     36, None),
    ("STRZ-ZAAW", "Strzelectwo – kurs doskonalący", "Shooting – advanced course", "shooting",
     16, 80, 24, 18),
    ("BSP-NOC", "Loty BSP w nocy i w terenie", "UAV flights at night and in the field",
     "drones", 12, 75, 60, 16),
    ("CYBER-FIRMA", "Cyberbezpieczeństwo w małej organizacji",
     "Cybersecurity in a small organisation", "cyber", 6, None, None, None),
    ("KOM-KRYZ", "Komunikacja w sytuacji kryzysowej", "Communication in a crisis",
     "communication", 6, None, None, None),
    ("ZPOS-II", "ZPOS Moduł II – Gospodarstwo domowe w kryzysie",
     "ZPOS Module II – The household in a crisis", None, 8, None, None, None),
]  # fmt: skip


@dataclass
class ScaleOptions:
    clubs: int = FULL["clubs"]
    members: int = FULL["members"]
    enrolments: int = FULL["enrolments"]
    certificates: int = FULL["certificates"]
    instructors: int = FULL["instructors"]
    partners: int = FULL["partners"]
    access_log: int = FULL["access_log"]
    seed: int = 2026
    today: date | None = None

    @classmethod
    def scaled(cls, scale: float, **overrides) -> ScaleOptions:
        counts = {key: max(1, round(value * scale)) for key, value in FULL.items()}
        given = {key: value for key, value in overrides.items() if value is not None}
        if "members" in given and "access_log" not in given:
            given["access_log"] = 2 * given["members"]  # the log follows the people
        counts.update(given)
        return cls(**counts)


@dataclass
class ScaleResult:
    counts: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    bench_users: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


class NotEmpty(Exception):
    """The database already holds clubs, members or users."""


def database_is_empty() -> bool:
    return not (
        Club.objects.exists()
        or Member.objects.exists()
        or User.objects.exists()
        or Session.objects.exists()
    )


# Reference data that survives a wipe: migration-made rows and the imported register.
KEEP_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "django_site",
    Pillar._meta.db_table,
    Skill._meta.db_table,
    Voivodeship._meta.db_table,
    Powiat._meta.db_table,
    Municipality._meta.db_table,
}


def database_wipe() -> None:
    """Empty every table but the reference data (pillars, skills, the TERYT register)."""
    tables = [
        name
        for name in connection.introspection.django_table_names(only_existing=True)
        if name not in KEEP_TABLES
    ]
    statements = connection.ops.sql_flush(
        no_style(), tables, reset_sequences=True, allow_cascade=True
    )
    connection.ops.execute_sql_flush(statements)


# --- Writing rows ----------------------------------------------------------------------


class TableWriter:
    """Writes tuples for `columns` of `model`; other columns get their (constant) default.

    PostgreSQL: COPY from an in-memory buffer, in chunks. Elsewhere: bulk_create.
    """

    CHUNK = 100_000

    def __init__(self, model: type[models.Model], columns: list[str]):
        self.model = model
        self.columns = columns
        self.defaults: dict[str, object] = {}
        now = timezone.now()
        for f in model._meta.local_concrete_fields:
            if f.attname in columns or f.primary_key:
                continue  # a primary key left out is the database's to assign
            if f.unique and not f.null:
                raise ValueError(f"{model.__name__}.{f.name} is unique: give it a value")
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now
            elif isinstance(f, models.FileField):
                value = ""
            else:
                value = f.get_default()
            self.defaults[f.attname] = value
        self.postgres = connection.vendor == "postgresql"
        self.count = 0
        self._buffer: list = []

    @staticmethod
    def _text(value) -> str:
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        if isinstance(value, str):
            if "\\" in value or "\t" in value or "\n" in value:
                return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            return value
        return str(value)

    def add(self, row: tuple) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.CHUNK:
            self.flush()

    def extend(self, rows) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        rows, self._buffer = self._buffer, []
        if not rows:
            return
        self.count += len(rows)
        if self.postgres:
            self._copy(rows)
        else:
            model = self.model
            self.model.objects.bulk_create(
                [
                    model(**self.defaults, **dict(zip(self.columns, row, strict=True)))
                    for row in rows
                ],
                batch_size=500,
            )

    def _copy(self, rows: list[tuple]) -> None:
        text = self._text
        suffix = "".join("\t" + text(value) for value in self.defaults.values())
        buffer = io.StringIO()
        write = buffer.write
        for row in rows:
            write("\t".join([text(value) for value in row]))
            write(suffix)
            write("\n")
        buffer.seek(0)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(name) for name in [*self.columns, *self.defaults])
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(
                f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN WITH (FREEZE)",
                buffer,
            )


def _next_id(model: type[models.Model]) -> int:
    top = model.objects.aggregate(top=models.Max("pk"))["top"]
    return (top or 0) + 1


def _spread(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder)."""
    if not weights:
        return []
    whole = sum(weights) or 1.0
    raw = [total * w / whole for w in weights]
    parts = [int(x) for x in raw]
    short = total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[:short]:
        parts[i] += 1
    return parts


def _at(day: date, hour: int = 17, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- The generator ---------------------------------------------------------------------


class ScaleSeeder:
    def __init__(self, options: ScaleOptions, *, wipe: bool = False, log=print):
        self.o = options
        self.wipe = wipe
        self.rng = random.Random(options.seed)
        # The register has its own random stream: whether it is synthesised in this run or
        # kept from an earlier one, everything after it comes out the same.
        self.rng_territory = random.Random(f"territory-{options.seed}")
        self.today = options.today or timezone.localdate()
        self.now = _at(self.today, 12)
        self.log = log
        self.result = ScaleResult()
        self.password = make_password(BENCH_PASSWORD, salt="kosbenchscale")

    # Timing helper
    def _step(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.result.timings.append((name, now - started))
        self.log(f"  {name}: {now - started:.1f} s")
        return now

    def run(self) -> ScaleResult:
        started = t = time.perf_counter()
        with transaction.atomic():
            skipped_fk_checks = self._skip_deferred_fk_checks()
            if self.wipe or connection.vendor == "postgresql":
                # On PostgreSQL always, even when empty: tables truncated in this
                # transaction take COPY ... FREEZE, so the rows are written frozen and
                # ANALYZE (and the first reads) need not set hint bits on 10^6 rows.
                database_wipe()
                t = self._step("wipe", t)
            self.territory()
            t = self._step("territory", t)
            self.courses()
            self.clubs_and_staff()
            t = self._step("clubs, users, instructors", t)
            self.partners()
            t = self._step("partners", t)
            self.members()
            t = self._step("members", t)
            self.access_log()
            t = self._step("access log", t)
            self.training()
            t = self._step("sessions, enrolments, attendance", t)
            self.certificates()
            t = self._step("certificates", t)
            self.resilience()
            t = self._step("threats, exercises", t)
            self.reset_sequences()
            self.bench_users()
            t = self._step("bench users, sequences", t)
            if skipped_fk_checks:
                self._check_foreign_keys()
                t = self._step("foreign keys checked", t)
        t = self._step("commit", t)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            t = self._step("analyze", t)
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _skip_deferred_fk_checks(self) -> bool:
        """Django's PostgreSQL foreign keys are checked at commit: about a minute for the
        ~4 M rows here. The generator gives every row a key it has just written (the
        tests check integrity on SQLite), so a superuser skips those checks for this
        transaction (`SET LOCAL`: back to normal at commit) - only while the database has
        no trigger of its own, which replica mode would skip too."""
        if connection.vendor != "postgresql":
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
                "(SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)"
            )
            superuser, own_triggers = cursor.fetchone()
            if superuser and not own_triggers:
                cursor.execute("SET LOCAL session_replication_role = replica")
                return True
        return False

    def _check_foreign_keys(self) -> None:
        """Instead of the skipped per-row checks: one anti-join per foreign key (about
        2 s for all of them at full scale). A broken key rolls the whole seed back."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, "
                "af.attname FROM pg_constraint c "
                "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
                "JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1] "
                "WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1"
            )
            broken = []
            for table, column, ref, ref_column in cursor.fetchall():
                cursor.execute(
                    f'SELECT count(*) FROM {table} t WHERE t."{column}" IS NOT NULL AND NOT '
                    f'EXISTS (SELECT 1 FROM {ref} r WHERE r."{ref_column}" = t."{column}")'
                )
                if cursor.fetchone()[0]:
                    broken.append(f"{table}.{column} -> {ref}")
        if broken:
            raise RuntimeError(f"seed_scale wrote broken foreign keys: {', '.join(broken)}")

    def _name(self, rng: random.Random | None = None) -> str:
        rng = rng or self.rng
        return rng.choice(STEMS) + rng.choice(ENDINGS)

    # Territory -------------------------------------------------------------------------

    def territory(self) -> None:
        rng = self.rng_territory
        existing = {v.code: v for v in Voivodeship.objects.all()}
        Voivodeship.objects.bulk_create(
            [Voivodeship(code=c, name=n) for c, n in VOIVODESHIPS.items() if c not in existing]
        )
        voivodeships = {v.code: v for v in Voivodeship.objects.all()}
        powiats_by_v: dict[str, list[Powiat]] = defaultdict(list)
        for powiat in Powiat.objects.filter(is_current=True).order_by("code"):
            powiats_by_v[powiat.code[:2]].append(powiat)
        new_powiats = []
        for code, (n_powiats, _n_gminas, _pop) in TERRITORY.items():
            have = powiats_by_v[code]
            used = {p.code for p in Powiat.objects.filter(code__startswith=code)}
            cities = CITIES[code]
            land = n_powiats - cities
            wanted = [f"{code}{i:02d}" for i in range(1, land + 1)]
            wanted += [f"{code}{61 + i:02d}" for i in range(cities)]
            for pcode in wanted:
                if len(have) + sum(1 for p in new_powiats if p.code[:2] == code) >= n_powiats:
                    break
                if pcode in used:
                    continue
                is_city = int(pcode[2:]) >= 61
                name = self._name(rng)
                new_powiats.append(
                    Powiat(
                        code=pcode,
                        voivodeship=voivodeships[code],
                        name=name if is_city else f"{name.lower()}ski",
                        is_city=is_city,
                    )
                )
        Powiat.objects.bulk_create(new_powiats)
        powiats_by_v = defaultdict(list)
        for powiat in Powiat.objects.filter(is_current=True).order_by("code"):
            powiats_by_v[powiat.code[:2]].append(powiat)

        gminas_by_p: dict[int, list[Municipality]] = defaultdict(list)
        for gmina in Municipality.objects.filter(is_current=True):
            gminas_by_p[gmina.powiat_id].append(gmina)
        used_codes = set(Municipality.objects.values_list("code", flat=True))
        new_gminas = []
        for code, (_n_powiats, n_gminas, _pop) in TERRITORY.items():
            powiats = powiats_by_v[code]
            have = sum(len(gminas_by_p[p.pk]) for p in powiats)
            missing = n_gminas - have
            # A city with powiat rights is one urban gmina; land powiats share the rest.
            for p in powiats:
                if p.is_city and not gminas_by_p[p.pk] and missing > 0:
                    gcode = f"{p.code}011"
                    if gcode not in used_codes:
                        g = Municipality(code=gcode, powiat=p, name=p.name, kind="1")
                        new_gminas.append(g)
                        gminas_by_p[p.pk].append(g)
                        used_codes.add(gcode)
                        missing -= 1
            land = [p for p in powiats if not p.is_city] or powiats
            i = 0
            while missing > 0:
                p = (
                    min(land, key=lambda p: (len(gminas_by_p[p.pk]), p.code))
                    if i < len(land)
                    else land[rng.randrange(len(land))]
                )
                i += 1
                kind = rng.choice("1222333")
                number = len(gminas_by_p[p.pk]) + 1
                gcode = f"{p.code}{number:02d}{kind}"
                while gcode in used_codes:
                    number += 1
                    gcode = f"{p.code}{number:02d}{kind}"
                g = Municipality(code=gcode, powiat=p, name=self._name(rng), kind=kind)
                new_gminas.append(g)
                gminas_by_p[p.pk].append(g)
                used_codes.add(gcode)
                missing -= 1
        # Populations: voivodeship totals shared by weight; urban gminas are bigger. Set
        # once: a register that already has them (a re-run, an import) keeps them, so
        # the same seed gives the same country again.
        populated = Municipality.objects.filter(population__isnull=False).exists()
        existing = list(Municipality.objects.filter(is_current=True).select_related("powiat"))
        gminas = existing + new_gminas
        scale_total = TOTAL_POPULATION / (1_000_000 * sum(p for _a, _b, p in TERRITORY.values()))
        by_v: dict[str, list[Municipality]] = defaultdict(list)
        for g in gminas:
            by_v[g.code[:2]].append(g)
        changed = []
        for vcode, items in by_v.items():
            total = TERRITORY.get(vcode, (0, 0, 1.0))[2] * 1_000_000 * scale_total
            weights = []
            for g in items:
                w = rng.lognormvariate(0, 0.7)
                if g.kind == "1":
                    w *= 8 if g.powiat.is_city else 2.5
                elif g.kind == "3":
                    w *= 1.6
                weights.append(w)
            shares = _spread(int(total), weights)
            for g, people in zip(items, shares, strict=True):
                if g.population is None and (g.pk is None or not populated):
                    unknown = rng.random() < POPULATION_UNKNOWN_SHARE
                    g.population = None if unknown else max(1_200, people)
                    if g.pk is not None:
                        changed.append(g)
        Municipality.objects.bulk_create(new_gminas, batch_size=500)
        if changed:
            Municipality.objects.bulk_update(changed, ["population"], batch_size=500)
        gminas = list(Municipality.objects.filter(is_current=True).select_related("powiat"))
        self.gminas = sorted(gminas, key=lambda g: g.code)
        self.result.counts["gminas"] = len(self.gminas)
        self.result.counts["powiats"] = sum(len(v) for v in powiats_by_v.values())

    # Courses ---------------------------------------------------------------------------

    def courses(self) -> None:
        from training.demo import DEMO_COURSES, _pillars

        pillars = _pillars()
        self.pillars = pillars
        specs = list(DEMO_COURSES)
        for code, title, title_en, pillar, hours, mark, validity, age in EXTRA_COURSES:
            specs.append(
                {
                    "code": code,
                    "title": title,
                    "title_en": title_en,
                    "pillar": pillar,
                    "hours": Decimal(hours),
                    "passing_rule": (
                        Course.PassingRule.ASSESSMENT if mark else Course.PassingRule.ATTENDANCE
                    ),
                    "pass_mark": mark,
                    "validity_months": validity,
                    "minimum_age": age,
                }
            )
        courses = []
        for spec in specs:
            defaults = {key: value for key, value in spec.items() if key != "code"}
            defaults["pillar"] = pillars.get(spec["pillar"]) if spec["pillar"] else None
            course, _created = Course.objects.get_or_create(code=spec["code"], defaults=defaults)
            courses.append(course)
        self.courses_list = courses
        # How often each course runs: ZPOS and first aid the most, shooting the least.
        weight = {"first-aid": 5, "shooting": 2, "drones": 2, "cyber": 3, "communication": 3}
        self.course_weights = [
            weight.get(c.pillar.code, 3) if c.pillar_id else 6 for c in self.courses_list
        ]

    # Clubs, users, instructors ---------------------------------------------------------

    def _user_rows(self, writer: TableWriter, uid: int, email: str, first: str, last: str):
        writer.add((uid, self.password, email, first, last, True, False, False, self.now, "pl"))

    def _person(self) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < 0.5:
            return rng.choice(FIRST_F), self._last(female=True)
        return rng.choice(FIRST_M), self._last(female=False)

    def _last(self, *, female: bool) -> str:
        stem = self.rng.choice(LAST)
        if stem.endswith("sk") or stem.endswith("ck"):
            return stem + ("a" if female else "i")
        return stem

    def clubs_and_staff(self) -> None:
        rng, o = self.rng, self.o
        gminas = self.gminas
        # Clubs go where people are: weight by population^0.8 (unknown: a small gmina).
        weights = [((g.population or 5_000) ** 0.8) for g in gminas]
        club_gminas = rng.choices(range(len(gminas)), weights=weights, k=o.clubs)
        # The biggest city has several clubs at any scale, so the bench coordinator's gmina
        # has several at 1/100 too (at full scale it has more than ten anyway).
        biggest = max(range(len(gminas)), key=lambda i: (gminas[i].population or 0, -i))
        for n in range(min(4, o.clubs // 3)):
            club_gminas[n] = biggest
        club_id = _next_id(Club)
        statuses = [Club.Status.ACTIVE] * 80 + [Club.Status.PROPOSED] * 8
        statuses += [Club.Status.SUSPENDED] * 7 + [Club.Status.CLOSED] * 5
        self.clubs: list[tuple[int, int, str, date]] = []  # (id, gmina index, status, founded)
        clubs = TableWriter(
            Club,
            ["id", "name", "municipality_id", "locality", "address", "status", "founded_on",
             "contact_email", "status_changed_at", "search_text", "created_at"],
        )  # fmt: skip
        pillar_links = TableWriter(Club.pillars.through, ["club_id", "pillar_id"])
        pillar_ids = [p.pk for p in self.pillars.values()]
        start = self.today - timedelta(days=3 * 365 + 60)
        for n, gi in enumerate(club_gminas):
            cid = club_id + n
            g = gminas[gi]
            status = rng.choice(statuses)
            founded = (
                None
                if status == Club.Status.PROPOSED
                else start + timedelta(days=rng.randrange(0, 3 * 365))
            )
            locality = self._name()
            name = f"KOS {locality}"
            clubs.add(
                (cid, name, g.pk, locality, f"ul. Strażacka {rng.randint(1, 60)}", status,
                 founded, f"kos{cid}@kos.example", self.now, search_key(name, locality),
                 self.now)
            )  # fmt: skip
            for pid in rng.sample(pillar_ids, rng.randint(2, len(pillar_ids))):
                pillar_links.add((cid, pid))
            self.clubs.append((cid, gi, status, founded))
        clubs.flush()
        pillar_links.flush()
        self.result.counts["clubs"] = clubs.count

        # Users: leaders (one per club, some ended), coordinators (one per gmina with a
        # club), instructors. One password hash for all (the demo password).
        users = TableWriter(
            User,
            ["id", "password", "email", "first_name", "last_name", "is_active", "is_staff",
             "is_superuser", "date_joined", "language"],
        )  # fmt: skip
        assignments = TableWriter(
            Assignment,
            ["id", "user_id", "role", "municipality_id", "club_id", "created_at", "ended_at"],
        )
        uid = _next_id(User)
        aid = _next_id(Assignment)
        self.leader_of: dict[int, int] = {}
        for cid, _gi, status, _founded in self.clubs:
            first, last = self._person()
            self._user_rows(users, uid, f"lider{cid}@kos.example", first, last)
            ended = None
            if status == Club.Status.CLOSED or rng.random() < 0.03:
                ended = self.now - timedelta(days=rng.randint(1, 300))
            assignments.add((aid, uid, Role.LEADER, None, cid, self.now, ended))
            self.leader_of[cid] = uid
            uid += 1
            aid += 1
        self.coordinator_of: dict[int, int] = {}
        for gi in sorted(set(club_gminas)):
            g = gminas[gi]
            first, last = self._person()
            self._user_rows(users, uid, f"koordynator{g.code}@kos.example", first, last)
            assignments.add((aid, uid, Role.COORDINATOR, g.pk, None, self.now, None))
            self.coordinator_of[g.pk] = uid
            uid += 1
            aid += 1

        # Instructors: everyone is assigned to one or two clubs; every running club has one.
        running = [c for c in self.clubs if c[2] in (Club.Status.ACTIVE, Club.Status.SUSPENDED)]
        running = running or self.clubs
        profiles = TableWriter(
            InstructorProfile,
            ["id", "user_id", "phone", "offender_register_checked_on",
             "child_protection_statement_on", "safeguarding_verified_by_id",
             "safeguarding_verified_at", "ical_token", "created_at"],
        )  # fmt: skip
        quals = TableWriter(
            InstructorQualification,
            ["id", "instructor_id", "pillar_id", "course_id", "issuer", "number",
             "valid_until", "verified_by_id", "verified_at", "created_at"],
        )  # fmt: skip
        pid = _next_id(InstructorProfile)
        qid = _next_id(InstructorQualification)
        self.instructors_of: dict[int, list[int]] = defaultdict(list)  # club -> profile ids
        issuers = [
            "Polska Rada Resuscytacji",
            "ICCSS",
            "NASK – PIB",
            "Urząd Lotnictwa Cywilnego",
            "Polski Związek Strzelectwa Sportowego",
            "Rządowe Centrum Bezpieczeństwa",
        ]
        pillar_list = list(self.pillars.values())
        for n in range(o.instructors):
            first, last = self._person()
            self._user_rows(users, uid, f"instruktor{n + 1}@kos.example", first, last)
            home = running[n % len(running)] if n < len(running) else rng.choice(running)
            clubs_here = [home[0]]
            if rng.random() < 0.4:
                other = rng.choice(running)
                if other[0] != home[0]:
                    clubs_here.append(other[0])
            for cid in clubs_here:
                assignments.add((aid, uid, Role.INSTRUCTOR, None, cid, self.now, None))
                aid += 1
                self.instructors_of[cid].append(pid)
            verified = rng.random() < 0.85
            checked = self.today - timedelta(days=rng.randint(30, 900))
            verifier = self.coordinator_of.get(gminas[home[1]].pk)
            profiles.add(
                (pid, uid, f"+48 600 {rng.randint(100, 999)} {rng.randint(100, 999)}",
                 checked if verified else None, checked if verified else None,
                 verifier if verified else None, _at(checked) if verified else None,
                 self._token(18), self.now)
            )  # fmt: skip
            for _ in range(rng.randint(1, 3)):
                if rng.random() < 0.6:
                    pillar, course = rng.choice(pillar_list).pk, None
                else:
                    pillar, course = None, rng.choice(self.courses_list).pk
                r = rng.random()
                if r < 0.3:
                    valid_until = None
                elif r < 0.4:  # expiring within 90 days
                    valid_until = self.today + timedelta(days=rng.randint(0, 90))
                elif r < 0.5:
                    valid_until = self.today - timedelta(days=rng.randint(1, 400))
                else:
                    valid_until = self.today + timedelta(days=rng.randint(91, 1500))
                ok = rng.random() < 0.9
                quals.add(
                    (qid, pid, pillar, course, rng.choice(issuers), f"Q/{qid:07d}", valid_until,
                     verifier if ok else None, self.now if ok else None, self.now)
                )  # fmt: skip
                qid += 1
            uid += 1
            pid += 1
        users.flush()
        assignments.flush()
        profiles.flush()
        quals.flush()
        self.next_uid = uid
        self.next_aid = aid
        self.result.counts["users"] = users.count
        self.result.counts["instructors"] = profiles.count
        self.result.counts["qualifications"] = quals.count

    def _token(self, nbytes: int) -> str:
        raw = self.rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big")
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    # Partners --------------------------------------------------------------------------

    def partners(self) -> None:
        rng, o = self.rng, self.o
        gminas = self.gminas
        kinds = [Partner.Kind.OSP] * 60 + [Partner.Kind.SCHOOL] * 15 + [Partner.Kind.NGO] * 8
        kinds += [Partner.Kind.BUSINESS] * 6 + [Partner.Kind.POLICE] * 4
        kinds += [Partner.Kind.GOVERNMENT] * 5 + [Partner.Kind.OTHER] * 2
        label = {
            Partner.Kind.OSP: "OSP",
            Partner.Kind.SCHOOL: "Szkoła Podstawowa w",
            Partner.Kind.NGO: "Stowarzyszenie Przyjaciół",
            Partner.Kind.BUSINESS: "Zakład Usługowy",
            Partner.Kind.POLICE: "Posterunek Policji w",
            Partner.Kind.GOVERNMENT: "Urząd Gminy",
            Partner.Kind.OTHER: "Koło Gospodyń Wiejskich",
        }
        # Partners where the clubs are, and some everywhere (OSP units exist in every gmina).
        club_gminas = [c[1] for c in self.clubs]
        with_clubs = o.partners * 2 // 3
        placement = [rng.choice(club_gminas) for _ in range(with_clubs)]
        placement += [rng.randrange(len(gminas)) for _ in range(o.partners - with_clubs)]
        writer = TableWriter(
            Partner,
            ["id", "name", "kind", "municipality_id", "address", "is_ksrg", "offers_venue",
             "offers_equipment", "offers_instructors", "offers_funding", "name_key",
             "search_text"],
        )  # fmt: skip
        pid = _next_id(Partner)
        by_gmina: dict[int, list[int]] = defaultdict(list)
        self.venue_partners: dict[int, list[int]] = by_gmina
        for n, gi in enumerate(placement):
            kind = rng.choice(kinds)
            name = f"{label[kind]} {self._name()} {n + 1}"
            address = f"ul. {self._name()} {rng.randint(1, 99)}"
            writer.add(
                (pid, name, kind, gminas[gi].pk, address,
                 kind == Partner.Kind.OSP and rng.random() < 0.3, rng.random() < 0.5,
                 rng.random() < 0.3, rng.random() < 0.2, rng.random() < 0.1,
                 search_key(name), search_key(name, address))
            )  # fmt: skip
            by_gmina[gi].append(pid)
            pid += 1
        writer.flush()
        links = TableWriter(
            PartnerLink,
            ["id", "club_id", "partner_id", "role", "agreement_type", "agreement_signed_on",
             "agreement_expires_on"],
        )  # fmt: skip
        lid = _next_id(PartnerLink)
        types = [t.value for t in PartnerLink.AgreementType]
        for cid, gi, _status, _founded in self.clubs:
            here = by_gmina.get(gi, [])
            for partner in rng.sample(here, min(len(here), rng.randint(1, 5))):
                signed = expires = None
                agreement = ""
                if rng.random() < 0.6:
                    agreement = rng.choice(types)
                    signed = self.today - timedelta(days=rng.randint(30, 1000))
                    r = rng.random()
                    if r < 0.15:  # expiring within 90 days
                        expires = self.today + timedelta(days=rng.randint(0, 90))
                    elif r < 0.25:
                        expires = max(signed, self.today - timedelta(days=rng.randint(1, 200)))
                    elif r < 0.8:
                        expires = self.today + timedelta(days=rng.randint(91, 1000))
                links.add((lid, cid, partner, rng.choice(["sala", "sprzęt", "instruktorzy",
                           "wsparcie", ""]), agreement, signed, expires))  # fmt: skip
                lid += 1
        links.flush()
        self.result.counts["partners"] = writer.count
        self.result.counts["partner_links"] = links.count

    # Members ---------------------------------------------------------------------------

    def members(self) -> None:
        rng, o = self.rng, self.o
        gminas = self.gminas
        # Club sizes: log-normal, so a few clubs are big (the bench leader's is the biggest).
        weights = [rng.lognormvariate(0, 0.8) for _ in self.clubs]
        for i, (_cid, _gi, status, _f) in enumerate(self.clubs):
            if status == Club.Status.PROPOSED:
                weights[i] *= 0.1
        biggest = max(range(len(self.clubs)), key=lambda i: weights[i])
        weights[biggest] *= 3
        self.big_club = self.clubs[biggest][0]
        memberships_total = o.members + o.members // 20  # ~5% of people in two clubs
        sizes = _spread(memberships_total, weights)
        slots: list[int] = []  # club index per membership slot
        for i, size in enumerate(sizes):
            slots.extend([i] * size)
        rng.shuffle(slots)
        # The first o.members slots make one person each; the rest become second clubs.
        second = slots[o.members :]
        members = TableWriter(
            Member,
            ["id", "first_name", "last_name", "birth_date", "birth_year", "email", "phone",
             "municipality_id", "search_text", "created_at"],
        )  # fmt: skip
        memberships = TableWriter(
            Membership,
            ["id", "member_id", "club_id", "status", "status_changed_at", "applied_on",
             "joined_on", "left_on"],
        )  # fmt: skip
        guardians = TableWriter(
            GuardianConsent,
            ["id", "member_id", "guardian_name", "guardian_contact", "consent_date",
             "text_version", "method", "recorded_at"],
        )  # fmt: skip
        consents = TableWriter(
            Consent,
            ["id", "member_id", "purpose", "given", "text_version", "recorded_at", "method",
             "given_by", "guardian_name"],
        )  # fmt: skip
        mid = _next_id(Member)
        msid = _next_id(Membership)
        gid = _next_id(GuardianConsent)
        coid = _next_id(Consent)
        # Per club: member ids and ages (for minimum-age courses), active only.
        self.club_members: dict[int, list[int]] = defaultdict(list)
        self.club_adults: dict[int, list[int]] = defaultdict(list)
        self.member_name: dict[int, str] = {}
        today = self.today
        birth_years: dict[int, int] = {}

        def membership(member_id: int, club_index: int) -> None:
            nonlocal msid
            cid, _gi, cstatus, founded = self.clubs[club_index]
            r = rng.random()
            status = Membership.Status.ACTIVE
            if cstatus == Club.Status.PROPOSED:
                status = Membership.Status.APPLICANT if r < 0.5 else Membership.Status.ACTIVE
            elif r < 0.02:
                status = Membership.Status.LEFT
            elif r < 0.03:
                status = Membership.Status.SUSPENDED
            elif r < 0.035:
                status = Membership.Status.APPLICANT
            since = founded or today - timedelta(days=60)
            span = max(1, (today - since).days)
            joined = since + timedelta(days=rng.randrange(span))
            left = None
            if status == Membership.Status.LEFT:
                left = min(today, joined + timedelta(days=rng.randint(30, 400)))
            if status == Membership.Status.APPLICANT:
                joined = None
            applied = (joined or today) - timedelta(days=rng.randint(0, 20))
            memberships.add(
                (msid, member_id, cid, status, _at(left or joined or applied), applied, joined,
                 left)
            )  # fmt: skip
            msid += 1
            if status != Membership.Status.APPLICANT:
                self.club_members[cid].append(member_id)
                if today.year - birth_years[member_id] >= 19:
                    self.club_adults[cid].append(member_id)

        for n in range(o.members):
            member_id = mid + n
            ci = slots[n]
            gi = self.clubs[ci][1] if rng.random() < 0.85 else rng.randrange(len(gminas))
            r = rng.random()
            if r < 0.08:
                age = rng.randint(13, 17)
            elif r < 0.23:
                age = rng.randint(18, 25)
            else:
                age = rng.randint(26, 75)
            birth = _years_before(today, age) - timedelta(days=rng.randrange(1, 365))
            birth_years[member_id] = birth.year
            female = rng.random() < 0.5
            first = rng.choice(FIRST_F if female else FIRST_M)
            last = self._last(female=female)
            email = "" if age < 16 else f"osoba{member_id}@kos.example"
            members.add(
                (member_id, first, last, birth, birth.year, email,
                 f"+48{rng.randint(500000000, 899999999)}", gminas[gi].pk,
                 search_key(first, last, email), self.now)
            )  # fmt: skip
            self.member_name[member_id] = f"{first} {last}"
            guardian = f"{rng.choice(FIRST_F + FIRST_M)} {last}" if age < 18 else ""
            # Under 16 the guardian signs the consent (#13); from 16 the person does.
            consents.add(
                (coid, member_id, ConsentPurpose.MEMBERSHIP_DATA, True, "2025-1", self.now,
                 ConsentMethod.PAPER, "guardian" if age < 16 else "staff_paper",
                 guardian if age < 16 else "")
            )  # fmt: skip
            coid += 1
            if age < 18:
                guardians.add(
                    (gid, member_id, guardian,
                     f"+48{rng.randint(500000000, 899999999)}", today - timedelta(
                         days=rng.randint(1, 700)), "2025-1", ConsentMethod.PAPER, self.now)
                )  # fmt: skip
                gid += 1
            membership(member_id, ci)
        # Second clubs: a random person not yet in that club.
        taken: set[tuple[int, int]] = set()
        for ci in second:
            for _attempt in range(5):
                member_id = mid + rng.randrange(o.members)
                if slots[member_id - mid] != ci and (member_id, ci) not in taken:
                    taken.add((member_id, ci))
                    membership(member_id, ci)
                    break
        for writer in (members, memberships, guardians, consents):
            writer.flush()
        self.result.counts["members"] = members.count
        self.result.counts["memberships"] = memberships.count
        self.result.counts["guardian_consents"] = guardians.count

    # Personal-data access log ------------------------------------------------------------

    def access_log(self) -> None:
        rng, o = self.rng, self.o
        writer = TableWriter(
            PersonalDataAccess,
            ["id", "user_id", "user_email", "action", "member_id", "club_id", "member_count",
             "detail", "at"],
        )  # fmt: skip
        xid = _next_id(PersonalDataAccess)
        staff = [(cid, uid) for cid, uid in self.leader_of.items()]
        actions = ["view"] * 6 + ["list"] * 3 + ["export", "change"]
        start = self.now - timedelta(days=730)
        members_of = self.club_members
        for n in range(o.access_log):
            cid, uid = staff[rng.randrange(len(staff))]
            action = rng.choice(actions)
            people = members_of.get(cid)
            member = (
                people[rng.randrange(len(people))]
                if people and action in ("view", "change")
                else None
            )
            count = 1 if member else rng.randint(1, 200)
            writer.add(
                (xid + n, uid, f"lider{cid}@kos.example", action, member, cid, count,
                 f"/members/club/{cid}/", start + timedelta(seconds=rng.randrange(730 * 86400)))
            )  # fmt: skip
        writer.flush()
        self.result.counts["access_log"] = writer.count

    # Training --------------------------------------------------------------------------

    def training(self) -> None:
        rng, o = self.rng, self.o
        today = self.today
        year_ago = today - timedelta(days=365)
        # Enrolments go to clubs by their active members (proposed clubs hold no sessions).
        eligible = [
            i
            for i, (cid, _gi, status, _f) in enumerate(self.clubs)
            if status != Club.Status.PROPOSED and self.club_members[cid]
        ]
        if not eligible:
            eligible = [i for i, c in enumerate(self.clubs) if self.club_members[c[0]]]
        per_club = _spread(
            o.enrolments, [len(self.club_members[self.clubs[i][0]]) for i in eligible]
        )
        sessions = TableWriter(
            Session,
            ["id", "club_id", "course_id", "venue_partner_id", "venue", "capacity", "visibility",
             "status", "starts_at", "ends_at", "created_at", "completed_at", "cancelled_at",
             "cancellation_reason"],
        )  # fmt: skip
        session_instructors = TableWriter(
            Session.instructors.through, ["session_id", "instructorprofile_id"]
        )
        meetings = TableWriter(Meeting, ["id", "session_id", "club_id", "starts_at", "ends_at"])
        enrolments = TableWriter(
            Enrolment,
            ["id", "session_id", "club_id", "member_id", "status", "waitlist_position",
             "enrolled_at", "cancelled_at", "result", "score", "completed_on"],
        )  # fmt: skip
        attendance = TableWriter(
            Attendance,
            ["id", "meeting_id", "enrolment_id", "club_id", "present", "recorded_at"],
        )
        sid, mtid = _next_id(Session), _next_id(Meeting)
        eid, atid = _next_id(Enrolment), _next_id(Attendance)
        courses = self.courses_list
        all_profiles = [p for ps in self.instructors_of.values() for p in ps]
        # Candidates for a certificate: completed session, enrolled. Chosen exactly below.
        self.cert_candidates: list[tuple] = []
        span_past = 3 * 365
        # A session short of people (an adults-only course in a young club) passes its
        # places on, so the total is exact; the last remainder goes to the biggest club.
        plans = list(zip(eligible, per_club, strict=True))
        biggest = max(eligible, key=lambda i: len(self.club_members[self.clubs[i][0]]))
        carry = extra_rounds = 0
        while plans:
            idx, total = plans.pop(0)
            if not plans and carry > 0 and extra_rounds < 50:
                plans.append((biggest, carry))
                extra_rounds += 1
                total, carry = total, 0
            if total <= 0:
                continue
            cid, gi, _status, _founded = self.clubs[idx]
            people = self.club_members[cid]
            adults = self.club_adults[cid] or people
            n_sessions = max(1, math.ceil(total / min(12, len(people))))
            sizes = _spread(total, [1.0] * n_sessions)
            cap = min(16, len(people))
            for _ in range(n_sessions // 2):  # some sessions fuller than others
                a, b = rng.randrange(n_sessions), rng.randrange(n_sessions)
                d = rng.randint(0, 3)
                if a != b and sizes[a] - d >= 1 and sizes[b] + d <= cap:
                    sizes[a] -= d
                    sizes[b] += d
            venues = self.venue_partners.get(gi, [])
            teachers = self.instructors_of.get(cid) or all_profiles
            for k in sizes:
                course = rng.choices(courses, weights=self.course_weights)[0]
                pool = adults if course.minimum_age else people
                want = k + carry
                k = min(want, len(pool))
                carry = want - k
                if k <= 0:
                    continue
                r = rng.random()
                if r < 0.06:
                    status = Session.Status.PLANNED
                    first_day = today + timedelta(days=rng.randint(1, 150))
                elif r < 0.10:
                    status = Session.Status.CANCELLED
                    first_day = today - timedelta(days=rng.randint(-60, span_past))
                else:
                    status = Session.Status.COMPLETED
                    first_day = today - timedelta(days=rng.randint(8, span_past))
                n_meet = 1 if course.hours <= 4 else 2 if course.hours <= 12 else 4
                days = [first_day + timedelta(days=7 * m) for m in range(n_meet)]
                if status == Session.Status.COMPLETED and days[-1] >= today:
                    days = [today - timedelta(days=1 + 7 * (n_meet - 1 - m)) for m in range(n_meet)]
                starts = _at(days[0], 17)
                ends = _at(days[-1], 20)
                sessions.add(
                    (sid, cid, course.pk, rng.choice(venues) if venues and r < 0.7 else None,
                     "" if venues else "świetlica", max(16, k),
                     Session.Visibility.OPEN if rng.random() < 0.3 else Session.Visibility.MEMBERS,
                     status, starts, ends, starts - timedelta(days=30),
                     ends if status == Session.Status.COMPLETED else None,
                     starts - timedelta(days=2) if status == Session.Status.CANCELLED else None,
                     "brak chętnych" if status == Session.Status.CANCELLED else "")
                )  # fmt: skip
                for teacher in {rng.choice(teachers) for _ in range(rng.randint(1, 2))}:
                    session_instructors.add((sid, teacher))
                meeting_ids = []
                for day in days:
                    meetings.add((mtid, sid, cid, _at(day, 17), _at(day, 20)))
                    meeting_ids.append((mtid, day))
                    mtid += 1
                with_attendance = status == Session.Status.COMPLETED and days[-1] >= year_ago
                for member_id in rng.sample(pool, k):
                    enrolled_at = starts - timedelta(days=rng.randint(3, 40))
                    cancelled_at = None
                    e_status = Enrolment.Status.ENROLLED
                    if status == Session.Status.CANCELLED:
                        e_status = Enrolment.Status.CANCELLED
                        cancelled_at = starts - timedelta(days=2)
                    elif rng.random() < 0.04:
                        e_status = Enrolment.Status.CANCELLED
                        cancelled_at = enrolled_at + timedelta(days=1)
                    row = [eid, sid, cid, member_id, e_status, None, enrolled_at, cancelled_at,
                           Enrolment.Result.PENDING, None, None]  # fmt: skip
                    if status == Session.Status.COMPLETED and e_status == Enrolment.Status.ENROLLED:
                        # Result decided when certificates are chosen (exact count).
                        self.cert_candidates.append(
                            (row, course, days, meeting_ids if with_attendance else None)
                        )
                    else:
                        enrolments.add(tuple(row))
                    eid += 1
                sid += 1
        # Exactly o.certificates passes among the candidates (selection sampling).
        needed = min(o.certificates, len(self.cert_candidates))
        left = len(self.cert_candidates)
        self.passed: list[tuple] = []
        for row, course, days, meeting_ids in self.cert_candidates:
            passed = rng.random() * left < needed
            left -= 1
            if passed:
                needed -= 1
            row[8] = Enrolment.Result.PASSED if passed else Enrolment.Result.FAILED
            row[10] = days[-1]
            if course.passing_rule == Course.PassingRule.ASSESSMENT:
                mark = course.pass_mark or 50
                row[9] = rng.randint(mark, 100) if passed else rng.randint(20, mark - 1)
            enrolments.add(tuple(row))
            if passed:
                self.passed.append((row[0], row[1], row[2], row[3], course, days))
            if meeting_ids:
                for meeting_id, day in meeting_ids:
                    present = passed or rng.random() < 0.7
                    attendance.add((atid, meeting_id, row[0], row[2], present, _at(day, 20)))
                    atid += 1
        self.cert_candidates = []
        for writer in (sessions, session_instructors, meetings, enrolments, attendance):
            writer.flush()
        self.result.counts["sessions"] = sessions.count
        self.result.counts["meetings"] = meetings.count
        self.result.counts["enrolments"] = enrolments.count
        self.result.counts["attendance"] = attendance.count

    # Certificates ----------------------------------------------------------------------

    def certificates(self) -> None:
        rng = self.rng
        self.passed.sort(key=lambda p: (p[5][-1], p[0]))
        writer = TableWriter(
            Certificate,
            ["id", "number", "verification_code", "enrolment_id", "member_id", "club_id",
             "course_id", "pillar_id", "session_id", "holder_name", "instructor_names",
             "course_title", "hours", "session_dates", "issued_on", "expires_on", "status",
             "revoked_at", "revocation_reason", "render_status", "render_requested_at",
             "rendered_at", "render_attempts", "created_at", "ready_email_due"],
        )  # fmt: skip
        cid = _next_id(Certificate)
        numbers: dict[int, int] = defaultdict(int)
        for row in CertificateNumberSequence.objects.all():
            numbers[row.year] = row.last_number
        codes: set[str] = set()
        for enrolment_id, session_id, club_id, member_id, course, days in self.passed:
            issued = days[-1]
            numbers[issued.year] += 1
            expires = add_months(issued, course.validity_months) if course.validity_months else None
            revoked = rng.random() < 0.002
            code = self._token(16)
            while code in codes:
                code = self._token(16)
            codes.add(code)
            issued_at = _at(issued, 21)
            writer.add(
                (cid, f"KOS/{issued.year}/{numbers[issued.year]:06d}", code, enrolment_id,
                 member_id, club_id, course.pk, course.pillar_id, session_id,
                 self.member_name[member_id], "", course.title, course.hours,
                 ", ".join(d.strftime("%d.%m.%Y") for d in days), issued, expires,
                 Certificate.Status.REVOKED if revoked else Certificate.Status.VALID,
                 issued_at + timedelta(days=30) if revoked else None,
                 "wydany omyłkowo" if revoked else "", Certificate.RenderStatus.DONE, issued_at,
                 issued_at, 1, issued_at, False)  # long since told: no "ready" email
            )  # fmt: skip
            cid += 1
        writer.flush()
        for year, last in numbers.items():
            CertificateNumberSequence.objects.update_or_create(
                year=year, defaults={"last_number": last}
            )
        self.passed = []
        self.result.counts["certificates"] = writer.count

    # Threats and exercises ------------------------------------------------------------

    def resilience(self) -> None:
        """Each gmina with a club keeps a threat register (2-5 threats); each running club
        held about two exercises a year (the last three years) and plans one."""
        from resilience.models import Exercise, Threat

        rng = self.rng
        threats = TableWriter(
            Threat,
            ["id", "municipality_id", "kind", "title", "likelihood", "impact", "owner_id",
             "review_due_on", "reviewed_on", "created_at"],
        )  # fmt: skip
        exercises = TableWriter(
            Exercise,
            ["id", "municipality_id", "club_id", "title", "scenario", "threat_id", "starts_at",
             "place", "status", "created_by_id", "created_at"],
        )  # fmt: skip
        kinds = [k.value for k in Threat.Kind]
        titles = {
            "flood": "Powódź", "wildfire": "Pożar lasu", "blackout": "Długotrwały brak prądu",
            "chemical": "Wyciek substancji chemicznej", "cyber": "Atak na systemy gminy",
            "disinformation": "Dezinformacja w kryzysie", "mass_casualty": "Zdarzenie masowe",
            "other": "Inne zagrożenie",
        }  # fmt: skip
        tid, xid = _next_id(Threat), _next_id(Exercise)
        threats_of: dict[int, list[int]] = defaultdict(list)
        for gi in sorted({c[1] for c in self.clubs}):
            g = self.gminas[gi]
            for kind in rng.sample(kinds, rng.randint(2, 5)):
                due = self.today + timedelta(days=rng.randint(-60, 365))
                threats.add(
                    (tid, g.pk, kind, f"{titles[kind]} – {g.name}", rng.randint(1, 5),
                     rng.randint(1, 5), self.coordinator_of.get(g.pk), due,
                     due - timedelta(days=365), self.now)
                )  # fmt: skip
                threats_of[gi].append(tid)
                tid += 1
        for cid, gi, status, founded in self.clubs:
            if status not in (Club.Status.ACTIVE, Club.Status.SUSPENDED):
                continue
            since = founded or self.today - timedelta(days=365)
            held = max(0, round((self.today - since).days / 365 * 2 + rng.uniform(-1, 1)))
            days = [since + timedelta(days=rng.randrange(max(1, (self.today - since).days)))
                    for _ in range(held)]  # fmt: skip
            days.append(self.today + timedelta(days=rng.randint(7, 120)))
            for day in days:
                threat = rng.choice(threats_of[gi]) if threats_of[gi] else None
                future = day >= self.today
                status_x = (
                    Exercise.Status.PLANNED
                    if future
                    else (
                        Exercise.Status.CANCELLED if rng.random() < 0.05 else Exercise.Status.HELD
                    )
                )
                exercises.add(
                    (xid, self.gminas[gi].pk, cid, f"Ćwiczenie {day:%Y-%m}", "Scenariusz.",
                     threat, _at(day, 10), "remiza OSP", status_x, self.leader_of.get(cid),
                     self.now)
                )  # fmt: skip
                xid += 1
        threats.flush()
        exercises.flush()
        self.result.counts["threats"] = threats.count
        self.result.counts["exercises"] = exercises.count

    # Bench users -----------------------------------------------------------------------

    def bench_users(self) -> None:
        """One user per role with known emails and the demo password (TOTP: the demo's)."""
        from allauth.account.models import EmailAddress
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        from kos_portal.demo import DEMO_TOTP_SECRET

        def user(key: str, first: str, last: str) -> User:
            # self.password is BENCH_PASSWORD hashed once (hashing costs ~0.3 s a user).
            u = User.objects.create(
                email=BENCH_USERS[key], password=self.password, first_name=first, last_name=last
            )
            EmailAddress.objects.create(user=u, email=u.email, verified=True, primary=True)
            self.result.bench_users[key] = u.email
            return u

        national = user("national", "Anna", "Krajowa")
        Assignment.objects.create(user=national, role=Role.NATIONAL)
        # Coordinator of the gmina with the most clubs.
        per_gmina: dict[int, int] = defaultdict(int)
        for _cid, gi, _status, _f in self.clubs:
            per_gmina[gi] += 1
        gi = max(per_gmina, key=lambda k: (per_gmina[k], -k))
        coordinator = user("coordinator", "Piotr", "Gminny")
        Assignment.objects.create(
            user=coordinator, role=Role.COORDINATOR, municipality=self.gminas[gi]
        )
        big = Club.objects.get(pk=self.big_club)
        leader = user("leader", "Katarzyna", "Liderska")
        Assignment.objects.create(user=leader, role=Role.LEADER, club=big)
        instructor = user("instructor", "Marek", "Ratowniczy")
        Assignment.objects.create(user=instructor, role=Role.INSTRUCTOR, club=big)
        for u in (national, coordinator, leader, instructor):  # every staff role needs MFA
            if not Authenticator.objects.filter(user=u, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(u, DEMO_TOTP_SECRET)
        profile = InstructorProfile.objects.create(
            user=instructor,
            offender_register_checked_on=self.today - timedelta(days=100),
            child_protection_statement_on=self.today - timedelta(days=100),
            safeguarding_verified_at=self.now,
            ical_token=self._token(18),
        )
        for pillar in self.pillars.values():
            InstructorQualification.objects.create(
                instructor=profile,
                pillar=pillar,
                issuer="ICCSS",
                number=f"BENCH/{pillar.code}",
                valid_until=self.today + timedelta(days=400),
                verified_at=self.now,
            )
        # The instructor teaches the big club's sessions of the last year.
        through = Session.instructors.through
        through.objects.bulk_create(
            [
                through(session_id=pk, instructorprofile_id=profile.pk)
                for pk in Session.objects.filter(
                    club=big, starts_at__gte=self.now - timedelta(days=365)
                ).values_list("pk", flat=True)
            ]
        )
        # The member: the big club's member with the most certificates gets a login.
        member_user = user("member", "Zofia", "Członkowska")
        member = (
            Member.objects.filter(memberships__club=big, user__isnull=True)
            .annotate(n=models.Count("certificates"))
            .order_by("-n", "pk")
            .first()
        )
        if member is not None:
            member.user = member_user
            member.email = member_user.email
            member.save()
        self.result.counts["users"] = User.objects.count()

    def reset_sequences(self) -> None:
        from django.apps import apps

        app_models = [m for m in apps.get_models(include_auto_created=True)]
        statements = connection.ops.sequence_reset_sql(no_style(), app_models)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def seed_scale(options: ScaleOptions, *, wipe: bool = False, log=print) -> ScaleResult:
    """Generate the country. Refuses a non-empty database unless `wipe`."""
    if not wipe and not database_is_empty():
        raise NotEmpty(
            "The database already holds clubs, members or users. Run with --yes to wipe "
            "it (the TERYT register, pillars and skills are kept) and seed again."
        )
    return ScaleSeeder(options, wipe=wipe, log=log).run()
