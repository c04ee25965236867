// A conversation's lines as the console shows them: in a chat's pane and in the read-only
// record that transcript search opens.

import { appendRichText } from "/static/richtext.js";
import { el } from "./dom.js";
import { formatTime, ROLE_LABELS } from "./format.js";
import { consoleImageUrl } from "./images.js";
import { state } from "./store.js";

function roleLabel(message) {
  if (message.role === "agent") {
    var name = message.sender_name || message.agent || "";
    // Display names are often 客服小王 already: no "客服 客服小王".
    return name.indexOf("客服") === 0 ? name : ("客服 " + name).trim();
  }
  return ROLE_LABELS[message.role] || message.role || "";
}

export function renderLine(message) {
  var item = el("li", "swa-line");
  item.dataset.role = message.role || "bot";
  if (message.id !== undefined && message.id !== null) item.dataset.id = String(message.id);
  if (message.role === "agent" && state.me && message.agent === state.me.username) {
    item.dataset.mine = "true";
  }
  var meta = el("div", "swa-line-meta");
  meta.appendChild(el("span", "swa-line-who", roleLabel(message)));
  var time = el("time", "swa-line-time", formatTime(message.created_at));
  if (message.created_at) {
    time.dateTime = message.created_at;
    time.title = new Date(message.created_at).toLocaleString("zh-CN");
  }
  meta.appendChild(time);
  item.appendChild(meta);
  var shown = false;
  if (message.text) {
    var text = el("div", "swa-line-text");
    appendRichText(text, message.text);
    item.appendChild(text);
    shown = true;
  }
  var image = safeImageUrl(message.image);
  if (image) {
    var link = el("a", "swa-line-image");
    link.href = image;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    var img = el("img");
    img.src = image;
    img.alt = "图片";
    img.loading = "lazy";
    img.referrerPolicy = "no-referrer";
    // A picture takes its height once loaded: the newest line stays in view if it was.
    img.addEventListener("load", function () { keepInView(item, img); });
    link.appendChild(img);
    item.appendChild(link);
    shown = true;
  }
  if (message.buttons && message.buttons.length) {
    // What the user was offered; for the agent's eyes only, so not clickable.
    var buttons = el("div", "swa-line-buttons");
    message.buttons.forEach(function (button) {
      buttons.appendChild(el("span", "swa-line-button", button.title));
    });
    item.appendChild(buttons);
    shown = true;
  }
  if (!shown) item.appendChild(el("div", "swa-line-text swa-line-other", message.custom ? "[卡片消息]" : "[空消息]"));
  return item;
}

// Adds a transcript line in id order; false if the line is already there.
export function addLine(chat, message) {
  if (!message) return false;
  var id = message.id;
  if (id !== undefined && id !== null && chat.lines.has(id)) return false;
  var item = renderLine(message);
  var before = null;
  if (id !== undefined && id !== null) {
    chat.lines.set(id, item);
    var node = chat.transcript.lastElementChild;
    while (node && node.dataset.id && Number(node.dataset.id) > id) {
      before = node;
      node = node.previousElementSibling;
    }
  }
  chat.transcript.insertBefore(item, before);
  return true;
}

function keepInView(item, img) {
  var list = item.parentNode;
  if (!list || item !== list.lastElementChild) return;
  var below = list.scrollHeight - list.scrollTop - list.clientHeight;
  if (below <= img.offsetHeight + 40) list.scrollTop = list.scrollHeight;
}

export function scrollIfStuck(chat, force) {
  if (force) chat.stick = true;
  if (chat.stick) chat.transcript.scrollTop = chat.transcript.scrollHeight;
}

function safeImageUrl(url) {
  if (typeof url !== "string") return null;
  var ours = consoleImageUrl(url);
  if (ours) return ours;
  if (/^https?:\/\//i.test(url)) return url;
  if (url.charAt(0) === "/" && url.charAt(1) !== "/") return url;
  return null;
}
