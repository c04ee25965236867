// Images in a chat (queue_service/console/images_api.py): the 图片 button and a pasted
// picture send one to the user; a line's image of ours is read through the console's API
// (the session cookie goes with the <img>, so it is shown like any picture).

import { showError } from "./notify.js";
import { state } from "./store.js";
import { addLine, scrollIfStuck } from "./transcript.js";

var PREFIX = "swa-image:";
var FAILED = "图片发送失败，请稍后重试。";

// The address a console reads a line's image at: ours through the API, else null.
export function consoleImageUrl(ref) {
  if (typeof ref !== "string" || ref.indexOf(PREFIX) !== 0) return null;
  return "/console/api/images/" + encodeURIComponent(ref.slice(PREFIX.length));
}

function upload(chat, file) {
  if (chat.ended || !file) return;
  var session = state.session;
  chat.imageOpen.disabled = true;
  fetch("/console/api/chats/image?conversation_id=" + encodeURIComponent(chat.id), {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/octet-stream" },
    body: file
  })
    .then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        if (session !== state.session) return;
        if (!response.ok) {
          var detail = data && typeof data.detail === "string" ? data.detail : FAILED;
          showError({ status: response.status, message: detail });
          return;
        }
        addLine(chat, data);
        scrollIfStuck(chat, true);
      });
    })
    .catch(function () { showError({ message: FAILED }); })
    .then(function () { chat.imageOpen.disabled = false; });
}

// A chat pane's 图片 button, its file picker, and pasting a picture into the reply box.
export function wireImages(chat) {
  chat.imageOpen = chat.pane.querySelector(".swa-image-open");
  var picker = chat.pane.querySelector(".swa-image-input");
  chat.imageOpen.addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () {
    var file = picker.files && picker.files[0];
    picker.value = "";
    upload(chat, file);
  });
  chat.input.addEventListener("paste", function (event) {
    var items = (event.clipboardData && event.clipboardData.files) || [];
    var image = Array.prototype.find.call(items, function (file) {
      return file.type.indexOf("image/") === 0;
    });
    if (!image) return;  // text is pasted as text
    event.preventDefault();
    upload(chat, image);
  });
}
