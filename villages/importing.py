"""Shareholder register import (股东名册导入): one .xlsx, all or nothing.

The format and every message are documented in docs/import-formats.md. The file
is read completely, every problem is collected, and only a file without a single
problem is saved, in one transaction. The command, the Celery task, the page and
the admin all call `household_register_import`.
"""

import os
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import audit_record
from communities.models import Community, MicroGrid
from pinghu_points.spreadsheets import (
    RowError,
    SheetRow,
    SpreadsheetImportError,
    cell_text,
    map_header,
    read_table,
)

from .models import (
    Cooperative,
    Household,
    Member,
    ShareMovement,
    validate_bank_account,
    validate_id_number,
    validate_payable_text,
)

NUMBER = "户号"
HEAD_NAME = "户主姓名"
ID_NUMBER = "身份证号"
PHONE = "联系电话"
COMMUNITY = "居住社区"
MICRO_GRID = "微网格"
BANK_NAME = "开户行"
BANK_ACCOUNT = "银行账号"

# Required besides one column per share class of the cooperative.
REQUIRED_COLUMNS = [NUMBER, HEAD_NAME, ID_NUMBER, PHONE, COMMUNITY, MICRO_GRID]
OPTIONAL_COLUMNS = [BANK_NAME, BANK_ACCOUNT]
# Longest text the model keeps, so a long value is reported, not cut off or refused by the database.
MAX_LENGTHS = {NUMBER: 32, HEAD_NAME: 50, PHONE: 20, BANK_NAME: 100, BANK_ACCOUNT: 32}
# Excel keeps 15 significant digits: a long number typed as a number has already lost its tail.
TEXT_ONLY_COLUMNS = {ID_NUMBER, BANK_ACCOUNT}

# Stored data, not interface text: kept in Chinese whatever the language of the page.
IMPORT_REASON = "名册导入"
HEAD_RELATION = "户主"
MAX_QUANTITY = Decimal("9999999999.99")  # ShareMovement.quantity: 12 digits, 2 decimals


class RegisterImportError(SpreadsheetImportError):
    """The file was refused; `errors` lists every problem found, in row order."""

    def summary(self):
        return _("股东名册有 %(count)s 处错误，未导入任何数据：") % {"count": len(self.errors)}


@dataclass(frozen=True)
class ImportResult:
    households: int
    members: int
    share_movements: int

    def as_dict(self):
        return asdict(self)


# How many rows of a checked register the preview shows.
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class RegisterPreview:
    """What importing a checked register would add: nothing has been written."""

    households: int
    members: int
    share_movements: int
    rows: list  # the first PREVIEW_ROWS households, as the preview table shows them
    head_names: frozenset  # every head's name (the page tells the made-up sample apart)

    def as_dict(self):
        return {
            "preview": True,
            "households": self.households,
            "members": self.members,
            "share_movements": self.share_movements,
            "rows": self.rows,
        }


def _preview(households):
    return RegisterPreview(
        households=len(households),
        members=len(households),  # one member per household: its head
        share_movements=sum(len(shares) for _household, shares in households),
        rows=[
            {
                "number": household.number,
                "head_name": household.head_name,
                "community": household.community.name,
                "micro_grid": household.micro_grid.name if household.micro_grid else "",
                "shares": "、".join(
                    f"{share_class.name}{plain_quantity(quantity)}"
                    for share_class, quantity in shares.items()
                ),
            }
            for household, shares in households[:PREVIEW_ROWS]
        ],
        head_names=frozenset(household.head_name for household, _shares in households),
    )


