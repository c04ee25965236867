"""Move the knowledge base between SQL and the repository's YAML files.

    python -m studio export [FOLDER] [--revision N]   # SQL -> knowledge/ (default folder)
    python -m studio import [FOLDER] [--author NAME]  # knowledge/ -> SQL, one revision
    python -m studio revisions                       # the latest revisions of the base
    python -m studio diff A B                        # what changed from revision A to B
    python -m studio rollback N --author NAME        # the whole base back to revision N

`export` writes faq/*.yml, categories.yml and out_of_scope.yml (subjects.yml and evaluation/
stay the developers'); an export right after an import gives the same bytes, so `git diff`
shows exactly what maintainers changed. `import` validates with the loader's rules first and
refuses the whole folder on the first problem; entries the folder no longer has are retired.
The database is the service's (SWA_DATABASE_URL); its schema is brought up to date first.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from actions.faq.knowledge import KNOWLEDGE_DIR
from queue_service import cli, db
from studio.exchange import read_folder, write_folder
from studio.store import SYSTEM_AUTHOR, Change, KnowledgeError, KnowledgeStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m studio",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write the base as YAML files")
    export.add_argument("folder", nargs="?", type=Path, default=KNOWLEDGE_DIR)
    export.add_argument("--revision", type=int, help="the base as it was after this revision")
    imported = commands.add_parser("import", help="make the base what the YAML files say")
    imported.add_argument("folder", nargs="?", type=Path, default=KNOWLEDGE_DIR)
    imported.add_argument("--author", default=SYSTEM_AUTHOR, help="recorded as the revision's")
    commands.add_parser("revisions", help="list the latest revisions")
    diff = commands.add_parser("diff", help="the items that changed between two revisions")
    diff.add_argument("start", type=int)
    diff.add_argument("end", type=int)
    rollback = commands.add_parser("rollback", help="make the base what it was after a revision")
    rollback.add_argument("revision", type=int)
    rollback.add_argument("--author", required=True, help="who asked for it (recorded)")
    return parser


async def _command(args: argparse.Namespace, store: KnowledgeStore) -> str:
    if args.command == "export":
        if args.revision is not None:
            if await store.revision(args.revision) is None:
                raise KnowledgeError(f"no revision {args.revision}")
            stored = await store.state_at(args.revision)
        else:
            stored = await store.current()
        items = [s.item for s in stored]
        if not items:
            raise KnowledgeError("the knowledge base is empty: nothing to export")
        changed = await asyncio.to_thread(write_folder, items, args.folder)
        listed = "".join(f"\n  {path}" for path in changed)
        return f"exported to {args.folder}: {len(changed)} file(s) changed{listed}"
    if args.command == "import":
        items = await asyncio.to_thread(read_folder, args.folder)
        revision = await store.import_items(items, args.author)
        if revision is None:
            return f"imported {args.folder}: nothing changed"
        return f"imported {args.folder} as revision {revision.id}"
    if args.command == "diff":
        return _diff(await store.diff(args.start, args.end))
    if args.command == "rollback":
        done = await store.rollback(args.revision, args.author)
        if done is None:
            return f"the base is already as it was after revision {args.revision}"
        return f"rolled back to revision {args.revision} as revision {done.id}"
    lines = [
        f"#{r.id} {r.created_at:%Y-%m-%d %H:%M} {r.author} {r.action} {r.note or ''}".rstrip()
        for r in await store.revisions(20)
    ]
    return "\n".join(lines) or "no revisions"


def _diff(changes: list[Change]) -> str:
    """One line per changed item: what happened to it, and the fields that differ."""
    lines = []
    for change in changes:
        before, after = change.before, change.after
        if before is None or (after is not None and before.retired and not after.retired):
            what = "added" if before is None else "restored"
        elif after is None or after.retired:
            what = "retired"
        else:
            fields = sorted(
                k
                for k in before.data.keys() | after.data.keys()
                if before.data.get(k) != after.data.get(k)
            )
            if before.category != after.category:
                fields.append("category")
            if before.position != after.position:
                fields.append("order")
            what = "changed: " + (", ".join(fields) or "text layout")
        lines.append(f"{change.kind} {change.key}: {what}")
    return "\n".join(lines) or "no differences"


async def _run(args: argparse.Namespace, url: str) -> str:
    engine = db.create_engine(url)
    try:
        return await _command(args, KnowledgeStore(engine))
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    return cli.run(_parser(), _run, (KnowledgeError, ValueError), argv)


if __name__ == "__main__":
    sys.exit(main())
