"""The sample town spreadsheet (镇（街道）设置表样例), made from `TOWN_FORMAT`
(villages/town_import.py) and the made-up town below; it imports unchanged
(docs/towns.md, "The town spreadsheet").

Every code and name of the made-up town is new in the database it is made for: when
示例镇 (or a village or community of it) exists already, the next free number is added
(示例镇2, SAMPLE2-…), so the downloaded file passes the check as it is.
"""

from django.db.models import Q

from communities.models import Community
from pinghu_points.exports import Column, Sheet, safe_filename, workbook_bytes

from .models import Cooperative, Town, Village
from .town_import import (
    CODE,
    COMMUNITY_CODE,
    COMMUNITY_KIND,
    COMMUNITY_NAME,
    COMMUNITY_PHONE,
    COMMUNITY_SHEET,
    COMMUNITY_VILLAGE,
    COOPERATIVE_CODE,
    COOPERATIVE_NAME,
    DISSOLVED_ON,
    GRID_CODE,
    GRID_NAME,
    GRID_SHEET,
    KIND,
    LEADER_NAME,
    LEADER_PHONE,
    NAME,
    TOWN_FORMAT,
    TOWN_SHEET,
    VILLAGE_CODE,
    VILLAGE_NAME,
    VILLAGE_SHEET,
)

TOWN_NAME, TOWN_CODE = "示例镇", "SAMPLE"
# (code suffix, name suffix, dissolved on): two dissolved villages and one that remains.
VILLAGES = [("V1", "东村", "2019-06-30"), ("V2", "西村", "2019-06-30"), ("V3", "南村", "")]
# (code suffix, name suffix, kind, village code suffix, phone)
COMMUNITIES = [
    ("C1", "新城社区", "城市社区", "", "0573-85000001"),
    ("C2", "南村村委会", "村委会", "V3", ""),
]
# (community code suffix, code, name, leader, phone): made-up people and numbers.
GRIDS = [
    ("C1", "G01", "1组", "张明华", "13800000001"),
    ("C1", "G02", "2组", "李秀英", "13800000002"),
    ("C1", "G03", "3组", "王建国", ""),
    ("C2", "G01", "13组", "陈玉兰", "0573-85000013"),
]
MAX_TRIES = 1000


def _free_number():
    """ "" for the first sample town, then 2, 3 … until no code or name of it is taken."""
    for number in ["", *map(str, range(2, MAX_TRIES))]:
        town, code = f"{TOWN_NAME}{number}", f"{TOWN_CODE}{number}"
        taken = (
            Town.objects.filter(Q(code=code) | Q(name=town)).exists()
            or Village.objects.filter(
                Q(code__startswith=f"{code}-") | Q(name__startswith=town)
            ).exists()
            or Cooperative.objects.filter(
                Q(code__startswith=f"{code}-") | Q(name__startswith=town)
            ).exists()
            or Community.objects.filter(
                Q(code__startswith=f"{code}-") | Q(name__startswith=town)
            ).exists()
        )
        if not taken:
            return number
    raise RuntimeError("no free sample town name")


def _columns(sheet):
    return [
        Column(column.name, kind="identifier", width=max(10, len(column.name) * 2 + 4))
        for column in TOWN_FORMAT[sheet]
    ]


def town_sample_sheets():
    """The four sheets of the sample, their columns in the format's order."""
    number = _free_number()
    town, code = f"{TOWN_NAME}{number}", f"{TOWN_CODE}{number}"
    rows = {
        TOWN_SHEET: [{CODE: code, NAME: town, KIND: "镇"}],
        VILLAGE_SHEET: [
            {
                VILLAGE_CODE: f"{code}-{suffix}",
                VILLAGE_NAME: f"{town}{name}",
                DISSOLVED_ON: dissolved,
                COOPERATIVE_CODE: f"{code}-{suffix}-COOP",
                COOPERATIVE_NAME: f"{town}{name}股份经济合作社",
            }
            for suffix, name, dissolved in VILLAGES
        ],
        COMMUNITY_SHEET: [
            {
                COMMUNITY_CODE: f"{code}-{suffix}",
                COMMUNITY_NAME: f"{town}{name}",
                COMMUNITY_KIND: kind,
                COMMUNITY_VILLAGE: f"{code}-{village}" if village else "",
                COMMUNITY_PHONE: phone,
            }
            for suffix, name, kind, village, phone in COMMUNITIES
        ],
        GRID_SHEET: [
            {
                COMMUNITY_CODE: f"{code}-{community}",
                GRID_CODE: grid,
                GRID_NAME: name,
                LEADER_NAME: leader,
                LEADER_PHONE: phone,
            }
            for community, grid, name, leader, phone in GRIDS
        ],
    }
    return [
        Sheet(
            title=sheet,
            columns=_columns(sheet),
            rows=[[row.get(column.name, "") for column in columns] for row in rows[sheet]],
        )
        for sheet, columns in TOWN_FORMAT.items()
    ]


def town_sample():
    """(file name, xlsx bytes) of the sample."""
    sheets = town_sample_sheets()
    return safe_filename(f"{sheets[0].rows[0][1]}_镇街道设置表样例.xlsx"), workbook_bytes(sheets)
