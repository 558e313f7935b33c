from django.urls import path

from civicgrid.console import views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("queue/<slug:name>/", views.queue, name="queue"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/contact/", views.case_contact, name="case_contact"),
    path("cases/<str:number>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("cases/<str:number>/public-summary/", views.case_public_summary, name="case_public_summary"),
    path("intake/", views.intake, name="intake"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
]
