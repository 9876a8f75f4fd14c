"""Bulk import of a club's roster from CSV or XLSX (`manage.py import_members` and the web
upload). See docs/member-import.md.

Every row is read and checked first; only a file without errors is written, all of it in
one transaction, with bulk inserts. People are matched with the registration's rules
(members.services.registration): the same email, or the same name and date of birth,
case-insensitively. A person already in the club is left as they are, so a second import
of the same file writes nothing; a person known from another club gets a membership
here, not a second record. Existing people's stored data is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clubs.models import Club, Municipality, search_key
from kos_portal import access, uploads
from kos_portal.text import fold
from kos_portal.uploads import Table, TableError, table_read
from members import age
from members.consent_texts import GUARDIAN_CONSENT, current_version
from members.models import (
    Consent,
    ConsentMethod,
    ConsentPurpose,
    GuardianConsent,
    Member,
    Membership,
    MembershipStatusChange,
    PersonalDataAccess,
)
from members.services.consents import Guardian, consent_giver_fields
from members.services.registration import normalise_email, normalise_name, normalise_phone

IMPORT_PERMISSION = "members.import_members"
# (field, label, required) in the order of the default file layout.
TARGET_FIELDS: list[tuple[str, object, bool]] = [
    ("first_name", gettext_lazy("First name"), True),
    ("last_name", gettext_lazy("Last name"), True),
    ("birth_date", gettext_lazy("Date of birth (YYYY-MM-DD)"), True),
    ("email", gettext_lazy("Email address"), False),
    ("phone", gettext_lazy("Phone"), False),
    ("gmina_teryt", gettext_lazy("Gmina of residence (TERYT code)"), False),
    ("guardian_name", gettext_lazy("Guardian's name (minors)"), False),
    ("guardian_contact", gettext_lazy("Guardian's contact (minors)"), False),
    ("guardian_consent_date", gettext_lazy("Date of the guardian's consent (minors)"), False),
]
FIELDS = [name for name, _label, _required in TARGET_FIELDS]
REQUIRED_FIELDS = [name for name, _label, required in TARGET_FIELDS if required]
# Headers people actually write, matched case-insensitively (spaces = underscores).
ALIASES: dict[str, set[str]] = {
    "first_name": {"first name", "firstname", "imię", "imie"},
    "last_name": {"last name", "lastname", "surname", "nazwisko"},
    "birth_date": {"date of birth", "birthdate", "dob", "data urodzenia", "data_urodzenia"},
    "email": {"e-mail", "e_mail", "mail", "email address", "adres e-mail"},
    "phone": {"telephone", "mobile", "telefon", "nr telefonu"},
    "gmina_teryt": {"teryt", "gmina", "kod teryt"},
    "guardian_name": {"guardian", "opiekun", "rodzic/opiekun"},
    "guardian_contact": {"kontakt do opiekuna", "telefon opiekuna"},
    "guardian_consent_date": {"data zgody opiekuna", "data zgody"},
}
NAME_MAX = Member._meta.get_field("first_name").max_length
GUARDIAN_MAX = GuardianConsent._meta.get_field("guardian_name").max_length
OLDEST_AGE = 120
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TERYT = re.compile(r"^\d{7}$")
MAX_ROWS = uploads.MAX_ROWS  # 10,000 rows per file; the upload form says so
PREVIEW_ROWS = 200
BATCH_SIZE = 1000
QUERY_CHUNK = 2000  # values per IN (...): well under SQLite's and PostgreSQL's limits


class RosterFileError(Exception):
    """The file can't be read at all (format, encoding, header). Nothing was written."""


RosterFile = Table  # header, rows as (line, cells), kind


@dataclass
class RosterRow:
    """One valid row, normalised; `action` and `member_id` are set by the matching step."""

    line: int
    first_name: str
    last_name: str
    birth_date: date
    email: str
    phone: str
    municipality_id: int | None
    guardian_name: str
    guardian_contact: str
    guardian_consent_date: date | None
    is_minor: bool
    action: str = ""  # "new", "in_club" (already a member here) or "linked"
    member_id: int | None = None

    @property
    def name_key(self) -> tuple[str, date]:
        return search_key(self.first_name, self.last_name), self.birth_date


