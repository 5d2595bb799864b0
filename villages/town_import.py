"""The town spreadsheet (镇（街道）设置表): a new town's villages, cooperatives, communities
and micro-grids with their grid leaders from one .xlsx of four sheets, all or nothing.

The format is docs/towns.md, "The town spreadsheet"; `TOWN_FORMAT` below is the one
description of it, which the check, the sample (villages/town_samples.py) and the docs
table follow. Every problem is collected with its sheet, row and column; only a file
without one is written, in one transaction. The page (villages/town_views.py) and the
command `import_town` both call `town_import` (with `dry_run=True` for the preview).
"""

import io
import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from communities.models import Community, MicroGrid, StaffMembership
from pinghu_points.spreadsheets import (
    RowError,
    SheetRow,
    SpreadsheetImportError,
    cell_error,
    cell_text,
    in_sheet,
    map_header,
    no_data_rows,
    read_sheets,
    sheet_column,
)

from .import_jobs import (
    import_job_refused,
    import_previews_expire,
    preview_expired,
    register_preview_cancel,
)
from .models import Cooperative, ImportJob, Town, Village, validate_payable_text

# Sheet names and column headers are the format, not interface text: always Chinese.
TOWN_SHEET = "镇街道"
VILLAGE_SHEET = "村"
COMMUNITY_SHEET = "社区"
GRID_SHEET = "微网格"

CODE, NAME, KIND = "编码", "名称", "类型"
VILLAGE_CODE, VILLAGE_NAME, DISSOLVED_ON = "村编码", "村名", "撤建制日期"
COOPERATIVE_CODE, COOPERATIVE_NAME = "合作社编码", "合作社名称"
COMMUNITY_CODE, COMMUNITY_NAME, COMMUNITY_KIND = "社区编码", "社区名称", "类型"
COMMUNITY_VILLAGE, COMMUNITY_PHONE = "所属村编码", "社区电话"
GRID_CODE, GRID_NAME = "微网格编码", "微网格名称"
LEADER_NAME, LEADER_PHONE, LEADER_LOGIN = "网格长", "网格长电话", "网格长账号"

TOWN_KINDS = {"镇": Town.Kind.TOWN, "街道": Town.Kind.SUBDISTRICT}
COMMUNITY_KINDS = {"城市社区": Community.Kind.URBAN, "村委会": Community.Kind.VILLAGE_COMMITTEE}


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    max_length: int
    meaning: str  # for docs/towns.md and the page (Chinese, as the format)


# sheet: its columns, in the order of the sample. The one description of the format.
TOWN_FORMAT = {
    TOWN_SHEET: [
        Column(CODE, True, 32, "镇（街道）编码，全市唯一，如 DUSHANGANG"),
        Column(NAME, True, 100, "镇（街道）名称，全市唯一"),
        Column(KIND, True, 10, "“镇”或“街道”"),
    ],
    VILLAGE_SHEET: [
        Column(VILLAGE_CODE, True, 32, "行政村编码，全市唯一"),
        Column(VILLAGE_NAME, True, 100, "村名，全市唯一"),
        Column(DISSOLVED_ON, False, 10, "撤建制日期（YYYY-MM-DD）；仍是建制村的留空"),
        Column(COOPERATIVE_CODE, True, 32, "本村股份经济合作社的编码，全市唯一"),
        Column(COOPERATIVE_NAME, True, 150, "合作社名称，全市唯一"),
    ],
    COMMUNITY_SHEET: [
        Column(COMMUNITY_CODE, True, 32, "社区（村委会）编码，全市唯一"),
        Column(COMMUNITY_NAME, True, 100, "名称，全市唯一"),
        Column(COMMUNITY_KIND, True, 10, "“城市社区”或“村委会”"),
        Column(
            COMMUNITY_VILLAGE,
            False,
            32,
            "村委会填本村的村编码（“村”表中未撤建制的村）；城市社区留空",
        ),
        Column(COMMUNITY_PHONE, False, 30, "社区电话，可选"),
    ],
    GRID_SHEET: [
        Column(COMMUNITY_CODE, True, 32, "“社区”表中的社区编码"),
        Column(GRID_CODE, True, 32, "微网格编码，同一社区内唯一"),
        Column(GRID_NAME, True, 100, "微网格名称，如 13组"),
        Column(LEADER_NAME, False, 50, "网格长姓名"),
        Column(LEADER_PHONE, False, 20, "网格长电话：11位手机号或带区号的固定电话"),
        Column(
            LEADER_LOGIN,
            False,
            150,
            "可选：网格长本人的系统账号（已有的社区工作人员账号）；导入后该账号成为本社区工作人员",
        ),
    ],
}
PREVIEW_ROWS = 5
DATE_TEXT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
PHONE_TEXT = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


