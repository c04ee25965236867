"""The console answers its own pages only: a foreign Origin is refused.

A page on another site cannot use the console's cookie for plain requests (it is SameSite=Strict),
but defence in depth is cheap: every state-changing console request (POST, PUT, PATCH, DELETE)
and the console websocket are refused when they carry an Origin that is not the service's own.
"Own" is SWA_PUBLIC_URL's origin, or the scheme and Host the request itself arrived with (behind
a reverse proxy that keeps the Host header and sets X-Forwarded-Proto for uvicorn, that is the
public address too).

A websocket without any Origin is refused as well: browsers always send one, so only a
non-browser client lacks it, and the console socket has no business with those. A plain HTTP
request without Origin is let through: browsers send Origin on every POST, PUT and DELETE
(same-origin ones included), so a request without it does not come from a page, and a
non-browser client has no victim's cookie to misuse. (curl, scripts and tests log in that way.)
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import HTTPException, Request, status
from starlette.requests import HTTPConnection

FOREIGN_ORIGIN = "请求来源不受信任，请从本系统的客服工作台页面操作。"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HTTP_SCHEME = {"ws": "http", "wss": "https"}


def _origin(scheme: str, netloc: str) -> str:
    """scheme://host[:port] in lower case, the default port left out (as browsers send it);
    "" for anything without a host (such as the Origin "null" of a sandboxed page)."""
    parts = urlsplit(f"{scheme}://{netloc}")
    try:
        port = parts.port
    except ValueError:
        return ""
    host = parts.hostname
    if not host or not parts.scheme:
        return ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if port is None or port == _DEFAULT_PORTS.get(parts.scheme):
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def own_origins(connection: HTTPConnection) -> set[str]:
    public = urlsplit(connection.app.state.settings.public_url)
    scheme = connection.url.scheme
    arrived = _origin(_HTTP_SCHEME.get(scheme, scheme), connection.headers.get("host", ""))
    return {_origin(public.scheme, public.netloc), arrived} - {""}


def origin_allowed(connection: HTTPConnection, *, required: bool) -> bool:
    origin = connection.headers.get("origin")
    if origin is None:
        return not required
    parts = urlsplit(origin.strip())
    return _origin(parts.scheme, parts.netloc) in own_origins(connection)


async def same_origin(request: Request) -> None:
    """A dependency of every console API route: refuse a state-changing request from elsewhere."""
    if request.method in STATE_CHANGING and not origin_allowed(request, required=False):
        raise HTTPException(status.HTTP_403_FORBIDDEN, FOREIGN_ORIGIN)
