from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Cooperative


class HouseholdImportForm(forms.Form):
    cooperative = forms.ModelChoiceField(label=_("合作社"), queryset=Cooperative.objects.none())
    file = forms.FileField(
        label=_("股东名册文件（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    effective_on = forms.DateField(
        label=_("配股生效日期"),
        required=False,
        help_text=_("不填则为今天"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, cooperatives, **kwargs):
        """`cooperatives`: those the user manages; a posted id outside them is a form error."""
        super().__init__(*args, **kwargs)
        self.fields["cooperative"].queryset = cooperatives
        if len(cooperatives) == 1:
            self.fields["cooperative"].initial = cooperatives[0]


class TownImportForm(forms.Form):
    file = forms.FileField(
        label=_("镇（街道）设置表（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
