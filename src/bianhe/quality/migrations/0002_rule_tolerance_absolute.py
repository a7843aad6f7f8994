"""Rule tolerances become absolute amounts (empty = the rounding of the terms).

The stored values were relative shares (0.001 = 0.1 %), which mean nothing as amounts, so every
rule starts from the derived tolerance; a ministry user may then set an amount per rule.
"""

from django.db import migrations, models


def clear_relative_tolerances(apps, schema_editor):
    apps.get_model("quality", "Rule").objects.update(tolerance=None)


def zero_empty_tolerances(apps, schema_editor):
    apps.get_model("quality", "Rule").objects.filter(tolerance__isnull=True).update(tolerance=0)


class Migration(migrations.Migration):

    dependencies = [
        ("quality", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="rule",
            name="tolerance",
            field=models.FloatField(
                blank=True, null=True, verbose_name="tolerance",
                help_text="The largest gap between the two sides still counted as equal, in "
                          "the unit of the figures (e.g. 0.15). Empty: half a unit of the last "
                          "decimal of each figure the rule reads, added up."),
        ),
        migrations.RunPython(clear_relative_tolerances, zero_empty_tolerances),
    ]
