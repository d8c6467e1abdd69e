"""Errors of image upload, rendered as the envelope by the common exception handler."""

from rest_framework import exceptions, status

from reference.common.exceptions import DependencyUnavailable


class FileTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The photo is too large."
    default_code = "file_too_large"


class UnsupportedImage(exceptions.APIException):
    status_code = status.HTTP_415_UNSUPPORTED_MEDIA_TYPE
    default_detail = "This file is not a JPEG, PNG or WebP image."
    default_code = "unsupported_media_type"


class InvalidImage(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The image is damaged or incomplete and cannot be read."
    default_code = "invalid_image"


class ImageTooLarge(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The image has too many pixels."
    default_code = "image_too_large"


class MediaStorageUnavailable(DependencyUnavailable):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "We could not store or remove the photo just now. Try again in a moment."
    default_code = "storage_unavailable"
