"""A conversation id: the channel, a colon, and the user's address on that channel.

``webchat:<uuid>``, ``wechat:<openid>``, ``telegram:<chat id>``. The prefix is how the identity
desk, the console and the relay tell channels apart, and how Rasa's sender id carries the
channel; one place writes and reads ids, so every channel spells them alike.
"""

SEPARATOR = ":"


def conversation_id(channel: str, address: str | int) -> str:
    return f"{channel}{SEPARATOR}{address}"


def channel_of(conversation_id: str) -> str:
    return conversation_id.split(SEPARATOR, 1)[0]


def address_of(conversation_id: str) -> str:
    """The user's address on their channel: a WeChat openid, a Telegram chat id."""
    return conversation_id.split(SEPARATOR, 1)[1]
