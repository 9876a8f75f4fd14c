"""Members' search_text becomes folded words (kos_portal.text.fold): "zolkiewska" finds
"Żółkiewska". On PostgreSQL a trigram index serves the roster's `LIKE '%kowal%'`, which
walked all members in name order (0.5 s in the biggest club at national scale)."""

from django.db import migrations

from kos_portal.text import fold

BATCH = 2000


def refold(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    batch = []
    rows = Member.objects.exclude(search_text="").only("first_name", "last_name", "email")
    for member in rows.iterator(chunk_size=BATCH):
        member.search_text = fold(member.first_name, member.last_name, member.email)
        batch.append(member)
        if len(batch) == BATCH:
            Member.objects.bulk_update(batch, ["search_text"])
            batch = []
    Member.objects.bulk_update(batch, ["search_text"])


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS members_member_search_trgm "
        "ON members_member USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS members_member_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("members", "0005_logins_for_members_and_guardians")]

    operations = [
        migrations.RunPython(refold, migrations.RunPython.noop),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
