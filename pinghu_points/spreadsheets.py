"""What every Excel import shares: reading the first sheet within limits, cell text, errors
that name the row and column (`第3行 身份证号（C列）：…`) and the downloadable error report.

The limits (docs/import-formats.md, "Limits") are checked before anything is parsed where
the file says its size — the upload's bytes, each zip entry's declared size and compression
ratio, the sheet's declared dimension — and again while the sheet is streamed, so a file
that lies or says nothing is stopped at the first row or column past the limit. Python's
zipfile never inflates an entry beyond its declared size, so the declared sizes bound the
work. Formula cells are refused: their value is only what Excel last computed, or nothing.
"""

import io
import os
import zipfile
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import WorkSheetParser

MEGABYTE = 1024 * 1024
# Small parts (styles, the workbook) may compress very well without meaning anything.
RATIO_CHECKED_FROM = MEGABYTE
PROGRESS_EVERY_ROWS = 500


@dataclass(frozen=True)
class RowError:
    """One problem: Excel row (1 is the header, None for the whole file), column header and letter."""

    row: int | None
    column: str
    column_letter: str
    message: str

    def __str__(self):
        if self.row is not None and self.column_letter:
            return _("第%(row)s行 %(column)s（%(letter)s列）：%(message)s") % {
                "row": self.row,
                "column": self.column,
                "letter": self.column_letter,
                "message": self.message,
            }
        if self.row is not None:
            return _("第%(row)s行：%(message)s") % {"row": self.row, "message": self.message}
        return _("文件：%(message)s") % {"message": self.message}

    def as_dict(self):
        return {**asdict(self), "text": str(self)}


