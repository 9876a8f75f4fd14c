"""The staff's one search box: members, clubs, partners, sessions and certificates.

Each kind is read through its own `visible_to(user)`, exactly as its list page reads it,
so the search never shows more than the lists do: people only to roles that see personal
data, certificates only to those who may list them. One query per kind, at most
RESULTS_PER_KIND rows each, whatever the size of the country.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from certificates.models import Certificate
from clubs.models import Club, Partner
from kos_portal import access
from kos_portal.text import fold, search_words
from members.models import Member
from training.models import Session

RESULTS_PER_KIND = 10
MIN_LENGTH = 2


@dataclass
class Group:
    key: str
    title: str
    rows: list = field(default_factory=list)
    more: bool = False
    list_url: str = ""  # the full, filtered list, where one exists


def _first(queryset: QuerySet) -> tuple[list, bool]:
    rows = list(queryset[: RESULTS_PER_KIND + 1])
    return rows[:RESULTS_PER_KIND], len(rows) > RESULTS_PER_KIND


def _words_q(fields: tuple[str, ...], typed: str) -> Q:
    """Every typed word in one of `fields` (case-insensitive; for columns without a folded
    search_text)."""
    condition = Q()
    for word in typed.split():
        either = Q()
        for name in fields:
            either |= Q(**{f"{name}__icontains": word})
        condition &= either
    return condition


def can_search(user) -> bool:
    return access.can(user, "dashboards.search")


def search_for(user, typed: str) -> list[Group]:
    """The groups of results the user may see for the typed text (empty when too short)."""
    typed = " ".join((typed or "").split())
    if len(fold(typed)) < MIN_LENGTH:
        return []
    groups: list[Group] = []
    query = urlencode({"q": typed})

    if access.can(user, "members.view_member"):
        members = search_words(
            Member.objects.visible_to(user).filter(anonymised_at__isnull=True),
            "search_text",
            typed,
        ).order_by("last_name", "first_name", "pk")
        rows, more = _first(members)
        groups.append(Group("members", _("People"), rows, more))

    clubs = search_words(Club.objects.visible_to(user), "search_text", typed)
    rows, more = _first(clubs.select_related("municipality").order_by("name", "pk"))
    groups.append(Group("clubs", _("Clubs"), rows, more, f"{reverse('clubs:club-list')}?{query}"))

    partners = search_words(Partner.objects.visible_to(user), "search_text", typed)
    rows, more = _first(partners.select_related("municipality").order_by("name", "pk"))
    groups.append(
        Group("partners", _("Partners"), rows, more, f"{reverse('clubs:partner-list')}?{query}")
    )

    sessions = Session.objects.visible_to(user).filter(
        _words_q(("course__code", "course__title", "course__title_en", "club__name"), typed)
    )
    rows, more = _first(sessions.select_related("course", "club").order_by("-starts_at", "pk"))
    groups.append(Group("sessions", _("Sessions"), rows, more))

    if access.can(user, "certificates.view_certificate"):
        certificates = Certificate.objects.visible_to(user).filter(
            _words_q(("number", "holder_name", "course_title"), typed)
        )
        rows, more = _first(certificates.order_by("-issued_on", "-pk"))
        groups.append(Group("certificates", _("Certificates"), rows, more))
    return groups
