from django.db import migrations

SKILLS = [
    ("paramedic", "Ratownik medyczny", "Paramedic"),
    ("medical", "Lekarz / pielęgniarka", "Doctor / nurse"),
    ("first-aider", "Kwalifikowana pierwsza pomoc (KPP)", "Qualified first aider (KPP)"),
    ("osp", "Członek OSP", "Volunteer firefighter (OSP)"),
    ("it", "Specjalista IT", "IT specialist"),
    ("drone-pilot", "Operator drona (BSP)", "Drone pilot (UAV)"),
    ("radio", "Krótkofalowiec", "Amateur radio operator"),
    ("psychologist", "Psycholog", "Psychologist"),
    ("teacher", "Nauczyciel", "Teacher"),
    ("driver", "Kierowca (kat. C)", "Driver (category C)"),
    ("uniformed", "Służby mundurowe / wojsko", "Uniformed services / military"),
    ("communications", "Komunikacja / media", "Communications / media"),
]


def create_skills(apps, schema_editor):
    Skill = apps.get_model("members", "Skill")
    for code, name_pl, name_en in SKILLS:
        Skill.objects.update_or_create(code=code, defaults={"name_pl": name_pl, "name_en": name_en})


class Migration(migrations.Migration):
    dependencies = [("members", "0002_member_details_consents_access_log")]

    operations = [migrations.RunPython(create_skills, migrations.RunPython.noop)]
