"""Images kept in SQL, each with the conversation it was said in.

SQL rather than files under var/: every service instance reads the same rows, and an image is
gone with nothing else to clean up when its row is. Rows are written once and never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, LargeBinary, String, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from kernel.messages import utcnow
from queue_service.db import Base
from queue_service.images import refs
from queue_service.images.sniff import KINDS, ImageKind


class ImageRow(Base):
    __tablename__ = "chat_images"
    __table_args__ = (Index("ix_chat_images_conversation_id", "conversation_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # Who sent it: "user", or the agent's user name.
    sender: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True)
class Image:
    id: str
    conversation_id: str
    kind: ImageKind
    data: bytes

    @property
    def filename(self) -> str:
        """A name made here, never the uploader's: nothing to sanitize."""
        return f"image-{self.id[:8]}.{self.kind.name}"


class ImageStore:
    def __init__(self, sessions: async_sessionmaker) -> None:
        self._sessions = sessions

    async def add(self, conversation_id: str, kind: ImageKind, data: bytes, sender: str) -> Image:
        image = Image(refs.new_id(), conversation_id, kind, data)
        row = ImageRow(
            id=image.id,
            conversation_id=conversation_id,
            kind=kind.name,
            size=len(data),
            data=data,
            sender=sender,
        )
        async with self._sessions() as session, session.begin():
            session.add(row)
        return image

    async def get(self, image_id: str) -> Image | None:
        if not refs.is_id(image_id):
            return None
        async with self._sessions() as session:
            row = await session.scalar(select(ImageRow).where(ImageRow.id == image_id))
        if row is None:
            return None
        return Image(row.id, row.conversation_id, KINDS[row.kind], row.data)
