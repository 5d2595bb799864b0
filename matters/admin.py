from django.contrib import admin

from accounts.admin_scope import ScopedAdmin

from .models import Matter, MatterStep


class ReadOnlyAdmin(ScopedAdmin, admin.ModelAdmin):
    """Matters change only through their steps (services, audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Matter)
class MatterAdmin(ReadOnlyAdmin):
    list_display = ["id", "micro_grid", "state", "recorded_at", "due_on", "solved"]
    list_filter = ["state"]
    search_fields = ["text", "place", "household__number"]
    list_select_related = ["micro_grid", "micro_grid__community"]


@admin.register(MatterStep)
class MatterStepAdmin(ReadOnlyAdmin):
    list_display = ["id", "matter", "step", "outcome", "at"]
    list_filter = ["step"]
