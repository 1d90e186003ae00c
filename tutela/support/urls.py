from django.urls import path

from tutela.support import views

app_name = "support"
urlpatterns = [
    path("", views.applications, name="applications"),
    path("new/", views.application_new, name="application_new"),
    path("<uuid:application_id>/", views.application_detail, name="application_detail"),
    path("<uuid:application_id>/reply/", views.application_reply, name="application_reply"),
    path("<uuid:application_id>/close/", views.application_close, name="application_close"),
    path(
        "<uuid:application_id>/attachments/<uuid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
