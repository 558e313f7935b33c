from django.urls import path

from civicgrid.points import views

app_name = "points"
urlpatterns = [
    path("", views.home, name="home"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("display/", views.display, name="display"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("vouchers/", views.vouchers, name="vouchers"),
    path("vouchers/use/", views.voucher_use, name="voucher_use"),
    path("uncivil/<int:pk>/appeal/", views.appeal, name="appeal"),
    # inspectors
    path("inspect/", views.inspect, name="inspect"),
    path("inspect/appeals/", views.appeals, name="appeals"),
    path("inspect/appeals/<int:pk>/", views.appeal_review, name="appeal_review"),
]