@dataclass
class RosterImportResult:
    """What an import did or (dry run) would do. Nothing is written when `errors` is set."""

    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    new: int = 0
    in_club: int = 0
    linked: int = 0
    dry_run: bool = False
    preview: list[RosterRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        """What a background job keeps for the page: counts and the first 500 errors, no
        preview (the job row is no place for people's data; it is deleted after a day)."""
        return {
            "rows": self.rows,
            "errors": self.errors[:500],
            "error_count": len(self.errors),
            "new": self.new,
            "in_club": self.in_club,
            "linked": self.linked,
            "dry_run": self.dry_run,
        }


# --- Reading the file ------------------------------------------------------------------


def roster_file_read(data: bytes) -> RosterFile:
    """Read a CSV (UTF-8 or cp1250, `,` `;` or tab) or XLSX roster with the one tabular
    reader (kos_portal.uploads); the content decides which.

    Empty rows are dropped. Raises RosterFileError when the file can't be read, has no
    header or no rows, or has more than MAX_ROWS rows (refused before reading the rest).
    """
    try:
        return table_read(data, max_rows=MAX_ROWS)
    except TableError as error:
        raise RosterFileError(str(error)) from error


def _header_key(name: str) -> str:
    return search_key(name).replace("_", " ")


def default_mapping(header: list[str]) -> dict[str, int]:
    """Target field -> column index, for the columns whose names match (or are a known
    alias of) a target field. Used as is by the command, prefilled in the web form."""
    keys = [_header_key(name) for name in header]
    mapping: dict[str, int] = {}
    for name in FIELDS:
        wanted = {_header_key(name)} | {_header_key(alias) for alias in ALIASES.get(name, ())}
        for index, key in enumerate(keys):
            if key in wanted and index not in mapping.values():
                mapping[name] = index
                break
    return mapping


def mapping_problems(mapping: dict[str, int], header: list[str]) -> list[str]:
    """What is wrong with a mapping: required fields without a column, unknown columns, one
    column used twice. Empty when it can be used."""
    problems = []
    missing = [name for name in REQUIRED_FIELDS if mapping.get(name) is None]
    if missing:
        problems.append(
            _("No column is chosen for %(fields)s. The default columns are: %(columns)s.")
            % {"fields": ", ".join(missing), "columns": ", ".join(FIELDS)}
        )
    used = [index for index in mapping.values() if index is not None]
    if any(not 0 <= index < len(header) for index in used):
        problems.append(_("The mapping names a column the file does not have."))
    if len(used) != len(set(used)):
        problems.append(_("Each column can be used for one field only."))
    return problems


# --- Keeping the upload between the steps of the web flow --------------------------------

UPLOAD_SALT = "members.roster-import"


def roster_upload_save(
    *, club: Club, user, data: bytes | None = None, roster: RosterFile | None = None
) -> str:
    """Keep an uploaded roster, parsed, in the staged-upload store; return a signed token.

    The token names the file, the club and the user, so only the same user can continue
    the same club's import with it, for a day; the browser never sends a path.
    """
    roster = roster if roster is not None else roster_file_read(data or b"")
    return uploads.stage_save(table=roster, purpose=UPLOAD_SALT, user=user, bound={"club": club.pk})


def roster_upload_load(*, token: str, club: Club, user) -> RosterFile:
    """The parsed roster kept by roster_upload_save; RosterFileError when the token is
    forged, expired, another user's or club's, or the file is gone."""
    try:
        return uploads.stage_load(
            token=token, purpose=UPLOAD_SALT, user=user, bound={"club": club.pk}
        )
    except uploads.StagedUploadGone as error:
        raise RosterFileError(_("The uploaded file has expired. Upload it again.")) from error


def roster_upload_delete(*, token: str, club: Club, user) -> None:
    """Delete a kept upload (after the import). Safe to run twice."""
    uploads.stage_discard(token=token, purpose=UPLOAD_SALT, user=user, bound={"club": club.pk})


def roster_upload_cleanup(*, now: datetime | None = None) -> int:
    """Delete kept uploads (of every import) older than a day; returns how many."""
    return uploads.stage_cleanup(now=now)


# --- Checking the rows -----------------------------------------------------------------


def _parse_date(value: str, *, what) -> date:
    if not ISO_DATE.match(value):
        raise ValidationError(
            _("%(what)s “%(value)s” is not a date written as YYYY-MM-DD.")
            % {"what": what, "value": value}
        )
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            _("%(what)s “%(value)s” is not a real date.") % {"what": what, "value": value}
        ) from None


