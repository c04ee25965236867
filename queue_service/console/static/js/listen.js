// 监听 (supervisors, in 实时监控): a read-only live view of one agent's chat, with a whisper to
// the agent (悄悄话, never sent to the user) and 接管 (the chat moves to the supervisor). The
// transcript up to now comes from the API, what is said from then on over the socket
// ("watch" events, queue_service/console/listening.py).

import { api } from "./api.js";
import { $ } from "./dom.js";
import { loadChats } from "./chats.js";
import { showError, showNotice } from "./notify.js";
import { sendFrame } from "./socket.js";
import { state } from "./store.js";
import { activate } from "./tabs.js";
import { addLine, scrollIfStuck } from "./transcript.js";

var ui = {
  section: $(".swa-listen"),
  who: $(".swa-listen-who"),
  status: $(".swa-listen-status"),
  transcript: $(".swa-listen-transcript"),
  whisperForm: $(".swa-whisper-form"),
  whisperInput: $(".swa-whisper-input"),
  takeOver: $(".swa-listen-takeover"),
  stop: $(".swa-listen-stop"),
};

// The chat listened to, shaped as transcript.js's addLine expects.
var view = null;

export function listenTo(conversationId, label) {
  if (view && view.id !== conversationId) stopListening();
  view = { id: conversationId, lines: new Map(), transcript: ui.transcript, stick: true };
  state.listening = conversationId;
  ui.transcript.textContent = "";
  ui.who.textContent = label;
  ui.status.textContent = "连接中…";
  ui.section.hidden = false;
  sendFrame({ type: "listen", conversation_id: conversationId });
  var listened = view;
  api("GET", "/console/api/transcript?conversation_id=" + encodeURIComponent(conversationId))
    .then(function (data) {
      if (view !== listened) return;
      (data.messages || []).forEach(function (message) { addLine(view, message); });
      scrollIfStuck(view, true);
    }, showError);
}

export function stopListening() {
  if (view) sendFrame({ type: "unlisten", conversation_id: view.id });
  view = null;
  state.listening = null;
  ui.section.hidden = true;
  ui.transcript.textContent = "";
}

// After a reconnect the server has forgotten what this console listened to.
export function relisten() {
  if (view) sendFrame({ type: "listen", conversation_id: view.id });
}

export function onListening(event) {
  if (!view || event.conversation_id !== view.id) return;
  ui.status.textContent = event.on ? "监听中" : "未在监听";
  if (event.detail) showNotice(event.detail);
}

export function onWatch(event) {
  if (!view || event.conversation_id !== view.id) return;
  (event.messages || []).forEach(function (message) { addLine(view, message); });
  scrollIfStuck(view);
}

function whisper() {
  var text = ui.whisperInput.value.trim();
  if (!view || !text) return;
  var body = { conversation_id: view.id, text: text, whisper: true };
  api("POST", "/console/api/notes", body).then(function () {
    ui.whisperInput.value = "";
    showNotice("悄悄话已发送给接待客服（用户看不到）。", "info");
  }, showError);
}

export function takeOver(conversationId) {
  if (!window.confirm("接管后该会话将转到您名下，原客服的会话随即结束。确定接管吗？")) return;
  api("POST", "/console/api/chats/takeover", { conversation_id: conversationId }).then(function () {
    if (view && view.id === conversationId) stopListening();
    state.pendingActivate = conversationId;
    loadChats().then(function () {
      if (state.chats.has(conversationId)) activate(conversationId, true);
    });
  }, showError);
}

ui.whisperForm.addEventListener("submit", function (event) {
  event.preventDefault();
  whisper();
});
ui.takeOver.addEventListener("click", function () { if (view) takeOver(view.id); });
ui.stop.addEventListener("click", stopListening);
