"""Errors of the accounts domain, rendered as the envelope by the common exception handler."""

from rest_framework import exceptions, status

from reference.common.exceptions import Conflict, DependencyUnavailable


class InvalidCredentials(exceptions.AuthenticationFailed):
    """One body for an unknown account, a wrong password and a deactivated account."""

    default_detail = "The email or phone number and password do not match an active account."
    default_code = "invalid_credentials"


class OtpInvalid(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The code is wrong or no longer valid."
    default_code = "otp_invalid"


class OtpExpired(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The code has expired. Ask for a new one."
    default_code = "otp_expired"


class OtpAttemptsExceeded(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Too many wrong codes: this code no longer works. Ask for a new one."
    default_code = "otp_attempts_exceeded"


class SmsUnavailableError(DependencyUnavailable):
    default_detail = "We could not send the SMS just now. Try again in a moment."
    default_code = "sms_unavailable"


class SelfDeactivation(Conflict):
    default_detail = "You cannot deactivate your own account."
    default_code = "cannot_deactivate_self"
