"""Images in a human chat for the channels that fetch and send the bytes themselves (WeChat,
Telegram): a user's picture, downloaded from the channel's API, goes to their agent through
the same checks as a web chat upload; an agent's picture is read back to be sent through it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from kernel.messages import OutboundMessage
from queue_service.images import texts
from queue_service.images.refs import image_id_of, image_ref
from queue_service.images.store import Image
from queue_service.images.upload import ImageRefused
from queue_service.port import ChannelPort

log = logging.getLogger(__name__)

# Fetches the user's image from the channel, refusing (ImageRefused) more than this many bytes.
Download = Callable[[int], Awaitable[bytes]]


class DownloadFailed(Exception):
    """The channel's API did not give the image."""


async def from_user(port: ChannelPort, conversation_id: str, download: Download) -> str | None:
    """Take the user's image to their agent; what to tell the user instead (None: nothing, the
    agent has it and answers in their own time)."""
    if not await port.with_agent(conversation_id):
        return texts.NOT_WITH_AGENT
    try:
        await port.images.paced(conversation_id)
        data = await download(port.images.max_bytes)
        image = await port.images.keep(conversation_id, data, "user")
    except ImageRefused as exc:
        return str(exc.detail)
    except DownloadFailed as exc:
        log.warning("user image not downloaded", extra={"error": str(exc)})
        return texts.UNAVAILABLE
    await port.image_from_user(conversation_id, image_ref(image.id))
    return None


async def image_of(port: ChannelPort, line: OutboundMessage) -> Image | None:
    """The line's image, if it is one the service keeps (a bot's image is a plain URL)."""
    image_id = image_id_of(line.image)
    return await port.images.store.get(image_id) if image_id else None
