"""Inspection sheet import (积分检查表导入): a paper sheet typed into Excel, all or nothing.

The format and every message are documented in docs/import-formats.md. The file is
read completely and every row resolved to a `services.Entry` (household by number
within the community, item by code or name within the standard its cooperative
adopted for the row's year). Every problem is collected — those of reading the file
and those `score_events_record` finds (caps, ranges, closed months …) — and only a file
without a single problem is saved, by `score_events_record` in one transaction, which
also writes the one audit record (source "import"). The command and the page both call
`score_event_import`.
"""

import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import communities_visible_to
from pinghu_points.spreadsheets import (
    RowError,
    SheetRow,
    SpreadsheetImportError,
    cell_error,
    cell_text,
    map_header,
    read_table,
)
from villages.models import Cooperative, Household

from . import selectors
from .models import ScoringItem
from .services import BatchError, Entry, score_events_record, validate_entries

NUMBER = "户号"
COOPERATIVE = "合作社"
ITEM_CODE = "积分项编码"
ITEM_NAME = "积分项"
POINTS = "分值"
DATE = "日期"
NOTE = "备注"

COLUMNS = [NUMBER, COOPERATIVE, ITEM_CODE, ITEM_NAME, POINTS, DATE, NOTE]
# Required besides one of ITEM_CODE / ITEM_NAME; COOPERATIVE is needed only when a
# household number is used by several cooperatives living in the community.
REQUIRED_COLUMNS = [NUMBER, DATE]
NOTE_MAX_LENGTH = 255  # ScoreEvent.note
DATE_TEXT = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


class ScoreEventImportError(SpreadsheetImportError):
    """The file was refused; `errors` lists every problem found, in row order."""

    def summary(self):
        return _("积分检查表有 %(count)s 处错误，未导入任何积分记录：") % {
            "count": len(self.errors)
        }


@dataclass(frozen=True)
class ImportResult:
    events: int
    households: int
    points: Decimal  # net sum, adds positive and deducts negative
    batch: str

    def as_dict(self):
        return {**asdict(self), "points": str(self.points)}


def score_event_import(*, community, file, actor, progress=None, on_saved=None):
    """Import the inspection sheet in `file` (a path or a binary file object) for `community`.

    `actor` is the staff member (or subdistrict administrator) the events are entered as.
    Raises PermissionDenied if they may not score the community, ScoreEventImportError
    listing every problem otherwise; saves nothing unless there is none.
    `progress(fraction)` is told how far reading the file has come; `on_saved(result)` runs
    inside the transaction that records the events (see household_register_import).
    """
    _check_actor(actor, community)
    columns, data_rows = read_table(
        file, error_class=ScoreEventImportError, check_header=_check_header, progress=progress
    )

    entries, sources, errors = _resolve_rows(community, data_rows, columns)
    if errors:
        # Also report what the ledger rules say about the rows that could be read, so one
        # round of corrections is enough. Nothing is written here.
        ledger_errors = validate_entries(actor=actor, entries=entries)[0] if entries else []
        raise ScoreEventImportError(
            _sorted(errors + _map_entry_errors(ledger_errors, sources, columns))
        )
    try:
        with transaction.atomic():
            events = score_events_record(actor=actor, entries=entries, source="import")
            result = ImportResult(
                events=len(events),
                households=len({event.household_id for event in events}),
                points=sum((event.points for event in events), Decimal("0")),
                batch=str(events[0].batch) if events else "",
            )
            if on_saved:
                on_saved(result)
    except BatchError as error:
        raise ScoreEventImportError(
            _sorted(_map_entry_errors(error.errors, sources, columns))
        ) from error
    return result


