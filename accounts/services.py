import contextlib
import contextvars
import ipaddress

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import AuditRecord, User

_current_request = contextvars.ContextVar("audit_current_request", default=None)


@contextlib.contextmanager
def audit_context(*, request):
    """Set by the middleware so audited writes can name the address and the user."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def current_actor():
    request = _current_request.get()
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


def current_ip_address():
    from .middleware import client_address

    request = _current_request.get()
    return client_address(request) if request is not None else None


def _valid_ip(value):
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def audit_record(*, actor, action, target=None, details=None, ip_address=None):
    """The one way to write the audit trail. Every write service calls it."""
    username = actor.get_username() if getattr(actor, "is_authenticated", False) else ""
    # A bank's API token acts through an unsaved principal: named, but no row to point at.
    actor = actor if username and actor.pk is not None else None
    return AuditRecord.objects.create(
        actor=actor,
        actor_username=username,
        ip_address=_valid_ip(ip_address or current_ip_address()),
        action=action,
        object_type=target._meta.label if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:255] if target is not None else "",
        details=details or {},
    )


ROLE_FIELDS = (
    "role",
    "cooperative_id",
    "household_id",
    "town_id",
    "is_staff",
    "is_superuser",
    "is_active",
)


def role_snapshot(user):
    """What a login may do, as the audit trail records it before and after a change."""
    return {field: getattr(user, field) for field in ROLE_FIELDS}


@transaction.atomic
def user_set_role(
    *, user, actor, role, cooperative=None, household=None, communities=(), town=None
):
    """Give a login its role and scope; a permission change, so it is audited."""
    before = role_snapshot(user)
    before["communities"] = sorted(user.communities.values_list("code", flat=True))
    user.role = role
    user.cooperative = cooperative if role in (User.Role.ACCOUNTANT, User.Role.SUPERVISOR) else None
    user.household = household if role == User.Role.VILLAGER else None
    # Both administrators get into the admin site: the city admin as a superuser (the
    # whole site), a town admin as staff, their town's rows only (docs/towns.md).
    user.is_staff = role in (User.Role.CITY_ADMIN, User.Role.SUBDISTRICT_ADMIN)
    user.is_superuser = role == User.Role.CITY_ADMIN
    user.town = town if role == User.Role.SUBDISTRICT_ADMIN else None
    if role == User.Role.SUBDISTRICT_ADMIN and town is None:
        raise ValidationError({"town": _("镇（街道）管理员须指定所管理的镇（街道）")})
    user.full_clean(exclude=["password"])
    user.save()
    if role == User.Role.COMMUNITY_STAFF:
        user.communities.set(communities)
    else:
        user.communities.clear()
    after = role_snapshot(user)
    after["communities"] = sorted(user.communities.values_list("code", flat=True))
    audit_record(
        actor=actor,
        action="user.role_changed",
        target=user,
        details={"before": before, "after": after},
    )
    return user


def user_password_changed(*, user):
    """A user chose their own password: the forced change is done."""
    if user.must_change_password or user.password_issued_at is not None:
        user.must_change_password = False
        user.password_issued_at = None
        user.save(update_fields=["must_change_password", "password_issued_at"])
    audit_record(actor=user, action="auth.password_changed", target=user)


# --- Villager logins and lockouts (docs/villagers.md, "账号与登录") -------------------

# No 0/o, 1/l/i: the password is read off a printed card and typed on a phone.
INITIAL_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
INITIAL_PASSWORD_LENGTH = 8


def initial_password():
    import secrets

    return "".join(
        secrets.choice(INITIAL_PASSWORD_ALPHABET) for _ in range(INITIAL_PASSWORD_LENGTH)
    )


def issued_password_expired(user, *, now=None):
    """Whether the user still has an issued password, unchanged for too long to log in.

    The villager must change the printed password at the first login; one never used
    within `ISSUED_PASSWORD_VALID_DAYS` days is dead, and staff issue a new one.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    issued_at = getattr(user, "password_issued_at", None)
    if not getattr(user, "must_change_password", False) or issued_at is None:
        return False
    now = now or timezone.now()
    return now - issued_at > timedelta(days=settings.ISSUED_PASSWORD_VALID_DAYS)


def may_issue_villager_password(*, actor, household):
    """Staff of the household's community, the accountant of its cooperative, the admin:
    `accounts.scope.households_login_keepable_by`. Never the supervisor."""
    from .scope import households_login_keepable_by

    return households_login_keepable_by(actor).filter(pk=household.pk).exists()


