// The answer as each channel shows it, rendered by the server with the channels' own code
// (studio/preview.py): the web chat's bubble and buttons, WeChat's one text with numbered
// options, Telegram's message and keyboard.

import { api } from "../api.js";
import { $, el } from "../dom.js";
import { entryId } from "./editor.js";
import { KB } from "./state.js";

var ui = {
  webchat: $(".kb-preview-webchat"),
  wechat: $(".kb-preview-wechat"),
  telegram: $(".kb-preview-telegram"),
};

var timer = null;
var asked = 0;

function bubble(text, buttons, className) {
  var box = el("div", "kb-bubble " + className);
  box.appendChild(el("p", "kb-bubble-text", text));
  if (buttons.length) {
    var row = el("div", "kb-bubble-buttons");
    buttons.forEach(function (title) { row.appendChild(el("span", "kb-bubble-button", title)); });
    box.appendChild(row);
  }
  return box;
}

function render(shown) {
  ui.webchat.replaceChildren(bubble(shown.webchat.text, shown.webchat.buttons, "kb-webchat"));
  ui.wechat.textContent = shown.wechat.text;
  ui.telegram.replaceChildren();
  shown.telegram.forEach(function (message) {
    ui.telegram.appendChild(bubble(message.text, message.buttons, "kb-telegram"));
  });
}

export function schedulePreview(draft) {
  clearTimeout(timer);
  timer = setTimeout(function () {
    var mine = ++asked;
    var body = { entry_id: entryId(), title: draft.title, answer: draft.answer, related: draft.related };
    api("POST", KB + "/preview", body).then(function (shown) {
      if (mine === asked) render(shown);
    }, function () {});
  }, 300);
}

export function clearPreview() {
  clearTimeout(timer);
  ui.webchat.replaceChildren();
  ui.wechat.textContent = "";
  ui.telegram.replaceChildren();
}
