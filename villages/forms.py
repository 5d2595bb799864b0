from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ShareClass


class ShareTransferForm(forms.Form):
    target_number = forms.CharField(label=_("转入户号"), max_length=32)
    share_class = forms.ModelChoiceField(label=_("股种"), queryset=ShareClass.objects.none())
    quantity = forms.DecimalField(label=_("股数"), max_digits=12, decimal_places=2, min_value=0.01)
    effective_on = forms.DateField(
        label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    inheritance = forms.BooleanField(label=_("继承"), required=False)
    reason = forms.CharField(label=_("原因"), max_length=255)

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["share_class"].queryset = household.cooperative.share_classes.all()
