"""Batch entry (批量录入): one micro-grid (or a search) and one month, many events, one save.

GET  /communities/scoring/batch/?month=YYYY-MM&grid=<id>   the grid's households
GET  /communities/scoring/batch/?month=YYYY-MM&q=<text>    a search across the user's communities
POST the same URL: every typed cell becomes one `Entry`; the whole batch is saved by
     `score_events_record` or refused with each error shown next to its cell.

Cells are named ``p-<household id>-<item id>`` (points as a magnitude, empty = no event),
each with its own note ``n-<household id>-<item id>`` (a note belongs to one entry, never to
a whole row); each row has ``d-<household id>`` (date) and, where one of the household's
items needs a photo, ``e-<household id>`` (the photo, attached to those items).

A refused save lists every problem at the top of the page, each a link to its cell.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.scope import households_scorable_by
from pinghu_points.formatting import plain_points, signed_points
from pinghu_points.months import last_day, months_back, parse_month
from villages.models import Household

from . import selectors
from .batch_forms import BatchEntryForm, Errors, default_date
from .models import ScoringItem
from .services import BatchError, score_events_record, validate_entries

SEARCH_LIMIT = 50


@dataclass
class Cell:
    item: ScoringItem
    name: str
    value: str = ""
    note: str = ""
    disabled: bool = False
    errors: list = field(default_factory=list)


@dataclass
class Row:
    household: Household
    standard: object
    closed: bool
    month_points: Decimal
    year_score: Decimal | None
    date_value: str
    needs_evidence: bool
    cells: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)

    @property
    def has_errors(self):
        return any(self.errors.values()) or any(cell.errors for cell in self.cells)


def _require_scorer(user):
    if not user.may_score:
        raise PermissionDenied(_("只有社区工作人员可以录入积分"))


def _month_options(month, today):
    """From January of last year to this month, newest first, plus the chosen one."""
    options = months_back(today, 12 + today.month)
    if month not in options:
        options = sorted([*options, month], reverse=True)
    return options


def _table(*, households, month, today, typed=None, errors=None):
    """Rows and item columns for the page: a fixed number of queries for any number of rows."""
    typed = typed or {"cells": {}, "dates": {}, "notes": {}}
    errors = errors or Errors()
    data = selectors.batch_table(households=households, month=month)
    items, standards = data.items, data.standards
    default_date_value = default_date(month, today).isoformat()

    rows = []
    for household in households:
        standard = data.standard_of(household)
        is_closed = data.is_closed(household, month)
        row = Row(
            household=household,
            standard=standard,
            closed=is_closed,
            month_points=data.month_points_of(household),
            year_score=data.year_scores.get(household.pk),
            date_value=typed["dates"].get(household.pk, default_date_value),
            needs_evidence=data.needs_evidence(standard),
        )
        row_errors = errors.rows.pop(household.pk, {})
        row.errors = {
            name: row_errors.get(name, []) for name in ("occurred_on", "evidence", "household")
        }
        for item in items:
            key = (household.pk, item.pk)
            row.cells.append(
                Cell(
                    item=item,
                    name=f"p-{household.pk}-{item.pk}",
                    value=typed["cells"].get(key, ""),
                    note=typed["notes"].get(key, ""),
                    disabled=is_closed or standard is None or item.standard_id != standard.pk,
                    errors=errors.cells.pop(key, []),
                )
            )
        rows.append(row)
    return rows, items, standards


def _error_links(rows):
    """Every problem shown in the table, in table order, each with the id of its field:
    the top of a refused page lists them as links that jump to the cell."""
    links = []
    for row in rows:
        household = row.household
        label = f"{household.number} {household.head_name}"
        targets = {
            "household": f"row-{household.pk}",
            "occurred_on": f"id_d-{household.pk}",
            "evidence": f"id_e-{household.pk}",
        }
        for name, target in targets.items():
            for message in row.errors.get(name, []):
                links.append({"label": label, "message": message, "target": target})
        for cell in row.cells:
            target = f"cell-{household.pk}-{cell.item.pk}" if cell.disabled else f"id_{cell.name}"
            for message in cell.errors:
                links.append(
                    {"label": f"{label} · {cell.item.name}", "message": message, "target": target}
                )
    return links


def _leftover_errors(errors, user):
    """Errors for households that have no row on the page (a tampered or stale id)."""
    household_ids = set(errors.rows) | {household_id for household_id, _item_id in errors.cells}
    if not household_ids:
        return list(errors.general)
    labels = {
        household.pk: str(household)
        for household in households_scorable_by(user).filter(pk__in=household_ids)
    }
    general = list(errors.general)
    for household_id in sorted(household_ids):
        label = labels.get(household_id) or _("股东户 #%(id)s") % {"id": household_id}
        messages_ = [m for ms in errors.rows.get(household_id, {}).values() for m in ms]
        messages_ += [m for (h, _i), ms in errors.cells.items() if h == household_id for m in ms]
        for message in dict.fromkeys(messages_):
            general.append(f"{label}：{message}")
    return general


@login_required
def batch_entry(request):
    user = request.user
    _require_scorer(user)
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else request.GET
    month = parse_month(data.get("month")) or selectors.first_of_month(today)
    query = data.get("q", "").strip()[:50]
    grids = list(selectors.batch_grids(user=user))
    grid = None
    grid_param = data.get("grid", "").strip()
    if grid_param:
        # Only a grid of the user's own communities: any other id is "not found".
        grid = next((g for g in grids if str(g.pk) == grid_param), None)
        if grid is None:
            raise Http404
    elif not query and grids and request.method == "GET":
        grid = grids[0]

    typed, errors = None, Errors()
    if request.method == "POST":
        form = BatchEntryForm(request.POST, request.FILES, month=month)
        form.is_valid()
        entries, keys, typed, errors = form.entries, form.keys, form.typed, form.problems
        if errors:
            # Report what the service would say too, so every mistake shows at once.
            entry_errors, _prepared = (
                validate_entries(actor=user, entries=entries) if entries else ([], [])
            )
            errors.add_batch(entry_errors, keys)
        else:
            try:
                events = score_events_record(actor=user, entries=entries, source="batch")
            except BatchError as error:
                errors.add_batch(error.errors, keys)
            else:
                pending = sum(1 for event in events if event.needs_review)
                message = _("已保存 %(count)s 条积分记录") % {"count": len(events)}
                if pending:
                    message += _("，其中 %(pending)s 条须另一名工作人员复核后计入") % {
                        "pending": pending
                    }
                messages.success(request, message)
                params = {"month": month.strftime("%Y-%m")}
                if query:
                    params["q"] = query
                elif grid is not None:
                    params["grid"] = grid.pk
                return redirect(f"{reverse('communities:batch_entry')}?{urlencode(params)}")

    found, refusal = _searched(user, query)
    households = selectors.batch_households(
        user=user, grid=grid, query=query, limit=SEARCH_LIMIT, found=found
    )
    truncated = len(households) > SEARCH_LIMIT
    households = households[:SEARCH_LIMIT]
    rows, items, standards = _table(
        households=households, month=month, today=today, typed=typed, errors=errors
    )
    for row in rows:
        row.month_display = signed_points(row.month_points)
        row.year_display = plain_points(row.year_score) if row.year_score is not None else "—"
        row.lower = plain_points(row.standard.lower_bound) if row.standard else ""
        row.upper = plain_points(row.standard.upper_bound) if row.standard else ""
    distinct_standards = {standard.pk: standard for standard in standards.values()}
    context = {
        "month": month,
        "month_value": month.strftime("%Y-%m"),
        "month_options": _month_options(month, today),
        "is_current_month": month == selectors.first_of_month(today),
        "grids": grids,
        "current_grid": grid,
        "query": query,
        "refusal": refusal,
        "truncated": truncated,
        "rows": rows,
        "items": items,
        "standards": list(distinct_standards.values()),
        "several_standards": len(distinct_standards) > 1,
        "all_closed": bool(rows) and all(row.closed for row in rows),
        "any_closed": any(row.closed for row in rows),
        "any_without_standard": any(row.standard is None for row in rows),
        "general_errors": _leftover_errors(errors, user),
        "rows_have_errors": any(row.has_errors for row in rows),
        "error_links": _error_links(rows),
        "any_evidence": any(row.needs_evidence for row in rows),
        "min_date": month.isoformat(),
        # A hint for the date picker; the server checks again.
        "max_date": (
            min(today, last_day(month)) if today >= month else last_day(month)
        ).isoformat(),
        "chart_url": (
            f"{reverse('communities:points_chart')}?{urlencode({'grid': grid.pk, 'year': month.year})}"
            if grid is not None
            else ""
        ),
    }
    response = render(request, "communities/batch.html", context, status=429 if refusal else 200)
    if refusal:
        response["Retry-After"] = str(refusal.retry_after)
    return response


def _searched(user, query):
    """(what the search finds, None) or (nothing, the refusal): a search by a whole phone,
    ID or account number is limited and recorded (villages.services.household_search)."""
    from accounts.lookup_limits import LookupRefused
    from villages.services import household_search

    if not query:
        return None, None
    try:
        return household_search(
            user=user, households=households_scorable_by(user), query=query
        ), None
    except LookupRefused as refused:
        return Household.objects.none(), refused.refusal