class SpreadsheetImportError(Exception):
    """The file was refused; `errors` lists every problem found, in row order."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__(self.errors)

    def summary(self):
        return _("文件有 %(count)s 处错误，未导入任何数据：") % {"count": len(self.errors)}

    def __str__(self):
        return "\n".join([self.summary(), *(str(error) for error in self.errors)])


@dataclass(frozen=True)
class ImportLimits:
    """The limits every import is held to; `from_settings()` reads the IMPORT_* settings."""

    max_file_bytes: int
    max_uncompressed_bytes: int
    max_compression_ratio: int
    max_rows: int  # data rows, the header not counted
    max_columns: int

    @classmethod
    def from_settings(cls):
        return cls(
            max_file_bytes=settings.IMPORT_MAX_FILE_BYTES,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_BYTES,
            max_compression_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
        )


def human_size(size):
    """1.5 MB, 300 KB: the sizes the messages name."""
    if size >= MEGABYTE:
        return f"{size / MEGABYTE:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


def file_size(file):
    """The size in bytes of an upload, a path or a seekable binary file."""
    if isinstance(file, str | os.PathLike):
        return os.path.getsize(file)
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    position = file.tell()
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def too_large(size, limits=None):
    """The message for an upload of `size` bytes above the limit, or None."""
    limits = limits or ImportLimits.from_settings()
    if size <= limits.max_file_bytes:
        return None
    return _("文件大小为 %(size)s，超过上限 %(limit)s，未读取") % {
        "size": human_size(size),
        "limit": human_size(limits.max_file_bytes),
    }


def _file_error(message):
    return RowError(None, "", "", message)


def _unreadable():
    return _file_error(_("无法读取，请上传 Excel 2007 及以上版本的 .xlsx 文件"))


def read_rows(file, *, error_class, progress=None, limits=None):
    """All rows of the first sheet as tuples of cell values, within the limits.

    Refuses, with `error_class`, a file too large (in bytes, uncompressed or by its
    compression ratio), a sheet with too many rows or columns, formula cells (with the row
    and column of each), and anything openpyxl cannot read; an empty first sheet with data
    on another sheet gets a hint. `progress(fraction)` is called now and then while the
    sheet is read.
    """
    limits = limits or ImportLimits.from_settings()
    if isinstance(file, str | os.PathLike):
        # Opened here and handed over as a file object, so openpyxl judges the content, not
        # the name. A path that does not exist is the caller's mistake and raises as usual.
        with open(file, "rb") as handle:
            return read_rows(handle, error_class=error_class, progress=progress, limits=limits)
    workbook = _open_workbook(file, limits, error_class)
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise error_class([_unreadable()])
        rows = _SheetReader(sheets[0], limits, error_class, progress).rows()
        if not rows:
            hint = _other_sheet_hint(sheets)
            if hint:
                raise error_class([_file_error(hint)])
        return rows
    except error_class:
        raise
    except Exception as error:
        raise error_class([_unreadable()]) from error
    finally:
        workbook.close()


def sheet_column(sheet, column):
    """The column of a workbook with several sheets, named with its sheet (工作表“村” 村编码)."""
    return _("工作表“%(sheet)s” %(column)s") % {"sheet": sheet, "column": column}


def in_sheet(error, sheet):
    """The error of one sheet of several: its column named with the sheet, or, for an error
    of the whole sheet or of a column the file lacks, its message."""
    if error.row is None or not error.column_letter:
        return replace(
            error,
            message=_("工作表“%(sheet)s”：%(message)s")
            % {"sheet": sheet, "message": error.message},
        )
    return replace(error, column=sheet_column(sheet, error.column))


def read_sheets(file, *, error_class, limits=None):
    """Every worksheet of a workbook as {title: rows}, each held to the limits of `read_rows`
    (the file's bytes, zip sizes and ratio once; rows and columns per sheet) and refusing
    formula cells; errors name their sheet (`sheet_column`). For a format of several sheets
    (the town spreadsheet, docs/towns.md)."""
    limits = limits or ImportLimits.from_settings()
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            return read_sheets(handle, error_class=error_class, limits=limits)
    workbook = _open_workbook(file, limits, error_class)
    try:
        tables = {}
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "_get_source"):
                continue  # a chart sheet
            try:
                tables[sheet.title] = _SheetReader(sheet, limits, error_class, None).rows()
            except error_class as error:
                raise error_class([in_sheet(e, sheet.title) for e in error.errors]) from None
        return tables
    except error_class:
        raise
    except Exception as error:
        raise error_class([_unreadable()]) from error
    finally:
        workbook.close()


def _open_workbook(file, limits, error_class):
    """The workbook (read-only) of a file within the byte, zip-size and ratio limits."""
    message = too_large(file_size(file), limits)
    if message:
        raise error_class([_file_error(message)])
    if hasattr(file, "seek"):
        file.seek(0)
    try:
        _check_archive(file, limits, error_class)
        file.seek(0)
        return load_workbook(file, read_only=True, data_only=False)
    except error_class:
        raise
    except Exception as error:
        # Bad zip, a zip without a workbook, broken XML …: all mean "not an xlsx we can read".
        raise error_class([_unreadable()]) from error


def _check_archive(file, limits, error_class):
    """Refuse, before any XML is parsed, what the zip directory says is too big."""
    with zipfile.ZipFile(file) as archive:
        entries = archive.infolist()
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        raise error_class(
            [
                _file_error(
                    _("文件解压后为 %(size)s，超过上限 %(limit)s，未读取")
                    % {
                        "size": human_size(total),
                        "limit": human_size(limits.max_uncompressed_bytes),
                    }
                )
            ]
        )
    for entry in entries:
        if entry.file_size < RATIO_CHECKED_FROM:
            continue
        if entry.file_size > limits.max_compression_ratio * max(entry.compress_size, 1):
            raise error_class(
                [
                    _file_error(
                        _("文件压缩比异常（超过 %(ratio)s 倍），不像正常的 Excel 文件，未读取")
                        % {"ratio": limits.max_compression_ratio}
                    )
                ]
            )


class _CountingSource:
    """The sheet's XML stream, counting what has been read (for the progress)."""

    def __init__(self, source):
        self.source = source
        self.read_bytes = 0

    def read(self, size=-1):
        data = self.source.read(size)
        self.read_bytes += len(data)
        return data


class _SheetReader:
    """Streams one sheet's rows, refusing those past the limits as soon as they appear."""

    def __init__(self, sheet, limits, error_class, progress):
        self.sheet = sheet
        self.limits = limits
        self.error_class = error_class
        self.progress = progress

    def refuse(self, message):
        raise self.error_class([_file_error(message)])

    def too_many_rows(self):
        self.refuse(
            _("工作表超过 %(count)s 个数据行（不含表头），请分成几个文件导入")
            % {"count": self.limits.max_rows}
        )

    def too_many_columns(self):
        self.refuse(
            _("工作表超过 %(count)s 列（最后一列为 %(letter)s 列），请删除多余的列")
            % {
                "count": self.limits.max_columns,
                "letter": get_column_letter(self.limits.max_columns),
            }
        )

    def check_dimension(self):
        """The range the sheet says it uses (`<dimension ref="A1:H200"/>`), when it says one."""
        last_row, last_column = self.sheet.max_row, self.sheet.max_column
        if last_row is not None and last_row > self.limits.max_rows + 1:
            self.refuse(
                _(
                    "工作表的使用范围到第 %(row)s 行，超过 %(count)s 个数据行的上限；"
                    "如果后面是空行，请删除这些空行后再导入"
                )
                % {"row": last_row, "count": self.limits.max_rows}
            )
        if last_column is not None and last_column > self.limits.max_columns:
            self.refuse(
                _(
                    "工作表的使用范围到 %(letter)s 列，超过 %(count)s 列的上限；"
                    "如果后面是空列，请删除这些空列后再导入"
                )
                % {"letter": get_column_letter(last_column), "count": self.limits.max_columns}
            )

    def rows(self):
        self.check_dimension()
        workbook = self.sheet.parent
        total = self.sheet.parent._archive.getinfo(self.sheet._worksheet_path).file_size
        rows, formulas, header = [], [], {}
        with self.sheet._get_source() as raw:
            source = _CountingSource(raw)
            parser = WorkSheetParser(
                source,
                self.sheet._shared_strings,
                data_only=False,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for number, cells in parser.parse():
                values = {}
                for cell in cells:
                    if cell["value"] is None:
                        continue  # formatting only
                    column = cell["column"]
                    if column > self.limits.max_columns:
                        self.too_many_columns()
                    if cell["data_type"] == "f":
                        formulas.append((number, column))
                    values[column] = cell["value"]
                if not values:
                    continue
                if number > self.limits.max_rows + 1:
                    self.too_many_rows()
                if number == 1:
                    header = values
                # Rows the file leaves out are empty rows: kept, so row numbers stay right.
                rows.extend(() for _missing in range(len(rows) + 1, number))
                rows.append(tuple(values.get(index) for index in range(1, max(values) + 1)))
                if self.progress and number % PROGRESS_EVERY_ROWS == 0 and total:
                    self.progress(min(1.0, source.read_bytes / total))
        if formulas:
            raise self.error_class(
                [_formula_error(number, column, header) for number, column in formulas]
            )
        return rows


def _formula_error(row, column, header):
    name = cell_text(header.get(column)) if row != 1 else ""
    return RowError(
        row,
        name,
        get_column_letter(column),
        _("单元格是公式，请粘贴为数值（复制后用“选择性粘贴 → 数值”）"),
    )


def _other_sheet_hint(sheets):
    """When the first sheet is empty: the name of a later sheet holding data, as a hint."""
    for sheet in sheets[1:]:
        if not hasattr(sheet, "_get_source"):
            continue  # a chart sheet
        with sheet._get_source() as source:
            parser = WorkSheetParser(source, sheet._shared_strings, data_only=False)
            for _number, cells in parser.parse():
                if any(cell["value"] is not None for cell in cells):
                    return _(
                        "第一个工作表“%(first)s”是空的，数据在工作表“%(other)s”中。"
                        "只读取第一个工作表，请把数据放到第一个工作表（或删除前面的空工作表）"
                    ) % {"first": sheets[0].title, "other": sheet.title}
    return None


def no_data_rows():
    return RowError(None, "", "", _("没有数据行（第1行为表头，数据从第2行开始）"))


def cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 1001.0 from a number cell is the household number 1001
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def map_header(header, *, known, required, unknown_message):
    """Map each known header to its 0-based column index.

    Reports repeated and unknown headers (with `unknown_message`) and every missing
    required one. Empty header cells (often trailing) are ignored.
    """
    columns, errors = {}, []
    for index, cell in enumerate(header):
        name = cell_text(cell)
        if not name:
            continue
        letter = get_column_letter(index + 1)
        if name in columns:
            message = _("列名重复，与%(letter)s列相同") % {
                "letter": get_column_letter(columns[name] + 1)
            }
            errors.append(RowError(1, name, letter, message))
        elif name not in known:
            errors.append(RowError(1, name, letter, unknown_message))
        else:
            columns[name] = index
    for name in required:
        if name not in columns:
            errors.append(RowError(1, name, "", _("缺少必填列“%(column)s”") % {"column": name}))
    return columns, errors


def read_table(file, *, error_class, check_header, progress=None):
    """The first sheet as (columns, data rows), the steps every import takes first.

    `check_header(header)` maps the header (see `map_header`) and returns (columns,
    errors). Refuses, with `error_class`, a sheet without data (no cell filled in, or a
    header and no data row) and a header with problems: until the columns are right,
    checking the rows would only repeat the header problem. The data rows are
    (Excel row number, cells) for every row with a cell filled in, row 2 first.
    """
    rows = read_rows(file, error_class=error_class, progress=progress)
    if not any(cell_text(cell) for cells in rows for cell in cells):
        raise error_class([no_data_rows()])
    columns, errors = check_header(rows[0])
    if errors:
        raise error_class(errors)
    data_rows = [
        (row_number, cells)
        for row_number, cells in enumerate(rows[1:], start=2)
        if any(cell_text(cell) for cell in cells)
    ]
    if not data_rows:
        raise error_class([no_data_rows()])
    return columns, data_rows


def cell_error(row_number, column, columns, message):
    """A `RowError` for the cell of `column` (a header) in the row; the letter is left out
    when the file has no such column."""
    index = columns.get(column)
    letter = get_column_letter(index + 1) if index is not None else ""
    return RowError(row_number, column, letter, message)


class SheetRow:
    """One data row being checked: its cells by header (`columns` from `map_header`), and
    the problems found in it, each naming its row and column."""

    def __init__(self, number, cells, columns):
        self.number = number
        self.cells = cells
        self.columns = columns
        self.errors = []

    def cell(self, column):
        index = self.columns.get(column)
        return self.cells[index] if index is not None and index < len(self.cells) else None

    def text(self, column):
        return cell_text(self.cell(column))

    def error(self, column, message):
        self.errors.append(cell_error(self.number, column, self.columns, message))


def shown_errors(errors):
    """The first errors a page lists (IMPORT_ERRORS_SHOWN); the rest are in the report."""
    return list(errors[: settings.IMPORT_ERRORS_SHOWN])


def error_report_xlsx(errors):
    """The errors as an .xlsx (row, column, letter, message), every cell a text cell.

    A value starting with = + - @ stays text, so the report never runs a formula that a
    hostile upload put in a header or cell.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("错误"))
    header = [_("行"), _("列"), _("列号"), _("错误")]
    sheet.append([_text_cell(sheet, value) for value in header])
    for error in errors:
        row = error.get("row") if isinstance(error, dict) else error.row
        values = (
            [error.get("column", ""), error.get("column_letter", ""), error.get("message", "")]
            if isinstance(error, dict)
            else [error.column, error.column_letter, error.message]
        )
        sheet.append(
            [
                _text_cell(sheet, str(row) if row else _("整个文件")),
                *(_text_cell(sheet, value) for value in values),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=str(value or ""))
    cell.data_type = "s"  # never "f", whatever the text starts with
    return cell


def command_error_lines(errors, *, report_path=None):
    """What an import command prints for a refused file: the first errors, then the rest's
    count; with `report_path`, every kept error is also written there as an .xlsx."""
    lines = [str(error) for error in shown_errors(errors)]
    if len(errors) > len(lines):
        lines.append(
            _("……共 %(total)s 处错误，只列出前 %(shown)s 处")
            % {"total": len(errors), "shown": len(lines)}
        )
    if report_path:
        with open(report_path, "wb") as report:
            report.write(error_report_xlsx(errors[: settings.IMPORT_ERRORS_KEPT]))
        lines.append(_("错误报告已写入 %(path)s") % {"path": report_path})
    return lines
