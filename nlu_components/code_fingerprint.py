"""Our code, as Rasa's training cache must see it.

Rasa reuses a component's output from an earlier training when its fingerprint is unchanged,
and that fingerprint holds the component's class source, config and inputs only, not the
functions it calls: a change to how numbers are masked (kernel/numbers.py), complaint words
stripped (kernel/complaints.py) or text folded (folding.py) left a retraining with features
computed by the old code, while a parse computes them with the new one. Every component here
adds the hash of all of that code to its fingerprint (`fingerprint_addon`), the same files
stack/model.py names a model by. Plain standard library: no Rasa import.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Besides this folder, what nlu_components/folding.py imports to mask and strip every message.
KERNEL_SOURCES = ("kernel/numbers.py", "kernel/complaints.py")


def sources(root: Path = ROOT) -> list[Path]:
    return sorted([*(root / "nlu_components").glob("*.py"), *(root / n for n in KERNEL_SOURCES)])


@cache
def code_fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in sources(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


class OurCode:
    """A mix-in for our graph components (listed first among the bases)."""

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        return code_fingerprint()
