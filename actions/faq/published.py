"""The knowledge base the action server answers from: the published version.

Until the studio first publishes, that is the repository's knowledge/ (knowledge.default()).
After, it is the snapshot the service keeps in Redis (kernel/published_knowledge.py): each
action reads the version key (one small GET) and loads a new snapshot only when the version
changed, so a publish reaches every action server at its next turn, without a restart. If Redis
does not answer, the version already loaded keeps answering.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from functools import cache
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from actions.faq import knowledge
from actions.faq.knowledge import KnowledgeBase
from kernel.published_knowledge import SNAPSHOT_PREFIX, VERSION_KEY
from kernel.settings import shared_settings

log = logging.getLogger(__name__)


def from_files(files: dict[str, str]) -> KnowledgeBase:
    """A knowledge base from a snapshot's files (relative path → YAML text), checked by the
    loader's own rules."""
    folder = Path(tempfile.mkdtemp(prefix="swa-knowledge-"))
    try:
        for name, text in files.items():
            path = (folder / name).resolve()
            if not path.is_relative_to(folder):
                raise ValueError(f"a snapshot file outside the knowledge base: {name}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return knowledge.load(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class PublishedKnowledge:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._version: str | None = None
        self._kb: KnowledgeBase | None = None

    async def current(self) -> KnowledgeBase:
        try:
            found = await self._redis.get(VERSION_KEY)
            version = _text(found) if found is not None else None
            if version is not None and version != self._version:
                raw = await self._redis.hgetall(SNAPSHOT_PREFIX + version)
                files = {_text(k): _text(v) for k, v in raw.items()}
                self._kb, self._version = from_files(files), version
                log.info("knowledge version loaded", extra={"version": version})
        except (RedisError, ValueError, OSError) as exc:
            log.warning("published knowledge not read", extra={"error": str(exc)})
        return self._kb or knowledge.default()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@cache
def default_published() -> PublishedKnowledge:
    # Short timeouts: a dead Redis must cost the newest version, never the answer.
    return PublishedKnowledge(shared_settings().redis_client(timeout_s=0.5))
