from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from overview import home_views
from overview.files import private_file_visible

from . import errors, file_views, health
from .parameters import IdConverter

# `<id:pk>`: before the app URLconfs below are included, which use it.
register_converter(IdConverter, "id")

from overview import household_urls  # noqa: E402  (uses <id:…>)
from villages import urls as village_urls  # noqa: E402

admin.site.site_header = _("平湖股权分红+善治积分 管理后台")
admin.site.site_title = _("善治积分")
admin.site.index_title = _("数据管理")

urlpatterns = [
    path("", home_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages without an icon link (the admin, a JSON answer).
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("favicon.ico"))),
    path("accounts/", include("accounts.urls")),
    # One `villages` namespace: the register's own pages and the household pages that
    # compose several apps (overview/household_urls.py).
    path(
        "villages/",
        include((household_urls.urlpatterns + village_urls.urlpatterns, "villages")),
    ),
    path("communities/", include("communities.urls")),
    path("card/", include("overview.card_urls")),
    path("dividends/", include("dividends.urls")),
    path("awards/", include("awards.urls")),
    path("appeals/", include("appeals.urls")),
    path("matters/", include("matters.urls")),
    path("overview/", include("overview.urls")),
    path("bank/", include("banking.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path(
        "files/<path:name>",
        file_views.private_file,
        {"visible": private_file_visible},
        name="private_file",
    ),
    path("api/", include("pinghu_points.api_urls")),
    # Both need a login (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the docs page sends an
    # anonymous browser to the login page. The split view serves Swagger UI's start-up
    # script as a file (?script), so the Content-Security-Policy needs no inline script.
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="api-docs",
    ),
]
# No media URL: uploaded files are served only by views that apply the scope of the
# object they belong to (pinghu_points.file_views).

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
# 503 when the database or the job queue is down (JSON under /api/), else the 500 page.
handler500 = errors.server_error
