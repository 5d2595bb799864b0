"""The local bank and an example grade table, for the subdistrict to confirm or edit in the
admin (docs/bank.md, "The grade table")."""

from decimal import Decimal

from django.db import migrations

GRADES = [
    (Decimal("90"), "A", Decimal("300000.00")),
    (Decimal("80"), "B", Decimal("200000.00")),
    (Decimal("70"), "C", Decimal("100000.00")),
    (Decimal("60"), "D", Decimal("50000.00")),
]


def forwards(apps, schema_editor):
    Bank = apps.get_model("banking", "Bank")
    CreditGrade = apps.get_model("banking", "CreditGrade")
    Bank.objects.get_or_create(code="PHRCB", defaults={"name": "平湖农商银行"})
    if not CreditGrade.objects.exists():
        CreditGrade.objects.bulk_create(
            CreditGrade(min_score=score, grade=grade, amount=amount)
            for score, grade, amount in GRADES
        )


class Migration(migrations.Migration):
    dependencies = [("banking", "0001_bank_consent_grade_token")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
