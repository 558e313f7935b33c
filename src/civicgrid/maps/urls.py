from django.urls import path

from civicgrid.maps import views

app_name = "maps"
urlpatterns = [
    path("", views.map_page, name="map"),
]
