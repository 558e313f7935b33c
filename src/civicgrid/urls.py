from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _

from civicgrid import monitoring, views
from civicgrid.api import api
from civicgrid.dashboard import views as dashboard_views

admin.site.site_header = _("civicgrid 城市精细化治理平台")
admin.site.site_title = "civicgrid"
admin.site.index_title = _("配置")

handler404 = "civicgrid.api.not_found"  # JSON under /api/

urlpatterns = [
    path("", views.home, name="home"),
    path("api/", api.urls),  # first: the API's requests are most of the traffic, and resolve in one step
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("civicgrid.accounts.urls")),
    path("captcha/", include("captcha.urls")),  # the SMS login's image captcha (django-simple-captcha)
    path("open311/v2/", include("civicgrid.open311.urls")),
    path("reports/", include("civicgrid.cases.urls")),
    path("m/points/", include("civicgrid.points.urls")),
    path("c/", include("civicgrid.codes.urls")),
    path("e/", include("civicgrid.evaluation.urls")),
    path("m/", include("civicgrid.mobile.urls")),
    path("v/", include("civicgrid.volunteers.urls")),  # 志愿服务 (citizens; the organiser's walk-up page)
    path("console/", include("civicgrid.console.urls")),
    path("dashboard/", include("civicgrid.dashboard.urls")),
    path("screen/", dashboard_views.screen, name="screen"),
    path("map/", include("civicgrid.maps.urls")),
    path("tiles/", include("civicgrid.gazetteer.urls")),  # the city's MBTiles/PMTiles base map
    path("admin/", admin.site.urls),
    path("metrics", monitoring.metrics, name="metrics"),
    path("healthz", monitoring.healthz, name="healthz"),
    # The media folder (EXIF-free copies and thumbnails; originals live elsewhere), access-checked.
    re_path(r"^media/(?P<path>.*)$", views.media, name="media"),
]
