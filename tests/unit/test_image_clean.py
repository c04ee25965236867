"""What the camera wrote into a picture is not kept; the picture is (queue_service/images/clean.py).
Real images made with Pillow, read back with Pillow."""

import io

import pytest
from PIL import Image, PngImagePlugin

from queue_service.images.clean import (
    MAX_PIXELS,
    NotDecodable,
    TooManyPixels,
    carries_metadata,
    cleaned,
)
from queue_service.images.sniff import GIF, JPEG, PNG, WEBP
from tests.support.images import GIF as GIF_BYTES
from tests.support.images import huge_png, photo, png

GPS_IFD = 0x8825


def opened(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


@pytest.mark.parametrize(("fmt", "kind"), [("JPEG", JPEG), ("PNG", PNG), ("WEBP", WEBP)])
def test_exif_with_the_position_is_dropped_and_the_picture_kept(fmt, kind) -> None:
    sent = photo(fmt)
    assert opened(sent).getexif().get_ifd(GPS_IFD), "the test photo must carry a position"
    kept = cleaned(kind, sent)
    picture = opened(kept)
    assert not picture.getexif()
    assert b"PhoneMaker" not in kept
    assert not carries_metadata(picture)
    assert picture.size == (40, 20)
    red, blue = picture.convert("RGB").getpixel((30, 15)), picture.convert("RGB").getpixel((5, 5))
    assert red[0] > 150 and red[2] < 80
    assert blue[2] > 150 and blue[0] < 80


def test_a_jpeg_comment_and_xmp_are_dropped_too() -> None:
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description>Home</rdf:Description></x:xmpmeta>'
    sent = photo("JPEG", comment=b"Room 1201, Block 3", xmp=xmp)
    kept = cleaned(JPEG, sent)
    assert b"Room 1201" not in kept
    assert b"xmpmeta" not in kept
    assert b"PhoneMaker" not in kept


def test_png_text_chunks_are_dropped() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Zhang San, 13800138000")
    out = io.BytesIO()
    Image.open(io.BytesIO(png(8, 8))).save(out, format="PNG", pnginfo=info)
    kept = cleaned(PNG, out.getvalue())
    assert b"13800138000" not in kept
    assert opened(kept).size == (8, 8)


def test_a_photo_taken_sideways_is_kept_upright() -> None:
    # Orientation 6: the camera was turned; viewers rotate by 90 degrees. Without EXIF the
    # pixels themselves must be turned, or the agent sees the picture on its side.
    kept = opened(cleaned(JPEG, photo("JPEG", orientation=6)))
    assert kept.size == (20, 40)


@pytest.mark.parametrize("data", [png(), png(30, 10)])
def test_an_image_without_metadata_is_kept_byte_for_byte(data) -> None:
    assert cleaned(PNG, data) == data


def test_a_gif_is_checked_not_encoded_again() -> None:
    assert cleaned(GIF, GIF_BYTES) == GIF_BYTES


def test_bytes_that_only_start_like_an_image_are_not_one() -> None:
    fake_jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 40 + b"\xff\xd9"
    with pytest.raises(NotDecodable):
        cleaned(JPEG, fake_jpeg)
    with pytest.raises(NotDecodable):
        cleaned(PNG, png()[:-20] + png()[-12:])  # a damaged pixel stream


def test_an_image_declaring_absurd_dimensions_is_refused_before_it_is_decoded() -> None:
    bomb = huge_png()
    assert len(bomb) < 4096
    with pytest.raises(TooManyPixels):
        cleaned(PNG, bomb)
    assert MAX_PIXELS < 20_000 * 20_000
