import contextlib
import contextvars
import ipaddress

from django.db import transaction

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
    actor = actor if getattr(actor, "is_authenticated", False) else None
    return AuditRecord.objects.create(
        actor=actor,
        actor_username=actor.get_username() if actor else "",
        ip_address=_valid_ip(ip_address or current_ip_address()),
        action=action,
        object_type=target._meta.label if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        object_repr=str(target)[:255] if target is not None else "",
        details=details or {},
    )


ROLE_FIELDS = ("role", "cooperative_id", "household_id", "is_staff", "is_superuser", "is_active")


@transaction.atomic
def user_set_role(*, user, actor, role, cooperative=None, household=None, communities=()):
    """Give a login its role and scope; a permission change, so it is audited."""
    before = {field: getattr(user, field) for field in ROLE_FIELDS}
    before["communities"] = sorted(user.communities.values_list("code", flat=True))
    user.role = role
    user.cooperative = cooperative if role == User.Role.ACCOUNTANT else None
    user.household = household if role == User.Role.VILLAGER else None
    # Subdistrict administrators run the admin site; nobody else gets into it.
    user.is_staff = user.is_superuser = role == User.Role.SUBDISTRICT_ADMIN
    user.full_clean(exclude=["password"])
    user.save()
    if role == User.Role.COMMUNITY_STAFF:
        user.communities.set(communities)
    else:
        user.communities.clear()
    after = {field: getattr(user, field) for field in ROLE_FIELDS}
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
    if user.must_change_password:
        user.must_change_password = False
        user.save(update_fields=["must_change_password"])
    audit_record(actor=user, action="auth.password_changed", target=user)
