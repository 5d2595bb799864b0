"""The month list (月度关账) as people read it: one row per community and month, shaped once
for the desktop table and the phone list (issue 16), with the month's own page as its link."""

from dataclasses import dataclass
from datetime import date

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy

from .models import MonthStatusChange

STATUS_LABELS = {
    "closed": gettext_lazy("已关账"),
    "reopened": gettext_lazy("已重新开放"),
    "open": gettext_lazy("开放"),
}


def month_url(community, label):
    """The month's page: what closing means, its counts, and closing (or reopening) it."""
    query = urlencode({"community": community.pk, "month": label})
    return f"{reverse('communities:month_close')}?{query}"


@dataclass
class MonthRow:
    community: object  # Community
    month: date
    change: MonthStatusChange | None  # the latest close or reopen, None: never closed

    @property
    def value(self):
        return self.month.strftime("%Y-%m")

    @property
    def closed(self):
        return self.change is not None and self.change.action == MonthStatusChange.Action.CLOSE

    @property
    def status(self):
        if self.closed:
            return "closed"
        return "open" if self.change is None else "reopened"

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @cached_property
    def url(self):
        return month_url(self.community, self.value)


def month_table(*, communities, months, states):
    """[{"community", "months": [MonthRow, …]}] in the order given; `states` is
    `selectors.month_states` for these communities and months."""
    return [
        {
            "community": community,
            "months": [
                MonthRow(community=community, month=month, change=states.get((community.pk, month)))
                for month in months
            ],
        }
        for community in communities
    ]