def plain_quantity(quantity):
    text = format(quantity, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def household_register_import(
    *, cooperative, file, actor, effective_on=None, progress=None, on_saved=None, dry_run=False
):
    """Import the register in `file` (a path or a binary file object) into `cooperative`.

    Raises RegisterImportError listing every problem; saves nothing unless there is none.
    `progress(fraction)` is told how far reading the file has come; `on_saved(result)` runs
    inside the import's transaction (a background job marks itself done there, so the job
    and the households are committed together or not at all).
    With `dry_run` the file is checked the same way and a RegisterPreview returned: what
    the import would add; nothing is written and nothing audited.
    """
    effective_on = effective_on or timezone.localdate()
    file_name = os.path.basename(
        os.fspath(file) if isinstance(file, str | os.PathLike) else getattr(file, "name", "") or ""
    )
    share_classes = {
        share_class.name: share_class for share_class in cooperative.share_classes.all()
    }
    columns, data_rows = read_table(
        file,
        error_class=RegisterImportError,
        check_header=lambda header: _check_header(header, share_classes),
        progress=progress,
    )

    try:
        with transaction.atomic():
            # One import at a time per cooperative, so two imports cannot both take a number.
            Cooperative.objects.select_for_update().filter(pk=cooperative.pk).first()
            households, errors = _check_rows(cooperative, data_rows, columns, share_classes)
            if errors:
                raise RegisterImportError(errors)
            if dry_run:
                return _preview(households)
            result = _save(cooperative, households, actor=actor, effective_on=effective_on)
            audit_record(
                actor=actor,
                action="household.import",
                target=cooperative,
                details={
                    "file": file_name,
                    "effective_on": effective_on.isoformat(),
                    **result.as_dict(),
                },
            )
            if on_saved:
                on_saved(result)
    except IntegrityError as error:
        # The last guard (unique household number) tripped by a concurrent write.
        raise RegisterImportError(
            [
                RowError(
                    None, "", "", _("保存时与同时进行的其他修改冲突，未导入任何数据，请重新导入")
                )
            ]
        ) from error
    return result


def _check_header(header, share_classes):
    """Map each known header to its 0-based column index; report missing, unknown and repeated ones."""
    return map_header(
        header,
        known={*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS, *share_classes},
        required=[*REQUIRED_COLUMNS, *share_classes],
        unknown_message=_("未知的列，既不是名册的列，也不是本合作社的股种"),
    )


class _Row(SheetRow):
    """A register row: text-only columns and length limits checked as its text is read."""

    def text(self, column):
        """The cell as stripped text, or None once a problem with it has been reported."""
        if column not in self.columns:
            return ""  # an optional column left out of the file
        raw = self.cell(column)
        if (
            column in TEXT_ONLY_COLUMNS
            and isinstance(raw, int | float)
            and not isinstance(raw, bool)
        ):
            self.error(
                column, _("%(column)s须设置为文本格式，数字格式会丢失末几位") % {"column": column}
            )
            return None
        value = cell_text(raw)
        if column in TEXT_ONLY_COLUMNS:
            value = value.replace(" ", "").upper()
        limit = MAX_LENGTHS.get(column)
        if limit and len(value) > limit:
            self.error(column, _("不能超过%(count)s个字符") % {"count": limit})
            return None
        return value

    def checked(self, column, value, validator):
        """The value if the model's validator accepts it (the same rule as the admin's
        form), else None with the validator's message reported for this cell."""
        if not value:
            return value
        try:
            validator(value)
        except ValidationError as error:
            self.error(column, " ".join(error.messages))
            return None
        return value


def _check_rows(cooperative, data_rows, columns, share_classes):
    """Check every row against the file and the database; return (households to create, errors)."""
    communities = community_lookup()
    grids = micro_grid_lookup()
    registered = set(cooperative.households.values_list("number", flat=True))
    first_row_of_number = {}
    households, errors = [], []

    for row_number, cells in data_rows:
        row = _Row(row_number, cells, columns)
        number = row.text(NUMBER)
        if number == "":
            row.error(NUMBER, _("户号不能为空"))
        elif number in first_row_of_number:
            row.error(
                NUMBER,
                _("户号“%(number)s”与第%(row)s行重复")
                % {"number": number, "row": first_row_of_number[number]},
            )
        elif number is not None:
            first_row_of_number[number] = row_number
            if number in registered:
                row.error(NUMBER, _("户号“%(number)s”已在本合作社登记") % {"number": number})

        head_name = row.checked(HEAD_NAME, row.text(HEAD_NAME), validate_payable_text)
        if head_name == "":
            row.error(HEAD_NAME, _("户主姓名不能为空"))

        id_number = row.text(ID_NUMBER)
        problem = _id_number_problem(id_number) if id_number is not None else None
        if problem:
            row.error(ID_NUMBER, problem)
        phone = row.text(PHONE)

        community = grid = None
        community_text = row.text(COMMUNITY)
        if community_text == "":
            row.error(COMMUNITY, _("居住社区不能为空"))
        elif community_text is not None:
            community = communities.get(community_text)
            if community is None:
                row.error(
                    COMMUNITY, _("没有名称或编码为“%(name)s”的社区") % {"name": community_text}
                )

        grid_text = row.text(MICRO_GRID)
        if grid_text and community is not None:
            grid = grids.get((community.pk, grid_text))
            names = {"community": community.name, "name": grid_text}
            if grid is None:
                row.error(
                    MICRO_GRID, _("社区“%(community)s”中没有名称或编码为“%(name)s”的微网格") % names
                )
            elif grid is _AMBIGUOUS:
                row.error(
                    MICRO_GRID,
                    _("社区“%(community)s”中有多个名为“%(name)s”的微网格，请填写微网格编码")
                    % names,
                )

        shares = {}
        for name, share_class in share_classes.items():
            quantity, problem = _quantity(row.cell(name))
            if problem:
                row.error(name, problem)
            elif quantity > 0:
                shares[share_class] = quantity

        # Paid as written: a name starting with a formula character or an account that is
        # not all digits is refused here, never changed in the bank list.
        bank_name = row.checked(BANK_NAME, row.text(BANK_NAME), validate_payable_text)
        bank_account = row.checked(BANK_ACCOUNT, row.text(BANK_ACCOUNT), validate_bank_account)
        errors.extend(row.errors)
        if not row.errors:
            household = Household(
                cooperative=cooperative,
                number=number,
                head_name=head_name,
                head_id_number=id_number,
                phone=phone,
                community=community,
                micro_grid=grid,
                bank_name=bank_name,
                bank_account=bank_account,
            )
            households.append((household, shares))
    return households, errors


def _save(cooperative, households, *, actor, effective_on):
    """Three bulk inserts, whatever the number of rows."""
    recorded_by = actor if getattr(actor, "is_authenticated", False) else None
    created = Household.objects.bulk_create([household for household, _shares in households])
    members = Member.objects.bulk_create(
        Member(
            household=household,
            name=household.head_name,
            id_number=household.head_id_number,
            relation=HEAD_RELATION,
            is_head=True,
        )
        for household in created
    )
    movements = ShareMovement.objects.bulk_create(
        ShareMovement(
            household=household,
            share_class=share_class,
            kind=ShareMovement.Kind.ISSUE,
            quantity=quantity,
            effective_on=effective_on,
            reason=IMPORT_REASON,
            recorded_by=recorded_by,
        )
        for household, shares in households
        for share_class, quantity in shares.items()
    )
    return ImportResult(
        households=len(created), members=len(members), share_movements=len(movements)
    )


# Marks a micro-grid name used by several grids of one community.
_AMBIGUOUS = object()


def community_lookup():
    """{name or code: Community}; a code wins over another community's identical name."""
    lookup = {}
    communities = list(Community.objects.all())
    lookup.update((community.name, community) for community in communities)
    lookup.update((community.code, community) for community in communities)
    return lookup


def micro_grid_lookup():
    """{(community id, name or code): MicroGrid}; codes are unique in a community, names need not be."""
    lookup = {}
    grids = list(MicroGrid.objects.all())
    for grid in grids:
        key = (grid.community_id, grid.name)
        lookup[key] = _AMBIGUOUS if key in lookup else grid
    lookup.update(((grid.community_id, grid.code), grid) for grid in grids)
    return lookup


def _id_number_problem(value):
    """The message of villages.models.validate_id_number, or None."""
    if not value:
        return _("身份证号不能为空")
    try:
        validate_id_number(value)
    except ValidationError as error:
        return error.messages[0]
    return None


def _quantity(value):
    """(Decimal quantity, None) or (None, message). openpyxl gives int/float: go through str, never float."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal("0"), None
    not_a_number = _("股数应为数字，“%(value)s”不是数字") % {"value": cell_text(value)}
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None, not_a_number
    try:
        quantity = Decimal(str(value).strip())
    except InvalidOperation:
        return None, not_a_number
    if not quantity.is_finite():
        return None, not_a_number
    if quantity < 0:
        return None, _("股数不能为负数")
    if quantity > MAX_QUANTITY:
        return None, _("股数过大，最多为%(max)s") % {"max": MAX_QUANTITY}
    if quantity != quantity.quantize(Decimal("0.01")):
        return None, _("股数最多保留两位小数")
    return quantity.quantize(Decimal("0.01")), None
