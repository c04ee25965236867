"""Which pages may use the service from a browser: the Origin header against our own origins.

"Own" is SWA_PUBLIC_URL's origin and the host the request arrived at, under either scheme (a
proxy that ends TLS may not tell the service which one the browser used), plus whatever sites
a caller allows besides (the web chat's embedding sites). Origins are compared normalised, as
browsers send them: lower case, the default port left out, IPv6 addresses in brackets. The
console's API and socket and the web chat socket all ask here, so they agree on what "own" is.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection

from queue_service.services import services_of
from queue_service.settings import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalised(url: str) -> str:
    """scheme://host[:port] of a URL or origin; "" for anything without a scheme and host (such
    as the Origin "null" of a sandboxed page or a file)."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        return ""
    host, scheme = parts.hostname, parts.scheme.lower()
    if not host or not scheme:
        return ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def own_origins(connection: HTTPConnection) -> set[str]:
    host = connection.headers.get("host", "")
    arrived = {normalised(f"{scheme}://{host}") for scheme in _DEFAULT_PORTS} if host else set()
    public = normalised(services_of(connection).get(Settings).public_url)
    return ({public} | arrived) - {""}


def origin_allowed(
    connection: HTTPConnection, *, required: bool, also: Iterable[str] = ()
) -> bool:
    """Whether the request comes from one of our pages (or of the sites `also` names).

    `required`: whether a request without any Origin is refused (websockets: browsers always
    send one) or let through (plain requests: a client that sends none is no browser page, and
    has no victim's cookie to misuse).
    """
    origin = connection.headers.get("origin")
    if origin is None:
        return not required
    allowed = own_origins(connection) | {normalised(site) for site in also}
    return normalised(origin) in allowed - {""}
