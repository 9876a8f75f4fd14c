"""Recompute every rollup table (dashboards.models) from the raw data, in one transaction.

How it is computed (docs/rollups.md has the full rules):

- Every number is a grouped aggregate in SQL: one query per level (country, voivodeship,
  powiat, gmina) per family of measures, never a loop over raw rows in Python.
- Plain counts (clubs, certificates, sessions, population, months) are additive: they are
  grouped once per gmina and summed up to powiats, voivodeships and the country in Python
  (a few thousand rows).
- Distinct counts (members, instructors, partners) are grouped on each level separately,
  never summed from the level below: a person in two clubs of one powiat counts once there.
- Readers never see half a refresh: the old rows are deleted and the new ones inserted in
  one transaction (PostgreSQL keeps showing the old rows to readers until the commit).
- Two refreshes never run at once: a PostgreSQL advisory lock (a process lock elsewhere);
  the second caller gets RollupBusy.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.db.models.fields import DateField
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from certificates.models import Certificate
from clubs.models import (
    Assignment,
    Club,
    Municipality,
    Partner,
    PartnerLink,
    Pillar,
    Powiat,
    Voivodeship,
)
from dashboards.models import (
    AreaMonthStat,
    AreaPartnerStat,
    AreaPillarStat,
    AreaStat,
    ClubPillarStat,
    ClubStat,
    RollupRun,
)
from kos_portal.roles import Role
from members.models import Membership
from training.models import Attendance, Course, Enrolment, Session
from training.selectors_history import EXPIRING_WITHIN_DAYS, valid_until

Level = AreaStat.Level
COUNTRY_NAME = "Polska"  # stored data, like the TERYT names; pages show the level's label
WINDOW_DAYS = 90  # "expiring in 90 days", "no session in 90 days", "not signed in for 90 days"
ATTENDANCE_DAYS = 365
RUNS_KEPT = 50
BATCH = 5000
# pg_advisory_lock key: any constant the other advisory locks of the project don't use.
ADVISORY_LOCK_KEY = 7_420_031

# Path from a club to the unit of each level (None: the whole country).
CLUB_TO_LEVEL = {
    Level.COUNTRY: None,
    Level.VOIVODESHIP: "municipality__powiat__voivodeship",
    Level.POWIAT: "municipality__powiat",
    Level.GMINA: "municipality",
}

_local_lock = threading.Lock()


class RollupBusy(Exception):
    """Another refresh is running; this one did nothing."""


@contextmanager
def _refresh_lock() -> Iterator[None]:
    """Hold the refresh lock or raise RollupBusy at once (never wait behind a refresh)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise RollupBusy
        try:
            yield
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
            except DatabaseError:  # the connection is gone, and the lock with it
                pass
    else:  # SQLite: one writer at a time anyway; this keeps two threads from both computing
        if not _local_lock.acquire(blocking=False):
            raise RollupBusy
        try:
            yield
        finally:
            _local_lock.release()


def rollups_refresh(*, as_of: date | None = None) -> RollupRun:
    """Recompute every rollup table for `as_of` (today in Europe/Warsaw by default) and
    return the finished RollupRun.

    All rows are replaced in one transaction: readers see the old numbers or the new ones,
    never a mix, and a failure leaves the old ones. Safe to run twice (same data, same
    rows). Raises RollupBusy if another refresh is running.
    """
    started_at = timezone.now()
    today = timezone.localdate(started_at)
    as_of = as_of or today
    # The moment for datetime rules ("planned from now on", "not signed in for 90 days"):
    # now, or the same time of day on `as_of` when computing for another day.
    moment = started_at
    if as_of != today:
        moment = timezone.make_aware(datetime.combine(as_of, timezone.localtime(started_at).time()))
    with _refresh_lock():
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                # One snapshot for every read: the tables agree with each other (a club's
                # pillar counts never exceed its active members).
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            rollup = _Computation(as_of=as_of, moment=moment, refreshed_at=started_at)
            rollup.compute()
            rollup.write()
            finished_at = timezone.now()
            run = RollupRun.objects.create(
                started_at=started_at,
                finished_at=finished_at,
                duration_ms=int((finished_at - started_at).total_seconds() * 1000),
                as_of=as_of,
            )
            stale = RollupRun.objects.order_by("-started_at", "-pk").values_list("pk", flat=True)
            RollupRun.objects.filter(pk__in=list(stale[RUNS_KEPT:])).delete()
    return run


