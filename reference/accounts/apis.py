"""The accounts API (`/api/accounts/`): thin views over services and selectors."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference.accounts import selectors, services
from reference.accounts.serializers import (
    AddressSerializer,
    AddressWriteSerializer,
    ForgotPasswordSerializer,
    LoginSerializer,
    MessageSerializer,
    MeUpdateSerializer,
    OperatorUserSerializer,
    PushTokenSavedSerializer,
    PushTokenSerializer,
    RefreshSerializer,
    RegisterSerializer,
    RegistrationSerializer,
    ResendOtpSerializer,
    ResetPasswordSerializer,
    SignedInSerializer,
    TokenPairSerializer,
    UserSerializer,
    VerifiedSerializer,
    VerifyOtpSerializer,
)
from reference.accounts.throttles import LoginThrottle, OtpThrottle, ResendThrottle
from reference.common.exceptions import WWW_AUTHENTICATE
from reference.common.permissions import IsStaff
from reference.common.schema import ErrorSerializer
from reference.common.throttles import IpRateThrottle

ACCOUNTS = ["accounts"]
OPERATOR = ["operator"]


def _parse(serializer_class: type, request: Request, **kwargs: object) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicAuthApi(APIView):
    """Base of the calls made before the app holds a working access token.

    They ignore the Authorization header (an app may still send a stale token with login), and
    their 401s (bad password, dead refresh token) still carry WWW-Authenticate.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (IpRateThrottle,)

    def get_authenticate_header(self, request: Request) -> str:
        return WWW_AUTHENTICATE