def actor_may_import(actor, community):
    """Community staff of `community`, or a subdistrict administrator."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if not actor.may_score:
        return False
    return communities_visible_to(actor).filter(pk=community.pk).exists()


def _check_actor(actor, community):
    if not actor_may_import(actor, community):
        raise PermissionDenied(
            _("只有%(community)s的工作人员或街道管理员可以导入该社区的积分")
            % {"community": community.name}
        )


def _check_header(header):
    """Map each known header to its 0-based column index; report missing, unknown and repeated ones."""
    columns, errors = map_header(
        header,
        known=COLUMNS,
        required=REQUIRED_COLUMNS,
        unknown_message=_("未知的列，积分检查表的列为：%(columns)s")
        % {"columns": "、".join(COLUMNS)},
    )
    if ITEM_CODE not in columns and ITEM_NAME not in columns:
        errors.append(
            RowError(
                1,
                ITEM_CODE,
                "",
                _("缺少必填列“%(code)s”（或“%(name)s”）") % {"code": ITEM_CODE, "name": ITEM_NAME},
            )
        )
    return columns, errors


def _item_column(columns):
    """The column item problems are reported in: the code column when the file has one."""
    return ITEM_CODE if ITEM_CODE in columns else ITEM_NAME


def _resolve_rows(community, data_rows, columns):
    """Turn rows into Entries; return (entries, [(row number) per entry], errors)."""
    households = _household_lookup(community)
    cooperatives = _cooperative_lookup()
    today = timezone.localdate()
    parsed = []
    errors = []
    for row_number, cells in data_rows:
        row = SheetRow(row_number, cells, columns)
        household = _household(row, community, households, cooperatives)
        occurred_on = _date(row)
        if occurred_on is not None and occurred_on > today:
            # Said here (as the ledger would), not as "no standard for that year".
            row.error(DATE, _("发生日期 %(date)s 晚于今天") % {"date": occurred_on.isoformat()})
            occurred_on = None
        points = _points(row)
        note = row.text(NOTE)
        if len(note) > NOTE_MAX_LENGTH:
            row.error(NOTE, _("备注不能超过%(count)s个字符") % {"count": NOTE_MAX_LENGTH})
        code, name = row.text(ITEM_CODE), row.text(ITEM_NAME)
        if not code and not name:
            if ITEM_CODE in columns and ITEM_NAME in columns:
                row.error(ITEM_CODE, _("积分项编码和积分项不能都为空"))
            else:
                row.error(
                    _item_column(columns),
                    _("%(column)s不能为空") % {"column": _item_column(columns)},
                )
        parsed.append((row, household, occurred_on, points, note, code, name))

    # Items: within the standard each household's cooperative adopted for the row's year.
    wanted = {
        (household.cooperative_id, occurred_on.year)
        for _row, household, occurred_on, *_rest in parsed
        if household is not None and occurred_on is not None
    }
    standards, items = _standards_and_items(wanted)

    entries, sources = [], []
    for row, household, occurred_on, points, note, code, name in parsed:
        item = None
        if household is not None and occurred_on is not None and (code or name):
            item = _item(row, household, occurred_on.year, code, name, standards, items)
        if row.errors:
            errors.extend(row.errors)
            continue
        entries.append(
            Entry(
                household_id=household.pk,
                item_id=item.pk,
                occurred_on=occurred_on,
                points=points,
                note=note,
            )
        )
        sources.append(row.number)
    return entries, sources, errors


# Marks a household number used by several cooperatives in the community.
_AMBIGUOUS = object()


def _household_lookup(community):
    """{number: Household or [Household, …]} for households living in the community."""
    lookup = defaultdict(list)
    for household in Household.objects.filter(community=community).select_related("cooperative"):
        lookup[household.number].append(household)
    return lookup


def _cooperative_lookup():
    """{name or code: Cooperative}; a code wins over another cooperative's identical name."""
    lookup = {}
    cooperatives = list(Cooperative.objects.all())
    lookup.update((cooperative.name, cooperative) for cooperative in cooperatives)
    lookup.update((cooperative.code, cooperative) for cooperative in cooperatives)
    return lookup


def _household(row, community, households, cooperatives):
    number = row.text(NUMBER)
    if not number:
        row.error(NUMBER, _("户号不能为空"))
        return None
    cooperative = None
    cooperative_text = row.text(COOPERATIVE)
    if cooperative_text:
        cooperative = cooperatives.get(cooperative_text)
        if cooperative is None:
            row.error(
                COOPERATIVE, _("没有名称或编码为“%(name)s”的合作社") % {"name": cooperative_text}
            )
            return None
    candidates = households.get(number, [])
    if cooperative is not None:
        candidates = [h for h in candidates if h.cooperative_id == cooperative.pk]
    if not candidates:
        names = {"community": community.name, "number": number}
        if cooperative is not None:
            message = _("%(community)s没有%(cooperative)s户号为“%(number)s”的股东户") % {
                **names,
                "cooperative": cooperative.name,
            }
        else:
            message = _("%(community)s没有户号为“%(number)s”的股东户") % names
        raw = row.cell(NUMBER)
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            message += _("（户号单元格是数字格式，开头的0会丢失，请设置为文本格式）")
        row.error(NUMBER, message)
        return None
    if len(candidates) > 1:
        row.error(
            NUMBER,
            _(
                "%(community)s有%(count)s户户号为“%(number)s”（%(cooperatives)s），"
                "请在“合作社”列填写合作社编码或名称"
            )
            % {
                "community": community.name,
                "count": len(candidates),
                "number": number,
                "cooperatives": "、".join(sorted(h.cooperative.name for h in candidates)),
            },
        )
        return None
    return candidates[0]