class TownImportError(SpreadsheetImportError):
    def summary(self):
        return _("镇（街道）设置表有 %(count)s 处错误，未导入任何数据：") % {
            "count": len(self.errors)
        }


@dataclass
class TownPreview:
    """What the file adds (nothing is written for a preview), and its first rows per sheet."""

    town: dict
    villages: int = 0
    cooperatives: int = 0
    communities: int = 0
    micro_grids: int = 0
    leader_logins: int = 0
    rows: dict = field(default_factory=dict)

    def as_dict(self):
        return asdict(self)


class _Row(SheetRow):
    """A row of one sheet: its errors name the sheet, and text is held to the format's length."""

    def __init__(self, sheet, number, cells, columns):
        super().__init__(number, cells, columns)
        self.sheet = sheet
        self.lengths = {column.name: column.max_length for column in TOWN_FORMAT[sheet]}

    def error(self, column, message):
        error = cell_error(self.number, column, self.columns, message)
        self.errors.append(replace(error, column=sheet_column(self.sheet, column)))

    def text(self, column):
        value = cell_text(self.cell(column))
        if len(value) > self.lengths[column]:
            self.error(column, _("不能超过%(count)s个字符") % {"count": self.lengths[column]})
            return None
        try:
            validate_payable_text(value)
        except ValidationError as error:
            self.error(column, " ".join(error.messages))
            return None
        return value

    def required(self, column):
        value = self.text(column)
        if value == "":
            self.error(column, _("%(column)s不能为空") % {"column": column})
            return None
        return value


def _tables(file):
    sheets = read_sheets(file, error_class=TownImportError)
    errors = []
    for title in sheets:
        if title not in TOWN_FORMAT:
            errors.append(
                RowError(
                    None,
                    "",
                    "",
                    _("未知的工作表“%(sheet)s”：只能有“%(sheets)s”四个工作表")
                    % {"sheet": title, "sheets": "”“".join(TOWN_FORMAT)},
                )
            )
    tables = {}
    for sheet, columns in TOWN_FORMAT.items():
        if sheet not in sheets:
            errors.append(RowError(None, "", "", _("缺少工作表“%(sheet)s”") % {"sheet": sheet}))
            continue
        rows = sheets[sheet]
        header = rows[0] if rows else ()
        mapped, header_errors = map_header(
            header,
            known={column.name for column in columns},
            required=[column.name for column in columns if column.required],
            unknown_message=_("未知的列，不是本工作表的列"),
        )
        errors.extend(in_sheet(error, sheet) for error in header_errors)
        data = [
            _Row(sheet, number, cells, mapped)
            for number, cells in enumerate(rows[1:], start=2)
            if any(cell_text(cell) for cell in cells)
        ]
        if not data and sheet in (TOWN_SHEET, VILLAGE_SHEET) and not header_errors:
            errors.append(in_sheet(no_data_rows(), sheet))
        tables[sheet] = data
    if errors:
        raise TownImportError(errors)
    return tables


def _date(row, column):
    raw = row.cell(column)
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = row.text(column)
    if not text:
        return None
    match = DATE_TEXT.match(text)
    try:
        if match:
            return date(*(int(part) for part in match.groups()))
    except ValueError:
        pass  # 2019-02-30
    row.error(column, _("日期不正确，请写成 YYYY-MM-DD，如 2019-06-30"))
    return None


class _Unique:
    """Codes or names that must be new: not twice in the file, not in the database."""

    def __init__(self, existing, taken_message):
        self.existing = existing  # value: what holds it already (its town, for the message)
        self.taken_message = taken_message
        self.first_row = {}

    def check(self, row, column, value):
        if value is None:
            return
        if value in self.first_row:
            row.error(
                column,
                _("“%(value)s”与第%(row)s行重复") % {"value": value, "row": self.first_row[value]},
            )
            return
        self.first_row[value] = row.number
        if value in self.existing:
            row.error(column, self.taken_message % {"value": value, "town": self.existing[value]})


def _taken(queryset, field, town_path):
    return dict(queryset.values_list(field, town_path))