def _check_row(line: int, cell, gminas: dict[str, tuple[int, bool]], today: date):
    """A RosterRow, or the list of problems with the row."""
    problems: list[str] = []
    first_name, last_name = normalise_name(cell("first_name")), normalise_name(cell("last_name"))
    if not first_name or not last_name:
        problems.append(_("The first and last name are required."))
    if len(first_name) > NAME_MAX or len(last_name) > NAME_MAX:
        problems.append(_("A name is longer than %(max)s characters.") % {"max": NAME_MAX})
    birth_date = None
    raw_birth = cell("birth_date")
    if not raw_birth:
        problems.append(_("The date of birth is required."))
    else:
        try:
            birth_date = _parse_date(raw_birth, what=_("Date of birth"))
        except ValidationError as error:
            problems.extend(error.messages)
    if birth_date and birth_date > today:
        problems.append(_("The date of birth is in the future."))
        birth_date = None
    elif birth_date and age.age_on(birth_date, today) > OLDEST_AGE:
        problems.append(
            _("The date of birth is more than %(years)s years ago.") % {"years": OLDEST_AGE}
        )
        birth_date = None
    email = phone = ""
    try:
        email = normalise_email(cell("email"))
    except ValidationError:
        problems.append(_("“%(value)s” is not a valid email address.") % {"value": cell("email")})
    try:
        phone = normalise_phone(cell("phone"))
    except ValidationError:
        problems.append(
            _("“%(value)s” is not a valid phone number (e.g. 600 700 800 or +48 600 700 800).")
            % {"value": cell("phone")}
        )
    municipality_id = None
    teryt = cell("gmina_teryt")
    if teryt:
        code = "0" + teryt if re.fullmatch(r"\d{6}", teryt) else teryt  # Excel ate the zero
        found = gminas.get(code) if TERYT.match(code) else None
        if found is None:
            problems.append(_("No gmina has the TERYT code “%(code)s”.") % {"code": teryt})
        elif not found[1]:
            problems.append(
                _("The gmina with TERYT code %(code)s is no longer in the register.")
                % {"code": code}
            )
        else:
            municipality_id = found[0]
    minor = age.is_minor(birth_date, today)
    guardian_name = normalise_name(cell("guardian_name"))
    guardian_contact = normalise_name(cell("guardian_contact"))
    consent_date = None
    if minor:
        # A minor can't be an active member without a guardian's consent on record: the
        # leader completes the file rather than importing half-registered children.
        raw_consent = cell("guardian_consent_date")
        if not (guardian_name and guardian_contact and raw_consent):
            problems.append(
                _(
                    "Under 18: give guardian_name, guardian_contact and guardian_consent_date "
                    "(the date the guardian signed the consent form)."
                )
            )
        if raw_consent:
            try:
                consent_date = _parse_date(raw_consent, what=_("Guardian's consent date"))
            except ValidationError as error:
                problems.extend(error.messages)
            if consent_date and consent_date > today:
                problems.append(_("The date of the guardian's consent is in the future."))
        if len(guardian_name) > GUARDIAN_MAX or len(guardian_contact) > GUARDIAN_MAX:
            problems.append(
                _("The guardian's name or contact is longer than %(max)s characters.")
                % {"max": GUARDIAN_MAX}
            )
    elif birth_date and not email and not phone:
        problems.append(_("Give an email address or a phone number (or both)."))
    if problems:
        return problems
    return RosterRow(
        line=line,
        first_name=first_name,
        last_name=last_name,
        birth_date=birth_date,
        email=email,
        phone=phone,
        municipality_id=municipality_id,
        guardian_name=guardian_name if minor else "",
        guardian_contact=guardian_contact if minor else "",
        guardian_consent_date=consent_date if minor else None,
        is_minor=minor,
    )


