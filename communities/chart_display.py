"""The monthly chart as the page draws it (`static/js/card-chart.js`): shared by the point
card (`overview.card_views`) and the staff's points page (`ledger_views`). Moved from the
card's views (issue 21) so the points page does not import the overview."""

from django.utils.translation import gettext as _


def monthly_chart(*, labels, own_series, average, base_points):
    """The data of the monthly chart (static/js/card-chart.js) of the point card and of the
    staff's points page: the household's month-end scores, at most the grid's average (no
    other household), the base line. None without a series."""
    if not own_series:
        return None
    return {
        "labels": labels,
        "household": [float(value) for value in own_series],
        "average": [float(value) for value in average] if average else None,
        "base": float(base_points),
        "text": {
            "household": _("本户积分"),
            "average": _("网格平均"),
            "base": _("基础分"),
            "points": _("积分"),
        },
    }
