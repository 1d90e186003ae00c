from django.urls import path

from tutela.staff import feedback_views, views

app_name = "staff"
urlpatterns = [
    path("", views.console, name="console"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/correct/", views.customer_correct, name="customer_correct"),
    path("problems/", feedback_views.problem_reports, name="problem_reports"),
    path("problems/<uuid:report_id>/", feedback_views.problem_report, name="problem_report"),
    path("questionnaires/", feedback_views.questionnaires, name="questionnaires"),
    path("questionnaires/new/", feedback_views.questionnaire_new, name="questionnaire_new"),
    path(
        "questionnaires/<int:questionnaire_id>/",
        feedback_views.questionnaire_results,
        name="questionnaire_results",
    ),
    path("contests/", feedback_views.contests, name="contests"),
    path("contests/new/", feedback_views.contest_new, name="contest_new"),
]
