"""Fill the fact table from the reports that were already submitted, approved or accepted."""

from django.db import migrations


def fill(apps, schema_editor):
    from bianhe.analytics.facts import rebuild

    rebuild()


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
