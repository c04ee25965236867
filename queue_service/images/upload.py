"""The checks every image passes before it is kept, whoever sent it and however it came.

In order, cheapest first: the sender's pace (a count per conversation in Redis, shared by every
instance), the size (a declared length over the limit is refused unread, any other body is
counted while it is read, so an oversized upload never sits in memory whole), then the type by
the first bytes and the cut at the format's end (sniff.py), last the decoding, which also
drops what the camera wrote into the picture (clean.py). Every refusal is an
``ImageRefused``: an HTTP error whose detail is the Chinese sentence to show.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import HTTPException, Request, status
from redis.asyncio import Redis

from queue_service.images import texts
from queue_service.images.clean import MAX_PIXELS, NotDecodable, TooManyPixels, cleaned
from queue_service.images.sniff import ImageKind, sniff, trimmed
from queue_service.images.store import Image, ImageStore
from queue_service.limits import WindowLimit
from queue_service.settings import Settings

RATE_WINDOW_S = 600


class ImageRefused(HTTPException):
    """Not kept; `detail` says why, in words for the person who sent it."""


def checked(data: bytes) -> tuple[ImageKind, bytes]:
    """The image's kind and its bytes up to the format's end; ImageRefused for anything else."""
    if not data:
        raise ImageRefused(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.EMPTY)
    kind = sniff(data)
    if kind is None:
        raise ImageRefused(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, texts.NOT_AN_IMAGE)
    image = trimmed(kind, data)
    if image is None:
        raise ImageRefused(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.BROKEN)
    return kind, image


def decoded(kind: ImageKind, data: bytes) -> bytes:
    """The image as kept (clean.py); ImageRefused when it does not decode or is too big."""
    try:
        return cleaned(kind, data)
    except TooManyPixels as exc:
        mp = f"{MAX_PIXELS / 1_000_000:g}"
        detail = texts.TOO_MANY_PIXELS.format(mp=mp)
        raise ImageRefused(status.HTTP_413_CONTENT_TOO_LARGE, detail) from exc
    except NotDecodable as exc:
        raise ImageRefused(status.HTTP_422_UNPROCESSABLE_CONTENT, texts.BROKEN) from exc


async def read_capped(chunks: AsyncIterator[bytes], declared: str | None, max_bytes: int) -> bytes:
    """The bytes, or ImageRefused (413) as soon as there are more than `max_bytes`."""
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise too_large(max_bytes)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise too_large(max_bytes)
    return bytes(body)


def too_large(max_bytes: int) -> ImageRefused:
    mb = f"{max_bytes / 1024 / 1024:g}"
    return ImageRefused(status.HTTP_413_CONTENT_TOO_LARGE, texts.TOO_LARGE.format(mb=mb))


class Images:
    """The checks and the store together: what the routes and the channels use."""

    def __init__(self, store: ImageStore, redis: Redis, settings: Settings) -> None:
        self.store = store
        self.max_bytes = settings.image_max_bytes
        self._pace = WindowLimit(redis, "images", settings.images_per_conversation, RATE_WINDOW_S)

    async def paced(self, conversation_id: str) -> None:
        """Count one image of the conversation; ImageRefused (429) over its pace."""
        if not await self._pace.hit(conversation_id):
            seconds = await self._pace.retry_after(conversation_id)
            raise ImageRefused(
                status.HTTP_429_TOO_MANY_REQUESTS, texts.TOO_MANY.format(seconds=seconds)
            )

    async def receive(self, request: Request, conversation_id: str, sender: str) -> Image:
        """An uploaded image (the request's raw body), checked and kept."""
        await self.paced(conversation_id)
        declared = request.headers.get("content-length")
        data = await read_capped(request.stream(), declared, self.max_bytes)
        return await self.keep(conversation_id, data, sender)

    async def keep(self, conversation_id: str, data: bytes, sender: str) -> Image:
        if len(data) > self.max_bytes:
            raise too_large(self.max_bytes)
        kind, image = checked(data)
        image = await asyncio.to_thread(decoded, kind, image)
        return await self.store.add(conversation_id, kind, image, sender)
