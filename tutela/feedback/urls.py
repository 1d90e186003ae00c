from django.urls import path

from tutela.feedback import views

app_name = "feedback"
urlpatterns = [
    path("problems/", views.problem_reports, name="problem_reports"),
    path("problems/new/", views.problem_report_new, name="problem_report_new"),
    path("problems/sent/", views.problem_report_sent, name="problem_report_sent"),
    path("problems/<uuid:report_id>/", views.problem_report_detail, name="problem_report_detail"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/<int:questionnaire_id>/", views.questionnaire, name="questionnaire"),
    path("contests/", views.contests, name="contests"),
    path("contests/<int:contest_id>/", views.contest, name="contest"),
]
