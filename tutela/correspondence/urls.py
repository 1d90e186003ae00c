from django.urls import path

from tutela.correspondence import views

app_name = "correspondence"
urlpatterns = [
    path("", views.correspondence, name="list"),
    path("emails/<uuid:email_id>/", views.email_detail, name="email_detail"),
    path("calls/<uuid:call_id>/", views.call_detail, name="call_detail"),
]
