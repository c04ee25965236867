"""The knowledge base as the repository's YAML files, and back, byte for byte.

`read_folder` splits each file into its items (a category, an entry, an out-of-scope list) and
keeps every item's own text (its "fragment": the lines of the item with the comments just above
it) beside its data, and each file's preamble (the header comments). `render_files` writes an
item's fragment back verbatim while its data still equals what the fragment says, and a
canonical block-style YAML of the item once it was edited. So an export after an import gives
the repository's files unchanged, and an edit shows in `git diff` as that item alone.

Retired entries are not written (the loader would not know them); they live on in SQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from actions.faq.knowledge import load

ENTRY = "entry"
CATEGORY = "category"
OUT_OF_SCOPE = "out_of_scope"
FILE = "file"

CATEGORIES_FILE = "categories.yml"
OUT_OF_SCOPE_FILE = "out_of_scope.yml"
# Items of a file are numbered this far apart, so one can move between two without renumbering.
POSITION_STEP = 1024
# The order an entry's keys are written in (the repository's order); unknown keys follow.
ENTRY_KEYS = (
    "id",
    "title",
    "topic",
    "subject",
    "answer",
    "related",
    "phrasings",
    "heldout",
    "fresh",
)
OUT_OF_SCOPE_KEYS = ("phrasings", "heldout", "fresh", "boundary")


@dataclass(frozen=True)
class Item:
    """One thing the knowledge base is made of, as stored in SQL."""

    kind: str
    key: str
    data: dict[str, Any]
    category: str | None = None
    position: int = 0
    retired: bool = False
    fragment: str | None = None

    def same_content(self, other: Item) -> bool:
        """Whether nothing a user or the files would see differs (the version may)."""
        return (self.data, self.category, self.position, self.retired, self.fragment) == (
            other.data,
            other.category,
            other.position,
            other.retired,
            other.fragment,
        )


def faq_file(category: str) -> str:
    return f"faq/{category}.yml"


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line strings as `|` blocks, as the repository's files are written."""

    indent_sequences = False

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, indentless and not self.indent_sequences)


class _IndentedDumper(_Dumper):
    """Sequences under a key indented by two spaces (out_of_scope.yml's style)."""

    indent_sequences = True


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def _dump(value: object, dumper: type[_Dumper] = _Dumper) -> str:
    return yaml.dump(value, Dumper=dumper, allow_unicode=True, sort_keys=False, width=1000)


def ordered_entry(data: dict[str, Any]) -> dict[str, Any]:
    """The entry's keys in the repository's order, empty topic and subject left out."""
    kept = ("related", "phrasings", "heldout", "fresh")  # written even when empty
    known = {
        k: data[k] for k in ENTRY_KEYS if k in data and (k in kept or data[k] not in (None, [], ""))
    }
    return {**known, **{k: v for k, v in data.items() if k not in ENTRY_KEYS}}


def _canonical(item: Item) -> str:
    if item.kind == ENTRY:
        return _dump([ordered_entry(item.data)])
    if item.kind == CATEGORY:
        return _dump([item.data])
    return _dump({item.key: item.data["values"]}, _IndentedDumper)


def _parsed(item: Item, fragment: str) -> object:
    value = yaml.safe_load(fragment)
    if item.kind == OUT_OF_SCOPE:
        return {"values": value[item.key]} if isinstance(value, dict) else None
    return value[0] if isinstance(value, list) and len(value) == 1 else None


def item_text(item: Item) -> str:
    """The item as its file shows it: its own text while unchanged, else canonical YAML."""
    if item.fragment is not None and _parsed(item, item.fragment) == item.data:
        return item.fragment
    return _canonical(item)


@dataclass
class _Split:
    preamble: str
    parts: list[tuple[str, Any, Any]] = field(default_factory=list)  # (fragment, key, value)
    trailer: str = ""


