from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .middleware import client_address, touch_session
from .models import User
from .services import audit_record, current_actor


@receiver(user_logged_in)
def start_staff_session_clock(sender, request, user, **kwargs):
    if request is not None:
        touch_session(request, user, force=True)


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit_record(
        actor=user,
        action="auth.login",
        target=user,
        ip_address=client_address(request) if request else None,
    )


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", target=user)


def typed_username_details(typed):
    """What the audit trail keeps of a username typed at a failed login.

    People type their password into the username box. So the trail keeps the name only
    when it is an existing login's (under any spelling the login accepts: the stored
    name); anything else is kept as `unknown_username`, a keyed hash (HMAC with
    SECRET_KEY, 12 hex digits) and its length: the admin still sees that one unknown name
    was tried again and again, and nobody can read what it was (docs/villagers.md, "审计").
    """
    from django.utils.crypto import salted_hmac

    from .backends import canonical_username

    typed = str(typed or "")
    if not typed:
        return {"username": ""}
    known = canonical_username(typed)
    if known and User.objects.filter(username=known).exists():
        return {"username": known}
    digest = salted_hmac("accounts.login_failed.username", typed).hexdigest()[:12]
    return {"username": "", "unknown_username": digest, "typed_length": len(typed)}


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Never the password that was tried, nor a username that may be one.
    audit_record(
        actor=None,
        action="auth.login_failed",
        details=typed_username_details(credentials.get("username", "")),
        ip_address=client_address(request) if request else None,
    )


def _audit_permission_change(sender, instance, action, pk_set, model, **kwargs):
    is_groups = sender is User.groups.through
    if action == "pre_clear":
        # post_clear carries no pk_set: remember what is about to be removed.
        if isinstance(instance, User):
            related = instance.groups if is_groups else instance.user_permissions
        else:
            related = instance.user_set
        instance._audit_cleared_ids = set(related.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_audit_cleared_ids", set())
    if isinstance(instance, User):
        users, ids = [instance], sorted(pk_set or ())
    else:
        # Changed from the group's (or permission's) side: pk_set holds the users.
        users, ids = list(User.objects.filter(pk__in=pk_set or ())), [instance.pk]
    for user in users:
        audit_record(
            actor=current_actor(),
            action="user.permissions_changed",
            target=user,
            details={
                "relation": "groups" if is_groups else "permissions",
                "change": action.removeprefix("post_"),
                "ids": ids,
            },
        )


m2m_changed.connect(_audit_permission_change, sender=User.groups.through)
m2m_changed.connect(_audit_permission_change, sender=User.user_permissions.through)


def _audit_locked_out(sender, request, username, ip_address, **kwargs):
    """django-axes locked an account or an address: record it once, when it starts.

    Axes sends the signal again for every attempt refused during the lockout; those are
    already in the trail as auth.login_failed.
    """
    from .backends import failure_counts, failure_limit

    counts = failure_counts(username=username, ip_address=ip_address)
    starting = [parameter for parameter, count in counts.items() if count == failure_limit()]
    if not starting:
        return
    audit_record(
        actor=None,
        action="auth.locked_out",
        target=User.objects.filter(username=username).first() if username else None,
        details={
            **typed_username_details(username),
            "ip_address": ip_address or "",
            "locked": starting,
            "failures": counts,
        },
        ip_address=ip_address,
    )


def _connect_axes_signals():
    from axes.signals import user_locked_out

    user_locked_out.connect(_audit_locked_out, dispatch_uid="accounts.audit_locked_out")


_connect_axes_signals()
