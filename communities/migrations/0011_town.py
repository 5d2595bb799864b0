import django.db.models.deletion
from django.db import migrations, models

# Before towns the product held one subdistrict: everything there is moves into it.
DANGHU = {"code": "DANGHU", "name": "当湖街道", "kind": "subdistrict"}


def move_into_one_town(apps, schema_editor):
    Town = apps.get_model("villages", "Town")
    Village = apps.get_model("villages", "Village")
    Community = apps.get_model("communities", "Community")
    ScoringStandard = apps.get_model("communities", "ScoringStandard")
    homeless = [
        model.objects.filter(town__isnull=True) for model in (Village, Community, ScoringStandard)
    ]
    if not any(rows.exists() for rows in homeless):
        return  # a new database: towns are set up as they come
    town, _made = Town.objects.get_or_create(
        code=DANGHU["code"], defaults={"name": DANGHU["name"], "kind": DANGHU["kind"]}
    )
    for rows in homeless:
        rows.update(town=town)


class Migration(migrations.Migration):
    dependencies = [
        ("communities", "0010_door_record"),
        ("villages", "0009_town"),
    ]

    operations = [
        migrations.AddField(
            model_name="community",
            name="town",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="communities",
                to="villages.town",
                verbose_name="镇（街道）",
            ),
        ),
        migrations.AddField(
            model_name="scoringstandard",
            name="town",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="scoring_standards",
                to="villages.town",
                verbose_name="镇（街道）",
            ),
        ),
        migrations.RunPython(move_into_one_town, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="community",
            name="town",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="communities",
                to="villages.town",
                verbose_name="镇（街道）",
            ),
        ),
        migrations.AlterField(
            model_name="scoringstandard",
            name="town",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="scoring_standards",
                to="villages.town",
                verbose_name="镇（街道）",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="scoringstandard",
            name="standard_name_year_unique",
        ),
        migrations.AddConstraint(
            model_name="scoringstandard",
            constraint=models.UniqueConstraint(
                fields=("town", "name", "year"), name="standard_town_name_year_unique"
            ),
        ),
    ]
