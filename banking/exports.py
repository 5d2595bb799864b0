"""The consenting list the bank downloads, written by the formula-safe writer
(`pinghu_points.exports`)."""

from django.utils import timezone

from pinghu_points.exports import Column, Sheet


def consenting_sheet(*, bank, rows, years):
    columns = [
        Column("户号", width=10),
        Column("户主姓名", width=12),
        Column("户主身份证号（已隐去）", width=22),
        *[Column(f"{year}年积分", kind="score", width=12) for year in years],
        Column("评级年度", kind="number", width=10),
        Column("信用等级", width=10),
        Column("授信额度（元）", kind="money", width=16),
    ]
    return Sheet(
        title="已授权股东户",
        preamble=[
            f"{bank.name}：已授权查询积分的股东户",
            f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}；共{len(rows)}户。"
            "仅含户主授权期内的户；撤回授权的户不再列出。",
        ],
        columns=columns,
        rows=[
            [
                row.number,
                row.head_name,
                row.masked_id_number,
                *[row.scores[year] for year in years],
                row.graded_year,
                row.grade or "",
                row.amount,
            ]
            for row in rows
        ],
    )
