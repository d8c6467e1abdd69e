from django.urls import path

from reference.accounts import apis

app_name = "accounts"

urlpatterns = [
    path("auth/register/", apis.RegisterApi.as_view(), name="register"),
    path("auth/login/", apis.LoginApi.as_view(), name="login"),
    path("auth/logout/", apis.LogoutApi.as_view(), name="logout"),
    path("auth/token/refresh/", apis.TokenRefreshApi.as_view(), name="token-refresh"),
    path("verify-otp/", apis.VerifyOtpApi.as_view(), name="verify-otp"),
    path("resend-otp/", apis.ResendOtpApi.as_view(), name="resend-otp"),
    path("forgot-password/", apis.ForgotPasswordApi.as_view(), name="forgot-password"),
    path("reset-password/", apis.ResetPasswordApi.as_view(), name="reset-password"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("notification-token/", apis.PushTokenApi.as_view(), name="notification-token"),
    path("addresses/", apis.AddressListApi.as_view(), name="addresses"),
    path(
        "addresses/<uuid:address_id>/", apis.AddressDetailApi.as_view(), name="address-detail"
    ),
    path("users/", apis.OperatorUserListApi.as_view(), name="users"),
    path(
        "users/<uuid:user_id>/deactivate/",
        apis.OperatorUserDeactivateApi.as_view(),
        name="user-deactivate",
    ),
]
