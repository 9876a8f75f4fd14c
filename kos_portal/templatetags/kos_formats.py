"""Formats people read more easily than the stored form: `{% load kos_formats %}`."""

import phonenumbers
from django import template

register = template.Library()


@register.filter
def phone(value: str | None) -> str:
    """A stored phone number (E.164, "+48601234567") grouped for reading: "+48 601 234 567".

    Anything that does not parse is shown as stored, so nothing typed is ever hidden.
    """
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "PL")
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(number):
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def iso_date(value: str | None) -> str:
    """An ISO date or timestamp from JSON-ready data (the own-data export) in the page's
    date format: "2026-12-07" reads "7 gru 2026" in Polish."""
    if not value:
        return ""
    from datetime import date, datetime

    from django.utils import formats, timezone

    try:
        if len(value) == 10:
            return formats.date_format(date.fromisoformat(value), "DATE_FORMAT")
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")