# --- Helpers ------------------------------------------------------------------------------


def _age_conditions(prefix: str, as_of: date) -> tuple[Q, Q]:
    """(under 18, aged 18–25) on `as_of` as conditions on a Member reached through `prefix`.

    Ages as members.age.age_on gives them, turned into birth-date cut-offs so the database
    can compare; without a birth date, the age is as_of.year - birth_year (age_band's rule).
    """
    cut_18, cut_26 = _birth_cutoff(as_of, 18), _birth_cutoff(as_of, 26)
    no_date = Q(**{f"{prefix}birth_date__isnull": True})
    under_18 = Q(**{f"{prefix}birth_date__gt": cut_18}) | (
        no_date & Q(**{f"{prefix}birth_year__gt": as_of.year - 18})
    )
    aged_18_25 = Q(**{f"{prefix}birth_date__lte": cut_18, f"{prefix}birth_date__gt": cut_26}) | (
        no_date
        & Q(
            **{
                f"{prefix}birth_year__gte": as_of.year - 25,
                f"{prefix}birth_year__lte": as_of.year - 18,
            }
        )
    )
    return under_18, aged_18_25


def _birth_cutoff(as_of: date, years: int) -> date:
    """The latest birth date of someone at least `years` old on `as_of` (age_on's rule:
    born on 29 February, a year passes on 1 March)."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # as_of is 29 February and that year has none
        return date(as_of.year - years, 2, 28)


def _first_completion_valid_on(day: date, months: int) -> date:
    """The earliest completion date whose pass (valid `months` months) is still valid on
    `day`, by training.selectors_history.valid_until. valid_until grows with the completion
    date, so "valid on day" is "completed on or after this date"."""
    candidate = date.fromordinal(max(1, day.toordinal() - months * 31 - 4))
    while valid_until(candidate, months) < day:
        candidate += timedelta(days=1)
    return candidate


def _grouped(
    queryset: QuerySet, club_path: str, levels, extra: tuple[str, ...] = (), **aggregates
) -> dict[tuple, dict]:
    """{(level, unit id, *extra): {name: value}}: one GROUP BY query per level.

    `club_path` leads from the queryset's model to Club ("club__", or "" for Club itself).
    """
    result: dict[tuple, dict] = {}
    for level in levels:
        path = CLUB_TO_LEVEL[level]
        if path is None:
            if not extra:
                result[(level, None)] = queryset.aggregate(**aggregates)
                continue
            rows = queryset.values(*extra).annotate(**aggregates).order_by()
            for row in rows:
                key = tuple(row.pop(name) for name in extra)
                result[(level, None, *key)] = row
            continue
        rows = queryset.values(*extra, unit_key=F(club_path + path)).annotate(**aggregates)
        for row in rows.order_by():
            unit = row.pop("unit_key")
            key = tuple(row.pop(name) for name in extra)
            result[(level, unit, *key)] = row
    return result


DISTINCT_LEVELS = (Level.COUNTRY, Level.VOIVODESHIP, Level.POWIAT, Level.GMINA)


# --- The computation ------------------------------------------------------------------------


class _Computation:
    """Reads everything into plain dicts (compute), then writes the rows (write)."""

    def __init__(self, *, as_of: date, moment: datetime, refreshed_at: datetime):
        self.as_of = as_of
        self.soon = as_of + timedelta(days=WINDOW_DAYS)
        self.moment = moment
        self.refreshed_at = refreshed_at
        self.pillar_ids = list(Pillar.objects.order_by("number").values_list("pk", flat=True))
        self.area_stats: list[AreaStat] = []
        self.area_pillars: dict[tuple, dict] = {}
        self.area_months: dict[tuple, dict] = {}
        self.area_partners: dict[tuple, dict] = {}
        self.area_keys_with_clubs: set[tuple] = set()
        self.club_stats: list[ClubStat] = []
        self.club_pillars: dict[tuple, dict] = {}

    # Certificates -----------------------------------------------------------------------

    def _certificate_conditions(self) -> tuple[Q, Q]:
        valid = Q(status=Certificate.Status.VALID) & (
            Q(expires_on__isnull=True) | Q(expires_on__gte=self.as_of)
        )
        expiring = Q(status=Certificate.Status.VALID, expires_on__range=(self.as_of, self.soon))
        return valid, expiring

    def compute(self) -> None:
        self._load_territory()
        self._compute_areas()
        self._compute_clubs()

    def _load_territory(self) -> None:
        self.gminas = {
            row["pk"]: row
            for row in Municipality.objects.values(
                "pk",
                "code",
                "name",
                "powiat_id",
                "powiat__voivodeship_id",
                "is_current",
                "population",
            )
        }
        self.powiats = {
            row["pk"]: row
            for row in Powiat.objects.values("pk", "code", "name", "voivodeship_id", "is_current")
        }
        self.voivodeships = {
            row["pk"]: row for row in Voivodeship.objects.values("pk", "code", "name", "is_current")
        }

    def _units_of_gmina(self, gmina_id: int) -> list[tuple]:
        """The area keys a gmina's numbers add up into: itself and every unit above it."""
        gmina = self.gminas[gmina_id]
        return [
            (Level.COUNTRY, None),
            (Level.VOIVODESHIP, gmina["powiat__voivodeship_id"]),
            (Level.POWIAT, gmina["powiat_id"]),
            (Level.GMINA, gmina_id),
        ]

    def _summed(self, per_gmina: dict[tuple, dict]) -> dict[tuple, dict]:
        """Additive numbers grouped per gmina, summed up to every level."""
        result: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        for (gmina_id, *extra), row in per_gmina.items():
            for unit in self._units_of_gmina(gmina_id):
                target = result[(*unit, *extra)]
                for name, value in row.items():
                    target[name] += value or 0
        return result

    def _per_gmina(self, queryset: QuerySet, club_path: str, extra=(), **aggregates):
        grouped = _grouped(queryset, club_path, [Level.GMINA], extra, **aggregates)
        return {key[1:]: row for key, row in grouped.items() if key[1] is not None}

    def _compute_areas(self) -> None:
        as_of, soon, moment = self.as_of, self.soon, self.moment
        valid, expiring = self._certificate_conditions()
        certificates = Certificate.objects.exclude(status=Certificate.Status.REVOKED)

        # Additive measures: one query per family, grouped by gmina, summed upwards.
        gmina_rows: dict[tuple, dict] = {}
        for gmina_id, gmina in self.gminas.items():
            if gmina["is_current"]:
                gmina_rows[(gmina_id,)] = {
                    "gminas": 1,
                    "population_known": gmina["population"] or 0,
                }
        clubs = self._per_gmina(
            Club.objects.all(),
            "",
            clubs_proposed=Count("pk", filter=Q(status=Club.Status.PROPOSED)),
            clubs_active=Count("pk", filter=Q(status=Club.Status.ACTIVE)),
            clubs_suspended=Count("pk", filter=Q(status=Club.Status.SUSPENDED)),
            clubs_closed=Count("pk", filter=Q(status=Club.Status.CLOSED)),
        )
        for (gmina_id,), row in clubs.items():
            row["clubs_total"] = sum(row.values())
            if self.gminas[gmina_id]["is_current"] and row["clubs_active"]:
                row["gminas_with_active_club"] = 1
        additive = [gmina_rows, clubs]
        additive.append(
            self._per_gmina(
                certificates,
                "club__",
                certificates_issued=Count("pk"),
                certificates_valid=Count("pk", filter=valid),
                certificates_expiring_90=Count("pk", filter=expiring),
            )
        )
        additive.append(
            self._per_gmina(
                Session.objects.all(),
                "club__",
                sessions_held=Count("pk", filter=Q(status=Session.Status.COMPLETED)),
                sessions_planned=Count(
                    "pk",
                    filter=Q(status=Session.Status.PLANNED)
                    & (Q(starts_at__gte=moment) | Q(starts_at__isnull=True)),
                ),
            )
        )
        totals: dict[tuple, dict] = defaultdict(dict)
        for per_gmina in additive:
            for key, row in self._summed(per_gmina).items():
                totals[key].update(row)

        # Distinct measures: grouped on each level.
        under_18, aged_18_25 = _age_conditions("member__", as_of)
        distinct = [
            _grouped(
                Membership.objects.filter(status=Membership.Status.ACTIVE),
                "club__",
                DISTINCT_LEVELS,
                members_active=Count("member_id", distinct=True),
                members_under_18=Count("member_id", distinct=True, filter=under_18),
                members_18_25=Count("member_id", distinct=True, filter=aged_18_25),
            ),
            _grouped(
                certificates,
                "club__",
                DISTINCT_LEVELS,
                members_certified_ever=Count("member_id", distinct=True),
                members_certified_valid=Count("member_id", distinct=True, filter=valid),
                certified_in_known_population=Count(
                    "member_id",
                    distinct=True,
                    filter=valid
                    & Q(
                        club__municipality__population__isnull=False,
                        club__municipality__is_current=True,
                    ),
                ),
            ),
            _grouped(
                Assignment.objects.active().filter(role=Role.INSTRUCTOR, club__isnull=False),
                "club__",
                DISTINCT_LEVELS,
                instructors=Count("user_id", distinct=True),
            ),
        ]
        for grouped in distinct:
            for key, row in grouped.items():
                totals[key].update(row)

        # Per pillar: expiring certificates (additive), certified members and qualified
        # instructors (distinct). Certificates without a pillar (ZPOS) are left out here.
        for key, row in self._summed(
            self._per_gmina(
                certificates.filter(pillar__isnull=False),
                "club__",
                ("pillar_id",),
                certificates_expiring_90=Count("pk", filter=expiring),
            )
        ).items():
            self.area_pillars.setdefault(key, {}).update(row)
        for key, row in _grouped(
            certificates.filter(pillar__isnull=False),
            "club__",
            DISTINCT_LEVELS,
            ("pillar_id",),
            members_certified_ever=Count("member_id", distinct=True),
            members_certified_valid=Count("member_id", distinct=True, filter=valid),
        ).items():
            self.area_pillars.setdefault(key, {}).update(row)
        qualification = "user__instructor_profile__qualifications__"
        qualified = (
            Assignment.objects.active()
            .filter(
                Q(**{f"{qualification}valid_until__isnull": True})
                | Q(**{f"{qualification}valid_until__gte": as_of}),
                **{f"{qualification}verified_at__isnull": False},
                role=Role.INSTRUCTOR,
                club__isnull=False,
            )
            .annotate(
                qualification_pillar=Coalesce(
                    F(f"{qualification}pillar"), F(f"{qualification}course__pillar")
                )
            )
            .filter(qualification_pillar__isnull=False)
        )
        for key, row in _grouped(
            qualified,
            "club__",
            DISTINCT_LEVELS,
            ("qualification_pillar",),
            instructors_qualified=Count("user_id", distinct=True),
            qualifications_expiring_90=Count(
                f"{qualification}id",
                distinct=True,
                filter=Q(**{f"{qualification}valid_until__range": (as_of, soon)}),
            ),
        ).items():
            self.area_pillars.setdefault(key, {}).update(row)

        # Per month: certificates issued, sessions held (both additive).
        months: dict[tuple, dict] = defaultdict(dict)
        for key, row in self._summed(
            self._per_gmina(
                certificates.annotate(month=TruncMonth("issued_on")),
                "club__",
                ("month",),
                certificates_issued=Count("pk"),
            )
        ).items():
            months[key].update(row)
        held = Session.objects.filter(
            status=Session.Status.COMPLETED, starts_at__isnull=False
        ).annotate(month=TruncMonth("starts_at", output_field=DateField()))
        for key, row in self._summed(
            self._per_gmina(held, "club__", ("month",), sessions_held=Count("pk"))
        ).items():
            months[key].update(row)
        self.area_months = months

        # Partner kinds of the non-closed clubs (distinct partners and clubs).
        self.area_partners = _grouped(
            PartnerLink.objects.exclude(club__status=Club.Status.CLOSED),
            "club__",
            DISTINCT_LEVELS,
            ("partner__kind",),
            partners=Count("partner_id", distinct=True),
            clubs_with_kind=Count("club_id", distinct=True),
        )

        self._build_area_stats(totals)

    def _area_units(self) -> list[tuple[tuple, dict]]:
        """(area key, AreaStat identity fields) for every area that gets a row: the country,
        every current unit, and any other unit that has a club (so no club drops out)."""
        with_clubs = set(Club.objects.values_list("municipality_id", flat=True).distinct())
        gmina_ids = sorted(
            (pk for pk, g in self.gminas.items() if g["is_current"] or pk in with_clubs),
            key=lambda pk: self.gminas[pk]["code"],
        )
        powiat_ids = {pk for pk, p in self.powiats.items() if p["is_current"]}
        powiat_ids |= {self.gminas[pk]["powiat_id"] for pk in with_clubs}
        voivodeship_ids = {pk for pk, v in self.voivodeships.items() if v["is_current"]}
        voivodeship_ids |= {self.powiats[pk]["voivodeship_id"] for pk in powiat_ids}
        units = [((Level.COUNTRY, None), {"code": "", "name": COUNTRY_NAME})]
        for pk in sorted(voivodeship_ids, key=lambda pk: self.voivodeships[pk]["code"]):
            v = self.voivodeships[pk]
            units.append(
                (
                    (Level.VOIVODESHIP, pk),
                    {"code": v["code"], "name": v["name"], "voivodeship_id": pk},
                )
            )
        for pk in sorted(powiat_ids, key=lambda pk: self.powiats[pk]["code"]):
            p = self.powiats[pk]
            units.append(
                (
                    (Level.POWIAT, pk),
                    {
                        "code": p["code"],
                        "name": p["name"],
                        "voivodeship_id": p["voivodeship_id"],
                        "powiat_id": pk,
                    },
                )
            )
        for pk in gmina_ids:
            g = self.gminas[pk]
            units.append(
                (
                    (Level.GMINA, pk),
                    {
                        "code": g["code"],
                        "name": g["name"],
                        "voivodeship_id": g["powiat__voivodeship_id"],
                        "powiat_id": g["powiat_id"],
                        "municipality_id": pk,
                    },
                )
            )
        return units

    def _build_area_stats(self, totals: dict[tuple, dict]) -> None:
        fields = {
            f.name
            for f in AreaStat._meta.concrete_fields
            if f.name not in {"id", "level", "code", "name", "refreshed_at"} and not f.is_relation
        }
        self.area_order: list[tuple] = []
        for key, identity in self._area_units():
            row = totals.get(key, {})
            numbers = {name: row.get(name) or 0 for name in fields}
            self.area_stats.append(
                AreaStat(level=key[0], refreshed_at=self.refreshed_at, **identity, **numbers)
            )
            self.area_order.append(key)
            if row.get("clubs_total"):
                self.area_keys_with_clubs.add(key)

    # Clubs -----------------------------------------------------------------------------------

    def _compute_clubs(self) -> None:
        as_of, soon, moment = self.as_of, self.soon, self.moment
        valid, expiring = self._certificate_conditions()
        under_18, aged_18_25 = _age_conditions("member__", as_of)
        window_start = moment - timedelta(days=WINDOW_DAYS)

        def by_club(queryset: QuerySet, **aggregates) -> dict[int, dict]:
            rows = queryset.values("club_id").annotate(**aggregates).order_by()
            return {row.pop("club_id"): row for row in rows}

        members = by_club(
            Membership.objects.filter(status=Membership.Status.ACTIVE),
            members_active=Count("member_id", distinct=True),
            members_under_18=Count("member_id", distinct=True, filter=under_18),
            members_18_25=Count("member_id", distinct=True, filter=aged_18_25),
        )
        sessions = by_club(
            Session.objects.all(),
            sessions_held=Count("pk", filter=Q(status=Session.Status.COMPLETED)),
            sessions_planned=Count(
                "pk",
                filter=Q(status=Session.Status.PLANNED)
                & (Q(starts_at__gte=moment) | Q(starts_at__isnull=True)),
            ),
            last_started=Max(
                "starts_at",
                filter=Q(status=Session.Status.COMPLETED)
                | Q(status=Session.Status.PLANNED, starts_at__lt=moment),
            ),
            next_starts=Min(
                "starts_at", filter=Q(status=Session.Status.PLANNED, starts_at__gte=moment)
            ),
            recent=Count(
                "pk",
                filter=~Q(status=Session.Status.CANCELLED)
                & Q(starts_at__gte=window_start, starts_at__lte=moment),
            ),
        )
        attendance = by_club(
            Attendance.objects.filter(
                meeting__starts_at__gte=moment - timedelta(days=ATTENDANCE_DAYS),
                meeting__starts_at__lte=moment,
            ),
            attendance_recorded=Count("pk"),
            attendance_present=Count("pk", filter=Q(present=True)),
        )
        certificates = by_club(
            Certificate.objects.exclude(status=Certificate.Status.REVOKED),
            certificates_valid=Count("pk", filter=valid),
            certificates_expiring_90=Count("pk", filter=expiring),
        )
        agreements = by_club(
            PartnerLink.objects.filter(agreement_expires_on__range=(as_of, soon)),
            agreements_expiring_90=Count("pk"),
        )
        leaders = by_club(
            Assignment.objects.active().filter(role=Role.LEADER, club__isnull=False),
            leaders=Count("pk"),
            # Seen in the window, or appointed in it and not signed in yet (a new leader
            # has had no time to lapse).
            leaders_seen=Count(
                "pk",
                filter=Q(user__last_login__gte=window_start)
                | Q(user__last_login__isnull=True, created_at__gte=window_start),
            ),
        )
        for club_id, municipality_id, status in Club.objects.values_list(
            "pk", "municipality_id", "status"
        ).order_by("pk"):
            row = {
                **members.get(club_id, {}),
                **certificates.get(club_id, {}),
                **attendance.get(club_id, {}),
                **agreements.get(club_id, {}),
            }
            club_sessions = sessions.get(club_id, {})
            leader_row = leaders.get(club_id, {})
            active = status == Club.Status.ACTIVE
            last, following = club_sessions.get("last_started"), club_sessions.get("next_starts")
            numbers = {
                name: row.get(name) or 0
                for name in (
                    "members_active",
                    "members_under_18",
                    "members_18_25",
                    "attendance_recorded",
                    "attendance_present",
                    "certificates_valid",
                    "certificates_expiring_90",
                    "agreements_expiring_90",
                )
            }
            self.club_stats.append(
                ClubStat(
                    club_id=club_id,
                    municipality_id=municipality_id,
                    sessions_held=club_sessions.get("sessions_held") or 0,
                    sessions_planned=club_sessions.get("sessions_planned") or 0,
                    last_session_on=timezone.localdate(last) if last else None,
                    next_session_on=timezone.localdate(following) if following else None,
                    no_session_90_days=active and not club_sessions.get("recent"),
                    leader_lapsing=active and not leader_row.get("leaders_seen"),
                    agreements_expiring=numbers["agreements_expiring_90"] > 0,
                    refreshed_at=self.refreshed_at,
                    **numbers,
                )
            )
        self.club_pillars = club_pillar_counts(as_of=as_of)

    # Writing ---------------------------------------------------------------------------------

    def write(self) -> None:
        """Replace every rollup row. Call inside transaction.atomic()."""
        with connection.cursor() as cursor:
            for model in (
                ClubPillarStat,
                ClubStat,
                AreaPillarStat,
                AreaMonthStat,
                AreaPartnerStat,
                AreaStat,
            ):
                # One statement per table; the ORM's delete() would collect rows first.
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
        AreaStat.objects.bulk_create(self.area_stats, batch_size=BATCH)
        area_pk = {key: stat.pk for key, stat in zip(self.area_order, self.area_stats, strict=True)}

        pillar_rows = []
        for key in self.area_order:
            for pillar_id in self.pillar_ids:
                row = self.area_pillars.get((*key, pillar_id), {})
                pillar_rows.append(
                    AreaPillarStat(
                        area_id=area_pk[key],
                        pillar_id=pillar_id,
                        members_certified_ever=row.get("members_certified_ever") or 0,
                        members_certified_valid=row.get("members_certified_valid") or 0,
                        certificates_expiring_90=row.get("certificates_expiring_90") or 0,
                        instructors_qualified=row.get("instructors_qualified") or 0,
                        qualifications_expiring_90=row.get("qualifications_expiring_90") or 0,
                    )
                )
        AreaPillarStat.objects.bulk_create(pillar_rows, batch_size=BATCH)

        month_rows = [
            AreaMonthStat(
                area_id=area_pk[(level, unit)],
                month=_as_date(month),
                certificates_issued=row.get("certificates_issued") or 0,
                sessions_held=row.get("sessions_held") or 0,
            )
            for (level, unit, month), row in self.area_months.items()
            if (level, unit) in area_pk and month is not None
        ]
        AreaMonthStat.objects.bulk_create(month_rows, batch_size=BATCH)

        partner_rows = []
        for key in self.area_order:
            if key not in self.area_keys_with_clubs:
                continue
            for kind in Partner.Kind.values:
                row = self.area_partners.get((*key, kind), {})
                partner_rows.append(
                    AreaPartnerStat(
                        area_id=area_pk[key],
                        kind=kind,
                        partners=row.get("partners") or 0,
                        clubs_with_kind=row.get("clubs_with_kind") or 0,
                    )
                )
        AreaPartnerStat.objects.bulk_create(partner_rows, batch_size=BATCH)

        ClubStat.objects.bulk_create(self.club_stats, batch_size=BATCH)
        club_rows = []
        for stat in self.club_stats:
            for pillar_id in self.pillar_ids:
                counts = self.club_pillars.get((stat.club_id, pillar_id), {})
                certified = counts.get("certified", 0)
                expiring_count = counts.get("expiring", 0)
                in_progress = counts.get("in_progress", 0)
                club_rows.append(
                    ClubPillarStat(
                        club_stat_id=stat.pk,
                        pillar_id=pillar_id,
                        certified=certified,
                        expiring=expiring_count,
                        in_progress=in_progress,
                        # Never below zero, even if memberships changed between reads
                        # (SQLite, or a refresh inside a caller's transaction).
                        not_started=max(
                            0, stat.members_active - certified - expiring_count - in_progress
                        ),
                    )
                )
        ClubPillarStat.objects.bulk_create(club_rows, batch_size=BATCH)


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


