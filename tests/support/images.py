"""Small real images for the image tests, made here (no files in the repository)."""

import io
import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid PNG of one colour (a browser draws it: the tests check its size on the page)."""
    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(row * height))
        + _chunk(b"IEND", b"")
    )


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG that declares 400 million pixels in a few hundred bytes (1.2 GB once decoded)."""
    rows = zlib.compressobj(9)
    pixels = rows.compress((b"\x00" + b"\x00" * width) * 10) + rows.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


# The smallest GIF: one transparent pixel.
GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def photo(fmt: str = "JPEG", orientation: int = 1, **options: object) -> bytes:
    """A 40 x 20 picture (red, its top left quarter blue) with what a phone
    writes into it: EXIF with the maker, the orientation and a GPS position (Beijing)."""
    from PIL import Image  # the app's dependency; only these tests need it here

    picture = Image.new("RGB", (40, 20), (200, 30, 30))
    picture.paste((0, 0, 255), (0, 0, 20, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = orientation
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 17.0)}
    out = io.BytesIO()
    picture.save(out, format=fmt, exif=exif, **options)
    return out.getvalue()
