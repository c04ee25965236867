"""FAQ entry titles for the reports (an entry id is what the bot's events record).

Read from the knowledge base's YAML files (knowledge/faq/*.yml) directly: the service does not
import the action server (actions/faq/knowledge.py), and it needs only each entry's id and
title. Read once per process; an entry removed since shows as its id alone.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

FAQ_DIR = Path(__file__).resolve().parents[2] / "knowledge" / "faq"


@cache
def entry_titles(folder: Path = FAQ_DIR) -> dict[str, str]:
    titles: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(entry, dict) and entry.get("id"):
                titles[str(entry["id"])] = str(entry.get("title") or "")
    return titles
