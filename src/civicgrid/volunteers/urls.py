from django.urls import path

from civicgrid.volunteers import record_views

app_name = "volunteers"
urlpatterns = [
    # Records and certificates: the public verification page (what a certificate's QR opens), the
    # citizen's own certificate, the organisers' record export.
    path("cert/<str:code>/", record_views.certificate_page, name="certificate_verify"),
    path("me/certificate.pdf", record_views.my_certificate, name="my_certificate"),
    path("records/export/", record_views.records_export_page, name="records_export"),
]
