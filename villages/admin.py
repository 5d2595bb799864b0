from django import forms
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportModelAdmin

from accounts.admin_scope import ScopedAdmin, ScopedInline
from accounts.scope import households_payable_by, households_visible_to

from .models import Cooperative, Household, Member, ShareClass, ShareMovement, Town, Village
from .resources import (
    CooperativeResource,
    HouseholdExportResource,
    ShareClassResource,
    VillageResource,
)


class TownChoiceField(forms.ModelChoiceField):
    """The town of a village, community or standard: left empty where the deployment has
    one town (every deployment before towns), it is that town."""

    def clean(self, value):
        if value in self.empty_values:
            towns = list(Town.objects.all()[:2])
            if len(towns) == 1:
                return towns[0]
        return super().clean(value)


class TownFieldAdmin:
    """For the admins of models with a `town`: the one town preselected and implied."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "town":
            kwargs["form_class"] = TownChoiceField
            towns = list(Town.objects.all()[:2])
            if len(towns) == 1:
                kwargs["initial"] = towns[0].pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Town)
class TownAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["code", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(ScopedAdmin, TownFieldAdmin, ImportExportModelAdmin):
    resource_classes = [VillageResource]
    list_display = ["code", "name", "town", "dissolved_on"]
    list_filter = ["town", ("dissolved_on", admin.EmptyFieldListFilter)]
    search_fields = ["code", "name"]


@admin.register(Cooperative)
class CooperativeAdmin(ScopedAdmin, ImportExportModelAdmin):
    resource_classes = [CooperativeResource]
    list_display = ["code", "name", "village", "four_eyes_approval"]
    list_filter = ["four_eyes_approval"]
    search_fields = ["code", "name", "village__name"]
    list_select_related = ["village"]


@admin.register(ShareClass)
class ShareClassAdmin(ScopedAdmin, ImportExportModelAdmin):
    resource_classes = [ShareClassResource]
    list_display = ["name", "code", "cooperative", "weight"]
    list_filter = ["cooperative"]
    search_fields = ["name", "code"]


class MemberInline(ScopedInline, admin.TabularInline):
    model = Member
    extra = 0
    fields = ["name", "id_number", "relation", "is_head"]


class ShareMovementInline(ScopedInline, admin.TabularInline):
    """Read-only view of the ledger; movements are recorded through the services."""

    model = ShareMovement
    fk_name = "household"
    extra = 0
    can_delete = False
    fields = [
        "effective_on",
        "share_class",
        "kind",
        "quantity",
        "counterpart",
        "reason",
        "recorded_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin, ExportMixin, admin.ModelAdmin):
    resource_classes = [HouseholdExportResource]
    # Not `change_list_template`: import-export would take that as the base of its own
    # template, and ours extends its template, which would make a loop.
    import_export_change_list_template = "admin/villages/household/change_list.html"
    list_display = [
        "number",
        "head_name",
        "masked_id_number",
        "masked_phone",
        "cooperative",
        "community",
        "micro_grid",
        "masked_bank_account",
    ]
    list_filter = ["cooperative", "community"]
    search_fields = ["number", "head_name", "phone"]
    list_select_related = ["cooperative", "community", "micro_grid"]
    autocomplete_fields = ["micro_grid"]
    inlines = [MemberInline, ShareMovementInline]

    @admin.display(description=_("户主身份证号"))
    def masked_id_number(self, household):
        return household.masked_id_number

    @admin.display(description=_("联系电话"))
    def masked_phone(self, household):
        return household.masked_phone

    @admin.display(description=_("银行账号"))
    def masked_bank_account(self, household):
        return household.masked_bank_account

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=households_visible_to(request.user))

    def has_change_permission(self, request, obj=None):
        # The register is its cooperative's town's: a town admin reads another town's
        # household living in one of their communities here, and does not change it.
        if (
            obj is not None
            and request.user.is_town_admin
            and not households_payable_by(request.user).filter(pk=obj.pk).exists()
        ):
            return False
        return super().has_change_permission(request, obj)

    def get_urls(self):
        from .import_views import refuse_large_uploads

        register_import = path(
            "import-register/",
            self.admin_site.admin_view(refuse_large_uploads(self.import_register_view)),
            name="villages_household_import_register",
        )
        return [register_import, *super().get_urls()]

    def import_register_view(self, request):
        """The register import of the site page, in the admin's frame; same form, same service."""
        from .import_views import household_import_form

        return household_import_form(
            request,
            success_url="admin:villages_household_changelist",
            context={
                **self.admin_site.each_context(request),
                "base_template": "admin/base_site.html",
                "title": _("导入股东名册"),
                "opts": self.model._meta,
            },
        )


@admin.register(Member)
class MemberAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["name", "masked_id_number", "relation", "is_head", "household"]
    search_fields = ["name", "household__number", "household__head_name"]
    list_select_related = ["household"]
    autocomplete_fields = ["household"]

    @admin.display(description=_("身份证号"))
    def masked_id_number(self, member):
        return member.masked_id_number

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(household__in=households_visible_to(request.user))
        )


@admin.register(ShareMovement)
class ShareMovementAdmin(ScopedAdmin, admin.ModelAdmin):
    """The share ledger is append-only: it can be read and filtered here, never changed."""

    list_display = [
        "effective_on",
        "household",
        "share_class",
        "kind",
        "quantity",
        "counterpart",
        "reason",
        "recorded_by",
        "recorded_at",
    ]
    list_filter = ["kind", "share_class__cooperative", "share_class"]
    search_fields = ["household__number", "household__head_name", "reason"]
    list_select_related = ["household", "share_class", "counterpart", "recorded_by"]
    date_hierarchy = "effective_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(household__in=households_visible_to(request.user))
        )
