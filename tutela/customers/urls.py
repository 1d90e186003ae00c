from django.urls import path

from tutela.customers import views

app_name = "customers"
urlpatterns = [
    path("", views.account, name="account"),
    path("profile/", views.profile_edit, name="profile_edit"),
    path("contact/", views.contact, name="contact"),
]
