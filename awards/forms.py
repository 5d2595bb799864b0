from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scope import cooperatives_managed_by
from communities.models import ScoringItem
from pinghu_points.parameters import FIRST_YEAR, LAST_YEAR

from .models import AwardRun

TIER_ROWS = 4
DEFAULT_TIERS = [("10", "1"), ("5", "0.5")]


class AwardRunForm(forms.Form):
    """The inputs of an award run; the rules are checked again by the service."""

    cooperative = forms.ModelChoiceField(label=_("村（合作社）"), queryset=None, empty_label=None)
    name = forms.CharField(label=_("奖励名称"), max_length=100, initial=_("全域秀美月度奖励"))
    period_kind = forms.ChoiceField(
        label=_("周期"), choices=AwardRun.PeriodKind.choices, initial=AwardRun.PeriodKind.MONTH
    )
    year = forms.IntegerField(label=_("年度"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    period_number = forms.IntegerField(
        label=_("月份或季度"),
        min_value=1,
        max_value=12,
        help_text=_("月度填1–12，季度填1–4，年度填1"),
    )
    pool = forms.DecimalField(
        label=_("奖励金总额（元）"),
        initial=Decimal("10000.00"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    categories = forms.MultipleChoiceField(
        label=_("计分类别"),
        choices=ScoringItem.Category.choices,
        required=False,
        initial=[ScoringItem.Category.ENVIRONMENT],
        widget=forms.CheckboxSelectMultiple,
    )
    item_codes = forms.CharField(
        label=_("另计积分项编码"),
        required=False,
        help_text=_("可选，多个用逗号分隔，如 HJ01,HJ02"),
    )
    recipients = forms.ChoiceField(
        label=_("发放对象"),
        choices=AwardRun.Recipients.choices,
        initial=AwardRun.Recipients.HOUSEHOLDS,
        widget=forms.RadioSelect,
    )
    policy = forms.ChoiceField(
        label=_("分配办法"),
        choices=AwardRun.Policy.choices,
        initial=AwardRun.Policy.SCORE,
        widget=forms.RadioSelect,
    )
    min_score = forms.DecimalField(
        label=_("最低计分（低于此分不发奖励）"),
        required=False,
        max_digits=7,
        decimal_places=1,
        min_value=Decimal("0"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    veto = forms.BooleanField(label=_("本期有一票否决项的户不发奖励"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cooperatives = cooperatives_managed_by(user).select_related("village").order_by("code")
        self.fields["cooperative"].queryset = cooperatives
        self.fields["cooperative"].label_from_instance = lambda c: f"{c.village.name}（{c.name}）"
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("cooperative", cooperatives.first())
            self.initial.setdefault("year", today.year)
            self.initial.setdefault("period_number", today.month)
        for index in range(TIER_ROWS):
            minimum, share = DEFAULT_TIERS[index] if index < len(DEFAULT_TIERS) else ("", "")
            self.fields[f"tier_min_{index}"] = forms.DecimalField(
                label=_("计分不低于"),
                required=False,
                max_digits=7,
                decimal_places=1,
                min_value=Decimal("0"),
                initial=minimum,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "tier-min"}),
            )
            self.fields[f"tier_share_{index}"] = forms.DecimalField(
                label=_("得平均每户奖励的比例"),
                required=False,
                max_digits=6,
                decimal_places=4,
                min_value=Decimal("0"),
                initial=share,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "tier-share"}),
            )

    def tier_rows(self):
        return [
            (index + 1, self[f"tier_min_{index}"], self[f"tier_share_{index}"])
            for index in range(TIER_ROWS)
        ]

    def clean(self):
        cleaned = super().clean()
        tiers = []
        for index in range(TIER_ROWS):
            minimum = cleaned.get(f"tier_min_{index}")
            share = cleaned.get(f"tier_share_{index}")
            if minimum is None and share is None:
                continue
            if minimum is None or share is None:
                self.add_error(None, _("每一档须同时填写分数和比例"))
                continue
            tiers.append({"min_score": str(minimum), "share_of_base": str(share)})
        tiers.sort(key=lambda tier: Decimal(tier["min_score"]))
        cleaned["tiers"] = tiers
        cleaned["item_list"] = [
            code.strip()
            for code in (cleaned.get("item_codes") or "").replace("，", ",").split(",")
            if code.strip()
        ]
        return cleaned

    def parameters(self):
        data = self.cleaned_data
        parameters = {
            "min_score": str(data["min_score"]) if data.get("min_score") is not None else None,
            "veto": bool(data.get("veto")),
        }
        if data["policy"] == AwardRun.Policy.TIERS:
            parameters["tiers"] = data["tiers"]
        return parameters
