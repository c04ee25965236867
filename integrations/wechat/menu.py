"""The account's custom menu, and the CLI that pushes it to WeChat.

    python -m integrations.wechat.menu            # uses the SWA_WECHAT_* settings
    python -m integrations.wechat.menu --show     # prints the menu JSON, sends nothing

Each entry is a CLICK button whose key the callback maps to the same payload a web chat
button would send, so the bot cannot tell the channels apart.
"""

import argparse
import asyncio
import json
import sys
from typing import Any

import httpx

from integrations.wechat.api import WeChatApi
from integrations.wechat.token import AccessTokens
from kernel import menu
from kernel.messages import Button
from queue_service.settings import Settings, get_settings

# CLICK key → the button it stands for (title shown in the menu and kept in the transcript).
ENTRIES: dict[str, Button] = {
    "FAQ_MENU": menu.FAQ_MENU,
    "QUERY_RECORDS": menu.QUERY_RECORDS,
    "HANDOFF": menu.HANDOFF,
}


def menu_json() -> dict[str, Any]:
    return {
        "button": [
            {"type": "click", "name": button.title, "key": key} for key, button in ENTRIES.items()
        ]
    }


async def push(settings: Settings) -> None:
    client = settings.redis_client()
    async with httpx.AsyncClient(timeout=10) as http:
        tokens = AccessTokens(
            client,
            http,
            settings.wechat_api_base,
            settings.wechat_appid,
            settings.wechat_appsecret.get_secret_value(),
        )
        try:
            await WeChatApi(http, tokens, settings.wechat_api_base).create_menu(menu_json())
        finally:
            await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Push the WeChat Official Account menu.")
    parser.add_argument("--show", action="store_true", help="print the menu JSON and exit")
    args = parser.parse_args(argv)
    if args.show:
        print(json.dumps(menu_json(), ensure_ascii=False, indent=2))
        return 0
    settings = get_settings()
    if not settings.wechat_appid or not settings.wechat_appsecret.get_secret_value():
        print("SWA_WECHAT_APPID and SWA_WECHAT_APPSECRET must be set.", file=sys.stderr)
        return 2
    try:
        asyncio.run(push(settings))
    except Exception as exc:  # one line for the operator, no traceback with the secret around
        print(f"menu not pushed: {exc}", file=sys.stderr)
        return 1
    print("menu pushed: " + " / ".join(b.title for b in ENTRIES.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
