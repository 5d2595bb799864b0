from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts import views as account_views

from . import errors
from .parameters import IdConverter

# `<id:pk>`: before the app URLconfs below are included, which use it.
register_converter(IdConverter, "id")

admin.site.site_header = _("平湖股权分红+善治积分 管理后台")
admin.site.site_title = _("善治积分")
admin.site.index_title = _("数据管理")

urlpatterns = [
    path("", account_views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("villages/", include("villages.urls")),
    path("communities/", include("communities.urls")),
    path("card/", include("villages.card_urls")),
    path("dividends/", include("dividends.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("pinghu_points.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
