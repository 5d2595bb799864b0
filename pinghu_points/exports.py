"""How the product WRITES spreadsheets: the one place that keeps formulas out of them.

Every csv and xlsx the product writes goes through here (the dividend bank list and
notice, the points chart CSV, the overview's and the audit trail's workbooks, the bank's
list, the import sample and error report, the admin's django-import-export downloads;
tests/test_export_formulas.py finds them from the URL resolver). Reading spreadsheets is
`pinghu_points/spreadsheets.py`.

The rule (OWASP "CSV injection"): a text cell that starts with `=`, `+`, `-`, `@`, a
tab or a carriage return would be read as a formula by Excel or LibreOffice, so it is
written with one single quote `'` in front (`=1+1` → `'=1+1`). Nothing else is ever
changed: any other text, and any number, is written exactly as stored. Numbers
(`int`, `Decimal`) are not text: they cannot hold a formula, so `-3.5` stays a
number (a numeric cell in xlsx, the plain digits in csv).

In xlsx, text is always written as a string cell (openpyxl `data_type "s"`), so not
even an unprefixed value could become a formula; money is a numeric cell with the
number format `#,##0.00`, so Excel can sum it.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")
PREFIX = "'"

MONEY_FORMAT = "#,##0.00"
SCORE_FORMAT = "0.0"
# Shares: at least two decimals, and every decimal the exact value has (up to six).
SHARES_FORMAT = "#,##0.00####"
# Excel's text format: a household or ID number typed over the cell stays text (leading
# zeros and all 18 digits kept) instead of becoming a number.
TEXT_FORMAT = "@"

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def neutralise(value):
    """A cell value that no spreadsheet program reads as a formula.

    Text starting with a formula character gets one `'` in front; everything else is
    returned unchanged (numbers, dates, None and any other text).
    """
    if isinstance(value, str) and value.startswith(FORMULA_CHARS):
        return PREFIX + value
    return value


def restore(value):
    """The inverse of `neutralise` for a value read back (the admin's re-import):
    `'=1+1` → `=1+1`. Only a quote directly before a formula character is removed."""
    if isinstance(value, str) and value.startswith(PREFIX) and value[1:].startswith(FORMULA_CHARS):
        return value[1:]
    return value


@dataclass
class Column:
    """One column of a written sheet: its header, the kind of its values and its width
    (in Excel's character units; a Chinese character counts about two)."""

    header: str
    # "text"; "identifier" (text, and the cell formatted as text for whoever edits it);
    # "money" (2 decimals); "shares" (exact, at least 2 decimals); "score" (1 decimal);
    # "number" (as stored)
    kind: str = "text"
    width: int = 12


@dataclass
class Sheet:
    """A table to write: optional lines above the header (title, who, when), the header,
    the rows and an optional closing total row. Cells are text, Decimal/int or None."""

    title: str
    columns: list
    rows: list
    preamble: list = field(default_factory=list)
    total: list | None = None

    @property
    def headers(self):
        return [column.header for column in self.columns]


# OOXML's escape for characters an XML file cannot carry as they are (ST_Xstring): Excel
# and LibreOffice read `_x000D_` back as a carriage return. A raw CR would come back as a
# line feed (XML normalises line ends) and control characters cannot be written at all.
_OOXML_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b\x0c\x0d\x0e-\x1f]")
_OOXML_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_escape(text):
    """Text for an xlsx cell that Excel reads back exactly: CR and control characters as
    `_xHHHH_`, and a literal `_xHHHH_` protected as `_x005F_xHHHH_`."""
    return _OOXML_ESCAPE.sub(lambda match: f"_x{ord(match.group()):04X}_", text)


def ooxml_unescape(text):
    """What Excel shows for a stored xlsx text (openpyxl returns the raw `_xHHHH_` form)."""
    return _OOXML_UNESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


_UNSAFE_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')


def safe_filename(name):
    """A download's file name with no character a file system or an HTTP header refuses
    (control characters, / \\ : * ? " < > |), each replaced by `_`."""
    return _UNSAFE_IN_FILE_NAMES.sub("_", name)


def _text(value):
    return "" if value is None else str(value)


def _csv_cell(value, column):
    if value is None:
        return ""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        if column is not None and column.kind == "money":
            return f"{Decimal(value):.2f}"
        if column is not None and column.kind == "score":
            return f"{Decimal(value):.1f}"
        return plain_decimal(value)
    return neutralise(_text(value))


def plain_decimal(value):
    """Decimal as plain digits without trailing zeros or exponent: 3.0000 → "3", 2.50 → "2.5"."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.quantize(Decimal(1)))
    return format(value.normalize(), "f")


def csv_bytes(sheet):
    """UTF-8 with a byte order mark (Excel then reads the Chinese right), comma-separated,
    CRLF line ends; the preamble lines first, one cell each."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in sheet.preamble:
        writer.writerow([_csv_cell(line, None)])
    writer.writerow([_csv_cell(header, None) for header in sheet.headers])
    for row in [*sheet.rows, *([sheet.total] if sheet.total else [])]:
        writer.writerow(
            [_csv_cell(value, column) for value, column in zip(row, sheet.columns, strict=True)]
        )
    return out.getvalue().encode("utf-8-sig")


def csv_row(values):
    """One csv row of plain values (for writers that stream their own csv)."""
    return [_csv_cell(value, None) for value in values]


NUMBER_FORMATS = {"money": MONEY_FORMAT, "shares": SHARES_FORMAT, "score": SCORE_FORMAT}


def _cell(ws, value, column=None, font=None):
    """One write-only cell: text as a string cell (neutralised, OOXML-escaped), numbers
    as numbers with their column's number format."""
    cell = WriteOnlyCell(ws)
    if value is None:
        pass
    elif isinstance(value, bool | float | date):
        cell.value = value  # a boolean, float or date cell (the admin's downloads)
    elif isinstance(value, Decimal | int):
        cell.value = value
        if column is not None and column.kind in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[column.kind]
    else:
        cell.value = ooxml_escape(neutralise(_text(value)))
        cell.data_type = "s"  # text stays text, whatever it starts with
    if (
        column is not None
        and column.kind == "identifier"
        and (value is None or cell.data_type == "s")
    ):
        cell.number_format = TEXT_FORMAT  # an empty cell too: it is the one a typist fills
    if font is not None:
        cell.font = font
    return cell


def _display_width(value, column):
    """About how many character widths Excel needs to show the value (CJK count two)."""
    text = _csv_cell(value, column)
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        text = f"{Decimal(text):,}"  # with thousands separators, as the number format shows it
    return sum(2 if ord(char) > 0x2E7F else 1 for char in str(text))


def _column_widths(sheet):
    widths = []
    for index, column in enumerate(sheet.columns):
        widest = max(
            (_display_width(row[index], column) for row in [*sheet.rows, sheet.total or []] if row),
            default=0,
        )
        widths.append(min(max(column.width, _display_width(column.header, None), widest + 2), 60))
    return widths


def xlsx_bytes(sheet):
    """One sheet: the preamble lines (the first larger, in bold), a bold header row frozen
    under them and repeated on every printed page, the rows, a bold total row; each
    column as wide as its longest value (at least `Column.width`, at most 60).

    Written in openpyxl's write-only (streaming) mode: 100,000 rows stay cheap."""
    return workbook_bytes([sheet])


def workbook_bytes(sheets):
    """Several sheets in one workbook (the overview's downloads), each as `xlsx_bytes`
    writes one."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook, sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write_sheet(workbook, sheet):
    ws = workbook.create_sheet(str(sheet.title)[:31])
    header_row = len(sheet.preamble) + 1
    for col, width in enumerate(_column_widths(sheet), start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = f"A{header_row + 1}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    title_font, bold = Font(bold=True, size=14), Font(bold=True)
    for index, line in enumerate(sheet.preamble):
        ws.append([_cell(ws, line, font=title_font if index == 0 else None)])
    header = []
    for column in sheet.columns:
        cell = _cell(ws, column.header, font=bold)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    ws.append(header)
    columns = sheet.columns
    for values in sheet.rows:
        ws.append([_cell(ws, value, column) for value, column in zip(values, columns, strict=True)])
    if sheet.total:
        ws.append(
            [
                _cell(ws, value, column, font=bold)
                for value, column in zip(sheet.total, columns, strict=True)
            ]
        )


def xlsx_response(*, filename, sheets):
    """An attachment download of `sheets` (a list of `Sheet`) as one xlsx workbook."""
    response = HttpResponse(workbook_bytes(sheets), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, safe_filename(filename))
    return response


def sheet_bytes(sheet, file_format):
    """(bytes, content type) of a sheet as "xlsx" or "csv"."""
    if file_format == "xlsx":
        return xlsx_bytes(sheet), XLSX_CONTENT_TYPE
    return csv_bytes(sheet), CSV_CONTENT_TYPE


class XLSX(base_formats.XLSX):
    """The admin's xlsx download format (settings.EXPORT_FORMATS): the dataset written by
    `xlsx_bytes` (string cells, `_xHHHH_` escapes, frozen header, readable widths)
    instead of tablib's writer. Reading (the admin's import) is unchanged."""

    def export_data(self, dataset, **kwargs):
        sheet = Sheet(
            title=dataset.title or "Sheet1",
            columns=[Column(str(header)) for header in dataset.headers or []],
            rows=[list(row) for row in dataset],
        )
        return xlsx_bytes(sheet)
