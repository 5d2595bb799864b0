from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from communities.models import StaffMembership

from .models import AuditRecord, User
from .services import audit_record, role_snapshot


class StaffMembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    verbose_name_plural = _("所属社区（社区工作人员）")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "role", "cooperative", "household", "is_active"]
    list_filter = ["role", "is_active", "is_staff", "cooperative"]
    list_select_related = ["cooperative", "household"]
    raw_id_fields = ["household"]
    inlines = [StaffMembershipInline]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            _("角色与范围"),
            {
                "fields": [
                    "role",
                    "cooperative",
                    "household",
                    "must_change_password",
                    "password_issued_at",
                ]
            },
        ),
    )
    readonly_fields = ["password_issued_at"]
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        (_("角色与范围"), {"fields": ["role", "cooperative", "household"]}),
    )

    def save_model(self, request, obj, form, change):
        # Role and scope are permissions: every change of them goes to the audit trail.
        before = {}
        if change:
            previous = User.objects.get(pk=obj.pk)
            before = role_snapshot(previous)
        super().save_model(request, obj, form, change)
        after = role_snapshot(obj)
        if before != after:
            audit_record(
                actor=request.user,
                action="user.role_changed" if change else "user.created",
                target=obj,
                details={"before": before, "after": after},
            )

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is StaffMembership and formset.has_changed():
            audit_record(
                actor=request.user,
                action="user.communities_changed",
                target=form.instance,
                details={
                    "communities": sorted(form.instance.communities.values_list("code", flat=True))
                },
            )


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    """The audit trail: filterable by admins, editable by nobody."""

    list_display = ["at", "actor_username", "ip_address", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type", ("at", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "object_repr", "object_id", "action"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditRecord._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
