from django.urls import re_path

from civicgrid.gazetteer import views

app_name = "gazetteer"

urlpatterns = [
    re_path(r"^(?P<z>[^/]+)/(?P<x>[^/]+)/(?P<y>[^/.]+)\.(?P<ext>[A-Za-z]+)$", views.tile, name="tile"),
]
