"""One supervisor [program:x] block: how every process of the production profile is run
(restarted when it dies, its group stopped with it, its output in a rotated log)."""

from __future__ import annotations

from stack import processes
from stack.paths import ROOT


def program(name: str, command: list[str], env: dict[str, str], **options: str) -> str:
    # supervisor expands %(...)s in its values: a literal % is %%.
    environment = ",".join(f'{k}="{v.replace("%", "%%")}"' for k, v in env.items())
    lines = [
        f"[program:{name}]",
        "command=" + processes.shell(command).replace("%", "%%").replace("%%(ENV_", "%(ENV_"),
        f"directory={ROOT}",
        "autostart=false",
        "autorestart=true",
        "startsecs=3",
        "startretries=10",
        "stopasgroup=true",
        "killasgroup=true",
        "stopwaitsecs=20",
        "redirect_stderr=true",
        f"stdout_logfile=%(here)s/../log/{name}.log",
        "stdout_logfile_maxbytes=50MB",
        "stdout_logfile_backups=5",
    ]
    if environment:
        lines.append(f"environment={environment}")
    lines += [f"{key}={value}" for key, value in options.items()]
    return "\n".join(lines) + "\n"
