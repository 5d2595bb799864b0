from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from .models import ShareMovement


def household_holdings(*, household, on):
    """Shares per share class held on date `on`, derived from the ledger.

    Returns {ShareClass: Decimal}, leaving out classes with nothing held.
    """
    rows = (
        ShareMovement.objects.filter(household=household, effective_on__lte=on)
        .values("share_class")
        .annotate(total=Sum("quantity"))
    )
    totals = {row["share_class"]: row["total"] for row in rows if row["total"]}
    classes = household.cooperative.share_classes.filter(pk__in=totals)
    return {share_class: totals[share_class.pk] for share_class in classes}


def holdings_by_household(*, households, on):
    """Set-based holdings for many households: {household_id: {share_class_id: Decimal}}.

    One query whatever the number of households; used by lists and the dividend.
    """
    rows = (
        ShareMovement.objects.filter(household__in=households, effective_on__lte=on)
        .values("household_id", "share_class_id")
        .annotate(total=Sum("quantity"))
    )
    holdings = defaultdict(dict)
    for row in rows:
        if row["total"]:
            holdings[row["household_id"]][row["share_class_id"]] = row["total"]
    return dict(holdings)


def weighted_shares(*, holdings, weights):
    """Σ shares × class weight, for one household's {share_class_id: quantity}."""
    return sum(
        (quantity * weights[class_id] for class_id, quantity in holdings.items()), Decimal("0")
    )


def household_share_ledger(*, household):
    """The household's ledger lines in order, with the running total per class."""
    running = defaultdict(Decimal)
    lines = []
    for movement in (
        ShareMovement.objects.filter(household=household)
        .select_related("share_class", "counterpart", "recorded_by")
        .order_by("effective_on", "id")
    ):
        running[movement.share_class_id] += movement.quantity
        lines.append((movement, running[movement.share_class_id]))
    return lines


def cooperative_holdings(*, cooperative, on):
    """{household_id: {share_class_id: Decimal}} for every household of a cooperative on a date.

    One aggregate joined on the cooperative (no list of ids), for the dividend run.
    """
    rows = (
        ShareMovement.objects.filter(household__cooperative=cooperative, effective_on__lte=on)
        .values("household_id", "share_class_id")
        .annotate(total=Sum("quantity"))
        .order_by()
        .values_list("household_id", "share_class_id", "total")  # tuples: 200,000 rows
    )
    holdings = defaultdict(dict)
    for household_id, share_class_id, total in rows:
        if total:
            holdings[household_id][share_class_id] = total
    return dict(holdings)
