"""Writes of the bank's window: consent given and withdrawn, the bank's look-ups recorded,
API tokens created and revoked. Every one is audited (docs/bank.md, docs/api.md)."""

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.lookup_limits import LookupLimit, lookup_check, lookup_recorded
from accounts.scope import households_consent_enterable_by
from accounts.services import audit_record
from pinghu_points.files import clean_photo, stored_with_rows

from .models import ApiToken, BankLookup, Consent, token_hash

TOKEN_PREFIX = "ph_"


@stored_with_rows()
def consent_give(*, household, bank, actor, starts_on=None, ends_on=None, form_photo=None):
    """The household head consents that `bank` may see the household's score.

    On the card the villager gives it for their own household (no paper form); at the
    community desk staff enter it with the photo of the signed paper form (required).
    """
    if not households_consent_enterable_by(actor).filter(pk=household.pk).exists():
        raise PermissionDenied(_("您不能为这一户登记授权"))
    at_desk = not actor.is_villager
    if at_desk and not form_photo:
        raise ValidationError({"form_photo": _("请上传户主签字的纸质授权书照片")})
    starts_on = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期")})
    consent = Consent(
        household=household,
        bank=bank,
        starts_on=starts_on,
        ends_on=ends_on,
        channel=Consent.Channel.DESK if at_desk else Consent.Channel.CARD,
        entered_by=actor,
    )
    if form_photo:
        try:
            consent.form_photo = clean_photo(form_photo)
        except ValidationError as error:
            raise ValidationError({"form_photo": error.messages}) from error
    if Consent.objects.filter(household=household, bank=bank, withdrawn_at__isnull=True).exists():
        raise ValidationError(_("这一户已经授权该银行，如需修改请先撤回"))
    try:
        with transaction.atomic():
            consent.save()
    except IntegrityError as error:  # a second submission racing the first
        raise ValidationError(_("这一户已经授权该银行，如需修改请先撤回")) from error
    audit_record(
        actor=actor,
        action="bank.consent_given",
        target=consent,
        details={
            "household": household.pk,
            "bank": bank.code,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else None,
            "channel": consent.channel,
            "form_photo": consent.form_photo.name or None,
        },
    )
    return consent


@transaction.atomic
def consent_withdraw(*, consent, actor):
    """Withdrawn at once: from this moment the bank sees nothing of the household."""
    if not households_consent_enterable_by(actor).filter(pk=consent.household_id).exists():
        raise PermissionDenied(_("您不能为这一户撤回授权"))
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is not None:
        return consent
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        actor=actor,
        action="bank.consent_withdrawn",
        target=consent,
        details={"household": consent.household_id, "bank": consent.bank.code},
    )
    return consent


# The bank's look-up by a full ID number: per officer (login or token), every channel.
BANK_ID_LOOKUP = LookupLimit(
    action="bank.lookup",
    blocked_action="bank.lookup_blocked",
    rate_setting="BANK_LOOKUP_RATE",
    misses_setting="BANK_LOOKUP_MISSES",
)


@transaction.atomic
def bank_id_lookup(*, user, id_number, token=None):
    """The officer's look-up of a head by the full ID number (docs/bank.md, "Look-ups"):
    refused (`accounts.lookup_limits.LookupRefused`) above the rate or after a series of
    misses, else answered and recorded like every bank read. The caller's row (the login,
    or the API token a bank token stands for) is locked meanwhile, so simultaneous requests
    of one officer are counted one after the other."""
    from accounts.models import User

    from . import selectors

    if user.pk is not None:
        User.objects.select_for_update().filter(pk=user.pk).first()
    elif isinstance(token, ApiToken):
        ApiToken.objects.select_for_update().filter(pk=token.pk).first()
    lookup_check(limit=BANK_ID_LOOKUP, actor=user)
    result = selectors.bank_lookup(user=user, id_number=id_number)
    bank_looked(
        user=user,
        kind="lookup",
        household_ids=[row.household_id for row in result.rows],
        details={"id_number": selectors.masked(id_number)},
    )
    return result


def bank_looked(*, user, kind, household_ids, details=None):
    """The bank saw these households: one audit line for the request, and per household the
    time the card shows as "bank last looked". `kind`: lookup, list, detail or export."""
    now = timezone.now()
    BankLookup.objects.bulk_create(
        BankLookup(household_id=pk, bank_id=user.bank_id, at=now, kind=kind) for pk in household_ids
    )
    details = {"bank": user.bank.code, "households": list(household_ids), **(details or {})}
    if kind == "lookup":  # the line the look-up limits count (found or not)
        lookup_recorded(
            limit=BANK_ID_LOOKUP, actor=user, found=bool(household_ids), details=details
        )
        return
    audit_record(actor=user, action=f"bank.{kind}", details=details)


# --- API tokens ------------------------------------------------------------------------


def api_token_create(*, name, scope, actor, user=None, bank=None):
    """A new token: returns (token, key). The key is shown once and never stored; only its
    sha256 is kept."""
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        scope=scope,
        user=user if scope == ApiToken.Scope.USER else None,
        bank=bank if scope == ApiToken.Scope.BANK else None,
        key_hash=token_hash(key),
        key_prefix=key[:10],
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    token.full_clean(exclude=["key_hash", "key_prefix", "created_by"])
    token.save()
    audit_record(
        actor=actor,
        action="api_token.created",
        target=token,
        details={
            "scope": scope,
            "user": token.user.get_username() if token.user else None,
            "bank": token.bank.code if token.bank else None,
        },
    )
    return token, key


def api_token_revoke(*, token, actor):
    """Refused from the next request on: every request reads the token's row afresh."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoked", target=token)
    return token
