"""Small helpers shared by the members tests (roster, registration, consents)."""

from datetime import date, timedelta

from django.utils import timezone

from members.models import ConsentPurpose

ALL_CONSENTS = {
    ConsentPurpose.MEMBERSHIP_DATA: True,
    ConsentPurpose.IMAGES: False,
    ConsentPurpose.EMAIL_NEWS: True,
}


def born_years_ago(years: int) -> date:
    """A date of birth giving `years` full years today (about 100 days past the birthday)."""
    return timezone.localdate() - timedelta(days=int(365.25 * years) + 100)


def guardian(**overrides) -> dict:
    data = {
        "guardian_name": "Anna Nowak",
        "guardian_relation": "matka",
        "guardian_contact": "+48600100200",
        "consent_date": timezone.localdate(),
    }
    data.update(overrides)
    return data
