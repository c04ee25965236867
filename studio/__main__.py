"""Move the knowledge base between SQL and the repository's YAML files.

    python -m studio export [FOLDER] [--revision N]   # SQL -> knowledge/ (default folder)
    python -m studio import [FOLDER] [--author NAME]  # knowledge/ -> SQL, one revision
    python -m studio revisions                       # the latest revisions of the base

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
from studio.store import SYSTEM_AUTHOR, KnowledgeError, KnowledgeStore


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
    lines = [
        f"#{r.id} {r.created_at:%Y-%m-%d %H:%M} {r.author} {r.action} {r.note or ''}".rstrip()
        for r in await store.revisions(20)
    ]
    return "\n".join(lines) or "no revisions"


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
