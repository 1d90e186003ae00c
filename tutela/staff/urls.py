from django.urls import path

from tutela.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.console, name="console"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:customer_id>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/correct/", views.customer_correct, name="customer_correct"),
]
