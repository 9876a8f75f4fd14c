"""#13: migration 0006 repairs the old "by the guardian" flags: only a flag backed by a
guardian's consent recorded in the same registration of an under-16 stays a guardian's;
every other flag becomes "unknown"."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("members", "0007_access_log_detail_without_values")]
AFTER = [("members", "0008_consent_given_by")]
AT = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_unverifiable_guardian_flags_become_unknown():
    apps = _migrate(BEFORE)
    Member = apps.get_model("members", "Member")
    Consent = apps.get_model("members", "Consent")
    GuardianConsent = apps.get_model("members", "GuardianConsent")

    def person(born: date):
        return Member.objects.create(first_name="A", last_name="B", birth_date=born)

    def consent(member, *, by_guardian: bool, method: str = "paper"):
        return Consent.objects.create(
            member=member,
            purpose="images",
            given=True,
            text_version="v1",
            recorded_at=AT,
            method=method,
            by_guardian=by_guardian,
        ).pk

    child, lone_child, teen, adult = (
        person(date(2014, 1, 1)),
        person(date(2014, 1, 1)),
        person(date(2008, 1, 1)),  # 17 when recorded
        person(date(1990, 1, 1)),
    )
    GuardianConsent.objects.create(
        member=child,
        guardian_name="Anna Nowak",
        guardian_contact="anna@example.pl",
        consent_date=date(2025, 3, 1),
        text_version="g1",
        method="paper",
        recorded_at=AT + timedelta(seconds=1),
    )
    GuardianConsent.objects.create(  # recorded a year later: not the same registration
        member=lone_child,
        guardian_name="Jan Nowak",
        guardian_contact="600100200",
        consent_date=date(2024, 3, 1),
        text_version="g1",
        method="paper",
        recorded_at=AT - timedelta(days=365),
    )
    GuardianConsent.objects.create(
        member=teen,
        guardian_name="Ewa Nowak",
        guardian_contact="600100200",
        consent_date=date(2025, 3, 1),
        text_version="g1",
        method="paper",
        recorded_at=AT,
    )
    ids = {
        "child": consent(child, by_guardian=True),
        "lone_child": consent(lone_child, by_guardian=True),
        "teen": consent(teen, by_guardian=True),
        "adult_paper": consent(adult, by_guardian=False),
        "adult_online": consent(adult, by_guardian=False, method="online"),
    }
    try:
        apps = _migrate(AFTER)
        rows = {
            name: apps.get_model("members", "Consent").objects.get(pk=pk)
            for name, pk in ids.items()
        }
        assert (rows["child"].given_by, rows["child"].guardian_name) == ("guardian", "Anna Nowak")
        assert rows["child"].guardian_email == "anna@example.pl"
        assert rows["lone_child"].given_by == "unknown"
        assert rows["teen"].given_by == "unknown"
        assert rows["adult_paper"].given_by == "staff_paper"
        assert rows["adult_online"].given_by == "self"
    finally:
        _migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
