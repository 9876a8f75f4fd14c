"""The roles a person can hold. Kept free of model imports so every app can use it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    NATIONAL = "national", _("National staff (ICCSS)")
    COORDINATOR = "coordinator", _("Municipal coordinator")
    LEADER = "leader", _("Club leader")
    INSTRUCTOR = "instructor", _("Instructor")


# Roles that must use two-factor authentication before reaching personal data, and whose
# sessions expire when idle and after 12 hours at most: every role that sees personal data.
# Leaders see their club's minors, instructors the people in their sessions (issue #13);
# members, who see only themselves, hold no role.
PRIVILEGED_ROLES = frozenset({Role.NATIONAL, Role.COORDINATOR, Role.LEADER, Role.INSTRUCTOR})

# Which roles each role may invite. The scope rule (own gmina, own club) is in access.py.
INVITABLE_BY = {
    Role.NATIONAL: frozenset(Role),
    Role.COORDINATOR: frozenset({Role.LEADER, Role.INSTRUCTOR}),
    Role.LEADER: frozenset({Role.LEADER, Role.INSTRUCTOR}),
    Role.INSTRUCTOR: frozenset(),
}
