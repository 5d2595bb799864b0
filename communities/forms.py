from datetime import date, datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from pinghu_points.parameters import IdFormField

from .models import EventReview, MonthStatusChange


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=_("冲正原因"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("原记录保留不变，系统新增一条分值相反的冲正记录"),
    )
    # Only for a veto: reversing it needs a photo and a second person, like the veto itself.
    evidence = forms.FileField(
        label=_("照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("撤销一票否决须上传照片，并由另一名工作人员确认后生效"),
    )

    def __init__(self, *args, veto=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not veto:
            del self.fields["evidence"]


class ReviewForm(forms.Form):
    event = IdFormField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(label=_("结论"), choices=EventReview.Decision.choices)
    reason = forms.CharField(label=_("驳回理由"), max_length=255, required=False)
    # Ticked on the page that says what a veto (or its reversal) does to the household.
    confirm = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("decision") == EventReview.Decision.REJECTED
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", _("驳回必须填写理由"))
        return cleaned


class MonthField(forms.CharField):
    """A month typed as YYYY-MM; cleaned to the first day of that month."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            parsed = datetime.strptime(value, "%Y-%m")
        except ValueError as error:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM")) from error
        return date(parsed.year, parsed.month, 1)


class MonthChangeForm(forms.Form):
    community = IdFormField(widget=forms.HiddenInput)
    month = MonthField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=MonthStatusChange.Action.choices, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("重新开放原因"), max_length=255, required=False)
    # Closing is asked for on the confirmation page first (what closing means, the counts).
    confirm = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("action") == MonthStatusChange.Action.REOPEN
            and not (cleaned.get("reason") or "").strip()
        ):
            self.add_error("reason", _("重新开放必须填写原因"))
        return cleaned
