import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.services import audit_record

from .models import Household, ShareMovement


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
