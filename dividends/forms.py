from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scope import cooperatives_managed_by
from pinghu_points.parameters import FIRST_YEAR, LAST_YEAR

from . import services
from .models import DividendRun

MONEY_INPUTS = ("total", "incentive_mode", "incentive_value")

TIER_ROWS = 5
DEFAULT_TIERS = [("90", "0.20"), ("80", "0.10"), ("60", "0.05")]


class DividendRunForm(forms.Form):
    """The inputs of a run; the rules (pools, ceiling, tiers) are checked by the service."""

    cooperative = forms.ModelChoiceField(
        label=_("合作社"), queryset=None, empty_label=None, widget=forms.Select
    )
    year = forms.IntegerField(label=_("年度"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    record_date = forms.DateField(
        label=_("股权登记日"),
        required=False,
        help_text=_("通常为当年12月31日；留空即按12月31日"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    # Places, sign and size of the money inputs: `services.validate_money_inputs` (clean).
    total = forms.DecimalField(
        label=_("可分配总额（元）"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    incentive_mode = forms.ChoiceField(
        label=_("积分激励池设定方式"),
        choices=DividendRun.IncentiveMode.choices,
        initial=DividendRun.IncentiveMode.RATIO_OF_BASE,
    )
    incentive_value = forms.DecimalField(
        label=_("比例或金额"),
        initial=Decimal("0.2"),
        help_text=_("比例填小数（0.2 即 20%），固定金额填元"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    policy = forms.ChoiceField(
        label=_("积分激励分配办法"),
        choices=DividendRun.Policy.choices,
        initial=DividendRun.Policy.SCORE,
        widget=forms.RadioSelect,
    )
    min_score = forms.DecimalField(
        label=_("最低积分（低于此分不发激励）"),
        required=False,
        max_digits=7,
        decimal_places=1,
        min_value=Decimal("0"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    veto = forms.BooleanField(label=_("有一票否决项的户不发积分激励"), required=False, initial=True)
    ceiling_confirmed = forms.BooleanField(
        label=_("我确认积分激励池超过可分配总额的20%（公开的上限）"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        cooperatives = cooperatives_managed_by(user).order_by("code")
        self.fields["cooperative"].queryset = cooperatives
        if not self.is_bound:
            self.initial.setdefault("cooperative", cooperatives.first())
            year = timezone.localdate().year
            self.initial.setdefault("year", year)
            self.initial.setdefault("record_date", date(year, 12, 31))
        for index in range(TIER_ROWS):
            minimum, share = DEFAULT_TIERS[index] if index < len(DEFAULT_TIERS) else ("", "")
            self.fields[f"tier_min_{index}"] = forms.DecimalField(
                label=_("积分不低于"),
                required=False,
                max_digits=7,
                decimal_places=1,
                min_value=Decimal("0"),
                initial=minimum,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "class": "tier-min",
                        "aria-label": gettext("第 %(number)s 档：积分不低于")
                        % {"number": index + 1},
                    }
                ),
            )
            self.fields[f"tier_share_{index}"] = forms.DecimalField(
                label=_("激励占本户基本股分红的比例"),
                required=False,
                max_digits=6,
                decimal_places=4,
                min_value=Decimal("0"),
                initial=share,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "class": "tier-share",
                        "aria-label": gettext("第 %(number)s 档：激励占基本股分红的比例")
                        % {"number": index + 1},
                    }
                ),
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
                self.add_error(
                    f"tier_min_{index}" if minimum is None else f"tier_share_{index}",
                    _("每一档须同时填写分数和比例"),
                )
                continue
            tiers.append({"min_score": str(minimum), "share_of_base": str(share)})
        tiers.sort(key=lambda tier: Decimal(tier["min_score"]))
        cleaned["tiers"] = tiers
        if cleaned.get("policy") == DividendRun.Policy.TIERS and not tiers and not self.errors:
            self.add_error(None, _("按积分档次分配时至少要填写一档"))
        _check_money_inputs(self, cleaned)
        year = cleaned.get("year")
        if year and not cleaned.get("record_date"):
            cleaned["record_date"] = date(year, 12, 31)
        return cleaned

    def parameters(self):
        """The run's `parameters` JSON (see DividendRun.parameters)."""
        data = self.cleaned_data
        parameters = {
            "min_score": str(data["min_score"]) if data.get("min_score") is not None else None,
            "veto": bool(data.get("veto")),
        }
        if data["policy"] == DividendRun.Policy.TIERS:
            parameters["tiers"] = data["tiers"]
        return parameters


def _check_money_inputs(form, cleaned):
    """The service's one check of the money inputs, shown on the form's fields."""
    if not all(cleaned.get(name) is not None for name in MONEY_INPUTS):
        return
    try:
        services.validate_money_inputs(**{name: cleaned[name] for name in MONEY_INPUTS})
    except ValidationError as error:
        form.add_error(None, error)


class PoolsPreviewForm(forms.Form):
    """The numbers the live preview sends to the server."""

    total = forms.DecimalField()
    incentive_mode = forms.ChoiceField(choices=DividendRun.IncentiveMode.choices)
    incentive_value = forms.DecimalField()

    def clean(self):
        cleaned = super().clean()
        _check_money_inputs(self, cleaned)
        return cleaned
