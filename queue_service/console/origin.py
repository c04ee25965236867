"""The console answers its own pages only: a foreign Origin is refused.

A page on another site cannot use the console's cookie for plain requests (it is SameSite=Strict),
but defence in depth is cheap: every state-changing console request (POST, PUT, PATCH, DELETE)
and the console websocket are refused when they carry an Origin that is not the service's own
(queue_service/origins.py says what "own" is; the web chat socket asks the same).

A websocket without any Origin is refused as well: browsers always send one, so only a
non-browser client lacks it, and the console socket has no business with those. A plain HTTP
request without Origin is let through: browsers send Origin on every POST, PUT and DELETE
(same-origin ones included), so a request without it does not come from a page, and a
non-browser client has no victim's cookie to misuse. (curl, scripts and tests log in that way.)
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from queue_service.console import texts
from queue_service.origins import origin_allowed

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def same_origin(request: Request) -> None:
    """A dependency of every console API route: refuse a state-changing request from elsewhere."""
    if request.method in STATE_CHANGING and not origin_allowed(request, required=False):
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.FOREIGN_ORIGIN)
