"""Photos and hostile files for the upload tests, made with Pillow (and by hand where Pillow
refuses to write something broken)."""

import io
import struct
import zlib

from PIL import ExifTags, Image, PngImagePlugin

ORIENTATION = 0x0112
BODY_SERIAL_NUMBER = 0xA431
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b"<rdf:Description>secret-xmp-payload</rdf:Description></rdf:RDF></x:xmpmeta>"
)
SCRIPT = b"<script>alert('comment')</script>"


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (640, 480), fmt: str = "JPEG", **params: object) -> bytes:
    """A plain photo: left half red, right half blue."""
    mode = "RGBA" if fmt in {"PNG", "WEBP"} and params.pop("alpha", False) else "RGB"
    image = Image.new(mode, size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    return encode(image, fmt, **params)


def phone_photo(size: tuple[int, int] = (400, 200), orientation: int = 6) -> bytes:
    """A JPEG as a phone writes it: EXIF orientation, GPS position, camera serial, XMP, an ICC
    profile and a comment with a script in it. Left half red, right half blue as stored."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif.get_ifd(ExifTags.IFD.Exif)[BODY_SERIAL_NUMBER] = "SERIAL-0042"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (12.0, 58.0, 18.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (77.0, 38.0, 28.0)
    icc = b"\x00" * 128 + b"secret-icc-payload"
    return encode(image, "JPEG", exif=exif, xmp=XMP, icc_profile=icc, comment=SCRIPT)


def padded_to(data: bytes, size: int) -> bytes:
    """`data` followed by junk up to exactly `size` bytes (decoders stop at the image's end)."""
    assert len(data) <= size
    return data + b"PK\x03\x04" + b"\x00" * (size - len(data) - 4)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb's header)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def png_header_only() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))


def png_text_bomb() -> bytes:
    """A small PNG with a zTXt chunk that inflates to 50 MB."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "A" * 50_000_000, zip=True)
    return encode(Image.new("RGB", (8, 8)), "PNG", pnginfo=info)


HOSTILE_FILES = {
    "gif": lambda: encode(Image.new("RGB", (16, 16)), "GIF"),
    "tiff": lambda: encode(Image.new("RGB", (16, 16)), "TIFF"),
    "bmp": lambda: encode(Image.new("RGB", (16, 16)), "BMP"),
    "svg": lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "html": lambda: b"<html><body><script>alert(document.cookie)</script></body></html>",
    "php": lambda: b"<?php system($_GET['cmd']); ?>",
    "zip": lambda: b"PK\x03\x04" + b"\x00" * 200,
    "heic": lambda: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64,
}
