"""Run the action server in a single process: `python -m actions --port 5055`.

rasa_sdk's own entry point starts Sanic's multi-process worker manager, which shares the
process group with its workers; when honcho stops the group, the manager dies mid-sync and
prints a traceback on every Ctrl-C. One process is also all a stateless action server needs
here: scale it out with more instances, not more workers.
"""

import argparse
import logging
import os

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor

from queue_service.secret_policy import require_safe
from queue_service.settings import get_settings


def main() -> None:
    parser = argparse.ArgumentParser(description="Single Window Assistant action server")
    parser.add_argument("--host", default=os.environ.get("SANIC_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args()
    require_safe(get_settings())  # it trusts identities signed with SWA_IDENTITY_SECRET

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    executor = ActionExecutor()
    executor.register_package("actions")
    app = create_app(executor, cors_origins=None)
    app.run(host=args.host, port=args.port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    main()
