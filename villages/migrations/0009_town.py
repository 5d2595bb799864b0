import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Towns (镇/街道) above villages; communities.0010_town moves what exists into one."""

    dependencies = [
        ("villages", "0008_id_number_validator"),
    ]

    operations = [
        migrations.CreateModel(
            name="Town",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=32, unique=True, verbose_name="编码")),
                ("name", models.CharField(max_length=100, unique=True, verbose_name="名称")),
                (
                    "kind",
                    models.CharField(
                        choices=[("town", "镇"), ("subdistrict", "街道")],
                        default="town",
                        max_length=20,
                        verbose_name="类型",
                    ),
                ),
            ],
            options={
                "verbose_name": "镇（街道）",
                "verbose_name_plural": "镇（街道）",
                "ordering": ["code"],
            },
        ),
        migrations.AddField(
            model_name="village",
            name="town",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="villages",
                to="villages.town",
                verbose_name="镇（街道）",
            ),
        ),
    ]
