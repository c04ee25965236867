"""What the text-only channels (WeChat, Telegram) share in showing the hub's lines.

Neither draws bubbles with buttons and images as the web chat does: a line becomes plain text,
an agent's line starts with their display name (客服小王：…) as the web chat shows it, a bot's
image is its address (an image the service keeps goes as a picture: integrations/media.py), and
a text longer than the channel's messages take is cut with a note rather than refused by its
API. Each channel keeps what differs: Telegram sends a message per line
with its buttons as a keyboard, WeChat joins a turn's lines into one message and numbers the
buttons.
"""

from integrations.texts import CUT_NOTE
from kernel.messages import OutboundMessage
from queue_service.images.refs import image_id_of


def shown(line: OutboundMessage) -> list[str]:
    """The line as text: what it says (an agent's name first), then its image; buttons apart."""
    parts = []
    if line.text:
        name = f"{line.sender_name}：" if line.sender_name else ""
        parts.append(name + line.text)
    if line.image and image_id_of(line.image) is None:  # the service's own go as pictures
        parts.append(line.image)
    return parts


def cut(text: str, max_chars: int) -> str:
    """The text, or as much of it as fits in max_chars with the note that it was cut."""
    if len(text) <= max_chars:
        return text
    return text[: max_chars - len(CUT_NOTE)] + CUT_NOTE
