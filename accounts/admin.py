from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from communities.models import StaffMembership

from .admin_scope import ScopedAdmin, ScopedInline
from .models import AuditRecord, User
from .services import audit_record, role_snapshot, villager_login_changed


class StaffMembershipInline(ScopedInline, admin.TabularInline):
    model = StaffMembership
    extra = 0
    verbose_name_plural = _("所属社区（社区工作人员）")


@admin.register(User)
class UserAdmin(ScopedAdmin, BaseUserAdmin):
    list_display = [
        "username", "first_name", "role", "town", "cooperative", "household", "is_active"
    ]  # fmt: skip
    list_filter = ["role", "is_active", "is_staff", "town", "cooperative"]
    list_select_related = ["town", "cooperative", "household"]
    raw_id_fields = ["household"]
    inlines = [StaffMembershipInline]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            _("角色与范围"),
            {
                "fields": [
                    "role",
                    "town",
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
        (_("角色与范围"), {"fields": ["role", "town", "cooperative", "household"]}),
    )

    # Logins here (and with them villagers' passwords) are the city admin's alone, whatever
    # Django permissions another login was given: a town admin, supervisor or staff member
    # who got into the admin site must not be able to set another town's villager's password
    # and log in as them. A town admin keeps their town's villager logins at the desk
    # (accounts.scope.households_login_keepable_by); the city sets up town admins and staff.
    @staticmethod
    def _keeps_logins(request):
        return request.user.is_active and request.user.is_city_admin

    def has_module_permission(self, request):
        return self._keeps_logins(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._keeps_logins(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._keeps_logins(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._keeps_logins(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._keeps_logins(request) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        # Role and scope are permissions: every change of them goes to the audit trail.
        before = {}
        if change:
            previous = User.objects.get(pk=obj.pk)
            before = role_snapshot(previous)
        super().save_model(request, obj, form, change)
        after = role_snapshot(obj)
        if not change and obj.is_villager:
            villager_login_changed(
                actor=request.user,
                action="villager.login_created",
                login=obj,
                household=obj.household,
                details={"channel": "admin", "after": after},
            )
        elif before != after:
            audit_record(
                actor=request.user,
                action="user.role_changed" if change else "user.created",
                target=obj,
                details={"before": before, "after": after},
            )

    def user_change_password(self, request, id, form_url=""):
        """The admin's "set password" page, audited: a villager's login as
        `villager.password_reset`, any other as `user.password_reset` (never the password)."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            login = User.objects.select_related("household").get(pk=id)
            if login.is_villager:
                villager_login_changed(
                    actor=request.user,
                    action="villager.password_reset",
                    login=login,
                    household=login.household,
                    details={"channel": "admin"},
                )
            else:
                audit_record(
                    actor=request.user,
                    action="user.password_reset",
                    target=login,
                    details={"channel": "admin"},
                )
        return response

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
class AuditRecordAdmin(ScopedAdmin, admin.ModelAdmin):
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
