"""The admin of the bank's window: banks, the grade table (editable by the subdistrict),
consents and look-ups (read-only: they are entered on the card and at the desk), and the
API tokens (created here, the key shown once; revoked here)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import ScopedAdmin
from accounts.services import audit_record

from . import services
from .models import ApiToken, Bank, BankLookup, Consent, CreditGrade


@admin.register(Bank)
class BankAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["code", "name"]


@admin.register(CreditGrade)
class CreditGradeAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ["grade", "min_score", "amount"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="bank.grade_changed" if change else "bank.grade_created",
            target=obj,
            details={
                "grade": obj.grade,
                "min_score": str(obj.min_score),
                "amount": str(obj.amount),
            },
        )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="bank.grade_deleted", target=obj)
        super().delete_model(request, obj)


class ReadOnly:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Consent)
class ConsentAdmin(ReadOnly, ScopedAdmin, admin.ModelAdmin):
    list_display = ["household", "bank", "starts_on", "ends_on", "channel", "withdrawn_at"]
    list_filter = ["bank", "channel"]
    raw_id_fields = ["household"]


@admin.register(BankLookup)
class BankLookupAdmin(ReadOnly, ScopedAdmin, admin.ModelAdmin):
    list_display = ["at", "bank", "household", "kind"]
    list_filter = ["bank", "kind"]


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["name", "scope", "user", "bank"]

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == ApiToken.Scope.USER and not data.get("user"):
            self.add_error("user", _("以账号身份的令牌须选择账号"))
        if scope == ApiToken.Scope.BANK and not data.get("bank"):
            self.add_error("bank", _("以银行身份的令牌须选择银行"))
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedAdmin, admin.ModelAdmin):
    """Created here: the key is shown once in the message after saving, never again.
    Revoked with the action (takes effect at the next request). Never edited."""

    form = ApiTokenForm
    list_display = ["name", "scope", "user", "bank", "key_prefix", "last_used_at", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["key_prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the record of who had access stays

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, key = services.api_token_create(
            name=obj.name, scope=obj.scope, user=obj.user, bank=obj.bank, actor=request.user
        )
        obj.pk = token.pk
        messages.warning(
            request,
            _("令牌只显示这一次，请立即复制保存：%(key)s") % {"key": key},
        )

    @admin.action(description=_("吊销所选令牌（立即生效）"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token, actor=request.user)
        messages.success(request, _("已吊销"))
