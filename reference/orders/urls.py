from django.urls import path

from reference.orders import apis

app_name = "orders"

urlpatterns = [
    path("orders/", apis.OrderListApi.as_view(), name="orders"),
    path("orders/history/", apis.OrderHistoryApi.as_view(), name="history"),
    path("orders/<uuid:order_id>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<uuid:order_id>/cancel/", apis.OrderCancelApi.as_view(), name="cancel"),
    path("orders/<uuid:order_id>/track/", apis.OrderTrackApi.as_view(), name="track"),
    path("orders/<uuid:order_id>/status/", apis.OrderStatusApi.as_view(), name="status"),
]
