from django.contrib import admin

from accounts.admin_scope import ScopedAdmin

from .models import Appeal


@admin.register(Appeal)
class AppealAdmin(ScopedAdmin, admin.ModelAdmin):
    """Read-only: appeals are filed and answered on their pages (services, audited)."""

    list_display = ["id", "household", "state", "filed_at", "answered_at"]
    list_filter = ["state"]
    search_fields = ["household__number", "household__head_name", "text"]
    list_select_related = ["household"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
