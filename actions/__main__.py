"""Run the action server in a single process: `python -m actions --port 5055`.

rasa_sdk's own entry point starts Sanic's multi-process worker manager, which shares the
process group with its workers; when honcho stops the group, the manager dies mid-sync and
prints a traceback on every Ctrl-C. One process is also all a stateless action server needs
here: scale it out with more instances, not more workers.

It logs as the service does (SWA_LOG_LEVEL, SWA_LOG_JSON), through the same redacting handler:
rasa_sdk, Sanic and the actions log through the root logger, and at DEBUG rasa_sdk writes
events and slots that may quote what users typed.
"""

import argparse
import os

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor

from kernel import secret_policy
from kernel.logging_setup import configure_logging
from kernel.settings import shared_settings


def main() -> None:
    parser = argparse.ArgumentParser(description="Single Window Assistant action server")
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    settings = shared_settings()
    # It believes every identity signed with SWA_IDENTITY_SECRET: that one must be no demo value.
    clause = secret_policy.secrets_clause(settings, ["identity_secret"])
    secret_policy.require_safe(secret_policy.refusal(clause))
    configure_logging(settings.log_level, settings.log_json)
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
