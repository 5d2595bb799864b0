"""What every Excel import shares: reading the first sheet, cell text, and errors
that name the row and column (`第3行 身份证号（C列）：…`)."""

import os
from dataclasses import asdict, dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter


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


def read_rows(file, *, error_class):
    """All rows of the first sheet as tuples of cell values; refuses anything openpyxl cannot read."""
    if isinstance(file, str | os.PathLike):
        # Opened here and handed over as a file object, so openpyxl judges the content, not
        # the name. A path that does not exist is the caller's mistake and raises as usual.
        with open(file, "rb") as handle:
            return read_rows(handle, error_class=error_class)
    try:
        if hasattr(file, "seek"):
            file.seek(0)
        workbook = load_workbook(file, read_only=True, data_only=True)
        try:
            return [tuple(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        finally:
            workbook.close()
    except Exception as error:
        # Bad zip, a zip without a workbook, broken XML …: all mean "not an xlsx we can read".
        raise error_class(
            [RowError(None, "", "", _("无法读取，请上传 Excel 2007 及以上版本的 .xlsx 文件"))]
        ) from error


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
