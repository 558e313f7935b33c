from django.urls import path

from civicgrid.mobile import views

app_name = "mobile"
urlpatterns = [
    path("", views.home, name="home"),
    # 随手拍 (citizens)
    path("report/", views.report, name="report"),
    path("report/nearby/", views.report_nearby, name="report_nearby"),
    path("report/suggest/", views.report_suggest, name="report_suggest"),
    path("categories/", views.category_search, name="category_search"),
    path("cases/", views.my_cases, name="my_cases"),
    path("cases/<str:number>/", views.case_detail, name="case_detail"),
    path("cases/<str:number>/rate/", views.case_rate, name="case_rate"),
    path("cases/<str:number>/me-too/", views.case_me_too, name="case_me_too"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    # grid members
    path("grid/", views.grid_home, name="grid_home"),
    path("grid/report/", views.grid_report, name="grid_report"),
    path("grid/reports/", views.grid_reports, name="grid_reports"),
    path("grid/verify/", views.grid_verify_list, name="grid_verify_list"),
    path("grid/verify/<str:number>/", views.grid_verify, name="grid_verify"),
]
