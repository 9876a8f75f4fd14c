"""A member's own view of their data: reading it, exporting it (RODO art. 15 and 20) and
withdrawing consents (art. 7(3)).

Everything here starts from `request.user.member`, never from an id in the URL, so a
person can reach only their own data.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.consent_texts import CONSENT_TEXTS
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
from members.services.consents import consent_withdraw, current_consents

EXPORT_SCHEMA_VERSION = 2  # 2: access_log, account, exercises; who gave each consent

# Sections that apps above members add to the export (training: "trainings",
# certificates: "certificates", resilience: "exercises"), each a function member -> list
# of JSON-ready dicts. They register in their AppConfig.ready(); members never imports them.
EXPORT_SECTIONS: dict[str, Callable[[Member], list[dict]]] = {}

# Which section holds each table that points at a Member or a User (#13): the export
# must cover every table that holds the person. tests/members/test_my_data_coverage.py
# fails when a new table points at a person and is neither here nor in EXPORT_EXEMPT.
EXPORT_MODELS: dict[str, str] = {
    "members.Member": "person",
    "members.Membership": "memberships",
    "members.MembershipStatusChange": "memberships",
    "members.Consent": "consents",
    "members.GuardianConsent": "guardian_consents",
    "members.PersonalDataAccess": "access_log",
    "kos_portal.User": "account",
    "account.EmailAddress": "account",
    "mfa.Authenticator": "account",
    "clubs.Assignment": "account",
    "clubs.Invitation": "account",
    "members.Guardianship": "logins",
    "members.LoginInvitation": "logins",
}
# "app.Model.field" pointing at a User that says which staff member did something (work
# done in a role, not data about the person as a member). A member without a role has
# none; national staff answer a staff member's own request from the admin.
_ACTOR = "who did it, in a staff role"
EXPORT_EXEMPT: dict[str, str] = {
    field: _ACTOR
    for field in (
        "clubs.ClubStatusChange.changed_by",
        "clubs.Assignment.created_by",
        "clubs.Invitation.invited_by",
        "clubs.StarterDocumentVersion.created_by",
        "members.Member.created_by",
        "members.MembershipStatusChange.changed_by",
        "members.Consent.recorded_by",
        "members.GuardianConsent.recorded_by",
        "training.InstructorProfile.safeguarding_verified_by",
        "training.InstructorQualification.verified_by",
        "training.Session.created_by",
        "training.Enrolment.enrolled_by",
        "training.Enrolment.result_recorded_by",
        "training.Attendance.recorded_by",
        "certificates.Certificate.revoked_by",
        "resilience.Threat.owner",
        "resilience.Exercise.created_by",
        "resilience.AfterActionReview.written_by",
        "resilience.CorrectiveAction.owner",
        "resilience.ProblemCase.created_by",
        "resilience.Survey.created_by",
        "dashboards.GminaReport.requested_by",
        "members.Guardianship.created_by",
        "members.LoginInvitation.invited_by",
        "kos_portal.ImportJob.user",
        "admin.LogEntry.user",
    )
}


def export_section_register(
    name: str, build: Callable[[Member], list[dict]], models: tuple[str, ...] = ()
) -> None:
    """Add a section to every member's own-data export (called from an app's ready()).
    `models` names the tables ("app.Model") the section covers."""
    EXPORT_SECTIONS[name] = build
    for label in models:
        EXPORT_MODELS[label] = name


def own_member_get(user, member_pk: int | None = None) -> Member:
    """The signed-in user's own Member record, with everything the pages show; with
    `member_pk`, a person the user is guardian of (members.Guardianship).

    Raises Http404 for users without one (staff who are not members, anonymous users) and
    for anyone else's `member_pk`.
    """
    if user is None or not user.is_authenticated:
        raise Http404
    people = (
        Member.objects.filter(user=user)
        if member_pk is None
        else Member.objects.filter(pk=member_pk, guardianships__user=user)
    )
    member = (
        people.filter(anonymised_at__isnull=True)
        .select_related("municipality")
        .prefetch_related(
            "skills",
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("club__municipality")
                .order_by("club__name")
                .prefetch_related(
                    Prefetch(
                        "status_changes",
                        queryset=MembershipStatusChange.objects.order_by("changed_at", "pk"),
                    )
                ),
            ),
            # Newest first, as consents.current_consents expects.
            Prefetch("consents", queryset=Consent.objects.order_by("-recorded_at", "-pk")),
            Prefetch(
                "guardian_consents", queryset=GuardianConsent.objects.order_by("consent_date")
            ),
        )
        .first()
    )
    if member is None:
        raise Http404
    return member


def consent_overview(member: Member) -> list[dict]:
    """One entry per purpose with its label, the newest event (None: never asked) and
    whether the consent is given now. Uses the prefetched consents: no query."""
    latest = current_consents(member)
    return [
        {
            "purpose": purpose,
            "label": label,
            "consent": latest.get(purpose),
            "given": bool(latest.get(purpose) and latest[purpose].given),
        }
        for purpose, label in ConsentPurpose.choices
    ]


def own_consent_withdraw(*, member: Member, purpose: str, user) -> Consent:
    """The person withdraws one of their consents: a new row (given=False, method self).

    Safe to run twice: a consent already withdrawn appends nothing. Raises ValidationError
    for an unknown purpose or a consent never given.
    """
    if purpose not in ConsentPurpose.values:
        raise ValidationError(_("Unknown consent."))
    return consent_withdraw(
        member=member, purpose=purpose, recorded_by=user, method=ConsentMethod.SELF_SERVICE
    )


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def own_data(member: Member) -> dict:
    """Everything stored about the person, as JSON-ready data (schema_version 1).

    Reads only `member` and its prefetched relations (see own_member_get): nothing about
    other people, not even the names of who recorded what.
    """
    municipality = member.municipality
    data: dict = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "generated_at": _iso(timezone.now()),
        "person": {
            "first_name": member.first_name,
            "last_name": member.last_name,
            "birth_date": _iso(member.birth_date),
            "birth_year": member.birth_year,
            "email": member.email,
            "phone": member.phone,
            "municipality": (
                {"teryt": municipality.code, "name": municipality.name} if municipality else None
            ),
            "emergency_contact_name": member.emergency_contact_name,
            "emergency_contact_phone": member.emergency_contact_phone,
            "notes": member.notes,
            "created_at": _iso(member.created_at),
        },
        "skills": [{"code": s.code, "name": s.name} for s in member.skills.all()],
        "memberships": [
            {
                "club": membership.club.name,
                "club_gmina": membership.club.municipality.name,
                "status": membership.status,
                "status_changed_at": _iso(membership.status_changed_at),
                "status_reason": membership.status_reason,
                "applied_on": _iso(membership.applied_on),
                "joined_on": _iso(membership.joined_on),
                "left_on": _iso(membership.left_on),
                "application_message": membership.application_message,
                "status_history": [
                    {
                        "from_status": change.from_status,
                        "to_status": change.to_status,
                        "changed_at": _iso(change.changed_at),
                        "reason": change.reason,
                    }
                    for change in membership.status_changes.all()
                ],
            }
            for membership in member.memberships.all()
        ],
        "consents": [
            {
                "purpose": consent.purpose,
                "given": consent.given,
                "text_version": consent.text_version,
                "text": _consent_text(consent),
                "recorded_at": _iso(consent.recorded_at),
                "method": consent.method,
                "given_by": consent.given_by,
                "guardian_name": consent.guardian_name,
                "guardian_relation": consent.guardian_relation,
                "guardian_email": consent.guardian_email,
            }
            for consent in member.consents.all()
        ],
        "guardian_consents": [
            {
                "guardian_name": gc.guardian_name,
                "guardian_contact": gc.guardian_contact,
                "consent_date": _iso(gc.consent_date),
                "text_version": gc.text_version,
                "method": gc.method,
                "recorded_at": _iso(gc.recorded_at),
                "withdrawn_at": _iso(gc.withdrawn_at),
            }
            for gc in member.guardian_consents.all()
        ],
        # TODO(#5): training fills "trainings", TODO(#6): certificates fills "certificates",
        # both through export_section_register().
        "trainings": [],
        "certificates": [],
    }
    data["access_log"] = _access_log_rows(member)
    data["logins"] = _logins(member)
    data["account"] = _account(member)
    for name, build in EXPORT_SECTIONS.items():
        data[name] = build(member)
    return data


def _logins(member: Member) -> dict:
    """Who may act for the person (guardians' logins), whom the person acts for, and the
    invitations to log in sent to them (the address, not the link)."""
    from members.models import Guardianship, LoginInvitation

    guardians = Guardianship.objects.filter(member=member).select_related("user")
    wards = (
        Guardianship.objects.filter(user_id=member.user_id).select_related("member")
        if member.user_id
        else Guardianship.objects.none()
    )
    invitations = LoginInvitation.objects.filter(member=member).order_by("created_at", "pk")
    return {
        "guardians": [{"email": g.user.email, "since": _iso(g.created_at)} for g in guardians],
        "guardian_of": [
            {"name": f"{g.member.first_name} {g.member.last_name}", "since": _iso(g.created_at)}
            for g in wards
        ],
        "invitations": [
            {
                "kind": invitation.kind,
                "email": invitation.email,
                "sent_at": _iso(invitation.sent_at),
                "accepted_at": _iso(invitation.accepted_at),
                "revoked_at": _iso(invitation.revoked_at),
            }
            for invitation in invitations
        ],
    }


def _access_log_rows(member: Member) -> list[dict]:
    """Who looked at the person's data (as a role and club, not the staff member's name:
    that is someone else's data) and what the person did themself."""
    rows = PersonalDataAccess.objects.filter(member=member)
    if member.user_id:
        rows = rows | PersonalDataAccess.objects.filter(user_id=member.user_id)
    return [
        {
            "at": _iso(row.at),
            "action": row.action,
            "by_you": bool(member.user_id) and row.user_id == member.user_id,
            "club": row.club.name if row.club_id else None,
            "detail": row.detail,
        }
        for row in rows.select_related("club").order_by("at", "pk")
    ]


def _account(member: Member) -> dict | None:
    """The person's login: name, email addresses, second factors, roles, invitations."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from clubs.models import Assignment, Invitation

    user = member.user
    if user is None:
        return None
    return {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "second_factors": [
            {"type": a.type, "created_at": _iso(a.created_at), "last_used_at": _iso(a.last_used_at)}
            for a in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "roles": [
            {
                "role": a.role,
                "club": a.club.name if a.club_id else None,
                "gmina": a.municipality.name if a.municipality_id else None,
                "since": _iso(a.created_at),
                "ended_at": _iso(a.ended_at),
            }
            for a in Assignment.objects.filter(user=user).select_related("club", "municipality")
        ],
        "invitations_accepted": [
            {"role": i.role, "club": i.club.name if i.club_id else None, "email": i.email}
            for i in Invitation.objects.filter(accepted_by=user).select_related("club")
        ],
    }


# The export sections the HTML and PDF show as plain tables: (section, title, columns).
_TABLES = [
    (
        "exercises",
        gettext_lazy("Exercises"),
        ["exercise", "starts_at", "club", "role", "took_part"],
    ),
    (
        "access_log",
        gettext_lazy("Who accessed your data"),
        ["at", "action", "by_you", "club", "detail"],
    ),
    ("instructor_profile", gettext_lazy("Instructor profile"), ["phone", "bio", "qualifications"]),
]
_COLUMN_LABELS = {
    "exercise": gettext_lazy("Exercise"),
    "starts_at": gettext_lazy("When"),
    "club": gettext_lazy("Club"),
    "role": gettext_lazy("Role"),
    "took_part": gettext_lazy("Took part"),
    "at": gettext_lazy("When"),
    "action": gettext_lazy("What"),
    "by_you": gettext_lazy("By you"),
    "detail": gettext_lazy("Detail"),
    "phone": gettext_lazy("Phone"),
    "bio": gettext_lazy("About the instructor"),
    "qualifications": gettext_lazy("Qualifications"),
}


def own_data_tables(data: dict) -> list[dict]:
    """The sections without a template of their own, as titled tables for the HTML and
    PDF exports (the JSON holds the same rows)."""
    tables = []
    for name, title, columns in _TABLES:
        rows = data.get(name) or []
        tables.append(
            {
                "title": title,
                "headers": [_COLUMN_LABELS[c] for c in columns],
                "rows": [[_cell(row.get(c)) for c in columns] for row in rows],
            }
        )
    account = data.get("account")
    if account:
        rows = [[a["email"], _cell(a["verified"])] for a in account["email_addresses"]]
        rows += [
            [f"{r['role']} {r['club'] or r['gmina'] or ''}", r["since"]] for r in account["roles"]
        ]
        tables.append(
            {
                "title": gettext_lazy("Your login"),
                "headers": [gettext_lazy("Email or role"), gettext_lazy("Since")],
                "rows": rows,
            }
        )
    return tables


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "; ".join(", ".join(str(v) for v in item.values() if v) for item in value) or "—"
    return str(value)


def _consent_text(consent: Consent) -> str | None:
    text = CONSENT_TEXTS.get(consent.purpose)
    # Only the current wording is kept in code; older versions are named, not quoted.
    return str(text.text) if text and text.version == consent.text_version else None


def own_data_export(*, member: Member, user, fmt: str) -> dict:
    """The person's data for download in `fmt` (json, html, pdf); logs a self-export."""
    from members.services.access_log import personal_data_access_log

    data = own_data(member)
    personal_data_access_log(
        user=user,
        action=PersonalDataAccess.Action.SELF_EXPORT,
        member=member,
        detail=fmt,
    )
    return data


# One per process: a FontConfiguration per render leaks memory (docs: ENVIRONMENT.md).
_FONT_CONFIG = None
PDF_STYLESHEET = """
@page { size: A4; margin: 18mm 16mm;
  @bottom-right { content: counter(page) " / " counter(pages); } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #111; }
h1 { font-size: 16pt; } h2 { font-size: 12pt; margin-top: 14pt; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }
th, td { border: 0.5pt solid #999; padding: 3pt 4pt; text-align: left; vertical-align: top; }
"""


def _refuse_fetch(url: str, *args, **kwargs):
    # The page is self-contained; never let WeasyPrint reach the network or the disk.
    raise ValueError(f"Refused to fetch {url}")


def own_data_pdf(html: str) -> bytes:
    """Render the printable own-data page (already rendered HTML) to PDF bytes."""
    global _FONT_CONFIG
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    if _FONT_CONFIG is None:
        _FONT_CONFIG = FontConfiguration()
    stylesheet = CSS(string=PDF_STYLESHEET, font_config=_FONT_CONFIG, url_fetcher=_refuse_fetch)
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf(
        stylesheets=[stylesheet], font_config=_FONT_CONFIG
    )
