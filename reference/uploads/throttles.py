"""A per-account limit on uploads (LC_THROTTLE_UPLOAD), generous: it only stops a flood."""

from rest_framework.request import Request
from rest_framework.views import APIView

from reference.common.throttles import FixedWindowThrottle


class UploadThrottle(FixedWindowThrottle):
    scope = "upload"

    def get_key(self, request: Request, view: APIView) -> str | None:
        user = request.user
        return f"user:{user.pk}" if user and user.is_authenticated else None
