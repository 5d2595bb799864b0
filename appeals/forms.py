from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TEXT_MAX_LENGTH


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("申诉理由"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写清楚哪里不对，最多 300 字"),
    )
    photo = forms.FileField(
        label=_("照片（可不传）"),
        required=False,
        # Hidden behind its label, a large button (templates/appeals/appeal_form.html).
        widget=forms.FileInput(attrs={"accept": "image/*", "class": "visually-hidden"}),
    )


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("结论"),
        choices=[("upheld", _("申诉成立：冲正该记录")), ("rejected", _("申诉不成立：驳回"))],
        widget=forms.RadioSelect,
    )
    answer = forms.CharField(
        label=_("答复"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("驳回必须写明理由；村民会在积分卡上看到这段答复"),
    )
