"""Local problem cases (community policing): the case, its actions with partners, and its
effectiveness indicators with measurements over time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clubs.models import Club, Municipality, Partner
from kos_portal import access
from resilience.models import CaseAction, Indicator, IndicatorMeasurement, ProblemCase

PERMISSION = "resilience.manage_cases"


def case_manage_refusal(user, *, municipality_id: int, club_id: int | None) -> str | None:
    """Why `user` may not manage cases in this gmina or club, or None when they may.

    A club's cases: its leaders, the gmina's coordinators, national staff. Gmina-level
    cases: coordinators and national staff only (access.can_on_gmina_or_club), although
    leaders of the gmina's clubs can read them.
    """
    probe = ProblemCase(municipality_id=municipality_id, club_id=club_id)
    if access.can_on_gmina_or_club(user, PERMISSION, probe):
        return None
    if club_id is None:
        return _(
            "Only the gmina's coordinator or national staff can manage the gmina's own "
            "cases. Club leaders manage their club's cases."
        )
    return _("You may not manage this club's cases.")


def case_manage_allowed(user, case: ProblemCase) -> bool:
    """Whether `user` may change `case` and add actions, indicators and measurements."""
    refusal = case_manage_refusal(user, municipality_id=case.municipality_id, club_id=case.club_id)
    return refusal is None


def _require_manage(user, case: ProblemCase) -> None:
    refusal = case_manage_refusal(user, municipality_id=case.municipality_id, club_id=case.club_id)
    if refusal:
        raise ValidationError(refusal)


@transaction.atomic
def case_create(
    *,
    created_by,
    title: str,
    diagnosis: str,
    municipality: Municipality | None = None,
    club: Club | None = None,
    stakeholders: str = "",
    trust_risks: str = "",
    status: str = ProblemCase.Status.OPEN,
) -> ProblemCase:
    """Open a case for a gmina or for one of its clubs.

    Safe to run twice: the same title with the same diagnosis in the same place returns
    the existing case; the same title with a different diagnosis is refused.
    """
    if club is not None:
        if municipality is not None and municipality.pk != club.municipality_id:
            raise ValidationError(_("The club is not in the chosen gmina."))
        municipality_id = club.municipality_id
    elif municipality is not None:
        municipality_id = municipality.pk
    else:
        raise ValidationError(_("Choose the gmina or the club the case belongs to."))
    refusal = case_manage_refusal(
        created_by, municipality_id=municipality_id, club_id=club.pk if club else None
    )
    if refusal:
        raise ValidationError(refusal)
    title = title.strip()
    existing = (
        ProblemCase.objects.select_for_update(of=("self",))
        .filter(municipality_id=municipality_id, club=club, title__iexact=title)
        .first()
    )
    if existing is not None:
        if existing.diagnosis.strip() == diagnosis.strip():
            return existing
        raise ValidationError(
            {"title": _("A case with this title already exists here. Choose another title.")}
        )
    return ProblemCase.objects.create(
        municipality_id=municipality_id,
        club=club,
        title=title,
        diagnosis=diagnosis,
        stakeholders=stakeholders,
        trust_risks=trust_risks,
        status=status,
        created_by=created_by,
    )


@transaction.atomic
def case_update(
    *,
    case: ProblemCase,
    changed_by,
    title: str,
    diagnosis: str,
    stakeholders: str,
    trust_risks: str,
    status: str,
) -> ProblemCase:
    """Change a case's description and status (not where it belongs). Safe to run twice."""
    _require_manage(changed_by, case)
    title = title.strip()
    clash = (
        ProblemCase.objects.filter(
            municipality_id=case.municipality_id, club_id=case.club_id, title__iexact=title
        )
        .exclude(pk=case.pk)
        .exists()
    )
    if clash:
        raise ValidationError(
            {"title": _("A case with this title already exists here. Choose another title.")}
        )
    case.title, case.diagnosis, case.status = title, diagnosis, status
    case.stakeholders, case.trust_risks = stakeholders, trust_risks
    case.save(update_fields=["title", "diagnosis", "stakeholders", "trust_risks", "status"])
    return case


def _check_partner(case: ProblemCase, partner: Partner | None) -> None:
    # Naming a partner gives it nothing: partners have no portal access. It only has to
    # be one of the case's gmina, as the form offers.
    if partner is not None and partner.municipality_id != case.municipality_id:
        raise ValidationError({"partner": _("Choose a partner from the case's gmina.")})


@transaction.atomic
def case_action_create(
    *,
    case: ProblemCase,
    created_by,
    description: str,
    partner: Partner | None = None,
    status: str = CaseAction.Status.PLANNED,
) -> CaseAction:
    """Add a mediation or partnership action to a case.

    Safe to run twice: the same description with the same partner updates the status of
    the existing action instead of adding a second one.
    """
    _require_manage(created_by, case)
    _check_partner(case, partner)
    description = description.strip()
    action = (
        CaseAction.objects.select_for_update(of=("self",))
        .filter(case=case, partner=partner, description=description)
        .first()
    )
    if action is None:
        return CaseAction.objects.create(
            case=case, description=description, partner=partner, status=status
        )
    if action.status != status:
        action.status = status
        action.save(update_fields=["status"])
    return action


@transaction.atomic
def case_action_update(
    *,
    action: CaseAction,
    changed_by,
    description: str,
    partner: Partner | None,
    status: str,
) -> CaseAction:
    """Change an action's description, partner or status. Safe to run twice."""
    _require_manage(changed_by, action.case)
    _check_partner(action.case, partner)
    action.description, action.partner, action.status = description.strip(), partner, status
    action.save(update_fields=["description", "partner", "status"])
    return action


@transaction.atomic
def indicator_create(
    *,
    case: ProblemCase,
    created_by,
    name: str,
    baseline: Decimal,
    target: Decimal,
    unit: str = "",
) -> Indicator:
    """Add an effectiveness indicator with its baseline and target.

    Safe to run twice: the same name with the same baseline and target returns the
    existing indicator; the same name with other numbers is refused.
    """
    _require_manage(created_by, case)
    name = name.strip()
    if baseline == target:
        raise ValidationError(
            {"target": _("The target must differ from the baseline, or there is nothing to reach.")}
        )
    existing = (
        Indicator.objects.select_for_update(of=("self",))
        .filter(case=case, name__iexact=name)
        .first()
    )
    if existing is not None:
        if existing.baseline == baseline and existing.target == target:
            return existing
        raise ValidationError({"name": _("This case already has an indicator with this name.")})
    return Indicator.objects.create(
        case=case, name=name, unit=unit.strip(), baseline=baseline, target=target
    )


@transaction.atomic
def measurement_add(
    *, indicator: Indicator, recorded_by, measured_on: date, value: Decimal
) -> IndicatorMeasurement:
    """Record the indicator's value on a day; a second value for the same day replaces
    the first, so running it twice is safe."""
    _require_manage(recorded_by, indicator.case)
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("A measurement can't be dated in the future.")})
    measurement, _created = IndicatorMeasurement.objects.update_or_create(
        indicator=indicator, measured_on=measured_on, defaults={"value": value}
    )
    return measurement
