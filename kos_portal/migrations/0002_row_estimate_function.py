"""kos_row_estimate(query): the PostgreSQL planner's row estimate for a query, without
running it. kos_portal.pagination asks for it in the same statement as its capped count,
so a long list costs one counting query (see docs/performance.md)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION kos_row_estimate(query text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric::bigint;
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS kos_row_estimate(text)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite counts exactly instead
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("kos_portal", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
