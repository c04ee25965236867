"""What an image is, by its bytes alone, and where it ends (queue_service/images/sniff.py)."""

import pytest

from queue_service.images.refs import image_id_of, image_ref, new_id
from queue_service.images.sniff import GIF, JPEG, PNG, WEBP, sniff, trimmed
from tests.support.images import GIF as GIF_BYTES
from tests.support.images import png

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 40 + b"\xff\xd9"
WEBP_BODY = b"WEBPVP8 " + b"\x22" * 20
WEBP_BYTES = b"RIFF" + len(WEBP_BODY).to_bytes(4, "little") + WEBP_BODY
GLUED = b"PK\x03\x04<script>alert(1)</script>"


@pytest.mark.parametrize(
    ("data", "kind"),
    [(png(), PNG), (JPEG_BYTES, JPEG), (GIF_BYTES, GIF), (WEBP_BYTES, WEBP)],
)
def test_each_kind_is_known_by_its_bytes_and_cut_at_its_end(data: bytes, kind) -> None:
    assert sniff(data) is kind
    assert sniff(data + GLUED) is kind
    assert trimmed(kind, data + GLUED) == data
    assert trimmed(kind, data) == data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b"<html>" + png(),
        b"BM" + b"\x00" * 60,  # a BMP: an image, not one of the four
        b"RIFF\x10\x00\x00\x00WAVEfmt ",
        b"%PDF-1.7",
    ],
)
def test_anything_else_is_not_an_image(data: bytes) -> None:
    assert sniff(data) is None


def test_an_image_cut_short_has_no_end() -> None:
    assert trimmed(PNG, png()[:-12]) is None
    assert trimmed(JPEG, JPEG_BYTES[:-2]) is None
    assert trimmed(WEBP, WEBP_BYTES[:-1]) is None


def test_a_reference_names_only_an_id_of_ours() -> None:
    image_id = new_id()
    assert image_id_of(image_ref(image_id)) == image_id
    assert image_id_of("https://example.cn/a.png") is None
    assert image_id_of("swa-image:../../etc/passwd") is None
    assert image_id_of(None) is None
    assert new_id() != image_id
