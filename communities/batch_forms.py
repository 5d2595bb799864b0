"""The batch page's POST (communities/batch_views.py): every typed cell becomes one
`Entry`; what is wrong before the service looks (a date outside the month, a photo
that is no photo or belongs to no item needing one, a note too long, nothing typed) is
kept in `Errors`, keyed by where the page shows it.

Cells are named ``p-<household id>-<item id>``, notes ``n-<household id>-<item id>``,
row dates ``d-<household id>`` and row photos ``e-<household id>``.
"""

import re
from collections import defaultdict
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from pinghu_points import files

from . import selectors
from .services import Entry

# Ids are bounded so a tampered field cannot overflow the database integer.
POINTS_FIELD = re.compile(r"^p-(\d{1,18})-(\d{1,18})$")
NOTE_FIELD = re.compile(r"^n-(\d{1,18})-(\d{1,18})$")
CELL_FIELDS = {"points", "item", "evidence", "note"}
NOTE_MAX_LENGTH = 255


def default_date(month, today):
    """The date a row gets when none is typed: today in this month, else the 15th."""
    return today if selectors.first_of_month(today) == month else month.replace(day=15)


class Errors:
    """Errors found by the view and by the service, keyed by where they are shown."""

    def __init__(self):
        self.cells = defaultdict(list)  # (household_id, item_id) -> [message]
        self.rows = defaultdict(lambda: defaultdict(list))  # household_id -> field -> [message]
        self.general = []

    def __bool__(self):
        return bool(self.cells or self.rows or self.general)

    def add_cell(self, key, message):
        if message not in self.cells[key]:
            self.cells[key].append(message)

    def add_row(self, household_id, field_name, message):
        if message not in self.rows[household_id][field_name]:
            self.rows[household_id][field_name].append(message)

    def add_batch(self, entry_errors, keys):
        """Map `EntryError.index` back to the (household, item) cell it came from."""
        for error in entry_errors:
            household_id, item_id = keys[error.index]
            if error.field in CELL_FIELDS:
                self.add_cell((household_id, item_id), error.message)
            else:
                self.add_row(household_id, error.field, error.message)


class BatchEntryForm(forms.Form):
    """The batch POST read into `entries` (with `keys`, the (household, item) cell of each),
    `typed` (what comes back into the page when the batch is refused) and `problems` (an
    `Errors`). The cells are named by their ids, so there are no declared fields: `clean`
    reads them all. Valid when nothing was found wrong; the service checks the rest."""

    def __init__(self, data, files, *, month):
        super().__init__(data, files)
        self.month = month
        self.entries, self.keys, self.typed, self.problems = [], [], {}, Errors()

    def is_valid(self):
        return super().is_valid() and not self.problems

    def clean(self):
        errors = Errors()
        typed = {"cells": {}, "dates": {}, "notes": {}}
        cells = []
        for name, value in self.data.items():
            match = POINTS_FIELD.match(name)
            if match and value.strip():
                key = (int(match[1]), int(match[2]))
                typed["cells"][key] = value.strip()
                cells.append(key)
        household_ids = {household_id for household_id, _item_id in cells}
        evidence_items = selectors.evidence_required_item_ids(
            item_ids={item_id for _household_id, item_id in cells}
        )
        # Row fields are kept for every row shown, so a refused batch comes back as typed.
        for name, value in self.data.items():
            prefix, _sep, rest = name.partition("-")
            if prefix == "d" and rest.isdigit() and len(rest) <= 18:
                typed["dates"][int(rest)] = value.strip()
            match = NOTE_FIELD.match(name)
            if match and value.strip():
                typed["notes"][(int(match[1]), int(match[2]))] = value.strip()

        row_date = default_date(self.month, timezone.localdate())
        dates = {}
        for key in cells:
            if len(typed["notes"].get(key, "")) > NOTE_MAX_LENGTH:
                errors.add_cell(key, _("备注最多 %(count)s 个字") % {"count": NOTE_MAX_LENGTH})
        for household_id in household_ids:
            raw = typed["dates"].get(household_id)
            if raw is None:  # no date field posted: the page's default
                dates[household_id] = row_date
                continue
            try:
                occurred_on = date.fromisoformat(raw) if raw else None
            except ValueError:
                errors.add_row(household_id, "occurred_on", _("日期格式应为 年-月-日"))
                continue
            if occurred_on is None:
                errors.add_row(household_id, "occurred_on", _("请填写发生日期"))
            elif selectors.first_of_month(occurred_on) != self.month:
                errors.add_row(
                    household_id,
                    "occurred_on",
                    _("日期须在所选月份 %(month)s 内") % {"month": self.month.strftime("%Y-%m")},
                )
            else:
                dates[household_id] = occurred_on

        photos = {}
        for name, upload in self.files.items():
            prefix, _sep, rest = name.partition("-")
            if prefix != "e" or not rest.isdigit() or len(rest) > 18:
                continue
            household_id = int(rest)
            try:
                photos[household_id] = files.clean_photo(upload)
            except ValidationError as error:
                for message in error.messages:
                    errors.add_row(household_id, "evidence", message)
                continue
            if not any(h == household_id and i in evidence_items for h, i in cells):
                errors.add_row(
                    household_id, "evidence", _("照片只随“须上传照片”的积分项保存，请填写该项分值")
                )

        entries, keys = [], []
        for household_id, item_id in cells:
            if household_id not in dates:
                continue  # the row's date is wrong: reported above
            entries.append(
                Entry(
                    household_id=household_id,
                    item_id=item_id,
                    occurred_on=dates[household_id],
                    points=typed["cells"][(household_id, item_id)],
                    note=typed["notes"].get((household_id, item_id), "")[:NOTE_MAX_LENGTH],
                    evidence=photos.get(household_id) if item_id in evidence_items else None,
                )
            )
            keys.append((household_id, item_id))
        if not cells:
            errors.general.append(_("没有填写任何分值，未保存"))
        self.entries, self.keys, self.typed, self.problems = entries, keys, typed, errors
        return self.cleaned_data
