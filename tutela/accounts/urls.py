from django.urls import path

from tutela.accounts import views

app_name = "accounts"
urlpatterns = [
    path("confirm-email/sent/", views.verification_sent, name="verification_sent"),
    path("confirm-email/<str:uidb64>/<str:token>/", views.email_verify, name="email_verify"),
    # Mounted in front of allauth's URLs: this replaces allauth's email management page.
    path("email/", views.email_change, name="email_change"),
    path(
        "email/confirm/<str:uidb64>/<str:token>/",
        views.email_change_confirm,
        name="email_change_confirm",
    ),
]