# --- Pillar status per club, in SQL ------------------------------------------------------------


def club_pillar_counts(*, as_of: date) -> dict[tuple[int, int], dict[str, int]]:
    """{(club id, pillar id): {"certified", "expiring", "in_progress": n}} over each club's
    active members, by the rules of training.selectors_history.pillar_status_for_members
    (members not counted are "not started"). One query, whatever the data size.

    The rules, per person and pillar, over enrolments that are not cancelled in sessions
    that are not cancelled: a pass without expiry is "certified"; otherwise a pass still
    valid on as_of makes "certified", or "expiring" when the latest valid pass ends within
    90 days; otherwise being enrolled or waitlisted in a planned session, or having taken
    part (enrolled) without a valid pass, is "in progress".
    """
    months = sorted(
        set(
            Course.objects.filter(validity_months__isnull=False).values_list(
                "validity_months", flat=True
            )
        )
    )

    def valid_on(day: date) -> tuple[str, list]:
        """Passed, and the pass is still valid on `day`."""
        sql = "e.result = %s AND e.completed_on IS NOT NULL AND c.validity_months IS NOT NULL"
        parts, params = [], [Enrolment.Result.PASSED]
        for m in months:
            parts.append("(c.validity_months = %s AND e.completed_on >= %s)")
            params.extend([m, _first_completion_valid_on(day, m)])
        return f"({sql} AND ({' OR '.join(parts) or '1 = 0'}))", params

    far = as_of + timedelta(days=EXPIRING_WITHIN_DAYS + 1)  # valid beyond the 90 days
    now_sql, now_params = valid_on(as_of)
    far_sql, far_params = valid_on(far)
    forever_sql = "e.result = %s AND e.completed_on IS NOT NULL AND c.validity_months IS NULL"
    columns = (
        f"MAX(CASE WHEN {forever_sql} THEN 1 ELSE 0 END) AS forever,"
        f" MAX(CASE WHEN {now_sql} THEN 1 ELSE 0 END) AS valid_now,"
        f" MAX(CASE WHEN {far_sql} THEN 1 ELSE 0 END) AS valid_far,"
        f" MAX(CASE WHEN {now_sql} THEN 0 WHEN s.status = %s OR e.status = %s THEN 1 ELSE 0 END)"
        " AS busy"
    )
    params = [
        Enrolment.Result.PASSED,
        *now_params,
        *far_params,
        *now_params,
        Session.Status.PLANNED,
        Enrolment.Status.ENROLLED,
        Enrolment.Status.CANCELLED,
        Session.Status.CANCELLED,
        Membership.Status.ACTIVE,
        Membership.Status.ACTIVE,
    ]
    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (Enrolment, Session, Course, Membership)
    }
    sql = f"""
        SELECT ms.club_id, st.pillar_id,
            SUM(CASE WHEN st.forever = 1 OR st.valid_far = 1 THEN 1 ELSE 0 END),
            SUM(CASE WHEN st.forever = 0 AND st.valid_far = 0 AND st.valid_now = 1
                THEN 1 ELSE 0 END),
            SUM(CASE WHEN st.forever = 0 AND st.valid_now = 0 AND st.busy = 1
                THEN 1 ELSE 0 END)
        FROM (
            SELECT e.member_id, c.pillar_id, {columns}
            FROM {table[Enrolment]} e
            JOIN {table[Session]} s ON s.id = e.session_id
            JOIN {table[Course]} c ON c.id = s.course_id
            WHERE e.status <> %s AND s.status <> %s AND c.pillar_id IS NOT NULL
                AND e.member_id IN (SELECT member_id FROM {table[Membership]} WHERE status = %s)
            GROUP BY e.member_id, c.pillar_id
        ) st
        JOIN {table[Membership]} ms ON ms.member_id = st.member_id
        WHERE ms.status = %s
        GROUP BY ms.club_id, st.pillar_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            (club_id, pillar_id): {
                "certified": int(certified or 0),
                "expiring": int(expiring or 0),
                "in_progress": int(in_progress or 0),
            }
            for club_id, pillar_id, certified, expiring, in_progress in cursor.fetchall()
        }
