"""Errors of the payments domain, rendered as the envelope by the common exception handler."""

from rest_framework import exceptions, status

from reference.common.exceptions import Conflict


class DuplicateMethod(Conflict):
    default_detail = "This payment method is already saved."
    default_code = "duplicate_method"


class OrderAlreadyPaid(Conflict):
    default_detail = "This order is already paid."
    default_code = "order_already_paid"


class OrderNotPayable(Conflict):
    default_detail = "This order is cancelled and cannot be paid."
    default_code = "order_not_payable"


class PaymentInProgress(Conflict):
    default_detail = "Another payment for this order is being set up. Try again in a moment."
    default_code = "payment_in_progress"


class RefundNotAllowed(Conflict):
    default_detail = "This payment cannot be refunded."
    default_code = "refund_not_allowed"


class RefundUnavailable(Conflict):
    default_detail = "This order is paid and refunds are not available yet; it stays as it is."
    default_code = "refund_unavailable"


class InsufficientBalance(exceptions.APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_detail = "Your wallet balance is too low for this payment. Add money and try again."
    default_code = "insufficient_balance"


class PaymentVerificationFailed(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The payment could not be verified. Nothing was charged to this order."
    default_code = "payment_verification_failed"


class RefundExceedsCaptured(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "A refund cannot exceed what was captured minus what was already refunded."
    default_code = "refund_exceeds_captured"


class GatewayUnavailableError(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "The payment gateway is unavailable. Try again in a moment."
    default_code = "gateway_unavailable"


class GatewayTimeoutError(exceptions.APIException):
    status_code = status.HTTP_504_GATEWAY_TIMEOUT
    default_detail = "The payment gateway did not answer in time. Try again in a moment."
    default_code = "gateway_timeout"


class GatewayRejectedError(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The payment gateway refused the request."
    default_code = "gateway_rejected"


class InvalidWebhookSignature(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The webhook signature is missing or does not match the body."
    default_code = "invalid_signature"
