"""What an image is, by its first bytes, never by its name or declared type.

Only PNG, JPEG, GIF and WebP are kept. A file is also cut at its format's end marker where the
format has one (PNG's IEND chunk, JPEG's last EOI, WebP's RIFF length): bytes appended after an
image (a ZIP or a script glued behind it, to make a file that is two things at once) are not
kept. Whether the rest decodes, and what metadata it carries, is clean.py's part.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageKind:
    name: str  # png, jpeg, gif, webp: also the file name's extension
    mime: str


PNG = ImageKind("png", "image/png")
JPEG = ImageKind("jpeg", "image/jpeg")
GIF = ImageKind("gif", "image/gif")
WEBP = ImageKind("webp", "image/webp")
KINDS = {kind.name: kind for kind in (PNG, JPEG, GIF, WEBP)}

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND"
_JPEG_END = b"\xff\xd9"


def sniff(data: bytes) -> ImageKind | None:
    """The image's kind by its magic bytes; None for anything else."""
    if data.startswith(_PNG_MAGIC):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    return None


def trimmed(kind: ImageKind, data: bytes) -> bytes | None:
    """The image without anything after its end; None when its end is missing (cut short)."""
    if kind is PNG:
        # The IEND chunk: 4 length bytes (zero), the type, 4 CRC bytes.
        at = data.rfind(_PNG_END)
        return data[: at + 8] if at >= 0 and at + 8 <= len(data) else None
    if kind is JPEG:
        at = data.rfind(_JPEG_END)
        return data[: at + 2] if at > 2 else None
    if kind is WEBP:
        length = 8 + int.from_bytes(data[4:8], "little")
        return data[:length] if length <= len(data) else None
    at = data.rfind(b";")  # GIF's trailer
    return data[: at + 1] if at > 12 else None
