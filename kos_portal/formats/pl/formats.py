"""One Polish date format everywhere: "7 gru 2026" (and "7 gru 2026, 17:00").

Django's Polish formats mix "7 grudnia 2026", "07-12-2026" and, with "M", "7 Gru"; pages,
exports and emails read better with one short form. "b" is the month's lowercase
three-letter name ("sty", "lut", ... "gru"). Input formats stay Django's (the HTML date
and time inputs send ISO values, which Django's Polish input formats accept).
"""

from django.conf.locale.pl.formats import *  # noqa: F403  (the rest stays Django's)

DATE_FORMAT = "j b Y"
SHORT_DATE_FORMAT = "j b Y"
DATETIME_FORMAT = "j b Y, H:i"
SHORT_DATETIME_FORMAT = "j b Y, H:i"
MONTH_DAY_FORMAT = "j b"
YEAR_MONTH_FORMAT = "F Y"
