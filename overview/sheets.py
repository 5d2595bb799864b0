"""The overview's downloads as sheets (a presenter beside `views`): what each
xlsx holds, column by column. `pinghu_points.exports` writes them, like every other
download (formula-safe text cells, numbers as numbers)."""

from django.utils.translation import gettext as _

from pinghu_points.exports import Column, Sheet


def _columns(*specs):
    """Columns from (header, kind) pairs or plain headers (text)."""
    return [
        Column(spec[0], kind=spec[1]) if isinstance(spec, tuple) else Column(spec) for spec in specs
    ]


def matrix_sheets(data):
    rows = []
    for village, cells, row_total in data.rows():
        for community, cell in zip(data.communities, cells, strict=True):
            if cell is not None:
                rows.append(
                    [
                        village.name,
                        village.theme,
                        community.name,
                        cell.households,
                        cell.scored,
                        cell.average,
                    ]
                )
        rows.append(
            [
                village.name,
                village.theme,
                _("合计"),
                row_total.households,
                row_total.scored,
                row_total.average,
            ]
        )
    behind = [[community.name, data.last_month.strftime("%Y-%m")] for community in data.behind]
    return [
        Sheet(
            title=_("村社联动"),
            columns=_columns(
                _("行政村"),
                _("主题"),
                _("社区"),
                (_("股东户数"), "number"),
                (_("已计分户数"), "number"),
                (_("平均年度积分"), "score"),
            ),
            rows=rows,
        ),
        Sheet(title=_("上月未关账社区"), columns=_columns(_("社区"), _("月份")), rows=behind),
    ]


def rectification_sheet(figures):
    """The statistics' rectification (整改) figures: the total, then per town, community and
    micro-grid (`overview.selectors.statistics_rectifications`)."""

    def row(level, name, community, f):
        return [
            level,
            name,
            community,
            f.opened,
            f.on_time,
            f.late,
            f.not_rectified,
            f.open,
            f.overdue,
            f.rate,
            f.median_days,
        ]

    rows = [row(_("合计"), "", "", figures["total"])]
    rows += [row(_("镇（街道）"), town.name, "", f) for town, f in figures["towns"]]
    rows += [row(_("社区"), c.name, c.name, f) for c, f in figures["communities"]]
    rows += [row(_("微网格"), g.name, g.community.name, f) for g, f in figures["grids"]]
    return Sheet(
        title=_("整改情况"),
        columns=_columns(
            _("范围"),
            _("名称"),
            _("社区"),
            (_("整改数"), "number"),
            (_("按期整改"), "number"),
            (_("逾期整改"), "number"),
            (_("未整改"), "number"),
            (_("未复查"), "number"),
            (_("逾期未复查"), "number"),
            (_("整改率（%）"), "number"),
            (_("整改天数中位数"), "number"),
        ),
        rows=rows,
    )


def statistics_sheets(data, year, rectifications=None):
    measures = [
        (_("记录数"), "number"),
        (_("加分次数"), "number"),
        (_("扣分次数"), "number"),
        (_("净积分"), "score"),
    ]
    return [
        Sheet(
            title=_("按类别"),
            columns=_columns(_("类别"), *measures),
            rows=[
                [r["label"], r["events"], r["adds"], r["deducts"], r["points"]]
                for r in data["categories"]
            ],
        ),
        Sheet(
            title=_("按积分项"),
            columns=_columns(_("类别"), _("加/扣"), _("积分项"), *measures),
            rows=[
                [
                    r["category_label"],
                    r["direction_label"],
                    r["item__name"],
                    r["events"],
                    r["adds"],
                    r["deducts"],
                    r["points"],
                ]
                for r in data["items"]
            ],
        ),
        Sheet(
            title=_("按社区"),
            columns=_columns(
                _("社区"),
                (_("记录数"), "number"),
                (_("加分次数"), "number"),
                (_("净积分"), "score"),
                (_("股东户数"), "number"),
                (_("有加分的户数"), "number"),
                (_("参与率（%）"), "number"),
            ),
            rows=[
                [
                    r["community"].name,
                    r["events"],
                    r["adds"],
                    r["points"],
                    r["households"],
                    r["participants"],
                    r["participation"],
                ]
                for r in data["by_community"]
            ],
        ),
        Sheet(
            title=_("按行政村"),
            columns=_columns(_("行政村"), *measures),
            rows=[
                [
                    r["household__cooperative__village__name"],
                    r["events"],
                    r["adds"],
                    r["deducts"],
                    r["points"],
                ]
                for r in data["by_village"]
            ],
        ),
        Sheet(
            title=_("年度积分分布"),
            columns=_columns(_("积分段"), (_("户数"), "number")),
            rows=[[r["label"], r["count"]] for r in data["histogram"]],
        ),
        Sheet(
            title=_("逐月趋势"),
            columns=_columns(
                _("月份"),
                (_("记录数"), "number"),
                (_("加分次数"), "number"),
                (_("净积分"), "score"),
            ),
            rows=[
                [f"{year}-{r['month']:02d}", r["events"], r["adds"], r["points"]]
                for r in data["trend"]
            ],
        ),
        *([rectification_sheet(rectifications)] if rectifications is not None else []),
    ]


