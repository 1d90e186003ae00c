from django.urls import path

from tutela.staff import (
    commerce_views,
    consent_views,
    correspondence_views,
    feedback_views,
    rights_views,
    support_views,
    views,
    visits_views,
)

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
    path("visits/", visits_views.visits, name="visits"),
    path("orders/", commerce_views.orders, name="orders"),
    path("orders/<uuid:order_id>/", commerce_views.order, name="order"),
    path("invoices/", commerce_views.invoices, name="invoices"),
    path("invoices/<uuid:invoice_id>/", commerce_views.invoice, name="invoice"),
    path("invoices/<uuid:invoice_id>/pdf/", commerce_views.invoice_pdf, name="invoice_pdf"),
    path("applications/", support_views.applications, name="applications"),
    path("applications/<uuid:application_id>/", support_views.application, name="application"),
    path(
        "applications/<uuid:application_id>/reply/",
        support_views.application_reply,
        name="application_reply",
    ),
    path(
        "applications/<uuid:application_id>/status/",
        support_views.application_status,
        name="application_status",
    ),
    path(
        "applications/<uuid:application_id>/attachments/<uuid:attachment_id>/",
        support_views.application_attachment,
        name="application_attachment",
    ),
    path(
        "customers/<int:customer_id>/correspondence/",
        correspondence_views.customer_correspondence,
        name="customer_correspondence",
    ),
    path(
        "customers/<int:customer_id>/correspondence/email/",
        correspondence_views.email_new,
        name="correspondence_email_new",
    ),
    path(
        "customers/<int:customer_id>/correspondence/call/",
        correspondence_views.call_new,
        name="correspondence_call_new",
    ),
    path(
        "correspondence/emails/<uuid:email_id>/",
        correspondence_views.email,
        name="correspondence_email",
    ),
    path(
        "correspondence/calls/<uuid:call_id>/",
        correspondence_views.call,
        name="correspondence_call",
    ),
    path(
        "correspondence/calls/<uuid:call_id>/recording/",
        correspondence_views.call_recording,
        name="correspondence_call_recording",
    ),
    path("correspondence/unmatched/", correspondence_views.unmatched, name="unmatched_emails"),
    path(
        "correspondence/unmatched/<uuid:email_id>/file/",
        correspondence_views.unmatched_file,
        name="unmatched_email_file",
    ),
    path("rights/", rights_views.dsr_queue, name="dsr_queue"),
    path("rights/closed/", rights_views.dsr_closed, name="dsr_closed"),
    path("rights/new/", rights_views.dsr_new, name="dsr_new"),
    path("rights/<uuid:dsr_id>/", rights_views.dsr_detail, name="dsr_detail"),
    path("rights/<uuid:dsr_id>/<slug:action>/", rights_views.dsr_act, name="dsr_act"),
    path("subscriptions/", consent_views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/unsubscribe/",
        consent_views.subscription_unsubscribe,
        name="subscription_unsubscribe",
    ),
]