def _is_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _split(text: str) -> _Split:
    """A file's top-level items with their text; comments just above an item go with it."""
    node = yaml.compose(text)
    lines = text.splitlines(keepends=True)
    if node is None:
        return _Split("".join(lines))
    if isinstance(node, yaml.SequenceNode):
        starts = [item.start_mark.line for item in node.value]
    else:
        starts = [key.start_mark.line for key, _ in node.value]
    cuts = [starts[0]]
    for start in starts[1:]:
        while start > cuts[-1] + 1 and _is_comment(lines[start - 1]):
            start -= 1
        cuts.append(start)
    end = len(lines)
    while end > cuts[-1] + 1 and _is_comment(lines[end - 1]):
        end -= 1
    split = _Split("".join(lines[: cuts[0]]), trailer="".join(lines[end:]))
    data = yaml.safe_load(text)
    bounds = [*cuts[1:], end]
    for index, (start, stop) in enumerate(zip(cuts, bounds, strict=True)):
        fragment = "".join(lines[start:stop])
        if isinstance(node, yaml.SequenceNode):
            split.parts.append((fragment, index, data[index]))
        else:
            key = list(data)[index]
            split.parts.append((fragment, key, data[key]))
    return split


def _file_item(path: str, split: _Split) -> Item:
    return Item(FILE, path, {"preamble": split.preamble, "trailer": split.trailer})


def read_folder(folder: Path) -> list[Item]:
    """Every item of a knowledge folder, validated by the loader first (ValueError if not)."""
    load(folder)  # the rules the action server and training apply, in one place
    items: list[Item] = []
    split = _split((folder / CATEGORIES_FILE).read_text(encoding="utf-8"))
    items.append(_file_item(CATEGORIES_FILE, split))
    categories = []
    for index, (fragment, _, value) in enumerate(split.parts):
        categories.append(value["id"])
        items.append(
            Item(CATEGORY, value["id"], value, None, (index + 1) * POSITION_STEP, fragment=fragment)
        )
    for category in categories:
        path = faq_file(category)
        split = _split((folder / path).read_text(encoding="utf-8"))
        items.append(_file_item(path, split))
        for index, (fragment, _, value) in enumerate(split.parts):
            items.append(
                Item(
                    ENTRY,
                    value["id"],
                    value,
                    category,
                    (index + 1) * POSITION_STEP,
                    fragment=fragment,
                )
            )
    split = _split((folder / OUT_OF_SCOPE_FILE).read_text(encoding="utf-8"))
    items.append(_file_item(OUT_OF_SCOPE_FILE, split))
    for index, (fragment, key, value) in enumerate(split.parts):
        items.append(
            Item(
                OUT_OF_SCOPE,
                key,
                {"values": value},
                None,
                (index + 1) * POSITION_STEP,
                fragment=fragment,
            )
        )
    return items


def _in_order(items: Iterable[Item]) -> list[Item]:
    return sorted((i for i in items if not i.retired), key=lambda i: (i.position, i.key))


def render_files(items: Iterable[Item]) -> dict[str, str]:
    """The files of the knowledge base (path under knowledge/ -> text), subjects.yml aside."""
    items = list(items)
    files = {i.key: i.data for i in items if i.kind == FILE and not i.retired}

    def text(path: str, parts: list[Item]) -> str:
        layout = files.get(path, {"preamble": "", "trailer": ""})
        return layout["preamble"] + "".join(map(item_text, parts)) + layout["trailer"]

    categories = _in_order(i for i in items if i.kind == CATEGORY)
    rendered = {CATEGORIES_FILE: text(CATEGORIES_FILE, categories)}
    for category in categories:
        entries = _in_order(i for i in items if i.kind == ENTRY and i.category == category.key)
        rendered[faq_file(category.key)] = text(faq_file(category.key), entries)
    rendered[OUT_OF_SCOPE_FILE] = text(
        OUT_OF_SCOPE_FILE, _in_order(i for i in items if i.kind == OUT_OF_SCOPE)
    )
    return rendered


def write_folder(items: Iterable[Item], folder: Path) -> list[str]:
    """Write the files into `folder` (a category file no longer listed is removed); the paths
    whose text changed."""
    changed = []
    rendered = render_files(items)
    for path, text in rendered.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(path)
    for stale in (folder / "faq").glob("*.yml"):
        if f"faq/{stale.name}" not in rendered:
            stale.unlink()
            changed.append(f"faq/{stale.name}")
    return sorted(changed)


def without_fragment(item: Item) -> Item:
    return replace(item, fragment=None)
