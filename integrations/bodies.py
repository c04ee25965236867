"""Request bodies read with a size cap, before anything parses them."""

from fastapi import HTTPException, Request


async def read_capped(request: Request, max_bytes: int) -> bytes:
    """The body, or 413: a declared length over the cap is refused unread, a chunked one is
    counted while reading, so an oversized push never sits in memory whole."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise HTTPException(413)
    return bytes(body)