def villager_login_changed(*, actor, action, login, household, details=None):
    """The one audit line of a change to a villager login, named for what it is:
    `villager.login_created`, `villager.password_issued`, `villager.password_reset` (the
    login had a password, issued or the villager's own), `auth.lockout_lifted`. Each
    names the household, so its trail (`accounts.selectors.household_trail_q`) finds it."""
    return audit_record(
        actor=actor,
        action=action,
        target=login,
        details={
            "household_id": household.pk if household else None,
            "card_number": household.card_number if household else login.username,
            **(details or {}),
        },
    )


@transaction.atomic
def villager_password_issue(*, actor, household):
    """Create or reset the villager login of a household; return (user, plain password).

    The login is the household's card number. The password is printed on the card and
    shown once; the villager must change it at the first login. It never reaches the
    audit trail. Failed attempts recorded against the card number are lifted too: a new
    password is what a locked-out villager comes to the office for.

    Audited as what happened (docs/villagers.md, "审计"): a login created for the household
    (`villager.login_created`), its first password (`villager.password_issued`) or a new one
    replacing a password it had (`villager.password_reset`: sessions logged in with the old
    one end), and a lockout lifted with it (`auth.lockout_lifted`).
    """
    from axes.utils import reset as axes_reset
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils import timezone
    from django.utils.translation import gettext as _

    if not may_issue_villager_password(actor=actor, household=household):
        raise PermissionDenied
    username = household.card_number
    user = User.objects.select_for_update().filter(username__iexact=username).first()
    created = user is None
    if created:
        user = User(username=username, role=User.Role.VILLAGER, household=household)
    elif user.role != User.Role.VILLAGER or user.household_id != household.pk:
        raise ValidationError(
            _("账号 %(username)s 已被其他用户使用，请联系街道管理员。"),
            params={"username": user.username},
        )
    elif not user.is_active:
        raise ValidationError(_("该账号已停用，请联系街道管理员启用后再发放密码。"))
    had_password = not created and user.has_usable_password()
    replaced = ("issued" if user.must_change_password else "own") if had_password else None
    if not user.first_name:
        user.first_name = household.head_name[:150]
    password = initial_password()
    user.set_password(password)
    user.must_change_password = True
    user.password_issued_at = timezone.now()
    user.full_clean(exclude=["password"])
    user.save()
    lifted = axes_reset(username=user.username)
    if created:
        villager_login_changed(
            actor=actor, action="villager.login_created", login=user, household=household
        )
    villager_login_changed(
        actor=actor,
        action="villager.password_reset" if had_password else "villager.password_issued",
        login=user,
        household=household,
        details={"created": created, "attempts_lifted": lifted}
        | ({"replaced": replaced} if replaced else {}),
    )
    if lifted:
        villager_login_changed(
            actor=actor,
            action="auth.lockout_lifted",
            login=user,
            household=household,
            details={
                "username": user.username,
                "ip_address": "",
                "attempts_deleted": lifted,
                "with_password": True,
            },
        )
    return user, password


def may_lift_lockout(*, actor, username=None, ip_address=None):
    """A town admin lifts an address's lockout and those of their town's logins (and of a
    name that is nobody's login); staff and accountants those of the villager logins they
    keep (`logins_unlockable_by`: never the supervisor)."""
    from .scope import keeps_villager_logins, logins_unlockable_by

    if not keeps_villager_logins(actor):
        return False
    if ip_address:
        return actor.may_lift_any_lockout
    if not username:
        return False
    if logins_unlockable_by(actor).filter(username=username).exists():
        return True
    return actor.may_lift_any_lockout and not User.objects.filter(username=username).exists()


def lockout_lift(*, actor, username=None, ip_address=None):
    """Forget the failed logins of an account or an address, so it may log in again."""
    from axes.utils import reset as axes_reset
    from django.core.exceptions import PermissionDenied

    if not (username or ip_address):
        raise ValueError("lockout_lift needs a username or an IP address")
    if not may_lift_lockout(actor=actor, username=username, ip_address=ip_address):
        raise PermissionDenied
    from .backends import failure_counts

    before = failure_counts(username=username, ip_address=ip_address)
    deleted = axes_reset(ip=ip_address or None, username=username or None)
    target = User.objects.filter(username=username).first() if username else None
    household = target.household if target is not None and target.is_villager else None
    audit_record(
        actor=actor,
        action="auth.lockout_lifted",
        target=target,
        details={
            "username": username or "",
            "ip_address": ip_address or "",
            "failures": before,
            "attempts_deleted": deleted,
        }
        | ({"household_id": household.pk} if household else {}),
    )
    return deleted
