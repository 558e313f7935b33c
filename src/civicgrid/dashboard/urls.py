from django.urls import path

from civicgrid.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.cases, name="cases"),
    path("breakdown.<str:fmt>", views.breakdown_export, name="breakdown_export"),
    path("indicators.<str:fmt>", views.indicators_export, name="indicators_export"),
    path("reports/monthly.xlsx", views.monthly_report, name="monthly_report"),
    path("screen.json", views.screen_data, name="screen_data"),
    path("hotspots/", views.hotspots, name="hotspots"),
    path("hotspots/<int:pk>/", views.hotspot, name="hotspot"),
    path("exports/queue/<slug:name>.<str:fmt>", views.queue_export, name="queue_export"),
]
