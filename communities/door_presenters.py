"""What the door pages show, shaped for the phone app's JSON and the grid leader's month
page (communities/door_views.py reads the data; this module only arranges it)."""

from datetime import timedelta

from django.urls import reverse
from django.utils.http import urlencode

from pinghu_points.formatting import plain_points, signed_points
from pinghu_points.months import last_day, previous_month

from .models import ScoringItem


def points_or_none(value):
    return plain_points(value) if value is not None else None


def item_json(item):
    return {
        "id": item.pk,
        "code": item.code,
        "name": item.name,
        "category": item.get_category_display(),
        "add": item.direction == ScoringItem.Direction.ADD,
        "min": points_or_none(item.min_points),
        "max": points_or_none(item.max_points),
        "default": points_or_none(item.default_points),
        "capMonth": points_or_none(item.cap_per_month),
        "capYear": points_or_none(item.cap_per_year),
        "veto": item.is_veto,
        "photo": item.needs_photo,
    }


def door_data(*, grid, month, today, data, rectifications, now):
    """The JSON of `door_data`: the grid's households (with each one's earliest open
    rectification from `rectifications`, {household id: rectification}), its standards and
    items, this month's events and the room used under caps (`selectors.door_grid`)."""
    table = data.table
    households = []
    for household in data.households:
        rectification = rectifications.get(household.pk)
        standard = table.standard_of(household)
        households.append(
            {
                "id": household.pk,
                "number": household.number,
                "head": household.head_name,
                "cooperative": household.cooperative.name,
                "standard": standard.pk if standard else None,
                "monthPoints": signed_points(table.month_points_of(household)),
                "yearScore": points_or_none(table.year_scores.get(household.pk)),
                "visited": household.pk in data.visited,
                "closed": table.is_closed(household, month),
                "cardUrl": reverse("communities:household_points", args=[household.pk]),
                "rectifyDue": rectification.due_on.isoformat() if rectification else None,
                "rectifyUrl": reverse("communities:rectification_inspect", args=[rectification.pk])
                if rectification
                else None,
            }
        )
    standards = {}
    for standard in table.standards.values():
        categories = {}
        for item in table.items_by_standard.get(standard.pk, []):
            categories.setdefault(item.get_category_display(), []).append(item_json(item))
        standards[standard.pk] = {
            "name": standard.name,
            "year": standard.year,
            "base": points_or_none(standard.base_points),
            "lower": points_or_none(standard.lower_bound),
            "upper": points_or_none(standard.upper_bound),
            "categories": [{"name": name, "items": items} for name, items in categories.items()],
        }
    events = [
        {
            "id": event.pk,
            "clientId": str(event.client_id) if event.client_id else None,
            "household": event.household_id,
            "item": event.item_id,
            "itemName": event.item.name,
            "veto": event.item.is_veto,
            "points": signed_points(event.points),
            "note": event.note,
            "occurredOn": event.occurred_on.isoformat(),
            "state": event.reader_state,
            "photo": bool(event.evidence),
        }
        for event in data.events
    ]
    cap_used = {
        f"{household_id}-{item_id}": [plain_points(month_sum), plain_points(year_sum)]
        for (household_id, item_id), (month_sum, year_sum) in data.cap_used.items()
    }
    return {
        "grid": {"id": grid.pk, "name": grid.name, "community": grid.community.name},
        "month": month.strftime("%Y-%m"),
        "today": today.isoformat(),
        "households": households,
        "standards": standards,
        "events": events,
        "capUsed": cap_used,
        "fetchedAt": now.isoformat(),
    }


def door_month(*, grid, grids, month, current, rows, threshold, months):
    """The month page's context: the grid's rows (`selectors.grid_month`) split into not
    visited, visited and persistently low, with the links to the months around it."""
    for row in rows:
        row.points_text = signed_points(row.month_points)
    previous = previous_month(month)
    following = last_day(month) + timedelta(days=1)
    door = reverse("communities:door")
    return {
        "grid": grid,
        "grids": grids,
        "month": month,
        "is_current": month == current,
        "not_visited": [row for row in rows if row.visited_on is None],
        "visited": [row for row in rows if row.visited_on is not None],
        "low": sorted(
            (row for row in rows if row.streak),
            key=lambda row: (-row.streak, row.household.number),
        ),
        "threshold": plain_points(threshold),
        "months": months,
        "door_url": f"{door}?{urlencode({'grid': grid.pk})}",
        "previous_url": f"?{urlencode({'grid': grid.pk, 'month': previous.strftime('%Y-%m')})}",
        "next_url": f"?{urlencode({'grid': grid.pk, 'month': following.strftime('%Y-%m')})}"
        if following <= current
        else "",
    }
