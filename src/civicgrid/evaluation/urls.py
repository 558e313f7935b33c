from django.urls import path

from civicgrid.evaluation import views

app_name = "evaluation"
urlpatterns = [
    # 督查员: today's sites, a site's checklist (one observation per standard), re-inspection
    path("", views.home, name="home"),
    path("s/<int:pk>/", views.site_checklist, name="site"),
    path("s/<int:pk>/observe/", views.observe, name="observe"),
    # 责任单位: the unit's rectification tasks and their evidence; the inspector re-inspects
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/evidence/", views.task_evidence, name="task_evidence"),
    path("tasks/<int:pk>/reinspect/", views.task_reinspect, name="task_reinspect"),
    # 问卷调查: the public's anonymous questionnaire (one answer per device)
    path("q/<int:pk>/", views.questionnaire, name="questionnaire"),
]
