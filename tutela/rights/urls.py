from django.urls import path

from tutela.rights import views

app_name = "rights"
urlpatterns = [
    path("", views.centre, name="centre"),
    path("ask/<slug:kind>/", views.ask, name="ask"),
    path("requests/<uuid:dsr_id>/", views.request_detail, name="request_detail"),
    path(
        "exports/<uuid:export_id>/<slug:fmt>/",
        views.export_download_view,
        name="export_download",
    ),
    path("exports/link/<str:token>/<slug:fmt>/", views.export_link, name="export_link"),
    path("ask-without-account/", views.ask_without_account, name="ask_without_account"),
    path("ask-without-account/sent/", views.ask_sent, name="ask_sent"),
    path("verify/<str:token>/", views.verify, name="verify"),
]
