from datetime import date

import pytest

from members.age import age_band, age_on, is_minor, may_hold_login, meets_minimum_age


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2008, 11, 25), date(2026, 11, 24), 17),
        (date(2008, 11, 25), date(2026, 11, 25), 18),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_counts_full_years(born, on, age):
    assert age_on(born, on) == age


def test_minors_and_logins():
    on = date(2026, 11, 25)
    assert is_minor(date(2009, 1, 1), on)
    assert not is_minor(date(2008, 1, 1), on)
    assert not is_minor(None, on)
    assert not may_hold_login(date(2011, 1, 1), on)  # 15
    assert may_hold_login(date(2010, 11, 25), on)  # 16 today


def test_minimum_age_needs_a_known_birth_date():
    on = date(2026, 11, 25)
    assert meets_minimum_age(None, None, on)
    assert not meets_minimum_age(None, 16, on)
    assert meets_minimum_age(date(2008, 11, 25), 18, on)
    assert not meets_minimum_age(date(2008, 11, 26), 18, on)


def test_age_bands():
    on = date(2026, 6, 1)
    assert age_band(2010, on) == "16–17"
    assert age_band(2000, on) == "26–35"
    assert age_band(1950, on) == "66+"
    assert age_band(None, on) == "?"
