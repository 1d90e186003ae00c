from django.urls import path

from tutela.consent import views

app_name = "consent"
urlpatterns = [
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/subscribe/", views.account_subscribe, name="account_subscribe"),
    path("subscriptions/unsubscribe/", views.account_unsubscribe, name="account_unsubscribe"),
    path("receipt.json", views.receipt, name="receipt"),
    path("newsletter/", views.newsletter, name="newsletter"),
    path("newsletter/sent/", views.newsletter_sent, name="newsletter_sent"),
    path("newsletter/confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("cookies/", views.cookies, name="cookies"),
]
