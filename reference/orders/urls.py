from django.urls import path

from reference.orders import apis

app_name = "orders"

# Mounted at `/api/orders/` (contract v1.1, the app's own paths). `history/` comes before the
# id routes, and ids only match as UUIDs, so that `history/` is never taken for an order's id.
urlpatterns = [
    path("", apis.OrderListApi.as_view(), name="orders"),
    path("history/", apis.OrderHistoryApi.as_view(), name="history"),
    path("<uuid:order_id>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("<uuid:order_id>/cancel/", apis.OrderCancelApi.as_view(), name="cancel"),
    path("<uuid:order_id>/track/", apis.OrderTrackApi.as_view(), name="track"),
    path("<uuid:order_id>/status/", apis.OrderStatusApi.as_view(), name="status"),
]
