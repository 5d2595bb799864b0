"""Who may open an uploaded file (pinghu_points.file_views): the scope of the object that
holds it, which may be in any app — so the rule composes them and lives here."""

from django.db.models import Q

from accounts.scope import (
    cooperatives_visible_to,
    households_consent_enterable_by,
    households_visible_to,
)
from appeals.selectors import appeals_visible_to
from banking.models import Consent
from communities.models import RectificationInspection, ScoreEvent, StandardAdoption
from matters.selectors import matters_visible_to


def private_file_visible(*, user, name):
    """Whether `user` may open the uploaded file stored as `name`.

    A file has the scope of the object it belongs to: an evidence photo that of its
    event's household, an adoption resolution that of its cooperative, an appeal's photo
    that of the appeal (`appeals.selectors.appeals_visible_to`), a matter's photo that of
    the matter (`matters.selectors.matters_visible_to`). A name no object
    holds is visible to nobody.
    """
    if not name:
        return False
    if ScoreEvent.objects.filter(evidence=name, household__in=households_visible_to(user)).exists():
        return True
    # A re-inspection's photo has the scope of its household, as the deduction's own photo.
    if RectificationInspection.objects.filter(
        photo=name, rectification__household__in=households_visible_to(user)
    ).exists():
        return True
    if StandardAdoption.objects.filter(
        resolution=name, cooperative__in=cooperatives_visible_to(user)
    ).exists():
        return True
    # An appeal's photo (appeals app): the villager who filed it and those who answer it.
    if name.startswith("appeals/"):
        return appeals_visible_to(user).filter(photo=name).exists()
    # A matter's or a step's photo (议事): whoever may open the matter (never the grid's
    # public list, which shows no photos).
    if name.startswith("matters/"):
        return matters_visible_to(user).filter(Q(photo=name) | Q(steps__photo=name)).exists()
    # The signed consent form: those docs/bank.md names — the household's villager, the
    # staff of its community (who took it at the desk), the admin. Not the cooperative's
    # accountant or supervisor (who read the register, not the household's dealings with
    # the bank), never the bank. The same scope records and withdraws consents.
    return Consent.objects.filter(
        form_photo=name, household__in=households_consent_enterable_by(user)
    ).exists()
