from django.db import migrations

PILLARS = [
    (1, "first-aid", "Pierwsza pomoc i ratownictwo", "First aid and rescue"),
    (2, "shooting", "Podstawowy kurs strzelecki", "Basic shooting course"),
    (3, "drones", "Drony (BSP/UAV)", "Drones (UAV/BSP)"),
    (4, "cyber", "Praktyczne cyberbezpieczeństwo", "Practical cybersecurity"),
    (
        5,
        "communication",
        "Komunikacja kryzysowa i przeciwdziałanie dezinformacji",
        "Crisis communication and countering disinformation",
    ),
]


def create_pillars(apps, schema_editor):
    Pillar = apps.get_model("clubs", "Pillar")
    for number, code, name_pl, name_en in PILLARS:
        Pillar.objects.update_or_create(
            code=code, defaults={"number": number, "name_pl": name_pl, "name_en": name_en}
        )


def fill_search_keys(apps, schema_editor):
    """Rows written before the search columns existed get them now."""
    for model_name, fields in (("Club", ("name", "locality")), ("Partner", ("name",))):
        model = apps.get_model("clubs", model_name)
        for row in model.objects.all():
            key = " ".join(" ".join(getattr(row, f).split()) for f in fields if getattr(row, f))
            row.search_text = key.casefold()
            if model_name == "Partner":
                row.name_key = " ".join(row.name.split()).casefold()
            row.save(update_fields=["search_text"] + (["name_key"] if model_name == "Partner" else []))


class Migration(migrations.Migration):
    dependencies = [("clubs", "0004_club_lifecycle_partners_starter_pack")]

    operations = [
        migrations.RunPython(create_pillars, migrations.RunPython.noop),
        migrations.RunPython(fill_search_keys, migrations.RunPython.noop),
    ]
