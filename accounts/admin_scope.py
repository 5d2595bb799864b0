"""The admin site (管理后台) for the two administrators (docs/towns.md).

The city admin is a superuser: the whole site. A town admin is staff but no superuser:
`TownAdminPermissions` (an authentication backend) gives them the Django permissions of
the models a town keeps, and `ScopedAdmin`, the base of every ModelAdmin, narrows every
list, search, autocomplete, related-row choice, action, export and object to the rows
`accounts.scope.admin_rows` gives them. An object of another town answers 404.
"""

from django.contrib.auth.backends import BaseBackend
from django.http import Http404

from . import scope

# What a town admin may do in the admin site, per model: view every model of
# `scope.ADMIN_TOWN_PATHS`; add and change those a town keeps itself (its villages'
# register, its communities and micro-grids, its standards); delete nothing, set up no
# town, login, bank or token (the city's).
TOWN_ADMIN_KEEPS = {
    "villages.Village",
    "villages.Cooperative",
    "villages.ShareClass",
    "villages.Household",
    "villages.Member",
    "communities.Community",
    "communities.MicroGrid",
    "communities.StaffMembership",
    "communities.ScoringStandard",
    "communities.ScoringItem",
    "communities.StandardAdoption",
}


class TownAdminPermissions(BaseBackend):
    """A town admin's Django permissions: `view` on their town's models, `add` and
    `change` on those it keeps. Which rows is `ScopedAdmin`'s (accounts.scope)."""

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or not user_obj.is_town_admin or "." not in perm:
            return False
        app_label, codename = perm.split(".", 1)
        action, _sep, model_name = codename.partition("_")
        label = _label(app_label, model_name)
        if label is None:
            return False
        if action == "view":
            return True
        return action in ("add", "change") and label in TOWN_ADMIN_KEEPS

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or not user_obj.is_town_admin:
            return False
        return any(label.split(".")[0] == app_label for label in scope.admin_site_models_of_towns())


def _label(app_label, model_name):
    for label in scope.admin_site_models_of_towns():
        app, model = label.split(".")
        if app == app_label and model.lower() == model_name:
            return label
    return None


class ScopedInline:
    """The base of every inline (before admin.TabularInline): its rows and the related
    rows it offers come through accounts.scope."""

    def get_queryset(self, request):
        return scope.admin_rows(request.user, super().get_queryset(request))

    def _related_rows(self, request, db_field, kwargs):
        queryset = kwargs.get("queryset")
        if queryset is None:
            queryset = db_field.remote_field.model._default_manager.all()
        kwargs["queryset"] = scope.admin_rows(request.user, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._related_rows(request, db_field, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._related_rows(request, db_field, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedAdmin(ScopedInline):
    """The base of every ModelAdmin (before admin.ModelAdmin): rows through accounts.scope;
    the search and the autocomplete search the scoped rows (`get_queryset`)."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Not there or not theirs: 404 either way, never the admin's redirect.
            raise Http404
        return obj

    def has_import_permission(self, request):
        # Spreadsheet imports of the structure are the city's (setting up a town); a town
        # admin brings in households through the register import (scoped by cooperative).
        if request.user.is_town_admin:
            return False
        return super().has_import_permission(request)