class RegisterApi(PublicAuthApi):
    @extend_schema(
        operation_id="auth_register",
        tags=ACCOUNTS,
        request=RegisterSerializer,
        responses={201: RegistrationSerializer},
        description="Create a customer account and text a 6-digit verification code to the phone.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(RegisterSerializer, request)
        signed_in = services.user_register(
            full_name=data["full_name"],
            email=data["email"],
            phone_number=data["phone_number"],
            password=data["password"],
        )
        body = {
            "user": UserSerializer(signed_in.user).data,
            "tokens": {"access": signed_in.access, "refresh": signed_in.refresh},
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LoginApi(PublicAuthApi):
    throttle_classes = (LoginThrottle, IpRateThrottle)

    @extend_schema(
        operation_id="auth_login",
        tags=ACCOUNTS,
        request=LoginSerializer,
        responses={
            200: SignedInSerializer,
            401: OpenApiResponse(
                ErrorSerializer,
                "Unknown account, wrong password or deactivated account: one body for all.",
            ),
        },
        description="Sign in with the email address or the phone number in `email`.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(LoginSerializer, request)
        signed_in = services.user_login(identifier=data["email"], password=data["password"])
        body = {
            "user": UserSerializer(signed_in.user).data,
            "access": signed_in.access,
            "refresh": signed_in.refresh,
        }
        return Response(body)


class LogoutApi(PublicAuthApi):
    @extend_schema(
        operation_id="auth_logout",
        tags=ACCOUNTS,
        request=RefreshSerializer,
        responses={
            205: OpenApiResponse(description="The refresh token is dead."),
            401: OpenApiResponse(ErrorSerializer, "The refresh token is invalid or dead."),
        },
        description="Kill a refresh token. The token itself is the credential.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(RefreshSerializer, request)
        services.token_logout(refresh=data["refresh"])
        return Response(status=status.HTTP_205_RESET_CONTENT)


class TokenRefreshApi(PublicAuthApi):
    @extend_schema(
        operation_id="auth_token_refresh",
        tags=ACCOUNTS,
        request=RefreshSerializer,
        responses={
            200: TokenPairSerializer,
            401: OpenApiResponse(
                ErrorSerializer, "The refresh token is invalid or dead, or its user inactive."
            ),
        },
        description="Trade a refresh token for a new pair; the old refresh token dies.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(RefreshSerializer, request)
        signed_in = services.token_refresh(refresh=data["refresh"])
        return Response({"access": signed_in.access, "refresh": signed_in.refresh})


class VerifyOtpApi(PublicAuthApi):
    throttle_classes = (OtpThrottle, IpRateThrottle)

    @extend_schema(
        operation_id="auth_verify_otp",
        tags=ACCOUNTS,
        request=VerifyOtpSerializer,
        responses={200: VerifiedSerializer},
        description="Verify the phone with the code sent by SMS (single use, limited tries).",
    )
    def post(self, request: Request) -> Response:
        data = _parse(VerifyOtpSerializer, request)
        user = services.otp_verify(phone_number=data["phone_number"], code=data["otp_code"])
        return Response({"user": UserSerializer(user).data})


class ResendOtpApi(PublicAuthApi):
    throttle_classes = (ResendThrottle, IpRateThrottle)

    @extend_schema(
        operation_id="auth_resend_otp",
        tags=ACCOUNTS,
        request=ResendOtpSerializer,
        responses={
            200: MessageSerializer,
            502: OpenApiResponse(ErrorSerializer, "The SMS provider failed (`sms_unavailable`)."),
        },
        description="Send a new verification code; the reply is the same for any number.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(ResendOtpSerializer, request)
        services.otp_resend(phone_number=data["phone_number"])
        message = "If this number has an unverified account, a new code is on its way."
        return Response({"message": message})


class ForgotPasswordApi(PublicAuthApi):
    throttle_classes = (ResendThrottle, IpRateThrottle)

    @extend_schema(
        operation_id="auth_forgot_password",
        tags=ACCOUNTS,
        request=ForgotPasswordSerializer,
        responses={200: MessageSerializer},
        description="Text a password reset code to the account's phone; same reply for anyone.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(ForgotPasswordSerializer, request)
        services.password_reset_request(identifier=data["identifier"])
        message = "If an account matches, a reset code has been sent to its phone."
        return Response({"message": message})


class ResetPasswordApi(PublicAuthApi):
    throttle_classes = (OtpThrottle, IpRateThrottle)

    @extend_schema(
        operation_id="auth_reset_password",
        tags=ACCOUNTS,
        request=ResetPasswordSerializer,
        responses={200: MessageSerializer},
        description="Set a new password with the reset code; every earlier session ends.",
    )
    def post(self, request: Request) -> Response:
        data = _parse(ResetPasswordSerializer, request)
        services.password_reset_confirm(
            identifier=data["identifier"], code=data["code"], new_password=data["new_password"]
        )
        return Response({"message": "Your password has been changed. Sign in again."})


class MeApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(operation_id="me_retrieve", tags=ACCOUNTS, responses={200: UserSerializer})
    def get(self, request: Request) -> Response:
        """Your own account: the profile of the user the access token belongs to."""
        return Response(UserSerializer(request.user).data)

    @extend_schema(
        operation_id="me_update",
        tags=ACCOUNTS,
        request=MeUpdateSerializer,
        responses={200: UserSerializer},
        description="Only `full_name` is writable; other fields are ignored.",
    )
    def patch(self, request: Request) -> Response:
        data = _parse(MeUpdateSerializer, request)
        user = services.user_update(user=request.user, full_name=data.get("full_name"))
        return Response(UserSerializer(user).data)


class PushTokenApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="notification_token_register",
        tags=ACCOUNTS,
        request=PushTokenSerializer,
        responses={200: PushTokenSavedSerializer},
    )
    def post(self, request: Request) -> Response:
        """Register this device's Expo push token for your account. Registering it again
        only updates its platform; a token registered by another account moves to yours."""
        data = _parse(PushTokenSerializer, request)
        push_token = services.push_token_register(
            user=request.user, token=data["token"], platform=data["platform"]
        )
        return Response({"message": "Push token saved.", "platform": push_token.platform})


class AddressListApi(GenericAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = AddressSerializer

    @extend_schema(
        operation_id="addresses_list", tags=ACCOUNTS, responses=AddressSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        """Your saved addresses, newest first, one page at a time."""
        page = self.paginate_queryset(selectors.address_list(user=request.user))
        return self.get_paginated_response(AddressSerializer(page, many=True).data)

    @extend_schema(
        operation_id="addresses_create",
        tags=ACCOUNTS,
        request=AddressWriteSerializer,
        responses={201: AddressSerializer},
    )
    def post(self, request: Request) -> Response:
        """Add an address. Your first address, or one sent with `is_default: true`, becomes
        the default (the previous default stops being one)."""
        data = _parse(AddressWriteSerializer, request)
        address = services.address_create(user=request.user, **data)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)


class AddressDetailApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        operation_id="addresses_retrieve", tags=ACCOUNTS, responses={200: AddressSerializer}
    )
    def get(self, request: Request, address_id: str) -> Response:
        """One of your addresses; another account's address is 404 like an unknown id."""
        address = selectors.address_get(user=request.user, address_id=address_id)
        return Response(AddressSerializer(address).data)

    @extend_schema(
        operation_id="addresses_replace",
        tags=ACCOUNTS,
        request=AddressWriteSerializer,
        responses={200: AddressSerializer},
    )
    def put(self, request: Request, address_id: str) -> Response:
        """Replace an address: every required field is sent. `is_default: true` moves the
        default here; `is_default: false` on the default is ignored (one default remains)."""
        return self._update(request, address_id, partial=False)

    @extend_schema(
        operation_id="addresses_update",
        tags=ACCOUNTS,
        request=AddressWriteSerializer,
        responses={200: AddressSerializer},
    )
    def patch(self, request: Request, address_id: str) -> Response:
        """Change some fields of an address; the others keep their values. `is_default`
        behaves as in the full update."""
        return self._update(request, address_id, partial=True)

    @extend_schema(operation_id="addresses_destroy", tags=ACCOUNTS, responses={204: None})
    def delete(self, request: Request, address_id: str) -> Response:
        """Delete an address; if it was the default, your newest remaining address becomes
        the default. Orders keep their own copy of the addresses they were placed with."""
        address = selectors.address_get(user=request.user, address_id=address_id)
        services.address_delete(address=address)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, address_id: str, *, partial: bool) -> Response:
        address = selectors.address_get(user=request.user, address_id=address_id)
        data = _parse(AddressWriteSerializer, request, partial=partial)
        address = services.address_update(address=address, data=data)
        return Response(AddressSerializer(address).data)


class OperatorUserListApi(GenericAPIView):
    permission_classes = (IsAuthenticated, IsStaff)
    serializer_class = OperatorUserSerializer

    @extend_schema(
        operation_id="operator_users_list",
        tags=OPERATOR,
        responses=OperatorUserSerializer(many=True),
        description="Operator endpoint (staff only): every account, newest first.",
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(selectors.user_list())
        return self.get_paginated_response(OperatorUserSerializer(page, many=True).data)


class OperatorUserDeactivateApi(APIView):
    permission_classes = (IsAuthenticated, IsStaff)

    @extend_schema(
        operation_id="operator_users_deactivate",
        tags=OPERATOR,
        request=None,
        responses={200: OperatorUserSerializer, 409: ErrorSerializer},
        description=(
            "Operator endpoint (staff only): deactivate an account. Its tokens answer 401 from "
            "then on and it can no longer sign in."
        ),
    )
    def post(self, request: Request, user_id: str) -> Response:
        user = selectors.user_get(user_id=user_id)
        user = services.user_deactivate(user=user, by=request.user)
        return Response(OperatorUserSerializer(user).data)
