from django.urls import path

from civicgrid.codes import views

app_name = "codes"
urlpatterns = [
    # Printing (administrators). Numeric ids never collide with tokens, which contain dots.
    path("<int:pk>/qr.png", views.qr_png, name="qr_png"),
    path("<int:pk>/qr.svg", views.qr_svg, name="qr_svg"),
    path("print/sheet.pdf", views.sheet_pdf, name="sheet_pdf"),
    # What a QR code opens (SITE_URL/c/<kid>.<payload>.<mac>) and the actions offered there.
    path("<str:token>", views.scan, name="scan"),
    path("<str:token>/a/<slug:name>/", views.action, name="action"),
]
