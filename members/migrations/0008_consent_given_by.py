"""Who gave a consent (#13): `given_by` (+ the guardian's name, relation, email) replaces
the `by_guardian` flag, which was set for every minor whether or not a guardian consented.

Repair of existing rows:
- flag off: the person (online, own account) or their paper form recorded by staff;
- flag on, under 16 at the time, and a guardian's consent recorded in the same registration
  (same method, within 10 minutes): that named guardian;
- every other flag on (no guardian on record, or a 16-17-year-old's own consent stored as
  the guardian's): "unknown", which counts as no valid consent for under-16s.
"""

from datetime import timedelta

from django.db import migrations, models

SAME_REGISTRATION = timedelta(minutes=10)


def _age_on(birth_date, day) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def repair(apps, schema_editor):
    Consent = apps.get_model("members", "Consent")
    GuardianConsent = apps.get_model("members", "GuardianConsent")
    Consent.objects.filter(by_guardian=False, method__in=["online", "self"]).update(
        given_by="self"
    )
    Consent.objects.filter(by_guardian=False).exclude(method__in=["online", "self"]).update(
        given_by="staff_paper"
    )
    flagged = Consent.objects.filter(by_guardian=True).select_related("member")
    for consent in flagged.iterator(chunk_size=2000):
        birth_date = consent.member.birth_date
        guardian = None
        if birth_date and _age_on(birth_date, consent.recorded_at.date()) < 16:
            guardian = (
                GuardianConsent.objects.filter(
                    member_id=consent.member_id,
                    method=consent.method,
                    recorded_at__gte=consent.recorded_at - SAME_REGISTRATION,
                    recorded_at__lte=consent.recorded_at + SAME_REGISTRATION,
                )
                .exclude(guardian_name="")
                .first()
            )
        if guardian is None:
            Consent.objects.filter(pk=consent.pk).update(given_by="unknown")
            continue
        contact = guardian.guardian_contact.strip()
        Consent.objects.filter(pk=consent.pk).update(
            given_by="guardian",
            guardian_name=guardian.guardian_name,
            guardian_email=contact if "@" in contact else "",
        )


def restore_flag(apps, schema_editor):
    Consent = apps.get_model("members", "Consent")
    Consent.objects.filter(given_by="guardian").update(by_guardian=True)


class Migration(migrations.Migration):
    dependencies = [("members", "0007_access_log_detail_without_values")]

    operations = [
        migrations.AddField(
            model_name="consent",
            name="given_by",
            field=models.CharField(
                choices=[
                    ("self", "the person"),
                    ("guardian", "a parent or legal guardian"),
                    ("staff_paper", "the person, on a paper form recorded by staff"),
                    ("unknown", "unknown"),
                ],
                default="unknown",
                max_length=16,
                verbose_name="given by",
            ),
        ),
        migrations.AddField(
            model_name="consent",
            name="guardian_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="guardian's email"),
        ),
        migrations.AddField(
            model_name="consent",
            name="guardian_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="guardian's name"),
        ),
        migrations.AddField(
            model_name="consent",
            name="guardian_relation",
            field=models.CharField(blank=True, max_length=50, verbose_name="guardian's relation"),
        ),
        migrations.AddField(
            model_name="guardianconsent",
            name="guardian_relation",
            field=models.CharField(blank=True, max_length=50, verbose_name="guardian's relation"),
        ),
        migrations.RunPython(repair, restore_flag),
        migrations.RemoveField(model_name="consent", name="by_guardian"),
    ]
