import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("villages", "0009_town"),
        ("communities", "0011_town"),  # which put every village into a town
    ]

    operations = [
        migrations.AlterField(
            model_name="village",
            name="town",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="villages",
                to="villages.town",
                verbose_name="镇（街道）",
            ),
        ),
    ]
