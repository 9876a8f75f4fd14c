"""Reads for the certificate pages. Every one starts from Certificate.objects.visible_to."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.models import Certificate
from clubs.models import Club
from kos_portal import access
from training.models import Course, Session

EXPIRING_WITHIN_DAYS = 90


def state_condition(state: str, today: date) -> Q:
    """The database form of Certificate.state_on(today) == state."""
    revoked = Q(status=Certificate.Status.REVOKED)
    expired = ~revoked & Q(expires_on__lt=today)
    if state == "revoked":
        return revoked
    if state == "expired":
        return expired
    if state == "valid":
        return ~revoked & (Q(expires_on__isnull=True) | Q(expires_on__gte=today))
    return Q()


def certificate_list_for(
    user,
    *,
    club: Club | None = None,
    course: Course | None = None,
    state: str = "",
    expiring: bool = False,
    today: date | None = None,
) -> QuerySet[Certificate]:
    """Certificates the user sees (their clubs', and their own), filtered, newest first,
    with what the list shows joined in (a constant number of queries)."""
    today = today or timezone.localdate()
    certificates = Certificate.objects.visible_to(user).select_related("club", "course", "pillar")
    if club is not None:
        certificates = certificates.filter(club=club)
    if course is not None:
        certificates = certificates.filter(course=course)
    if state:
        certificates = certificates.filter(state_condition(state, today))
    if expiring:
        certificates = certificates.filter(
            state_condition("valid", today),
            expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS),
        )
    return certificates.order_by("-issued_on", "-pk")


def certificate_filter_choices(user) -> tuple[QuerySet[Club], QuerySet[Course]]:
    """Clubs in the user's scope and courses the user has certificates of, for the filters."""
    clubs = Club.objects.visible_to(user, access.PERSONAL_DATA_ROLES).order_by("name")
    visible = Certificate.objects.visible_to(user)
    courses = Course.objects.filter(pk__in=visible.values("course_id")).order_by("code")
    return clubs, courses


def certificate_get_for(user, certificate_pk: int) -> Certificate:
    """One certificate the user sees, with everything its page shows; 404 otherwise."""
    return get_object_or_404(
        Certificate.objects.visible_to(user).select_related(
            "club__municipality", "course", "pillar", "member", "session", "revoked_by"
        ),
        pk=certificate_pk,
    )


def session_get_for(user, session_pk: int) -> Session:
    """A training session the user sees (404 otherwise), with its course and club."""
    return get_object_or_404(
        Session.objects.visible_to(user).select_related("course", "club__municipality"),
        pk=session_pk,
    )


def session_certificates_for(user, session: Session) -> list[Certificate]:
    """The session's certificates the user sees, ordered by number, revoked ones left out
    (nobody should print them)."""
    return list(
        Certificate.objects.visible_to(user)
        .filter(session=session)
        .exclude(status=Certificate.Status.REVOKED)
        .select_related("course", "pillar")
        .order_by("number")
    )


def result_certificates_for(user, enrolments) -> dict[int, dict]:
    """For training's results page (training.hooks.result_outcomes): the certificate of
    each passed enrolment, by enrolment pk. One query. A pass without a certificate yet is
    "being issued" (the reconciler issues it within minutes)."""
    passed = [e.pk for e in enrolments if e.result == e.Result.PASSED]
    if not passed:
        return {}
    certificates = {
        c.enrolment_id: c
        for c in Certificate.objects.visible_to(user)
        .filter(enrolment_id__in=passed)
        .only("pk", "number", "enrolment_id", "status", "render_status")
    }
    outcomes = {}
    for pk in passed:
        certificate = certificates.get(pk)
        if certificate is None:
            outcomes[pk] = {"label": _("Certificate"), "detail": _("being issued"), "url": ""}
            continue
        if certificate.status == Certificate.Status.REVOKED:
            detail = _("revoked")
        elif certificate.render_status == Certificate.RenderStatus.DONE:
            detail = _("ready")
        elif certificate.render_status == Certificate.RenderStatus.FAILED:
            detail = _("the PDF failed; the club's staff can re-issue it")
        else:
            detail = _("PDF being prepared")
        outcomes[pk] = {
            "label": certificate.number,
            "detail": detail,
            "url": certificate.get_absolute_url(),
        }
    return outcomes
