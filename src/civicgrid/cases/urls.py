from django.urls import path

from civicgrid.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.public_list, name="public_list"),
    path("<str:number>/", views.public_detail, name="public_detail"),
]
