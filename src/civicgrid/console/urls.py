from django.urls import path

from civicgrid.console import client_views, evaluation_views, staff_views, views, webhook_views

app_name = "console"
urlpatterns = [
    path("", views.home, name="home"),
    path("queue/<slug:name>/", views.queue, name="queue"),
    path("cases/<str:number>/", views.case_detail, name="case"),
    path("cases/<str:number>/contact/", views.case_contact, name="case_contact"),
    path("cases/<str:number>/actions/<slug:action>/", views.case_action, name="case_action"),
    path("cases/<str:number>/reply-hints/", views.case_reply_hints, name="case_reply_hints"),
    path("cases/<str:number>/public-summary/", views.case_public_summary, name="case_public_summary"),
    path("intake/", views.intake, name="intake"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("staff/", staff_views.staff_list, name="staff"),
    path("staff/add/", staff_views.staff_add, name="staff_add"),
    path("staff/import/", staff_views.staff_import, name="staff_import"),
    path("staff/template.xlsx", staff_views.staff_template, name="staff_template"),
    path("staff/<int:pk>/role/", staff_views.staff_role, name="staff_role"),
    path("staff/<int:pk>/move/", staff_views.staff_move, name="staff_move"),
    path("staff/<int:pk>/active/", staff_views.staff_active, name="staff_active"),
    path("staff/<int:pk>/password/", staff_views.staff_password, name="staff_password"),
    path("webhooks/", webhook_views.webhooks, name="webhooks"),
    path("webhooks/clients/<int:client_pk>/add/", webhook_views.webhook_create, name="webhook_create"),
    path("webhooks/<int:pk>/edit/", webhook_views.webhook_update, name="webhook_update"),
    path("webhooks/<int:pk>/active/", webhook_views.webhook_active, name="webhook_active"),
    path("webhooks/<int:pk>/rotate/", webhook_views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/test/", webhook_views.webhook_test, name="webhook_test"),
    path("webhooks/deliveries/", webhook_views.webhook_deliveries, name="webhook_deliveries"),
    path("webhooks/deliveries/<int:pk>/", webhook_views.webhook_delivery, name="webhook_delivery"),
    path("webhooks/deliveries/<int:pk>/replay/", webhook_views.webhook_replay, name="webhook_replay"),
    path("clients/", client_views.client_list, name="clients"),
    path("clients/add/", client_views.client_add, name="client_add"),
    path("clients/<int:pk>/", client_views.client_detail, name="client"),
    path("clients/<int:pk>/edit/", client_views.client_edit, name="client_edit"),
    path("clients/<int:pk>/active/", client_views.client_active, name="client_active"),
    path("clients/<int:pk>/keys/issue/", client_views.key_issue, name="client_key_issue"),
    path("clients/<int:pk>/keys/rotate/", client_views.key_rotate, name="client_key_rotate"),
    path("clients/<int:pk>/keys/<int:key_pk>/revoke/", client_views.key_revoke, name="client_key_revoke"),
    path("api-calls/", client_views.api_call_list, name="api_calls"),
    path("evaluation/scores/", evaluation_views.scores, name="eval_scores"),
    path(
        "evaluation/scores/<slug:scope>/<int:key>/", evaluation_views.score_detail, name="eval_score_detail"
    ),
]
