"""The repository's knowledge/ becomes the SQL base the first time the service starts.

Only when the tables are empty: from then on SQL is the source of truth, and a change to the
YAML reaches it through `python -m studio import` (a maintainer's edits are never overwritten
by a start). Several instances starting at once import the same content; the store writes it
once (an unchanged item is not written again). A database that does not answer at start does
not stop the service: the seed is tried again in the background until it does.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from actions.faq.knowledge import KNOWLEDGE_DIR
from queue_service.background import Background
from studio.exchange import read_folder
from studio.store import SYSTEM_AUTHOR, KnowledgeStore

log = logging.getLogger(__name__)


async def seed(store: KnowledgeStore, folder: Path = KNOWLEDGE_DIR) -> bool:
    """Import `folder` if the base is empty; whether it did."""
    if not await store.is_empty():
        return False
    try:
        items = await asyncio.to_thread(read_folder, folder)  # a second of YAML and validation
    except ValueError:
        # The service still starts; the maintainers' pages show an empty base until an import.
        log.exception("knowledge/ fails the loader's rules: the knowledge base was not seeded")
        return False
    revision = await store.import_items(items, SYSTEM_AUTHOR)
    log.info("knowledge base seeded from the repository", extra={"items": len(items)})
    return revision is not None


async def seed_at_start(store: KnowledgeStore, background: Background) -> None:
    """Seed now, or, when the database does not answer, keep trying in the background (it
    shows among the failing background tasks meanwhile); the service starts either way."""
    try:
        await seed(store)
    except SQLAlchemyError as error:
        log.warning(
            "knowledge base not seeded: the database did not answer; trying again in the "
            "background",
            extra={"error": type(error).__name__},
        )

        async def again() -> None:
            await seed(store)

        background.start("knowledge-seed", again, once=True)
