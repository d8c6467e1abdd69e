"""A JSON parser that refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413.

DRF reads the request stream directly, bypassing Django's own body size check, so without this
a client could make the server buffer and parse a body of any size.
"""

import io
from collections.abc import Mapping
from typing import Any, BinaryIO

from django.conf import settings
from rest_framework.parsers import JSONParser

from reference.common.exceptions import RequestTooLarge


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: BinaryIO,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge()
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge()
        return super().parse(io.BytesIO(body), media_type, parser_context)
