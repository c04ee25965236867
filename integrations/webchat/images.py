"""Images in a human chat, the web chat's side: the user sends one to their agent, and reads
the images of their own conversation (queue_service/images/ checks, keeps and serves them).

  POST /channels/webchat/images         body: the image's bytes (raw, not a form)
  GET  /channels/webchat/images/<id>    the image, if it belongs to the conversation

Both name the conversation by its secret in the `X-Webchat-Secret` header, as the socket's
first frame does: never in the URL (access logs, browser history, a Referer). That is why the
page fetches an image and shows it from memory rather than pointing an <img> at this URL: an
<img> cannot send a header. An image of another conversation is answered 404, as a missing one.
An upload is taken only while a person serves the user (409 otherwise, with a sentence that
says so): the bot reads no pictures, and a ticket (留言) keeps text only.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from integrations.webchat.session import held_conversation
from queue_service.deps import AppSettings
from queue_service.images import texts
from queue_service.images.refs import image_ref
from queue_service.images.serve import image_response
from queue_service.origins import origin_allowed
from queue_service.port import ChannelPort
from queue_service.services import part

SECRET_HEADER = "X-Webchat-Secret"
PATH = "/channels/webchat/images"

router = APIRouter()
Port = Annotated[ChannelPort, Depends(part(ChannelPort))]


def _holder(request: Request) -> str:
    """The conversation whose secret the request carries; 401 without a well-formed one."""
    conversation = held_conversation(request.headers.get(SECRET_HEADER))
    if conversation is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, texts.NO_CONVERSATION)
    return conversation


@router.post(PATH)
async def upload(request: Request, port: Port, settings: AppSettings) -> dict[str, str]:
    if not origin_allowed(request, required=False, also=settings.embed_origin_list()):
        raise HTTPException(status.HTTP_403_FORBIDDEN, texts.FOREIGN_ORIGIN)
    conversation = _holder(request)
    if not await port.with_agent(conversation):
        raise HTTPException(status.HTTP_409_CONFLICT, texts.NOT_WITH_AGENT)
    image = await port.images.receive(request, conversation, "user")
    ref = image_ref(image.id)
    await port.image_from_user(conversation, ref)
    return {"image": ref}


@router.get(PATH + "/{image_id}")
async def show(image_id: str, request: Request, port: Port) -> Response:
    conversation = _holder(request)
    image = await port.images.store.get(image_id)
    if image is None or image.conversation_id != conversation:
        raise HTTPException(status.HTTP_404_NOT_FOUND, texts.NOT_FOUND)
    return image_response(image)
