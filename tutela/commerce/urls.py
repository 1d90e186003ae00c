from django.urls import path

from tutela.commerce import views

app_name = "commerce"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("order/", views.order_new, name="order_new"),
    path("orders/", views.orders, name="orders"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:order_id>/pay/", views.order_pay, name="order_pay"),
    path("orders/<uuid:order_id>/pay/card/", views.order_pay_card, name="order_pay_card"),
    path("invoices/<uuid:invoice_id>/", views.invoice_detail, name="invoice_detail"),
    path("invoices/<uuid:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
]
