from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from villages.models import Village

from .models import Community, MicroGrid


class CommunityResource(resources.ModelResource):
    village = fields.Field(
        attribute="village", column_name="village", widget=ForeignKeyWidget(Village, field="code")
    )

    class Meta:
        model = Community
        import_id_fields = ["code"]
        fields = ["code", "name", "kind", "village"]


class MicroGridResource(resources.ModelResource):
    community = fields.Field(
        attribute="community",
        column_name="community",
        widget=ForeignKeyWidget(Community, field="code"),
    )

    class Meta:
        model = MicroGrid
        import_id_fields = ["community", "code"]
        fields = ["community", "code", "name", "leader_name", "leader_phone"]