def _date(row):
    raw = row.cell(DATE)
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = cell_text(raw)
    if not text:
        row.error(DATE, _("日期不能为空"))
        return None
    match = DATE_TEXT.match(text) if isinstance(raw, str) else None
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    row.error(
        DATE,
        _("日期“%(value)s”不正确，应为日期格式的单元格或 YYYY-MM-DD 文本（如 2026-03-05）")
        % {"value": text},
    )
    return None


def _points(row):
    """A Decimal magnitude, or None for the item's default (an empty cell or no column)."""
    raw = row.cell(POINTS)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    not_a_number = _("分值应为数字，“%(value)s”不是数字") % {"value": cell_text(raw)}
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        row.error(POINTS, not_a_number)
        return None
    try:
        # openpyxl gives int/float: through str, never through binary float arithmetic.
        points = Decimal(str(raw).strip())
    except InvalidOperation:
        row.error(POINTS, not_a_number)
        return None
    if not points.is_finite():
        row.error(POINTS, not_a_number)
        return None
    if points <= 0:
        row.error(POINTS, _("分值应填正数，加分还是扣分由积分项决定"))
        return None
    return points


def _standards_and_items(wanted):
    """({(cooperative_id, year): standard}, {standard_id: {"codes": …, "names": …}})."""
    standards = {}
    for year in {year for _cooperative_id, year in wanted}:
        found = selectors.standards_by_cooperative(
            cooperative_ids={cooperative_id for cooperative_id, y in wanted if y == year},
            year=year,
        )
        standards.update(
            ((cooperative_id, year), standard) for cooperative_id, standard in found.items()
        )
    items = defaultdict(lambda: {"codes": {}, "names": {}})
    for item in ScoringItem.objects.filter(
        standard_id__in={standard.pk for standard in standards.values()}
    ):
        lookup = items[item.standard_id]
        lookup["codes"][item.code.upper()] = item
        lookup["names"][item.name] = _AMBIGUOUS if item.name in lookup["names"] else item
    return standards, items


def _item(row, household, year, code, name, standards, items):
    column = _item_column(row.columns)
    cooperative = household.cooperative.name
    standard = standards.get((household.cooperative_id, year))
    if standard is None:
        row.error(
            column,
            _("%(cooperative)s 在 %(year)s 年没有已发布的积分标准")
            % {"cooperative": cooperative, "year": year},
        )
        return None
    lookup = items[standard.pk]
    names = {"standard": standard.name, "year": year, "cooperative": cooperative}
    if code:
        item = lookup["codes"].get(code.upper())
        if item is None:
            row.error(
                ITEM_CODE,
                _(
                    "%(cooperative)s %(year)s 年采用的积分标准“%(standard)s”中没有编码为“%(code)s”的积分项"
                )
                % {**names, "code": code},
            )
            return None
        if name and name != item.name:
            row.error(
                ITEM_NAME,
                _("积分项编码“%(code)s”是“%(item)s”，与本列的“%(name)s”不一致")
                % {"code": code, "item": item.name, "name": name},
            )
            return None
    else:
        item = lookup["names"].get(name)
        if item is None:
            row.error(
                ITEM_NAME,
                _(
                    "%(cooperative)s %(year)s 年采用的积分标准“%(standard)s”中没有名为“%(name)s”的积分项"
                )
                % {**names, "name": name},
            )
            return None
        if item is _AMBIGUOUS:
            row.error(
                ITEM_NAME,
                _("积分标准“%(standard)s”中有多个名为“%(name)s”的积分项，请填写积分项编码")
                % {**names, "name": name},
            )
            return None
    if item.needs_photo:
        row.error(
            column,
            _("“%(item)s”须上传照片，不能通过 Excel 导入，请在批量录入页面录入并上传照片")
            % {"item": item.name},
        )
        return None
    return item


# Where each field `score_events_record` reports on lives in the sheet.
FIELD_COLUMNS = {
    "household": NUMBER,
    "points": POINTS,
    "occurred_on": DATE,
    "note": NOTE,
}


def _map_entry_errors(entry_errors, sources, columns):
    """EntryError(index, field, message) → RowError at the entry's Excel row and column."""
    mapped = []
    for error in entry_errors:
        row_number = sources[error.index] if error.index < len(sources) else None
        column = FIELD_COLUMNS.get(error.field)
        if column not in columns:
            # item and evidence problems, or points when the sheet has no 分值 column (the
            # item's default was used): the item is what the typist can change.
            column = _item_column(columns)
        mapped.append(cell_error(row_number, column, columns, error.message))
    return mapped


def _sorted(errors):
    order = {column: position for position, column in enumerate(COLUMNS)}
    return sorted(
        errors,
        key=lambda error: (error.row or 0, order.get(error.column, len(COLUMNS)), error.message),
    )
