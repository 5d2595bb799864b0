"""What the dividend pages show, arranged for their templates (dividends/views.py reads
the data through the selectors and hands it over)."""

from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .money import to_fen


def line_rows(lines):
    """Each line of a page with its total in the previous approved run, and the change."""
    rows = []
    for line in lines:
        previous_total = getattr(line, "previous_total", None)
        if previous_total is not None:
            previous_total = to_fen(previous_total)  # SQLite hands subquery decimals back as floats
        rows.append(
            {
                "line": line,
                "previous_total": previous_total,
                "difference": None
                if previous_total is None
                else line.total_amount - previous_total,
            }
        )
    return rows


def sort_columns(*, sort, descending, query):
    """The lines table's column headers: each a link that sorts by it (keeping the search)."""
    current_key = sort.lstrip("-")
    columns = []
    for key, label, numeric in (
        ("number", _("户号"), False),
        ("score", _("年度积分"), True),
        ("base", _("基本股分红"), True),
        ("incentive", _("积分激励"), True),
        ("total", _("合计"), True),
    ):
        # A click on the current column flips its direction; amounts start largest first.
        if key == current_key:
            next_sort = key if descending else f"-{key}"
        else:
            next_sort = f"-{key}" if numeric else key
        params = {"sort": next_sort}
        if query:
            params["q"] = query
        columns.append(
            {
                "key": key,
                "label": label,
                "numeric": numeric,
                "url": "?" + urlencode(params),
                "active": key == current_key,
                "descending": descending,
            }
        )
    return columns


def run_lines(*, run, page, query, sort, descending, previous):
    """The context of the run's lines page (`selectors.run_lines`, one page of it)."""
    rows = line_rows(page)
    columns = sort_columns(sort=sort, descending=descending, query=query)
    return {
        "run": run,
        "page": page,
        "rows": rows,
        "query": query,
        "sort": sort,
        "columns": columns,
        "sort_options": [
            ("number", _("按户号")),
            ("-total", _("合计从高到低")),
            ("total", _("合计从低到高")),
            ("-score", _("积分从高到低")),
            ("score", _("积分从低到高")),
            ("-base", _("基本股分红从高到低")),
            ("-incentive", _("积分激励从高到低")),
            ("incentive", _("积分激励从低到高")),
        ],
        "previous": previous,
    }
