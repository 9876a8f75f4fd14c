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

EXPORT_SCHEMA_VERSION = 1

# Sections that apps above members add to the export (training: "trainings",
# certificates: "certificates"), each a function member -> list of JSON-ready dicts.
# They register in their AppConfig.ready(); members never imports them.
EXPORT_SECTIONS: dict[str, Callable[[Member], list[dict]]] = {}


def export_section_register(name: str, build: Callable[[Member], list[dict]]) -> None:
    """Add a section to every member's own-data export (called from an app's ready())."""
    EXPORT_SECTIONS[name] = build


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
                "by_guardian": consent.by_guardian,
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
    for name, build in EXPORT_SECTIONS.items():
        data[name] = build(member)
    return data


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
