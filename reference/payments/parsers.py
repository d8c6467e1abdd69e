"""JSON bodies of the payments API with exact numbers.

The default parser turns `100.005` into the float 100.00499999999999545... and `1e309` into
infinity before any field sees them; here a number with a fraction or an exponent becomes a
Decimal, so that the money fields can refuse what is not exact paise.
"""

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, BinaryIO

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from reference.common.parsers import BoundedJSONParser


class _DecimalJSONLoad(JSONParser):
    def parse(
        self,
        stream: BinaryIO,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(
                stream.read().decode(encoding),
                parse_float=Decimal,
                parse_constant=strict_constant,
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc


class DecimalJSONParser(BoundedJSONParser, _DecimalJSONLoad):
    """As BoundedJSONParser (413 over the size limit), with Decimal numbers."""
