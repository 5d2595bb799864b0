from django import forms
from django.utils.translation import gettext_lazy as _

from .models import NOTE_MAX_LENGTH, OFFICE_MAX_LENGTH, PLACE_MAX_LENGTH, TEXT_MAX_LENGTH


def _photo_field():
    return forms.FileField(
        label=_("照片（可不传）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


def _note_field(label, *, required=True, help_text=""):
    return forms.CharField(
        label=label,
        max_length=NOTE_MAX_LENGTH,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RaiseForm(forms.Form):
    """收集. Staff and grid leaders also choose the grid and, if a villager raised it,
    the household number; a villager's matter always belongs to their own grid."""

    grid = forms.TypedChoiceField(label=_("微网格"), coerce=int, required=False)
    household_number = forms.CharField(
        label=_("提出户的户号（可不填）"), max_length=32, required=False
    )
    text = forms.CharField(
        label=_("什么事"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写清楚是什么问题，最多 500 字"),
    )
    place = forms.CharField(
        label=_("在哪里（可不填）"), max_length=PLACE_MAX_LENGTH, required=False
    )
    photo = _photo_field()

    def __init__(self, *args, grids=None, **kwargs):
        super().__init__(*args, **kwargs)
        if grids is None:
            del self.fields["grid"]
            del self.fields["household_number"]
        else:
            self.fields["grid"].required = True
            self.fields["grid"].choices = [
                (grid.pk, f"{grid.community.name} {grid.name}") for grid in grids
            ]


class AssessForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("研判结论"),
        choices=[
            ("accepted", _("受理")),
            ("merged", _("与另一件事合并")),
            ("declined", _("不予受理")),
        ],
        widget=forms.RadioSelect,
    )
    merge_into = forms.IntegerField(
        label=_("合并到（事项编号）"), required=False, min_value=1, max_value=2**63 - 1
    )
    reason = _note_field(
        _("说明"), required=False, help_text=_("不予受理必须写明理由；村民会看到这段话")
    )


class AssignForm(forms.Form):
    community = forms.TypedChoiceField(label=_("承办村社"), coerce=int, required=False)
    office = forms.CharField(label=_("或承办部门"), max_length=OFFICE_MAX_LENGTH, required=False)
    due_on = forms.DateField(label=_("办理期限"), widget=forms.DateInput(attrs={"type": "date"}))
    note = _note_field(_("交办说明"), required=False)

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [("", "—")] + [(c.pk, c.name) for c in communities]


class NoteForm(forms.Form):
    """办理 and 跟踪: a note and a photo."""

    note = _note_field(_("情况"))
    photo = _photo_field()


class ReportForm(forms.Form):
    result = _note_field(_("办理结果"), help_text=_("村民会在积分卡上看到"))
    photo = _photo_field()


class VerdictForm(forms.Form):
    solved = forms.ChoiceField(
        label=_("问题解决了吗"),
        choices=[("yes", _("解决了")), ("no", _("没有解决"))],
        widget=forms.RadioSelect,
    )
    note = _note_field(_("还想说的（可不填）"), required=False)
