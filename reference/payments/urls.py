from django.urls import path

from reference.payments import apis

app_name = "payments"

urlpatterns = [
    path("saved-methods/", apis.SavedMethodListApi.as_view(), name="saved-methods"),
    path(
        "saved-methods/<uuid:method_id>/",
        apis.SavedMethodDetailApi.as_view(),
        name="saved-method-detail",
    ),
    path("wallets/", apis.WalletApi.as_view(), name="wallet"),
    path(
        "wallets/transactions/",
        apis.WalletTransactionListApi.as_view(),
        name="wallet-transactions",
    ),
    path("wallets/add-money/", apis.WalletAddMoneyApi.as_view(), name="wallet-add-money"),
    path("payments/", apis.PaymentListApi.as_view(), name="payments"),
    path("payments/<uuid:payment_id>/", apis.PaymentDetailApi.as_view(), name="payment-detail"),
    path(
        "payments/<uuid:payment_id>/verify/", apis.PaymentVerifyApi.as_view(), name="verify"
    ),
    path("webhooks/razorpay/", apis.RazorpayWebhookApi.as_view(), name="webhook-razorpay"),
    path("refunds/", apis.RefundListApi.as_view(), name="refunds"),
]
