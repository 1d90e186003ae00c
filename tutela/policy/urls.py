from django.urls import path

from tutela.policy import views

app_name = "policy"
urlpatterns = [
    path("", views.summary, name="summary"),
]