def _gminas_for(roster: RosterFile, index: int | None) -> dict[str, tuple[int, bool]]:
    """TERYT code -> (pk, is current) for the codes in the file, in a few queries."""
    if index is None:
        return {}
    codes = set()
    for _line, cells in roster.rows:
        value = cells[index] if index < len(cells) else ""
        codes.update({value, "0" + value})
    codes = sorted(code for code in codes if TERYT.match(code))
    found: dict[str, tuple[int, bool]] = {}
    for start in range(0, len(codes), QUERY_CHUNK):
        chunk = codes[start : start + QUERY_CHUNK]
        for pk, code, current in Municipality.objects.filter(code__in=chunk).values_list(
            "pk", "code", "is_current"
        ):
            found[code] = (pk, current)
    return found


def _check_rows(
    roster: RosterFile, mapping: dict[str, int], today: date
) -> tuple[list[RosterRow], list[tuple[int, str]]]:
    gminas = _gminas_for(roster, mapping.get("gmina_teryt"))
    rows: list[RosterRow] = []
    errors: list[tuple[int, str]] = []
    by_email: dict[str, int] = {}
    by_name: dict[tuple[str, date], int] = {}
    for line, cells in roster.rows:

        def cell(name: str, cells=cells) -> str:
            index = mapping.get(name)
            return cells[index] if index is not None and index < len(cells) else ""

        checked = _check_row(line, cell, gminas, today)
        if isinstance(checked, list):
            errors.extend((line, problem) for problem in checked)
            continue
        # The same person twice in one file is a mistake to fix, not something to guess.
        same = (by_email.get(checked.email) if checked.email else None) or by_name.get(
            checked.name_key
        )
        if same is not None:
            errors.append(
                (
                    line,
                    _("The same person (email, or name and date of birth) is on line %(line)s.")
                    % {"line": same},
                )
            )
            continue
        if checked.email:
            by_email[checked.email] = line
        by_name[checked.name_key] = line
        rows.append(checked)
    return rows, errors


# --- Matching people -------------------------------------------------------------------


