"""What a Telegram user does, turned into hub turns; the hub's answer sent back to their chat.

Private chats only: the conversation id is ``telegram:<chat id>``. A text goes to the hub as
typed (``/bind 12345678`` and ``/unbind`` included: the hub's identity desk knows them); a
button press goes as the button's payload with its title for the transcript, and is always
answered so the client stops its spinner. Commands: ``/start`` opens the conversation (with a
bind code as deep-link parameter, ``t.me/<bot>?start=12345678``, it binds), ``/menu`` (or
``/help``) shows the categories, ``/human`` asks for a person. Every update is processed once:
its update_id is claimed in Redis before anything else, so a webhook delivery Telegram retries
(or a second service process polling) changes nothing. A photo goes to the agent who serves
the user (integrations/media.py: the largest size within the image limit); an agent's image is
sent with sendPhoto.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import unicodedata
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError
from telegram import Bot, BotCommand, PhotoSize, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from integrations import media, texts
from integrations.relay import AfterTurn
from integrations.telegram import texts as telegram_texts
from integrations.telegram.buttons import CallbackData, title_of
from integrations.telegram.render import render
from integrations.user_input import Refusal, user_text
from kernel import conversation_ids, menu
from kernel.messages import Button, InboundMessage, StoredMessage
from queue_service.identity.bind_codes import parse_command
from queue_service.images.upload import too_large
from queue_service.port import ChannelPort

log = logging.getLogger(__name__)

CHANNEL = "telegram"
SEEN_PREFIX = "swa:telegram:update:"
SEEN_TTL_S = 24 * 3600
# A turn that takes longer than this shows "typing…" in the chat.
TYPING_AFTER_S = 0.5

COMMANDS = [BotCommand(name, about) for name, about in telegram_texts.COMMANDS.items()]

_BIND_CODE = re.compile(r"^\d{8}$")


def conversation_id(chat_id: int) -> str:
    return conversation_ids.conversation_id(CHANNEL, chat_id)


def chat_of(conversation: str) -> int:
    return int(conversation_ids.address_of(conversation))


class Turns:
    def __init__(
        self,
        redis: Redis,
        port: ChannelPort,
        buttons: CallbackData,
        max_chars: int,
        after_turn: AfterTurn | None = None,
    ) -> None:
        self._redis = redis
        self._port = port
        self._buttons = buttons
        self._max_chars = max_chars
        self._after_turn = after_turn

    def install(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE
        new = filters.UpdateType.MESSAGE  # edits of sent messages are not new questions
        application.add_handler(TypeHandler(Update, self._once), group=-1)
        application.add_handler(CommandHandler("start", self._start, filters=private & new))
        application.add_handler(CommandHandler(["menu", "help"], self._menu, private & new))
        application.add_handler(CommandHandler("human", self._human, filters=private & new))
        application.add_handler(CallbackQueryHandler(self._pressed))
        application.add_handler(MessageHandler(private & new & filters.TEXT, self._text))
        application.add_handler(MessageHandler(private & new & filters.PHOTO, self._photo))
        application.add_handler(MessageHandler(private & new, self._unsupported))
        application.add_handler(MessageHandler(~private & new, self._not_private))
        application.add_error_handler(self._failed)

    async def _once(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        key = f"{SEEN_PREFIX}{context.bot.id}:{update.update_id}"
        try:
            first = await self._redis.set(key, 1, nx=True, ex=SEEN_TTL_S)
        except RedisError as exc:
            log.warning("telegram update not deduplicated", extra={"error": str(exc)})
            return  # better answered twice than not at all
        if not first:
            log.info("telegram update seen before", extra={"update_id": update.update_id})
            raise ApplicationHandlerStop

    async def _start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        code = unicodedata.normalize("NFKC", " ".join(context.args or [])).strip()
        if _BIND_CODE.match(code):
            inbound = InboundMessage(conversation_id=conversation_id(chat_id), text=f"绑定 {code}")
            await self._turn(context.bot, chat_id, inbound)
        else:
            await self._turn(context.bot, chat_id, None)

    async def _menu(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._button(context.bot, update.effective_chat.id, menu.FAQ_MENU)

    async def _human(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._button(context.bot, update.effective_chat.id, menu.HANDOFF)

    async def _button(self, bot: Bot, chat_id: int, button: Button) -> None:
        conversation = conversation_id(chat_id)
        inbound = InboundMessage(
            conversation_id=conversation, text=button.title, payload=button.payload
        )
        await self._turn(bot, chat_id, inbound)

    async def _pressed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        data = query.data or ""
        payload = await self._buttons.decode(data)
        if payload is None:
            await query.answer(telegram_texts.EXPIRED_BUTTON, show_alert=True)
            return
        await query.answer()
        if update.effective_chat is None or update.effective_chat.type != "private":
            return
        markup = getattr(query.message, "reply_markup", None)
        button = Button(title=title_of(markup, data) or payload, payload=payload)
        await self._button(context.bot, update.effective_chat.id, button)

    async def _text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = update.effective_chat.id
        text = user_text(update.effective_message.text or "", self._max_chars)
        if isinstance(text, Refusal):
            await self._say(context.bot, chat_id, text.text)
            return
        if text.startswith("/") and parse_command(text) is None:
            # A command the bot does not have; never passed on, as Rasa reads "/x" as an intent.
            await self._say(context.bot, chat_id, telegram_texts.UNKNOWN_COMMAND)
            return
        inbound = InboundMessage(conversation_id=conversation_id(chat_id), text=text)
        await self._turn(context.bot, chat_id, inbound)

    async def _photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo for the agent who serves the user (anyone else is told it is for agents)."""
        chat_id = update.effective_chat.id
        conversation = conversation_id(chat_id)
        sizes = update.effective_message.photo

        async def download(max_bytes: int) -> bytes:
            return await _download(context.bot, sizes, max_bytes)

        told = await media.from_user(self._port, conversation, download)
        if told is not None:
            await self._say(context.bot, chat_id, told)
        elif self._after_turn is not None:
            await self._after_turn(conversation, [])

    async def _unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._say(context.bot, update.effective_chat.id, texts.UNSUPPORTED)

    async def _not_private(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._say(context.bot, update.effective_chat.id, telegram_texts.NOT_PRIVATE)

    async def _failed(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram update failed", exc_info=context.error)
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None and chat.type == "private":
            with contextlib.suppress(TelegramError):
                await self._say(context.bot, chat.id, texts.FAILED)

    async def _turn(self, bot: Bot, chat_id: int, inbound: InboundMessage | None) -> None:
        """One hub turn (``None``: the conversation opens), then its answer, then the relay."""
        conversation = conversation_id(chat_id)
        typing = asyncio.create_task(_typing_after(bot, chat_id, TYPING_AFTER_S))
        try:
            if inbound is None:
                replies = await self._port.start(conversation)
            else:
                replies = await self._port.handle(inbound)
        finally:
            typing.cancel()
        await self.send(bot, conversation, replies)
        if self._after_turn is not None:
            await self._after_turn(conversation, replies)

    async def send(self, bot: Bot, conversation: str, lines: list[StoredMessage]) -> None:
        chat_id = chat_of(conversation)
        for line in lines:
            image = await media.image_of(self._port, line)
            if image is not None:
                await bot.send_photo(chat_id, image.data, caption=line.sender_name)
            for outgoing in render([line]):
                buttons = outgoing.buttons
                markup = await self._buttons.keyboard(buttons) if buttons else None
                await bot.send_message(chat_id, outgoing.text, reply_markup=markup)

    async def _say(self, bot: Bot, chat_id: int, text: str) -> None:
        await bot.send_message(chat_id, text)


async def _download(bot: Bot, sizes: Sequence[PhotoSize], max_bytes: int) -> bytes:
    """The largest size of the photo that fits (getFile, then the file itself); ImageRefused
    when even the smallest is too large."""
    fitting = [s for s in sizes if s.file_size is None or s.file_size <= max_bytes]
    if not fitting:
        raise too_large(max_bytes)
    best = max(fitting, key=lambda s: s.width * s.height)
    try:
        file = await bot.get_file(best.file_id)
        if file.file_size is not None and file.file_size > max_bytes:
            raise too_large(max_bytes)
        return bytes(await file.download_as_bytearray())
    except TelegramError as exc:
        raise media.DownloadFailed(str(exc)) from exc


async def _typing_after(bot: Bot, chat_id: int, delay_s: float) -> None:
    await asyncio.sleep(delay_s)
    with contextlib.suppress(TelegramError):
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
