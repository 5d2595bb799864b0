"""Dividend runs in the admin: read only. Runs are created, computed and approved
through the services (pages, API, `run_dividend`); the admin shows them and exports
the bank list. Querysets keep the user's scope: only cooperatives whose runs they read
(`cooperatives_signed_by`: the city admin every town's, a town admin their town's), because
the lines name every household and its amounts (villagers and community staff never
see other households' lines, as in the API); only those who pay (`cooperatives_managed_by`)
export the bank list."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import ScopedAdmin, ScopedInline
from accounts.scope import cooperatives_managed_by, cooperatives_signed_by

from . import services
from .exports import export_run
from .models import DividendLine, DividendRun

LINE_FIELDS = [
    "household_number",
    "head_name",
    "head_id_number_masked",
    "community_name",
    "bank_name",
    "masked_bank_account",
    "shares",
    "weighted_shares",
    "score",
    "vetoed",
    "base_amount",
    "incentive_amount",
    "total_amount",
]


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DividendLineInline(ReadOnlyAdminMixin, ScopedInline, admin.TabularInline):
    model = DividendLine
    extra = 0
    can_delete = False
    show_change_link = False
    # Never the raw `bank_account`: the full account is only in the bank export.
    fields = readonly_fields = LINE_FIELDS
    ordering = ["household_number"]

    @admin.display(description=_("银行账号"))
    def masked_bank_account(self, line):
        return line.masked_bank_account


@admin.register(DividendRun)
class DividendRunAdmin(ReadOnlyAdminMixin, ScopedAdmin, admin.ModelAdmin):
    list_display = [
        "cooperative",
        "year",
        "version",
        "status",
        "policy",
        "total",
        "base_pool",
        "incentive_pool",
        "incentive_paid",
        "remainder",
        "household_count",
        "created_by",
        "created_at",
        "approved_at",
    ]
    list_filter = ["cooperative", "year", "status"]
    search_fields = ["cooperative__code", "cooperative__name"]
    list_select_related = ["cooperative", "created_by"]
    inlines = [DividendLineInline]
    actions = ["export_bank_list_xlsx"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(cooperative__in=cooperatives_signed_by(request.user))
        )

    @admin.action(description=_("导出银行代发清单（xlsx）"))
    def export_bank_list_xlsx(self, request, queryset):
        runs = list(queryset.select_related("cooperative")[:2])
        if len(runs) != 1:
            self.message_user(request, _("请只选择一个分红方案导出"), messages.ERROR)
            return None
        run = runs[0]
        if not cooperatives_managed_by(request.user).filter(pk=run.cooperative_id).exists():
            self.message_user(
                request, _("只有本社会计或镇（街道）管理员可以导出银行代发清单"), messages.ERROR
            )
            return None
        try:
            content, filename, content_type = export_run(run=run, kind="bank", file_format="xlsx")
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages), messages.ERROR)
            return None
        services.dividend_run_exported(actor=request.user, run=run, kind="bank", file_format="xlsx")
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=filename
        )
        return response


@admin.register(DividendLine)
class DividendLineAdmin(ReadOnlyAdminMixin, ScopedAdmin, admin.ModelAdmin):
    list_display = [
        "run",
        "household_number",
        "head_name",
        "head_id_number_masked",
        "community_name",
        "masked_bank_account",
        "score",
        "vetoed",
        "base_amount",
        "incentive_amount",
        "total_amount",
    ]
    list_filter = ["run__cooperative", "run__year", "run__status", "vetoed"]
    search_fields = ["household_number", "head_name"]
    list_select_related = ["run__cooperative"]
    fields = readonly_fields = ["run", *LINE_FIELDS]

    @admin.display(description=_("银行账号"))
    def masked_bank_account(self, line):
        return line.masked_bank_account

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(run__cooperative__in=cooperatives_signed_by(request.user))
        )
