"""Training tests build meetings from "now" (the world's session starts in 7 days, on the
hour, for 3 hours). They all run at one fixed moment, so none depends on the time of day:
from about 21:00 Warsaw time such a meeting used to cross midnight (issue #12), and near
midnight date.today() (the machine's zone) and the portal's local date disagree."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

WARSAW = ZoneInfo("Europe/Warsaw")
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=WARSAW)


@pytest.fixture(autouse=True)
def _fixed_time():
    with time_machine.travel(NOON, tick=True):
        yield
