import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.lookup_limits import LookupLimit, lookup_check, lookup_recorded
from accounts.services import audit_record

from .models import Household, ShareMovement, mask_account, mask_id_number, mask_phone


def _lock_households(*households):
    """Serialise ledger writes per household (a no-op on SQLite, which serialises writes)."""
    ids = sorted(household.pk for household in households)
    list(Household.objects.select_for_update().filter(pk__in=ids).order_by("pk"))


def _check_never_negative(*, household, share_class):
    """After a write, the balance must not dip below zero on any date, past or future."""
    balance = Decimal("0")
    for movement in ShareMovement.objects.filter(
        household=household, share_class=share_class
    ).order_by("effective_on", "id"):
        balance += movement.quantity
        if balance < 0:
            raise ValidationError(
                _("%(household)s 的%(share_class)s在 %(date)s 将变为负数（%(balance)s），不能登记")
                % {
                    "household": household,
                    "share_class": share_class.name,
                    "date": movement.effective_on.isoformat(),
                    "balance": balance,
                }
            )


def _require_positive(quantity):
    quantity = Decimal(quantity)
    if quantity <= 0:
        raise ValidationError(_("股数必须大于零"))
    return quantity


def _require_same_cooperative(household, share_class):
    if share_class.cooperative_id != household.cooperative_id:
        raise ValidationError(_("股种不属于该股东户的合作社"))


@transaction.atomic
def share_issue(*, household, share_class, quantity, effective_on, reason, actor, audit=True):
    """Shares issued to a household at registration (配股)."""
    quantity = _require_positive(quantity)
    _require_same_cooperative(household, share_class)
    movement = ShareMovement.objects.create(
        household=household,
        share_class=share_class,
        kind=ShareMovement.Kind.ISSUE,
        quantity=quantity,
        effective_on=effective_on,
        reason=reason,
        recorded_by=actor,
    )
    if audit:
        audit_record(
            actor=actor,
            action="share.issue",
            target=household,
            details={
                "share_class": share_class.name,
                "quantity": str(quantity),
                "effective_on": effective_on.isoformat(),
                "reason": reason,
            },
        )
    return movement


@transaction.atomic
def share_cancel(*, household, share_class, quantity, effective_on, reason, actor):
    """Shares cancelled (注销), e.g. a household withdrawing by resolution."""
    quantity = _require_positive(quantity)
    _require_same_cooperative(household, share_class)
    _lock_households(household)
    movement = ShareMovement.objects.create(
        household=household,
        share_class=share_class,
        kind=ShareMovement.Kind.CANCELLATION,
        quantity=-quantity,
        effective_on=effective_on,
        reason=reason,
        recorded_by=actor,
    )
    _check_never_negative(household=household, share_class=share_class)
    audit_record(
        actor=actor,
        action="share.cancel",
        target=household,
        details={
            "share_class": share_class.name,
            "quantity": str(quantity),
            "effective_on": effective_on.isoformat(),
            "reason": reason,
        },
    )
    return movement


@transaction.atomic
def share_transfer(
    *, source, target, share_class, quantity, effective_on, reason, actor, inheritance=False
):
    """Move shares between two households of one cooperative, as a pair of ledger lines.

    Inheritance (继承) is the same movement with its own kind, so the ledger says why.
    """
    quantity = _require_positive(quantity)
    if source.pk == target.pk:
        raise ValidationError(_("转出户和转入户不能相同"))
    if source.cooperative_id != target.cooperative_id:
        raise ValidationError(_("只能在同一合作社的股东户之间转移股权"))
    _require_same_cooperative(source, share_class)
    _lock_households(source, target)
    kind = ShareMovement.Kind.INHERITANCE if inheritance else ShareMovement.Kind.TRANSFER
    group = uuid.uuid4()
    common = {
        "share_class": share_class,
        "kind": kind,
        "effective_on": effective_on,
        "reason": reason,
        "transfer_group": group,
        "recorded_by": actor,
    }
    outgoing = ShareMovement.objects.create(
        household=source, counterpart=target, quantity=-quantity, **common
    )
    ShareMovement.objects.create(household=target, counterpart=source, quantity=quantity, **common)
    _check_never_negative(household=source, share_class=share_class)
    audit_record(
        actor=actor,
        action="share.inheritance" if inheritance else "share.transfer",
        target=source,
        details={
            "from": source.number,
            "to": target.number,
            "share_class": share_class.name,
            "quantity": str(quantity),
            "effective_on": effective_on.isoformat(),
            "reason": reason,
            "transfer_group": str(group),
        },
    )
    return outgoing


# --- Searching by a whole personal number (docs/architecture.md, "Personal data") ----------

# Lists show phones, ID numbers and accounts masked; a search by the whole number answers
# whether a guess is right. Per user, like the bank's look-up (accounts.lookup_limits).
HOUSEHOLD_NUMBER_SEARCH = LookupLimit(
    action="household.number_search",
    blocked_action="household.number_search_blocked",
    rate_setting="HOUSEHOLD_NUMBER_SEARCH_RATE",
    misses_setting="HOUSEHOLD_NUMBER_SEARCH_MISSES",
)


def _masked_number(number):
    if len(number) == 11:
        return mask_phone(number)
    if len(number) == 18:
        return mask_id_number(number)
    return mask_account(number)


@transaction.atomic
def household_search(*, user, households, query):
    """The households of `households` a search for `query` finds (`households_matching`).

    A search by a whole personal number (`searched_number`) is refused
    (`accounts.lookup_limits.LookupRefused`) above HOUSEHOLD_NUMBER_SEARCH_RATE or after
    HOUSEHOLD_NUMBER_SEARCH_MISSES searches that found nothing, and each one is recorded
    (`household.number_search`, the number masked): so the masked digits cannot be guessed
    through the search box. Any other search is neither limited nor recorded."""
    from accounts.models import User

    from .selectors import households_matching, searched_number

    number = searched_number(query)
    found = households_matching(households, query)
    if number is None:
        return found
    User.objects.select_for_update().filter(pk=user.pk).first()
    lookup_check(limit=HOUSEHOLD_NUMBER_SEARCH, actor=user)
    lookup_recorded(
        limit=HOUSEHOLD_NUMBER_SEARCH,
        actor=user,
        found=found.exists(),
        details={"number": _masked_number(number)},
    )
    return found
