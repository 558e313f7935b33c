from django.urls import path

from civicgrid.mobile import views

app_name = "mobile"
urlpatterns = [
    path("", views.home, name="home"),
]
