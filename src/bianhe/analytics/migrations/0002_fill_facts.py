"""Fill the fact table from the reports that were already submitted, approved or accepted.

The SQL is written out here rather than taken from ``analytics.facts``: a migration must
keep doing what it did when it was written, whatever later migrations add to the tables.
"""

from django.db import migrations

FILL = """
INSERT INTO analytics_fact (report_id, zone_id, indicator_code, member, period, status,
                            value, is_demo)
SELECT v.report_id, r.zone_id, v.indicator_code, v.member, r.period, r.status,
       CAST(v.value AS DOUBLE PRECISION), r.is_demo
FROM reporting_datavalue v JOIN reporting_report r ON r.id = v.report_id
WHERE v.value IS NOT NULL AND r.status IN ('submitted', 'approved', 'accepted')
"""


def fill(apps, schema_editor):
    schema_editor.execute("DELETE FROM analytics_fact")
    schema_editor.execute(FILL)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
