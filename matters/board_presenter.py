"""The 议站 board and the 连心标兵 figures as their pages draw them (rows of plain values)."""

from django.utils.translation import gettext_lazy as _


def _share(value):
    return "—" if value is None else f"{value}%"


def board_row(label, figures):
    """One line of the board: a grid's or a community's counts (no names of anyone)."""
    return {
        "label": label,
        "raised": figures.raised,
        "in_hand": figures.in_hand,
        "done": figures.done,
        "declined": figures.declined + figures.merged,
        "on_time": figures.on_time,
        "on_time_share": _share(figures.on_time_share),
        "solved": figures.solved,
        "answered": figures.answered,
    }


def board_rows(*, grids, figures):
    """A row per micro-grid (in the given order), with zeros for a grid without matters."""
    from .selectors import BoardFigures

    return [board_row(grid.name, figures["grids"].get(grid.pk, BoardFigures())) for grid in grids]


LEADER_COLUMNS = (
    # key, header; every column but the first two sorts, largest first
    ("leader", _("网格长")),
    ("grids", _("微网格")),
    ("households", _("户数")),
    ("reported", _("已反馈")),
    ("on_time", _("按期反馈")),
    ("overdue", _("逾期未办结")),
    ("visits", _("走访户次")),
    ("score_then", _("当时平均分")),
    ("score_now", _("现在平均分")),
    ("rise", _("上升")),
)

SORTABLE = {key for key, _header in LEADER_COLUMNS[2:]}


def _number(value):
    return "—" if value is None else str(value)


def _signed(value):
    if value is None:
        return "—"
    return f"+{value}" if value > 0 else str(value)


def leader_rows(figures_list, *, sort):
    """The table's rows, sorted by the column `sort` names (largest first; by community and
    grid otherwise — the default, which is no ranking)."""
    if sort in SORTABLE:
        figures_list = sorted(
            figures_list,
            key=lambda figures: (getattr(figures, sort) is None, -(getattr(figures, sort) or 0)),
        )
    rows = []
    for figures in figures_list:
        leader = figures.leader
        rows.append(
            {
                "leader": leader.get_full_name() or leader.get_username(),
                "grids": "、".join(f"{grid.community.name} {grid.name}" for grid in figures.grids),
                "households": figures.households,
                "reported": figures.reported,
                "on_time": figures.on_time,
                "overdue": figures.overdue,
                "visits": figures.visits,
                "score_then": _number(figures.score_then),
                "score_now": _number(figures.score_now),
                "rise": _signed(figures.rise),
            }
        )
    return rows


def leader_headers(*, sort):
    return [
        {"key": key, "label": header, "sorted": key == sort, "sortable": key in SORTABLE}
        for key, header in LEADER_COLUMNS
    ]
