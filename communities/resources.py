import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from import_export import fields
from import_export.widgets import ForeignKeyWidget

from pinghu_points.resources import ModelResource
from villages.models import Village
from villages.resources import town_field

from .models import Community, MicroGrid, ScoringItem, ScoringStandard


class CommunityResource(ModelResource):
    town = town_field()
    village = fields.Field(
        attribute="village", column_name="village", widget=ForeignKeyWidget(Village, field="code")
    )

    class Meta:
        model = Community
        import_id_fields = ["code"]
        fields = ["code", "name", "town", "kind", "village"]


class MicroGridResource(ModelResource):
    community = fields.Field(
        attribute="community",
        column_name="community",
        widget=ForeignKeyWidget(Community, field="code"),
    )

    class Meta:
        model = MicroGrid
        import_id_fields = ["community", "code"]
        fields = ["community", "code", "name", "leader_name", "leader_phone"]


class StandardWidget(ForeignKeyWidget):
    """A standard written as it is shown everywhere: "2026 撤建制村统一标准" (year, space, name)."""

    PATTERN = re.compile(r"^\s*(\d{4})\s+(.+?)\s*$")

    def __init__(self):
        super().__init__(ScoringStandard)

    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        match = self.PATTERN.match(str(value))
        if not match:
            raise ValueError(_("积分标准应写成“年度 名称”，如“2026 撤建制村统一标准”"))
        standard = ScoringStandard.objects.filter(year=int(match[1]), name=match[2]).first()
        if standard is None:
            raise ValueError(_("没有积分标准“%(value)s”") % {"value": value})
        return standard

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{value.year} {value.name}"


class ItemResource(ModelResource):
    """Items of a draft standard, in and out of Excel. Items of a published standard are
    refused: a correction is a new version of the standard."""

    standard = fields.Field(attribute="standard", column_name="standard", widget=StandardWidget())

    class Meta:
        model = ScoringItem
        import_id_fields = ["standard", "code"]
        fields = [
            "standard",
            "code",
            "name",
            "category",
            "direction",
            "default_points",
            "min_points",
            "max_points",
            "cap_per_month",
            "cap_per_year",
            "is_veto",
            "evidence_required",
            "description",
        ]
        clean_model_instances = True
        skip_unchanged = True

    def import_instance(self, instance, row, **kwargs):
        published = (
            instance.pk is not None
            and ScoringItem.objects.filter(
                pk=instance.pk, standard__status=ScoringStandard.Status.PUBLISHED
            ).exists()
        )
        super().import_instance(instance, row, **kwargs)
        standard = instance.standard if instance.standard_id else None
        if published or (
            standard is not None and standard.status == ScoringStandard.Status.PUBLISHED
        ):
            raise ValidationError(
                {"standard": _("积分标准已发布，积分项不能再导入或修改；请新建一个标准版本")}
            )