def honor_roll_sheets(red, black):
    columns = _columns(
        (_("名次"), "number"),
        (_("股东户"), "identifier"),
        _("户主"),
        _("合作社"),
        (_("当月净积分"), "score"),
    )

    def rows(entries):
        return [
            [
                index,
                entry["household"].number,
                entry["household"].head_name,
                entry["household"].cooperative.name,
                entry["points"],
            ]
            for index, entry in enumerate(entries, 1)
        ]

    return [
        Sheet(title=_("红榜"), columns=columns, rows=rows(red)),
        Sheet(title=_("黑榜"), columns=columns, rows=rows(black)),
    ]


def cooperative_sheets(data, year, figure_labels):
    rows = []
    for row in data["rows"]:
        for figures in (row["current"], row["previous"]):
            if figures is not None:
                run = figures["run"]
                rows.append(
                    [
                        row["cooperative"].name,
                        run.year,
                        run.get_status_display(),
                        *(figures[name] for name in figure_labels),
                    ]
                )
    for key, label in (("current", year), ("previous", year - 1)):
        rows.append([_("街道合计"), label, "", *(data["totals"][key][n] for n in figure_labels)])
    columns = _columns(
        _("合作社"),
        (_("年度"), "number"),
        _("状态"),
        *((str(label), "money") for label in figure_labels.values()),
    )
    return [Sheet(title=_("合作社分红概览"), columns=columns, rows=rows)]


def award_sheets(awards):
    """Awards paid per village and period (approved award runs) and the fund's remainder."""
    rows = [
        [a.village, a.name, a.period, a.pool, a.paid, a.remainder, a.households]
        for a in awards["rows"]
    ]
    columns = _columns(
        _("村"),
        _("奖励"),
        _("期间"),
        (_("奖励金总额"), "money"),
        (_("实发奖励"), "money"),
        (_("未分配留存"), "money"),
        (_("户数"), "number"),
    )
    total = [_("街道合计"), "", "", awards["pool"], awards["paid"], awards["remainder"], None]
    return [Sheet(title=_("奖励发放"), columns=columns, rows=rows, total=total)]


TOWN_KINDS = {
    "households": "number",
    "scored_percent": "number",
    "average": "score",
    "events": "number",
    "months_not_closed": "number",
    "runs_computed": "number",
    "runs_approved": "number",
    "runs_paid": "number",
    "base_paid": "money",
    "incentive_paid": "money",
    "remainder": "money",
}


def town_sheets(rows, total, figure_labels):
    """The city overview: one row per town (name, kind, every figure) and the city's total."""
    columns = _columns(
        _("镇（街道）"),
        _("类型"),
        *((str(label), TOWN_KINDS[name]) for name, label in figure_labels.items()),
    )
    return [
        Sheet(
            title=_("城市总览"),
            columns=columns,
            rows=[
                [town.name, town.get_kind_display(), *(figures[name] for name in figure_labels)]
                for town, figures in rows
            ],
            total=[_("全市合计"), "", *(total[name] for name in figure_labels)],
        )
    ]
