from django.db import migrations, models


class Migration(migrations.Migration):
    """The "certificate ready" email: due for new certificates, never for existing ones."""

    dependencies = [("certificates", "0002_list_indexes")]

    operations = [
        # Existing rows get False (their holders have had their PDFs for long) ...
        migrations.AddField(
            model_name="certificate",
            name="ready_email_due",
            field=models.BooleanField(default=False, editable=False),
        ),
        # ... and every certificate issued from now on starts out due.
        migrations.AlterField(
            model_name="certificate",
            name="ready_email_due",
            field=models.BooleanField(default=True, editable=False),
        ),
        migrations.AddIndex(
            model_name="certificate",
            index=models.Index(
                condition=models.Q(("ready_email_due", True)),
                fields=["id"],
                name="certificate_ready_email_idx",
            ),
        ),
    ]
