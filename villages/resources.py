from import_export import fields
from import_export.widgets import ForeignKeyWidget

from pinghu_points.resources import ModelResource

from .models import Cooperative, Household, ShareClass, Town, Village


class TownWidget(ForeignKeyWidget):
    """A town by its code; an empty cell is the one town of a one-town deployment."""

    def __init__(self):
        super().__init__(Town, field="code")

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            towns = list(Town.objects.all()[:2])
            if len(towns) == 1:
                return towns[0]
        return super().clean(value, row, **kwargs)


def town_field():
    return fields.Field(attribute="town", column_name="town", widget=TownWidget())


class VillageResource(ModelResource):
    town = town_field()

    class Meta:
        model = Village
        import_id_fields = ["code"]
        fields = ["code", "name", "town", "dissolved_on"]


class CooperativeResource(ModelResource):
    village = fields.Field(
        attribute="village",
        column_name="village",
        widget=ForeignKeyWidget(Village, field="code"),
    )

    class Meta:
        model = Cooperative
        import_id_fields = ["code"]
        fields = ["code", "name", "village"]


class ShareClassResource(ModelResource):
    class Meta:
        model = ShareClass
        fields = ["cooperative__code", "code", "name", "weight"]


class HouseholdExportResource(ModelResource):
    """Register export: personal data masked, as in every list."""

    cooperative = fields.Field(attribute="cooperative__code", column_name="合作社")
    number = fields.Field(attribute="number", column_name="户号")
    head_name = fields.Field(attribute="head_name", column_name="户主姓名")
    head_id_number = fields.Field(attribute="masked_id_number", column_name="身份证号")
    phone = fields.Field(attribute="masked_phone", column_name="联系电话")
    community = fields.Field(attribute="community__name", column_name="居住社区")
    micro_grid = fields.Field(attribute="micro_grid__name", column_name="微网格")
    bank_account = fields.Field(attribute="masked_bank_account", column_name="银行账号")

    class Meta:
        model = Household
        fields = export_order = [
            "cooperative",
            "number",
            "head_name",
            "head_id_number",
            "phone",
            "community",
            "micro_grid",
            "bank_account",
        ]
