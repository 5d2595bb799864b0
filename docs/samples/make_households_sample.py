"""Write docs/samples/households.xlsx, the sample shareholder register (股东名册).

Run from the project root:  .venv/bin/python docs/samples/make_households_sample.py

The sample is generic: 示例社区一/示例社区二 and their micro-grids stand for
communities that must already exist in the system (matched by name or code);
replace them, the household numbers and the people before importing for real.
The cooperative must have the share classes 人口股 and 农龄股. ID numbers are
made up but valid, check character included (GB 11643).

The import page offers a sample GENERATED for the user's cooperative instead, which
imports unchanged (villages/samples.py); this file is the one for the docs.
"""

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

# The project root, for villages.idnumbers (plain Python, no Django needed).
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from villages.idnumbers import with_check_character  # noqa: E402

OUT = Path(__file__).with_name("households.xlsx")
HEADER = [
    "户号",
    "户主姓名",
    "身份证号",
    "联系电话",
    "居住社区",
    "微网格",
    "人口股",
    "农龄股",
    "开户行",
    "银行账号",
]
BANK = "浙江平湖农村商业银行"
# fmt: off
# 户号, 户主姓名, ID number without its check character, phone, community, micro-grid, 人口股, 农龄股, account
HOUSEHOLDS = [
    ("0001", "沈建明", "33048219620315001", "13805730001", "示例社区一", "示例网格一", 4, 3.5, "6228480000000000011"),
    ("0002", "陆美华", "33048219680722002", "13805730002", "示例社区一", "示例网格一", 3, 2.5, "6228480000000000022"),
    ("0003", "顾国强", "33048219550109003", "13805730003", "示例社区一", "示例网格二", 5, 4, "6228480000000000033"),
    ("0004", "朱秀英", "33048219710430004", "", "示例社区一", "示例网格二", 2, 1.5, ""),
    ("0005", "徐志伟", "33048219800611005", "13805730005", "示例社区一", "", 3, 1, "6228480000000000055"),
    ("0006", "钱桂芳", "33048219590918006", "13805730006", "示例社区二", "示例网格三", 2, 3, "6228480000000000066"),
    ("0007", "吴海林", "33048219661201007", "13805730007", "示例社区二", "示例网格三", 4, 2.75, "6228480000000000077"),
    ("0008", "张丽萍", "33048219750226008", "13805730008", "示例社区二", "示例网格三", 3, 2, "6228480000000000088"),
    ("0009", "周荣根", "33048219520805009", "13805730009", "示例社区二", "", 1, 4.5, "6228480000000000099"),
    ("0010", "金晓东", "33048219881117010", "13805730010", "示例社区二", "", 3, None, "6228480000000000100"),
]
# fmt: on


def main():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "股东名册"
    sheet.append(HEADER)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for number, name, id_17, phone, community, grid, people, farming, account in HOUSEHOLDS:
        # Shares are numbers, as a typist enters them (an empty cell counts as 0);
        # identifiers are text, so Excel keeps leading zeros and all 18/19 digits.
        sheet.append(
            [number, name, with_check_character(id_17), phone, community, grid, people, farming]
            + [BANK if account else "", account]
        )
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.number_format = "@"
    for letter, width in zip("ABCDEFGHIJ", [8, 10, 22, 14, 12, 12, 8, 8, 22, 24], strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    workbook.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
