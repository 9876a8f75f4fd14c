"""search_text becomes folded words (kos_portal.text.fold): "zlotoklos" finds "Złotokłos",
and a club's row carries its gmina's name. On PostgreSQL, trigram indexes serve the
`LIKE '%word%'` of every search box."""

from django.db import migrations

from kos_portal.text import fold

BATCH = 2000


def refold(apps, schema_editor):
    Club = apps.get_model("clubs", "Club")
    Partner = apps.get_model("clubs", "Partner")
    clubs = []
    for club in Club.objects.select_related("municipality").iterator(chunk_size=BATCH):
        club.search_text = fold(club.name, club.locality, club.municipality.name)
        clubs.append(club)
    Club.objects.bulk_update(clubs, ["search_text"], batch_size=BATCH)
    partners = []
    for partner in Partner.objects.iterator(chunk_size=BATCH):
        partner.search_text = fold(partner.name, partner.address, partner.contact_person)
        partners.append(partner)
        if len(partners) == BATCH:
            Partner.objects.bulk_update(partners, ["search_text"])
            partners = []
    Partner.objects.bulk_update(partners, ["search_text"])


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in ("clubs_club", "clubs_partner"):
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_search_trgm "
            f"ON {table} USING gin (search_text gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("clubs_club", "clubs_partner"):
        schema_editor.execute(f"DROP INDEX IF EXISTS {table}_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("clubs", "0008_locality_simc")]

    operations = [
        migrations.RunPython(refold, migrations.RunPython.noop),
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
    ]
