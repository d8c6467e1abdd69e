"""Garment photos for the upload journeys, made with Pillow once per process.

A phone camera's photo as the app sends it after its picker has scaled it down: a JPEG of
about 1280x960 with enough texture (a gradient under Gaussian noise) that the backend's
decode, re-encode and thumbnail do real work. A few different photos, so that no layer can
cache one answer.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

from PIL import Image

PHOTO_COUNT = 3


@dataclass(frozen=True)
class Photo:
    filename: str
    data: bytes
    width: int
    height: int


def photo_make(serial: int, size: tuple[int, int] = (1280, 960), noise: float = 0.25) -> Photo:
    """One JPEG photo; `serial` varies the picture (and so its bytes)."""
    gradient = Image.linear_gradient("L").resize(size)
    bands = []
    for band in range(3):
        base = gradient.rotate(90 * ((band + serial) % 4)).resize(size)
        bands.append(Image.blend(base, Image.effect_noise(size, 48 + 8 * serial), noise))
    out = io.BytesIO()
    Image.merge("RGB", bands).save(out, "JPEG", quality=85)
    return Photo(f"garment-{serial + 1}.jpg", out.getvalue(), *size)


@functools.cache
def photos() -> tuple[Photo, ...]:
    """The process's photos, made on first use."""
    return tuple(photo_make(serial) for serial in range(PHOTO_COUNT))


def multipart(photo: Photo, *, field: str = "image",
              boundary: str = "lc-load-7b1f0e3c9a") -> tuple[bytes, str]:
    """A multipart/form-data body with the photo as `field`, and its Content-Type."""
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{photo.filename}\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + photo.data + tail, f"multipart/form-data; boundary={boundary}"
