from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from .models import Community, MicroGrid, StaffMembership
from .resources import CommunityResource, MicroGridResource


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Community)
class CommunityAdmin(ImportExportModelAdmin):
    resource_classes = [CommunityResource]
    list_display = ["code", "name", "kind", "village"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    inlines = [StaffMembershipInline]


@admin.register(MicroGrid)
class MicroGridAdmin(ImportExportModelAdmin):
    resource_classes = [MicroGridResource]
    list_display = ["name", "code", "community", "leader_name", "leader"]
    list_filter = ["community"]
    search_fields = ["name", "code", "leader_name", "community__name"]
    list_select_related = ["community", "leader"]
    autocomplete_fields = ["leader"]
