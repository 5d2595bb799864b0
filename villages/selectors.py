from collections import defaultdict
from decimal import Decimal

from django.db.models import Q

from pinghu_points.aggregates import ExactSum

from .models import Member, ShareMovement


def households_matching(households, query):
    """The households of `households` that a search for `query` finds: the one search rule.

    Household number and head's name match any part (case-insensitive). Personal numbers,
    which lists show masked, match only as a whole: the phone, the head's or a member's ID
    number, the bank account. A part of one finds nothing, so searching cannot read a
    masked number back digit by digit. Spaces and hyphens in the query are ignored for
    the numbers (``138 0000 1111``).
    """
    query = (query or "").strip()
    if not query:
        return households
    whole = query.replace(" ", "").replace("-", "")
    matches = Q(number__icontains=query) | Q(head_name__icontains=query)
    if whole:
        matches |= (
            Q(phone=whole)
            | Q(head_id_number__iexact=whole)
            | Q(bank_account=whole)
            | Q(pk__in=Member.objects.filter(id_number__iexact=whole).values("household_id"))
        )
    return households.filter(matches)


def searched_number(query):
    """The whole personal number a search is for (a phone, an ID number, a bank account:
    seven digits or more, an ID's final X allowed), or None for any other search. Such a
    search is limited and recorded (`villages.services.household_search`)."""
    whole = (query or "").strip().replace(" ", "").replace("-", "").upper()
    if len(whole) >= 7 and whole[:-1].isdigit() and (whole[-1].isdigit() or whole[-1] == "X"):
        return whole
    return None


def household_holdings(*, household, on):
    """Shares per share class held on date `on`, derived from the ledger.

    Returns {ShareClass: Decimal}, leaving out classes with nothing held.
    """
    rows = (
        ShareMovement.objects.filter(household=household, effective_on__lte=on)
        .values("share_class")
        .annotate(total=ExactSum("quantity"))
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
        .annotate(total=ExactSum("quantity"))
    )
    holdings = defaultdict(dict)
    for row in rows:
        if row["total"]:
            holdings[row["household_id"]][row["share_class_id"]] = row["total"]
    return dict(holdings)


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
        .annotate(total=ExactSum("quantity"))
        .order_by()
        .values_list("household_id", "share_class_id", "total")  # tuples: 200,000 rows
    )
    holdings = defaultdict(dict)
    for household_id, share_class_id, total in rows:
        if total:
            holdings[household_id][share_class_id] = total
    return dict(holdings)


# --- The card number (printed on the point card and in its QR code) -----------


def household_by_card(households, card):
    """The household among `households` whose card number (cooperative code-household
    number, printed on the point card and in its QR code) is `card`, or None."""
    from django.db.models import Value
    from django.db.models.functions import Concat

    return (
        households.annotate(card=Concat("cooperative__code", Value("-"), "number"))
        .filter(card__iexact=card)
        .first()
    )
