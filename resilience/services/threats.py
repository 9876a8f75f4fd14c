"""Writes for the threat register: saving a threat and recording its periodic review."""

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clubs.models import Municipality, Pillar
from resilience.models import Threat
from resilience.selectors_threats import gmina_people

SCALE = range(1, 6)


@transaction.atomic
def threat_save(
    *,
    municipality: Municipality,
    kind: str,
    title: str,
    description: str,
    likelihood: int,
    impact: int,
    pillars: Iterable[Pillar],
    owner,
    review_due_on: date,
    threat: Threat | None = None,
) -> Threat:
    """Create a threat in `municipality`, or update `threat` with these values.

    The owner must hold an active role in the gmina. Safe to run twice (same values, same row).
    """
    if likelihood not in SCALE or impact not in SCALE:
        raise ValidationError(_("Likelihood and impact are rated from 1 to 5."))
    if owner is not None and not gmina_people(municipality).filter(pk=owner.pk).exists():
        raise ValidationError(_("The owner must hold an active role in this gmina."))
    threat = threat or Threat(municipality=municipality)
    if threat.municipality_id != municipality.pk:
        raise ValidationError(_("A threat stays in the register of its own gmina."))
    threat.kind = kind
    threat.title = title
    threat.description = description
    threat.likelihood = likelihood
    threat.impact = impact
    threat.owner = owner
    threat.review_due_on = review_due_on
    threat.save()
    threat.pillars.set(pillars)
    return threat


@transaction.atomic
def threat_review(*, threat: Threat, next_review_on: date) -> Threat:
    """Mark the threat reviewed today and set its next review. Safe to run twice."""
    today = timezone.localdate()
    if next_review_on <= today:
        raise ValidationError(_("The next review must be after today."))
    threat.reviewed_on = today
    threat.review_due_on = next_review_on
    threat.save(update_fields=["reviewed_on", "review_due_on"])
    return threat
