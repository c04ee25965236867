"""`make run`'s launcher: ready block printed, and Ctrl-C leaves no process behind."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from stack.paths import ROOT
from tests.support.servers import free_port, port_open, wait_until

pytestmark = pytest.mark.e2e


def processes_in_groups(groups: set[int]) -> list[str]:
    """Live processes whose process group is one of `groups` (honcho gives each child one)."""
    out = subprocess.run(["ps", "-e", "-o", "pgid=,pid=,args="], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if int(line.split()[0]) in groups]


def test_run_starts_everything_then_ctrl_c_stops_all(redis_process, tmp_path) -> None:
    ports = {"rasa": free_port(), "actions": free_port(), "service": free_port()}
    # No demo switch from the tests' environment: `make run` turns demo mode on by itself.
    env = {
        **{k: v for k, v in os.environ.items() if k != "SWA_DEMO_MODE"},
        "SWA_REDIS_URL": redis_process.url,  # external Redis: the launcher must not start one
        "SWA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'swa.db'}",
        "SWA_RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "SWA_ACTIONS_URL": f"http://127.0.0.1:{ports['actions']}",
        "SWA_PORT": str(ports["service"]),
        "SWA_HOST": "127.0.0.1",
    }
    log = (tmp_path / "run.log").open("w+")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "stack.run"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: "is ready" in (tmp_path / "run.log").read_text(), 240, "make run")
        output = (tmp_path / "run.log").read_text()
        assert "Web chat       http://localhost:8000/" in output
        [demo] = [line for line in output.splitlines() if "Demo mode" in line]
        assert "ON" in demo and "never expose" in demo
        assert "Agent console  http://localhost:8000/console" in output
        assert "redis" not in {
            line.split("|")[0].split()[-1] for line in output.splitlines() if "|" in line
        }
        assert all(port_open(p) for p in ports.values())
        children = {
            int(pid)
            for pid in re.findall(r"(?:rasa|actions|service) started \(pid=(\d+)\)", output)
        }
        assert len(children) == 3
        groups = children | {launcher.pid}
        assert len(processes_in_groups(groups)) >= 4

        os.killpg(launcher.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        assert launcher.wait(30) in (0, 130, -signal.SIGINT)
        deadline = time.monotonic() + 10
        while processes_in_groups(groups) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_in_groups(groups) == []
        assert not any(port_open(p) for p in ports.values())
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