def _chunks(values: list, size: int = QUERY_CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _match(rows: list[RosterRow], club: Club) -> None:
    """Set each row's action and member_id: a few queries, whatever the number of rows.

    Email wins over name and date of birth when they point at different people; erased
    people are never matched (their data is gone).
    """
    live = Member.objects.filter(anonymised_at__isnull=True)
    by_email: dict[str, int] = {}
    emails = sorted({row.email for row in rows if row.email})
    for chunk in _chunks(emails):
        found = (
            live.annotate(email_key=Lower("email"))
            .filter(email_key__in=chunk)
            .order_by("pk")
            .values_list("email_key", "pk")
        )
        for email, pk in found:
            by_email.setdefault(email, pk)
    by_name: dict[tuple[str, date], int] = {}
    births = sorted({row.birth_date for row in rows})
    for chunk in _chunks(births):
        # SQLite folds only ASCII: narrow by date in SQL, compare the names in Python.
        found = (
            live.filter(birth_date__in=chunk)
            .order_by("pk")
            .values_list("first_name", "last_name", "birth_date", "pk")
        )
        for first_name, last_name, birth_date, pk in found:
            by_name.setdefault((search_key(first_name, last_name), birth_date), pk)
    for row in rows:
        row.member_id = (by_email.get(row.email) if row.email else None) or by_name.get(
            row.name_key
        )
    known = sorted({row.member_id for row in rows if row.member_id})
    in_club: set[int] = set()
    for chunk in _chunks(known):
        in_club.update(
            Membership.objects.filter(club=club, member_id__in=chunk).values_list(
                "member_id", flat=True
            )
        )
    for row in rows:
        if row.member_id is None:
            row.action = "new"
        else:
            row.action = "in_club" if row.member_id in in_club else "linked"


# --- Writing ---------------------------------------------------------------------------


def _write(rows: list[RosterRow], *, club: Club, imported_by) -> None:
    """Insert people, memberships, status history and consents with bulk inserts."""
    now, today = timezone.now(), timezone.localdate()
    user = imported_by if getattr(imported_by, "pk", None) else None
    new_rows = [row for row in rows if row.action == "new"]
    members = [
        Member(
            first_name=row.first_name,
            last_name=row.last_name,
            birth_date=row.birth_date,
            birth_year=row.birth_date.year,  # bulk_create skips save(), which sets these
            email=row.email,
            phone=row.phone,
            municipality_id=row.municipality_id,
            search_text=fold(row.first_name, row.last_name, row.email),
            created_by=user,
        )
        for row in new_rows
    ]
    Member.objects.bulk_create(members, batch_size=BATCH_SIZE)
    for row, member in zip(new_rows, members, strict=True):
        row.member_id = member.pk
    joining = [row for row in rows if row.action in ("new", "linked")]
    memberships = [
        Membership(
            member_id=row.member_id,
            club=club,
            status=Membership.Status.ACTIVE,
            status_changed_at=now,
            joined_on=today,
        )
        for row in joining
    ]
    Membership.objects.bulk_create(memberships, batch_size=BATCH_SIZE)
    reason = _("Roster import")
    MembershipStatusChange.objects.bulk_create(
        [
            MembershipStatusChange(
                membership=membership,
                club=club,
                from_status="",
                to_status=Membership.Status.ACTIVE,
                changed_at=now,
                changed_by=user,
                reason=reason,
            )
            for membership in memberships
        ],
        batch_size=BATCH_SIZE,
    )
    version = current_version(ConsentPurpose.MEMBERSHIP_DATA)
    consented = _consent_current(
        [row.member_id for row in joining if row.action == "linked"], version
    )
    Consent.objects.bulk_create(
        [
            Consent(
                member_id=row.member_id,
                purpose=ConsentPurpose.MEMBERSHIP_DATA,
                given=True,
                text_version=version,
                recorded_at=now,
                recorded_by=user,
                method=ConsentMethod.IMPORT,
                **consent_giver_fields(  # under 16 the row's guardian, else the person
                    birth_date=row.birth_date,
                    method=ConsentMethod.IMPORT,
                    guardian=Guardian.from_contact(
                        name=row.guardian_name, contact=row.guardian_contact
                    ),
                ),
            )
            for row in joining
            if row.member_id not in consented
        ],
        batch_size=BATCH_SIZE,
    )
    minors = [row for row in joining if row.is_minor]
    recorded = _guardian_consents_on_record([row.member_id for row in minors])
    GuardianConsent.objects.bulk_create(
        [
            GuardianConsent(
                member_id=row.member_id,
                guardian_name=row.guardian_name,
                guardian_contact=row.guardian_contact,
                consent_date=row.guardian_consent_date,
                text_version=GUARDIAN_CONSENT.version,
                method=ConsentMethod.IMPORT,
                recorded_at=now,
                recorded_by=user,
            )
            for row in minors
            if (row.member_id, search_key(row.guardian_name), row.guardian_consent_date)
            not in recorded
        ],
        batch_size=BATCH_SIZE,
    )


def _consent_current(member_ids: list[int], version: str) -> set[int]:
    """People whose newest membership-data consent is given, in this text version (the
    same rule as consents.consent_record: no second identical row)."""
    newest: dict[int, tuple[bool, str]] = {}
    for chunk in _chunks(sorted(member_ids)):
        rows = (
            Consent.objects.filter(member_id__in=chunk, purpose=ConsentPurpose.MEMBERSHIP_DATA)
            .order_by("member_id", "recorded_at", "pk")
            .values_list("member_id", "given", "text_version")
        )
        for member_id, given, text_version in rows:
            newest[member_id] = (given, text_version)
    return {pk for pk, state in newest.items() if state == (True, version)}


def _guardian_consents_on_record(member_ids: list[int]) -> set[tuple[int, str, date]]:
    found: set[tuple[int, str, date]] = set()
    for chunk in _chunks(sorted(member_ids)):
        rows = GuardianConsent.objects.filter(
            member_id__in=chunk, withdrawn_at__isnull=True
        ).values_list("member_id", "guardian_name", "consent_date")
        found.update((pk, search_key(name), day) for pk, name, day in rows)
    return found


# --- The import ------------------------------------------------------------------------


def roster_import(
    *,
    club: Club,
    imported_by,
    data: bytes | None = None,
    roster: RosterFile | None = None,
    mapping: dict[str, int] | None = None,
    dry_run: bool = False,
    consent_forms_attested: bool = False,
    progress=None,
) -> RosterImportResult:
    """Import a roster into `club`, all or nothing.

    Give the file as `data` (bytes) or, parsed once at upload, as `roster`.
    `mapping` is target field -> column index (default: columns named like the fields).
    With `dry_run`, only reports: errors per line, or how many people are new, already in
    the club, or known from another club and linked. A real import needs
    `consent_forms_attested` (the importer holds the signed consent forms), which is
    recorded with each consent (method "import") and in the access log. `imported_by`
    None is operations work from the shell.

    Safe to run twice: people already in the club are left alone. Raises RosterFileError
    when the file can't be read, ValidationError when the import isn't allowed.
    """
    if imported_by is not None and not access.can(imported_by, IMPORT_PERMISSION, club):
        raise ValidationError(_("You may not import members into this club."))
    if not dry_run and not club.takes_new_members:
        raise ValidationError(_("This club is not taking new members at the moment."))
    if not dry_run and not consent_forms_attested:
        raise ValidationError(
            _("Confirm that you hold the signed consent forms of the people you import.")
        )
    roster = roster if roster is not None else roster_file_read(data or b"")
    mapping = default_mapping(roster.header) if mapping is None else dict(mapping)
    mapping = {name: index for name, index in mapping.items() if index is not None}
    problems = mapping_problems(mapping, roster.header)
    if problems:
        raise RosterFileError(" ".join(problems))
    today = timezone.localdate()
    rows, errors = _check_rows(roster, mapping, today)
    if progress:
        progress(len(roster.rows) // 2, len(roster.rows))  # checked; matching and writing next
    result = RosterImportResult(rows=len(roster.rows), errors=errors, dry_run=dry_run)
    if errors:
        return result
    if dry_run:
        _match(rows, club)
    else:
        try:
            with transaction.atomic():
                # One import per club at a time: the second sees what the first wrote.
                Club.objects.select_for_update(of=("self",)).filter(pk=club.pk).first()
                _match(rows, club)
                _write(rows, club=club, imported_by=imported_by)
                _log(rows, club=club, imported_by=imported_by)
        except IntegrityError as error:
            raise ValidationError(
                _("Someone added the same people at the same time. Run the import again.")
            ) from error
    result.new = sum(row.action == "new" for row in rows)
    result.in_club = sum(row.action == "in_club" for row in rows)
    result.linked = sum(row.action == "linked" for row in rows)
    result.preview = [row for row in rows if row.action != "in_club"][:PREVIEW_ROWS]
    return result


def _log(rows: list[RosterRow], *, club: Club, imported_by) -> None:
    from members.services.access_log import personal_data_access_log

    added = sum(row.action in ("new", "linked") for row in rows)
    personal_data_access_log(
        user=imported_by,
        action=PersonalDataAccess.Action.CHANGE,
        club=club,
        member_count=added,
        detail=(
            f"roster import: {added} added, {len(rows) - added} already in the club; "
            "the importer attested holding the signed consent forms"
        ),
    )
