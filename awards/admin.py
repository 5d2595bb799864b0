from django.contrib import admin

from accounts.admin_scope import ScopedAdmin

from .models import AwardLine, AwardRun


class ReadOnlyAdmin(ScopedAdmin, admin.ModelAdmin):
    """Award runs are made, computed and approved by the services only (docs/awards.md)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AwardRun)
class AwardRunAdmin(ReadOnlyAdmin):
    list_display = (
        "cooperative",
        "name",
        "period_kind",
        "year",
        "period_number",
        "version",
        "status",
        "pool",
        "paid",
        "remainder",
    )
    list_filter = ("status", "period_kind", "year")


@admin.register(AwardLine)
class AwardLineAdmin(ReadOnlyAdmin):
    list_display = ("run", "household_number", "head_name", "score", "amount")
    search_fields = ("household_number",)