def _check(tables):
    """Every problem of the file against itself and the database; the plan to write."""
    taken = _("“%(value)s”已被%(town)s使用（编码和名称全市唯一）")
    plan = {"town": None, "villages": [], "communities": [], "grids": []}

    town_rows = tables[TOWN_SHEET]
    for extra in town_rows[1:]:
        extra.error(CODE, _("只能填一个镇（街道）：每个镇（街道）用一份文件"))
    if town_rows:
        row = town_rows[0]
        code, name, kind = row.required(CODE), row.required(NAME), row.required(KIND)
        if code and Town.objects.filter(code=code).exists():
            row.error(CODE, _("编码为“%(value)s”的镇（街道）已经存在") % {"value": code})
        if name and Town.objects.filter(name=name).exists():
            row.error(NAME, _("名为“%(value)s”的镇（街道）已经存在") % {"value": name})
        if kind and kind not in TOWN_KINDS:
            row.error(KIND, _("类型只能是“镇”或“街道”"))
        plan["town"] = {"code": code, "name": name, "kind": TOWN_KINDS.get(kind)}

    village_codes = _Unique(_taken(Village.objects, "code", "town__name"), taken)
    village_names = _Unique(_taken(Village.objects, "name", "town__name"), taken)
    cooperative_codes = _Unique(_taken(Cooperative.objects, "code", "village__town__name"), taken)
    cooperative_names = _Unique(_taken(Cooperative.objects, "name", "village__town__name"), taken)
    villages = {}
    for row in tables[VILLAGE_SHEET]:
        code = row.required(VILLAGE_CODE)
        village_codes.check(row, VILLAGE_CODE, code)
        name = row.required(VILLAGE_NAME)
        village_names.check(row, VILLAGE_NAME, name)
        dissolved_on = _date(row, DISSOLVED_ON)
        cooperative_code = row.required(COOPERATIVE_CODE)
        cooperative_codes.check(row, COOPERATIVE_CODE, cooperative_code)
        cooperative_name = row.required(COOPERATIVE_NAME)
        cooperative_names.check(row, COOPERATIVE_NAME, cooperative_name)
        village = {
            "code": code,
            "name": name,
            "dissolved_on": dissolved_on,
            "cooperative_code": cooperative_code,
            "cooperative_name": cooperative_name,
        }
        if code:
            villages.setdefault(code, village)
        plan["villages"].append(village)

    community_codes = _Unique(_taken(Community.objects, "code", "town__name"), taken)
    community_names = _Unique(_taken(Community.objects, "name", "town__name"), taken)
    committee_row = {}
    communities = set()
    for row in tables[COMMUNITY_SHEET]:
        code = row.required(COMMUNITY_CODE)
        community_codes.check(row, COMMUNITY_CODE, code)
        name = row.required(COMMUNITY_NAME)
        community_names.check(row, COMMUNITY_NAME, name)
        kind = row.required(COMMUNITY_KIND)
        if kind and kind not in COMMUNITY_KINDS:
            row.error(COMMUNITY_KIND, _("类型只能是“城市社区”或“村委会”"))
        village_code = row.text(COMMUNITY_VILLAGE)
        phone = row.text(COMMUNITY_PHONE)
        kind = COMMUNITY_KINDS.get(kind)
        if kind == Community.Kind.URBAN and village_code:
            row.error(COMMUNITY_VILLAGE, _("城市社区不属于某个村，请留空"))
        elif kind == Community.Kind.VILLAGE_COMMITTEE:
            village = villages.get(village_code) if village_code else None
            if village_code == "":
                row.error(COMMUNITY_VILLAGE, _("村委会须填写本村的村编码"))
            elif village_code and village is None:
                row.error(
                    COMMUNITY_VILLAGE,
                    _("“村”表中没有村编码为“%(value)s”的村") % {"value": village_code},
                )
            elif village and village["dissolved_on"]:
                row.error(
                    COMMUNITY_VILLAGE,
                    _("村“%(value)s”已撤建制，没有村委会；其农户住在城市社区")
                    % {"value": village["name"]},
                )
            elif village_code in committee_row:
                row.error(
                    COMMUNITY_VILLAGE,
                    _("村“%(value)s”已有村委会（第%(row)s行）")
                    % {"value": village_code, "row": committee_row[village_code]},
                )
            elif village_code:
                committee_row[village_code] = row.number
        if code:
            communities.add(code)
        plan["communities"].append(
            {
                "code": code,
                "name": name,
                "kind": kind,
                "village_code": village_code if kind == Community.Kind.VILLAGE_COMMITTEE else "",
                "phone": phone or "",
            }
        )

    logins = {cell_text(row.cell(LEADER_LOGIN)) for row in tables[GRID_SHEET]} - {""}
    users = {
        user.username: user
        for user in get_user_model()
        .objects.filter(username__in=logins)
        .prefetch_related("communities__town")
    }
    grid_row = {}
    for row in tables[GRID_SHEET]:
        community = row.required(COMMUNITY_CODE)
        if community and community not in communities:
            row.error(
                COMMUNITY_CODE,
                _("“社区”表中没有社区编码为“%(value)s”的社区") % {"value": community},
            )
        code = row.required(GRID_CODE)
        if community and code:
            if (community, code) in grid_row:
                row.error(
                    GRID_CODE,
                    _("社区“%(community)s”的微网格编码“%(value)s”与第%(row)s行重复")
                    % {"community": community, "value": code, "row": grid_row[community, code]},
                )
            else:
                grid_row[community, code] = row.number
        name = row.required(GRID_NAME)
        leader_name = row.text(LEADER_NAME)
        phone = row.text(LEADER_PHONE)
        if phone and not PHONE_TEXT.match(phone.replace(" ", "")):
            row.error(LEADER_PHONE, _("电话应为11位手机号，或带区号的固定电话，如0573-85000000"))
        login = row.text(LEADER_LOGIN)
        leader = None
        if login:
            leader = users.get(login)
            if leader is None or not leader.is_active:
                row.error(LEADER_LOGIN, _("没有用户名为“%(value)s”的有效账号") % {"value": login})
                leader = None
            elif not leader.is_community_staff:
                row.error(
                    LEADER_LOGIN,
                    _("账号“%(value)s”不是社区工作人员账号：网格长账号只能是社区工作人员")
                    % {"value": login},
                )
                leader = None
            elif other := min(leader.communities.all(), key=lambda c: c.code, default=None):
                row.error(
                    LEADER_LOGIN,
                    _(
                        "账号“%(value)s”已是%(town)s%(community)s的工作人员，不能再做新镇（街道）的网格长"
                    )
                    % {"value": login, "town": other.town.name, "community": other.name},
                )
                leader = None
            elif not leader_name:
                leader_name = leader.get_full_name() or ""
        plan["grids"].append(
            {
                "community_code": community,
                "code": code,
                "name": name,
                "leader_name": leader_name or "",
                "leader_phone": (phone or "").replace(" ", ""),
                "leader": leader,
            }
        )

    errors = [error for sheet in TOWN_FORMAT for row in tables[sheet] for error in row.errors]
    if errors:
        raise TownImportError(errors)
    return plan


