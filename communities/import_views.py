"""The inspection sheet import page (导入检查表): staff pick one of their communities and upload."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import communities_visible_to
from pinghu_points.formatting import signed_points_total
from villages.import_jobs import import_from_page
from villages.import_views import import_page_context, refuse_large_uploads
from villages.models import ImportJob

from .models import Community

SAMPLE_FILE = settings.BASE_DIR / "docs" / "samples" / "score_events.xlsx"


class ScoreEventImportForm(forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("社区"), queryset=Community.objects.none()
    )
    file = forms.FileField(
        label=gettext_lazy("积分检查表文件（.xlsx）"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, communities, **kwargs):
        """`communities`: those the user scores; a posted id outside them is a form error."""
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        if len(communities) == 1:
            self.fields["community"].initial = communities[0]


def _importable_communities(user):
    """Staff: their communities; subdistrict administrators: all. Nobody else imports events."""
    if not user.may_score:
        return Community.objects.none()
    return communities_visible_to(user).order_by("code")


@login_required
@refuse_large_uploads
def score_event_import(request):
    communities = _importable_communities(request.user)
    if not communities.exists():
        raise PermissionDenied
    if request.method == "GET" and request.GET.get("sample"):
        # The sample sheet, so a typist starts from a file with the right header.
        return FileResponse(
            open(SAMPLE_FILE, "rb"), as_attachment=True, filename="积分检查表样例.xlsx"
        )
    form = ScoreEventImportForm(
        request.POST or None, request.FILES or None, communities=communities
    )
    errors = {"import_errors": []}
    if request.method == "POST" and form.is_valid():
        community = form.cleaned_data["community"]
        outcome = import_from_page(
            kind=ImportJob.Kind.SCORE_EVENTS,
            user=request.user,
            file=form.cleaned_data["file"],
            community=community,
        )
        if outcome.background:
            return redirect("villages:import_job", pk=outcome.job.pk)
        if outcome.errors:
            errors = import_page_context(outcome)
        else:
            result = outcome.result
            messages.success(
                request,
                _(
                    "已导入 %(events)s 条积分记录，涉及 %(households)s 户，合计 %(points)s 分（%(community)s）"
                )
                % {
                    "events": result.events,
                    "households": result.households,
                    "points": signed_points_total(result.points),
                    "community": community.name,
                },
            )
            return redirect("communities:score_event_import")
    return render(
        request,
        "communities/score_event_import.html",
        {"form": form, **errors},
    )
