"""The overview's xlsx downloads: one workbook writer with formula-safe text cells.

`safe_text` is the one place that neutralises a text cell that Excel would read as a
formula (it starts with = + - @, a tab or a carriage return): it gets a leading `'`.
Numbers (int, Decimal) are written as numbers. When the shared formula-safe exporter
lands (`pinghu_points/exports.py`), `workbook_response` is the one function to swap.
"""

import io
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value):
    """A cell value Excel never evaluates: text starting like a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, Decimal)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def workbook_response(*, filename, sheets):
    """sheets: [(title, header, rows)]; every cell goes through `safe_text`."""
    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([safe_text(cell) for cell in header])
        for row in rows:
            sheet.append([safe_text(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
