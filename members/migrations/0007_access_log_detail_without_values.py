"""Old access-log rows kept raw search strings (names, emails) in `detail`: keep the
filter names only, as the log helper now does for every new row."""

import re

from django.db import migrations

_QUERY_PAIR = re.compile(r"([?&;\s]|^)([\w.\-\[\]]+)=[^&;\s]*")


def _without_values(detail: str) -> str:
    # A frozen copy of members.services.access_log.detail_without_values.
    path, sep, query = (detail or "").partition("?")
    names = [pair.split("=", 1)[0] for pair in re.split(r"[&;]", query) if pair] if sep else []
    path = _QUERY_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}", path)
    if names:
        path = f"{path} [filters: {', '.join(sorted(set(names)))}]"
    return path[:500]


def scrub(apps, schema_editor):
    Log = apps.get_model("members", "PersonalDataAccess")
    rows = Log.objects.filter(detail__contains="=").only("pk", "detail")
    for row in rows.iterator(chunk_size=2000):
        clean = _without_values(row.detail)
        if clean != row.detail:  # update(): the model's save() refuses to rewrite a row
            Log.objects.filter(pk=row.pk).update(detail=clean)


class Migration(migrations.Migration):
    dependencies = [("members", "0006_search_text_folded")]
    operations = [migrations.RunPython(scrub, migrations.RunPython.noop, elidable=True)]
