"""Age rules in one place: minors, logins, age bands. Training's minimum ages use these too."""

from datetime import date

from django.utils import timezone

ADULT_AGE = 18  # under this, a guardian's consent is required
OWN_LOGIN_AGE = 16  # under this, no login of one's own
# Under this, consent-based processing needs a guardian's consent (RODO art. 8, Poland).
OWN_CONSENT_AGE = 16
# Bands for statistics; kept after erasure through Member.birth_year.
AGE_BANDS = [(0, 15), (16, 17), (18, 25), (26, 35), (36, 50), (51, 65), (66, 200)]


def age_on(birth_date: date, on: date | None = None) -> int:
    """Full years on `on` (today by default). Born on 29 February: a year passes on 1 March."""
    on = on or timezone.localdate()
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def is_minor(birth_date: date | None, on: date | None = None) -> bool:
    """Under 18. An unknown date of birth is not treated as a minor's."""
    return birth_date is not None and age_on(birth_date, on) < ADULT_AGE


def needs_guardian_for_consent(birth_date: date | None, on: date | None = None) -> bool:
    """Under 16: only a parent's or legal guardian's consent counts (RODO art. 8 as applied
    in Poland). An unknown date of birth is not treated as a child's."""
    return birth_date is not None and age_on(birth_date, on) < OWN_CONSENT_AGE


def may_hold_login(birth_date: date | None, on: date | None = None) -> bool:
    """Under-16s cannot hold a login of their own."""
    return birth_date is None or age_on(birth_date, on) >= OWN_LOGIN_AGE


def meets_minimum_age(birth_date: date | None, minimum: int | None, on: date | None = None) -> bool:
    """For courses with a minimum age: an unknown date of birth does not pass."""
    if not minimum:
        return True
    return birth_date is not None and age_on(birth_date, on) >= minimum


def age_band(birth_year: int | None, on: date | None = None) -> str:
    """A label such as "18–25" from the year of birth alone (what survives erasure)."""
    if birth_year is None:
        return "?"
    age = (on or timezone.localdate()).year - birth_year
    for low, high in AGE_BANDS:
        if low <= age <= high:
            return f"{low}+" if high >= 200 else f"{low}–{high}"
    return "?"