def _preview(plan):
    def first(items, keys):
        return [{key: str(item[key] or "") for key in keys} for item in items[:PREVIEW_ROWS]]

    grids = [
        {**grid, "leader": grid["leader"].username if grid["leader"] else ""}
        for grid in plan["grids"]
    ]
    return TownPreview(
        town={**plan["town"], "kind": str(Town.Kind(plan["town"]["kind"]).label)},
        villages=len(plan["villages"]),
        cooperatives=len(plan["villages"]),
        communities=len(plan["communities"]),
        micro_grids=len(plan["grids"]),
        leader_logins=len({grid["leader"] for grid in grids if grid["leader"]}),
        rows={
            "villages": first(
                plan["villages"], ["code", "name", "dissolved_on", "cooperative_name"]
            ),
            "communities": [
                {**item, "kind": str(Community.Kind(item["kind"]).label)}
                for item in first(plan["communities"], ["code", "name", "kind", "village_code"])
            ],
            "grids": first(
                grids, ["community_code", "code", "name", "leader_name", "leader_phone", "leader"]
            ),
        },
    )


def town_import(*, file, actor=None, dry_run=False):
    """Check the town spreadsheet and, unless `dry_run`, write it all in one transaction.

    Returns the `TownPreview` (what was, or would be, added). Raises `TownImportError`
    with every problem, and writes nothing, when the file has one. Audited as `town.import`.
    """
    plan = _check(_tables(file))
    preview = _preview(plan)
    if not dry_run:
        _save(plan, actor=actor, preview=preview, file_name=getattr(file, "name", str(file)))
    return preview


