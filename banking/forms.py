from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.models import validate_id_number

from .models import Bank


class LookupForm(forms.Form):
    # The template's input stops at 18 characters; a shorter or longer number is told
    # how many were typed, in one sentence (not Django's "characters of a variable"
    # plus the pattern's message: issue 24.5).
    id_number = forms.CharField(label=_("户主身份证号（18位，完整输入）"), strip=True)

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip().upper()
        if len(value) != 18:
            raise forms.ValidationError(
                _("身份证号应为18位（现在是%(show_value)d位），最后一位可为X"),
                code="length",
                params={"show_value": len(value)},
            )
        validate_id_number(value)  # ASCII digits, birth date, check character
        return value

    def __init__(self, *args, **kwargs):
        data = kwargs.get("data")
        if data is not None and "id_number" in data:
            data = data.copy()
            data["id_number"] = data["id_number"].strip().upper()
            kwargs["data"] = data
        super().__init__(*args, **kwargs)


class ConsentForm(forms.Form):
    bank = forms.ModelChoiceField(label=_("授权银行"), queryset=Bank.objects.none())
    starts_on = forms.DateField(
        label=_("授权开始日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("授权结束日期（可不填）"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # Checked (measured before it is decoded, then re-encoded) by pinghu_points.files.clean_photo
    # in the service, like every photo: not Pillow's own check in forms.ImageField.
    form_photo = forms.FileField(
        label=_("户主签字的纸质授权书照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args, banks, at_desk, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks
        if banks.count() == 1:
            self.fields["bank"].initial = banks.first()
        if at_desk:
            self.fields["form_photo"].required = True
        else:
            # On the card the consent starts the day it is given; only the end is a choice.
            del self.fields["form_photo"]
            del self.fields["starts_on"]
