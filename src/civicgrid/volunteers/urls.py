from django.urls import path

from civicgrid.volunteers import record_views, views

app_name = "volunteers"
urlpatterns = [
    path("", views.home, name="home"),
    path("a/<int:pk>/", views.activity, name="activity"),
    path("shifts/<int:pk>/signup/", views.signup, name="signup"),
    path("signups/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("register/", views.register, name="register"),
    path("me/shifts/", views.my_shifts, name="my_shifts"),
    path("me/code/", views.my_code, name="my_code"),
    path("me/team/", views.my_team, name="my_team"),
    path("me/hours/", views.my_hours, name="my_hours"),
    # what the QR codes encode: the venue code (volunteers scan it), the personal code (organisers scan it)
    path("checkin/<str:token>/", views.checkin, name="checkin"),
    path("walkup/<str:token>/", views.walkup, name="walkup"),
    # Records and certificates: the public verification page (what a certificate's QR opens), the
    # citizen's own certificate, the organisers' record export.
    path("cert/<str:code>/", record_views.certificate_page, name="certificate_verify"),
    path("me/certificate.pdf", record_views.my_certificate, name="my_certificate"),
    path("records/export/", record_views.records_export_page, name="records_export"),
]