@transaction.atomic
def _save(plan, *, actor, preview, file_name):
    town = Town.objects.create(**plan["town"])
    villages = {}
    for item in plan["villages"]:
        village = Village.objects.create(
            town=town, code=item["code"], name=item["name"], dissolved_on=item["dissolved_on"]
        )
        Cooperative.objects.create(
            village=village, code=item["cooperative_code"], name=item["cooperative_name"]
        )
        villages[village.code] = village
    communities = {}
    for item in plan["communities"]:
        communities[item["code"]] = Community.objects.create(
            town=town,
            code=item["code"],
            name=item["name"],
            kind=item["kind"],
            village=villages.get(item["village_code"]),
            phone=item["phone"],
        )
    MicroGrid.objects.bulk_create(
        MicroGrid(
            community=communities[item["community_code"]],
            code=item["code"],
            name=item["name"],
            leader_name=item["leader_name"],
            leader_phone=item["leader_phone"],
            leader=item["leader"],
        )
        for item in plan["grids"]
    )
    # The leaders' logins become staff of their grids' communities (all new: the check
    # refused a login that is staff anywhere already).
    memberships = {
        (item["leader"], communities[item["community_code"]])
        for item in plan["grids"]
        if item["leader"] is not None
    }
    StaffMembership.objects.bulk_create(
        StaffMembership(user=leader, community=community) for leader, community in memberships
    )
    staff_added = {leader for leader, _community in memberships}
    for leader in sorted(staff_added, key=lambda user: user.pk):
        audit_record(
            actor=actor,
            action="user.communities_changed",
            target=leader,
            details={
                "communities": sorted(leader.communities.values_list("code", flat=True)),
                "channel": "town.import",
            },
        )
    audit_record(
        actor=actor,
        action="town.import",
        target=town,
        details={
            "file": file_name[:255],
            "villages": preview.villages,
            "cooperatives": preview.cooperatives,
            "communities": preview.communities,
            "micro_grids": preview.micro_grids,
            "leader_logins": preview.leader_logins,
        },
    )
    return town


# The page's two steps, kept in an `ImportJob` of kind TOWN (villages/import_jobs.py keeps
# the register's; expiry and cancelling are theirs, for every kind).


def town_preview_start(*, user, file):
    """Check the file and count what it adds, writing nothing: a job waiting in PREVIEW
    with the file for `town_import_confirm`, or FAILED with the errors (for the report).
    A new upload replaces the user's earlier town previews."""
    import_previews_expire()
    for earlier in ImportJob.objects.filter(
        kind=ImportJob.Kind.TOWN, user=user, status=ImportJob.Status.PREVIEW
    ):
        register_preview_cancel(job=earlier)
    file_name = (getattr(file, "name", "") or "")[:255]
    try:
        preview = town_import(file=file, actor=user, dry_run=True)
    except TownImportError as error:
        return import_job_refused(
            kind=ImportJob.Kind.TOWN, user=user, file_name=file_name, errors=error.errors
        )
    file.seek(0)
    return ImportJob.objects.create(
        kind=ImportJob.Kind.TOWN,
        user=user,
        confirmed=False,
        status=ImportJob.Status.PREVIEW,
        progress=100,
        file_name=file_name,
        content=file.read(),
        result=preview.as_dict(),
    )


def town_import_confirm(*, job, actor):
    """Write the previewed town: checked again (a code may have been taken since), all or
    nothing, the job marked DONE in the same transaction. A second confirmation finds the
    preview taken and changes nothing; an expired one is cancelled (its file removed)."""
    if preview_expired(job):
        register_preview_cancel(job=job)
        return job
    try:
        with transaction.atomic():
            locked = (
                ImportJob.objects.select_for_update()
                .filter(pk=job.pk, status=ImportJob.Status.PREVIEW)
                .first()
            )
            if locked is None:
                return job
            file = io.BytesIO(bytes(locked.content))
            file.name = locked.file_name
            preview = town_import(file=file, actor=actor)
            locked.status = ImportJob.Status.DONE
            locked.confirmed = True
            locked.result = preview.as_dict()
            locked.content = b""
            locked.finished_at = timezone.now()
            locked.save()
    except TownImportError as error:
        _failed(job, error.errors)
    except IntegrityError:
        # Another import or the admin site took a code between the check and the write.
        _failed(
            job, [RowError(None, "", "", _("写入时编码或名称已被占用，未导入任何数据，请重新上传"))]
        )
    job.refresh_from_db()
    return job


def _failed(job, errors):
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PREVIEW).update(
        status=ImportJob.Status.FAILED,
        error_count=len(errors),
        errors=[error.as_dict() for error in errors[: settings.IMPORT_ERRORS_KEPT]],
        content=b"",
        finished_at=timezone.now(),
    )
