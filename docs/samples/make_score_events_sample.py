"""Write docs/samples/score_events.xlsx, the sample inspection sheet (积分检查表).

Run from the project root:  .venv/bin/python docs/samples/make_score_events_sample.py

One micro-grid's November check, typed in from the paper sheet: 东湖社区 (DONGHU),
第1微网格, in the demo data (`seed_demo`). It imports as is into the demo:

    .venv/bin/python manage.py import_score_events docs/samples/score_events.xlsx \
        --community DONGHU --actor staff_donghu

The 合作社 column is filled where DONGHU has households of several cooperatives with
the same number, and left empty for 0001 (only 南河头村 has a 0001 in DONGHU). Item
codes are those of the unified standard 撤建制村统一标准 (2026); the 积分项 column
repeats the name, and the import checks that the two agree. Dates are date cells,
except one typed as text (YYYY-MM-DD), which is accepted too. An empty 分值 means the
item's default points.
"""

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

OUT = Path(__file__).with_name("score_events.xlsx")
HEADER = ["户号", "合作社", "积分项编码", "积分项", "分值", "日期", "备注"]
# fmt: off
ROWS = [
    ("0001", "", "FL01", "参加普法学习", None, datetime(2026, 11, 20), "参加反诈宣传讲座"),
    ("0007", "NANHETOU", "HJ11", "乱堆乱放、私搭乱建", 3, datetime(2026, 11, 20), "楼道堆放杂物，已劝导清理"),
    ("0008", "NANHETOU", "CY01", "参加志愿服务活动", 2, datetime(2026, 11, 21), "参加环境整治志愿活动"),
    ("0009", "南河头村股份经济合作社", "HJ02", "垃圾分类准确投放", None, datetime(2026, 11, 21), ""),
    ("0011", "NANHETOU", "HJ12", "垃圾未分类、乱扔垃圾", 2, "2026-11-22", "垃圾混投"),
    ("0018", "NANHETOU", "WM01", "孝老爱亲、邻里互助", 3, datetime(2026, 11, 22), "照顾独居老人"),
    ("0023", "NANHETOU", "HJ01", "庭院整洁、物品摆放有序", 1, datetime(2026, 11, 23), ""),
    ("0028", "NANHETOU", "CY02", "参加议事协商、连心议站提建议", 1, datetime(2026, 11, 23), "参加居民议事会"),
]
# fmt: on


def main():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "积分检查表"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in ROWS:
        sheet.append(list(row))
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                # Household numbers as text, so Excel keeps the leading zeros.
                cell.number_format = "@"
    for letter, width in zip("ABCDEFG", [8, 24, 12, 30, 8, 12, 28], strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    workbook.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
