from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OverviewConfig(AppConfig):
    """The pages that compose several apps (docs/architecture.md, "Which app may import
    which"): it may import every domain app and none imports it."""

    name = "overview"
    verbose_name = _("总览")
