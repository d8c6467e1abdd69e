"""The photo and hostile-file factories make what their names say, reproducibly."""

import io
import struct

import pytest
from PIL import Image, ImageOps

from fixtures import images

FIVE_MEGABYTES = 5 * 1024 * 1024


def reencoded(content: bytes) -> bytes:
    """What a careful server stores: orientation applied, pixels re-encoded, nothing else."""
    with Image.open(io.BytesIO(content)) as image:
        upright = ImageOps.exif_transpose(image).convert("RGB")
    upright.info = {}  # Pillow would write a comment found in `info` into the new JPEG
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.mark.parametrize("size", [FIVE_MEGABYTES, FIVE_MEGABYTES + 1, 300_001])
def test_a_jpeg_of_an_exact_size_is_that_long_and_decodes(size):
    content = images.jpeg_of_size(size, width=1200, height=900, seed=3)
    assert len(content) == size
    assert images.inspect(content).size == (1200, 900)


def test_photos_follow_from_their_seed():
    assert images.jpeg(seed=1) == images.jpeg(seed=1)
    assert images.jpeg(seed=1) != images.jpeg(seed=2)
    first, second = images.Photos(7), images.Photos(7)
    assert [first.png(), first.png()] == [second.png(), second.png()]


@pytest.mark.parametrize(("make", "image_format"), [
    (images.png, "PNG"), (images.webp, "WEBP"), (images.gif, "GIF"), (images.tiff, "TIFF"),
])
def test_each_format_factory_writes_its_format(make, image_format):
    assert images.inspect(make(seed=4)).format == image_format


def test_the_metadata_photo_carries_everything_a_phone_writes():
    photo = images.photo_with_metadata(1200, 600)
    found = images.inspect(photo)
    assert (found.format, found.size) == ("JPEG", (1200, 600))
    assert found.metadata == ["EXIF", "GPS", "XMP", "comment"]
    assert images.CAMERA_SERIAL.encode() in photo
    with Image.open(io.BytesIO(photo)) as image:
        assert image.getexif()[images.ORIENTATION] == images.ROTATED_90_CLOCKWISE


def test_the_metadata_photo_viewed_upright_has_its_red_quarter_top_right():
    stored = reencoded(images.photo_with_metadata(1200, 600))
    assert images.inspect(stored).size == (600, 1200)
    assert images.inspect(stored).metadata == []
    assert images.is_red(images.colour_at(stored, 450, 300))
    assert images.is_blue(images.colour_at(stored, 150, 300))
    assert images.is_blue(images.colour_at(stored, 450, 900))


def test_the_polyglot_is_a_jpeg_that_carries_every_payload():
    polyglot = images.polyglot_jpeg(seed=2)
    assert images.inspect(polyglot).format == "JPEG"
    for payload in (images.PHP_PAYLOAD.encode(), images.SCRIPT_PAYLOAD.encode(),
                    *images.ZIP_SIGNATURES):
        assert payload in polyglot
    clean = reencoded(polyglot)
    assert images.PHP_PAYLOAD.encode() not in clean
    assert not any(signature in clean for signature in images.ZIP_SIGNATURES)


def test_the_decompression_bomb_is_small_and_declares_20000_squared():
    bomb = images.decompression_bomb_png()
    assert len(bomb) < 1024 * 1024
    width, height = struct.unpack(">II", bomb[16:24])
    assert (width, height) == (20000, 20000)
    with pytest.raises(Image.DecompressionBombError):
        images.inspect(bomb)


@pytest.mark.parametrize("where", ["before_idat", "after_idat"])
def test_the_text_bomb_is_small_and_pillow_refuses_it(where):
    bomb = images.png_text_bomb(where=where)
    assert len(bomb) < 200 * 1024
    with pytest.raises(ValueError, match="MAX_TEXT_CHUNK"):
        images.inspect(bomb)


@pytest.mark.parametrize("cut", [images.truncated, images.jpeg_header_only],
                         ids=["truncated", "header-only"])
def test_broken_jpegs_do_not_decode(cut):
    broken = cut(images.jpeg(seed=5))
    assert broken.startswith(b"\xff\xd8")
    with pytest.raises(OSError):  # noqa: PT011 - Pillow says "truncated" or "cannot identify"
        images.inspect(broken)


def test_a_header_only_png_is_the_signature_and_ihdr():
    header = images.png_header_only(images.png(seed=1))
    assert header.startswith(images.PNG_SIGNATURE)
    assert header[12:16] == b"IHDR"
    assert len(header) == 8 + 25
