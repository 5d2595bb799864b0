from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .middleware import client_address
from .models import User
from .services import audit_record, current_actor


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


@receiver(user_login_failed)
def audit_login_failed(sender, credentials, request=None, **kwargs):
    # Never store the password that was tried; the username explains the failure.
    audit_record(
        actor=None,
        action="auth.login_failed",
        details={"username": str(credentials.get("username", ""))[:150]},
        ip_address=client_address(request) if request else None,
    )


def _audit_permission_change(sender, instance, action, pk_set, model, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from django.contrib.auth.models import Group

    users = [instance] if isinstance(instance, User) else list(User.objects.filter(pk__in=pk_set or ()))
    for user in users:
        audit_record(
            actor=current_actor(),
            action="user.permissions_changed",
            target=user,
            details={
                "relation": "groups" if model is Group or isinstance(instance, Group) else "permissions",
                "change": action.removeprefix("post_"),
                "ids": sorted(pk_set or ()),
            },
        )


m2m_changed.connect(_audit_permission_change, sender=User.groups.through)
m2m_changed.connect(_audit_permission_change, sender=User.user_permissions.through)
