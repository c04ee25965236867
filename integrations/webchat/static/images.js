// Images in a human chat, the page's side (integrations/webchat/images.py): the 图片 button
// sends one to the agent, and a line's image of this conversation is shown inline.
// The conversation's secret goes in a header, never in a URL, so an image of ours is fetched
// and shown from memory (a data: URL, which the page's CSP allows); an <img> pointed at the
// server could not carry the header. A bot's image (a plain URL) is shown as it is.

var PATH = "/channels/webchat/images";
var PREFIX = "swa-image:";
var SECRET_HEADER = "X-Webchat-Secret";
var FAILED = "图片发送失败，请稍后重试。";

function imageId(ref) {
  return typeof ref === "string" && ref.indexOf(PREFIX) === 0 ? ref.slice(PREFIX.length) : null;
}

function detailOf(response) {
  return response.json().then(
    function (data) { return data && typeof data.detail === "string" ? data.detail : FAILED; },
    function () { return FAILED; }
  );
}

// Show the line's image in `img`: ours fetched with the secret, anything else by its URL.
export function showImage(img, ref, secret) {
  var id = imageId(ref);
  if (!id) {
    img.src = ref;
    return;
  }
  var headers = {};
  headers[SECRET_HEADER] = secret() || "";
  fetch(PATH + "/" + encodeURIComponent(id), { headers: headers })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.blob();
    })
    .then(function (blob) {
      var reader = new FileReader();
      reader.onload = function () { img.src = reader.result; };
      reader.readAsDataURL(blob);
    })
    .catch(function () { img.alt = "图片无法显示"; });
}

// Wire the 图片 button: it opens the file picker, and a picked file is uploaded. `sent(ref)`
// shows the user's own line, `refused(text)` what the server said instead.
export function wireImageButton(button, picker, secret, sent, refused) {
  button.addEventListener("click", function () { picker.click(); });
  picker.addEventListener("change", function () {
    var file = picker.files && picker.files[0];
    picker.value = "";  // the same file may be picked again
    if (!file) return;
    var headers = { "Content-Type": "application/octet-stream" };
    headers[SECRET_HEADER] = secret() || "";
    button.disabled = true;
    fetch(PATH, { method: "POST", headers: headers, body: file })
      .then(function (response) {
        if (response.ok) return response.json().then(function (data) { sent(data.image); });
        return detailOf(response).then(refused);
      })
      .catch(function () { refused(FAILED); })
      .then(function () { button.disabled = false; });
  });
}
