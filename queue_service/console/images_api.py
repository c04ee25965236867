"""Images in the console: an agent sends one to the user they serve, and staff read the images
of the conversations they may read.

  POST /console/api/chats/image?conversation_id=…   body: the image's bytes (raw)
  GET  /console/api/images/<id>

The upload is checked like every console state change (session, Origin: pages.py) and like a
user's image (queue_service/images/upload.py), and only from the agent serving the user (409
before anything is read). Reading follows who may read the conversation: its transcript now
(access.py) or, for an agent, a conversation they served (the rule of transcript search). Any
other image, and one that does not exist, is 404 alike: an id is not confirmed to anyone who
may not see it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status

from queue_service.agents.accounts import Role
from queue_service.console import texts
from queue_service.console.access import may_read
from queue_service.console.auth import Staff
from queue_service.console.search_api import Search
from queue_service.deps import Board, Queue
from queue_service.handoff.phases import Phase
from queue_service.handoff.switchboard import NotYourChat
from queue_service.images import texts as image_texts
from queue_service.images.refs import image_ref
from queue_service.images.serve import image_response
from queue_service.images.upload import Images
from queue_service.services import part

router = APIRouter(prefix="/console/api", tags=["console"])
ImagesDep = Annotated[Images, Depends(part(Images))]


@router.post("/chats/image")
async def send_image(
    request: Request,
    staff: Staff,
    board: Board,
    queue: Queue,
    images: ImagesDep,
    conversation_id: Annotated[str, Query(min_length=1, max_length=200)],
) -> dict[str, Any]:
    conversation = await queue.read(conversation_id)
    if conversation.phase is not Phase.WITH_AGENT or conversation.agent != staff.username:
        raise HTTPException(status.HTTP_409_CONFLICT, texts.NOT_YOUR_CHAT)
    image = await images.receive(request, conversation_id, staff.username)
    try:
        line = await board.reply(
            staff.username, staff.display_name, conversation_id, None, image_ref(image.id)
        )
    except NotYourChat as exc:  # the chat ended while the image was read
        raise HTTPException(status.HTTP_409_CONFLICT, texts.NOT_YOUR_CHAT) from exc
    return line.model_dump(mode="json")


@router.get("/images/{image_id}")
async def show(
    image_id: str, staff: Staff, queue: Queue, images: ImagesDep, search: Search
) -> Response:
    image = await images.store.get(image_id)
    if image is None or not (
        await may_read(staff, queue, image.conversation_id)
        or (staff.role is Role.AGENT and await search.served(image.conversation_id, staff.username))
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, image_texts.NOT_FOUND)
    return image_response(image)
