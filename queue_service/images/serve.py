"""An image as the service answers it: only ever shown, never run or sniffed as anything else.

The type is the one sniffed when it was kept; `nosniff` stops a browser from guessing another;
a Content-Security-Policy of `default-src 'none'` means that even opened on its own, as a
document, it can load and run nothing; the file name is made here (store.py); `private` keeps it
out of shared caches, since only its conversation's holder and staff may read it.
"""

from fastapi import Response

from queue_service.images.store import Image


def image_response(image: Image) -> Response:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{image.filename}"',
        "Content-Security-Policy": "default-src 'none'",
        "Cache-Control": "private, max-age=86400",
    }
    return Response(image.data, media_type=image.kind.mime, headers=headers)
