"""What every call to the gateway from these services shares: amounts in paise, the
integration's failures as API errors, and a payment's gateway order."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from django.db import transaction

from reference.integrations import gateway
from reference.payments.exceptions import (
    GatewayRejectedError,
    GatewayTimeoutError,
    GatewayUnavailableError,
    PaymentVerificationFailed,
)
from reference.payments.models import Payment, WalletTransaction

logger = logging.getLogger(__name__)



def paise(amount: Decimal) -> int:
    """Rupees with at most two decimals as integer paise (exact)."""
    return int((amount * 100).to_integral_exact())


@contextmanager
def gateway_errors(*, rejected_means_unverified: bool = False) -> Iterator[None]:
    """Turn the gateway integration's exceptions into API errors (502, 504, 400)."""
    try:
        yield
    except gateway.GatewayTimeout as exc:
        logger.warning("%s", exc)
        raise GatewayTimeoutError() from exc
    except gateway.GatewayUnavailable as exc:
        logger.warning("%s", exc)
        raise GatewayUnavailableError() from exc
    except gateway.GatewayRejected as exc:
        if rejected_means_unverified:
            raise PaymentVerificationFailed(
                f"The payment could not be verified: the gateway does not know it ({exc})."
            ) from exc
        raise GatewayRejectedError(f"The payment gateway refused the request: {exc}") from exc


def gateway_order_attach(*, payment: Payment, notes: dict[str, str]) -> Payment:
    """Create the payment's gateway order and store its id; if the gateway fails, the payment
    (and a top-up's pending credit) are discarded and the error goes to the app."""
    notes = {**notes, "payment_id": str(payment.pk)}
    try:
        with gateway_errors():
            gateway_order = gateway.gateway_order_create(
                amount_paise=paise(payment.amount), receipt=payment.receipt, notes=notes
            )
    except Exception:
        with transaction.atomic():
            WalletTransaction.objects.filter(
                payment=payment, status=WalletTransaction.Status.PENDING
            ).delete()
            Payment.objects.filter(pk=payment.pk, gateway_order_id__isnull=True).delete()
        raise
    payment.gateway_order_id = gateway_order["id"]
    payment.save(update_fields=["gateway_order_id", "updated_at"])
    return payment
