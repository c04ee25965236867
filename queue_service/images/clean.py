"""Pictures are kept without what the camera or the editor wrote into them.

A phone photo carries EXIF: where it was taken (GPS), when, the phone's make and serial
numbers; editors add XMP, IPTC and comments. None of it is needed to see the picture, and an
agent or whoever is later shown the transcript should not learn where a user lives from a
photo of a parcel. So every image is decoded with Pillow (which also refuses what is not an
image of its kind after all, and pictures of absurd size meant to exhaust memory when
decoded), and one that carries any of these is encoded again without them, turned upright
first as its EXIF orientation said (it is the only thing in EXIF a viewer needed). An image
without them is kept byte for byte as sent: encoding it again would only lose quality.

The colour profile (ICC) is kept: it says how to show the colours, nothing about the person.
GIFs are not encoded again (their only metadata is a comment block; an animated GIF would
have to be rebuilt frame by frame); they are only checked.
"""

from __future__ import annotations

import io

from PIL import Image as Pillow
from PIL import ImageOps, UnidentifiedImageError

from queue_service.images.sniff import GIF, JPEG, ImageKind

# Pixels at most: 40 megapixels is more than any phone camera's photo; a 5 MiB PNG of one
# colour could otherwise declare 30,000 x 30,000 pixels and take gigabytes to decode.
MAX_PIXELS = 40_000_000

_FORMATS = {"png": "PNG", "jpeg": "JPEG", "gif": "GIF", "webp": "WEBP"}
# Keys Pillow puts in `info` for metadata about the picture's origin.
_METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop")
# JPEG segments that carry it: APP1 (EXIF, XMP), APP13 (Photoshop/IPTC), COM.
_JPEG_SEGMENTS = ("APP1", "APP13", "COM")
_ORIENTATION = 0x0112


class NotDecodable(ValueError):
    """The bytes start like an image of their kind but are not one."""


class TooManyPixels(ValueError):
    """The image declares more pixels than MAX_PIXELS."""


def cleaned(kind: ImageKind, data: bytes) -> bytes:
    """The image as it is to be kept: as sent, or encoded again without its metadata.

    CPU-bound (a large photo takes tens of milliseconds): callers run it in a thread."""
    try:
        picture = Pillow.open(io.BytesIO(data), formats=[_FORMATS[kind.name]])
    except Pillow.DecompressionBombError as exc:
        raise TooManyPixels(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotDecodable(f"{type(exc).__name__}: {exc}") from exc
    width, height = picture.size  # read from the header: nothing is decoded yet
    if width * height > MAX_PIXELS:
        raise TooManyPixels(f"{width}x{height}")
    try:
        picture.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotDecodable(f"{type(exc).__name__}: {exc}") from exc
    if kind is GIF or not carries_metadata(picture):
        return data
    return _encoded_without_metadata(kind, picture)


def carries_metadata(picture: Pillow.Image) -> bool:
    """Whether the decoded image holds EXIF, XMP, IPTC, comments or text chunks."""
    if any(picture.info.get(key) for key in _METADATA_KEYS):
        return True
    if picture.getexif():
        return True
    if picture.format == "PNG" and getattr(picture, "text", None):
        return True
    segments = getattr(picture, "applist", ())
    return any(marker in _JPEG_SEGMENTS for marker, _ in segments)


def _encoded_without_metadata(kind: ImageKind, picture: Pillow.Image) -> bytes:
    rotated = picture.getexif().get(_ORIENTATION, 1) not in (0, 1)
    upright = ImageOps.exif_transpose(picture) if rotated else picture
    options: dict[str, object] = {}
    if icc := picture.info.get("icc_profile"):
        options["icc_profile"] = icc
    if kind is JPEG:
        # The sender's own quantisation when the pixels did not move: no second loss of quality.
        options["quality"] = 92 if rotated else "keep"
        if not rotated:
            options["subsampling"] = "keep"
        options["comment"] = b""  # Pillow would copy the sender's comment otherwise
    elif kind.name == "webp":
        options["quality"] = 90
        if getattr(picture, "n_frames", 1) > 1:
            options["save_all"] = True
    elif "transparency" in picture.info:
        options["transparency"] = picture.info["transparency"]
    out = io.BytesIO()
    upright.save(out, format=_FORMATS[kind.name], **options)
    return out.getvalue()
