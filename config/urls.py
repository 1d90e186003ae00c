"""Top-level URLs. There is deliberately no Django admin: every staff screen goes through a role
check and, from the privacy core on, the access log."""

from django.urls import include, path

urlpatterns = [
    path("", include("tutela.core.urls")),
    # Tutela's email verification and change replace allauth's (tutela/accounts/emails.py).
    path("accounts/", include("tutela.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("tutela.customers.urls")),
    path("feedback/", include("tutela.feedback.urls")),
    path("shop/", include("tutela.commerce.urls")),
    path("applications/", include("tutela.support.urls")),
    path("correspondence/", include("tutela.correspondence.urls")),
    path("consent/", include("tutela.consent.urls")),
    path("privacy/", include("tutela.rights.urls")),
    path("staff/", include("tutela.staff.urls")),
    path("policy/", include("tutela.policy.urls")),
]
