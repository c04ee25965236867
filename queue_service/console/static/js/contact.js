// A chat's 用户信息 panel: who the user is (verified identity, channel), their earlier chats and
// tickets, and the notes staff wrote about them; a supervisor's whisper also shows in the
// chat's transcript at once. Notes never reach the user (queue_service/console/contact_api.py).

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { channelTitle, formatDateTime, formatTime } from "./format.js";
import { beep, showError } from "./notify.js";
import { state } from "./store.js";
import { scrollIfStuck } from "./transcript.js";

var KIND_TITLES = { person: "个人用户", enterprise: "企业用户" };
var SOURCE_TITLES = { portal: "门户登录", bind: "账号绑定", card: "卡介质验证" };

export function wireContact(chat) {
  chat.contact = $(".swa-contact", chat.pane);
  chat.notes = $(".swa-notes", chat.pane);
  chat.noteForm = $(".swa-note-form", chat.pane);
  chat.noteInput = $(".swa-note-input", chat.pane);
  chat.noteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    addNote(chat);
  });
  loadContact(chat);
}

export function loadContact(chat) {
  var session = state.session;
  var query = "?conversation_id=" + encodeURIComponent(chat.id);
  api("GET", "/console/api/contact" + query).then(function (data) {
    if (session === state.session) renderContact(chat, data);
  }, function (error) {
    if (session === state.session && error.status !== 403) showError(error);
  });
  api("GET", "/console/api/notes" + query).then(function (data) {
    if (session !== state.session) return;
    chat.notes.textContent = "";
    (data.notes || []).forEach(function (note) { chat.notes.appendChild(renderNote(note)); });
  }, function () {});
}

function field(list, label, value) {
  list.appendChild(el("dt", null, label));
  list.appendChild(el("dd", null, value));
}

function renderContact(chat, data) {
  var who = $(".swa-contact-who", chat.pane);
  who.textContent = "";
  var identity = data.identity;
  field(who, "渠道", channelTitle(data.channel));
  if (identity) {
    field(who, "身份", identity.label);
    field(who, "类型", KIND_TITLES[identity.kind] || identity.kind);
    if (identity.enterprise_name) field(who, "企业", identity.enterprise_name);
    field(who, "验证方式", SOURCE_TITLES[identity.source] || identity.source);
  } else {
    field(who, "身份", "未登录（匿名用户）");
  }
  var chats = $(".swa-contact-chats", chat.pane);
  chats.textContent = "";
  (data.chats || []).forEach(function (past) {
    var rating = past.csat ? "，评价 " + past.csat + " 分" : "";
    chats.appendChild(el("li", null, formatDateTime(past.assigned_at) + " " + past.agent_name +
      "（" + past.skill_title + "）" + past.disposition_title + rating));
  });
  if (!chats.children.length) chats.appendChild(el("li", "swa-contact-none", "无"));
  var tickets = $(".swa-contact-tickets", chat.pane);
  tickets.textContent = "";
  (data.tickets || []).forEach(function (ticket) {
    tickets.appendChild(el("li", null, "#" + ticket.id + " " + ticket.status_title + " " +
      formatDateTime(ticket.created_at) + " " + ticket.text));
  });
  if (!tickets.children.length) tickets.appendChild(el("li", "swa-contact-none", "无"));
}

function renderNote(note) {
  var item = el("li", "swa-note");
  item.dataset.kind = note.kind;
  var label = note.kind === "whisper" ? "主管悄悄话" : "备注";
  item.appendChild(el("span", "swa-note-meta",
    label + " · " + note.author_name + " · " + formatTime(note.created_at)));
  item.appendChild(el("span", "swa-note-text", note.text));
  return item;
}

function addNote(chat) {
  var text = chat.noteInput.value.trim();
  if (!text) return;
  var session = state.session;
  api("POST", "/console/api/notes", { conversation_id: chat.id, text: text }).then(function (note) {
    if (session !== state.session) return;
    chat.noteInput.value = "";
    chat.notes.appendChild(renderNote(note));
  }, showError);
}

// A note on one of this agent's chats from someone else (the socket's "note" event).
export function onNote(note) {
  var chat = state.chats.get(note.conversation_id);
  if (!chat) return;
  chat.notes.appendChild(renderNote(note));
  if (note.kind === "whisper") {
    var line = el("li", "swa-line swa-whisper");
    line.dataset.role = "whisper";
    line.appendChild(el("div", "swa-line-meta", "主管悄悄话（用户看不到） · " + note.author_name));
    line.appendChild(el("div", "swa-line-text", note.text));
    chat.transcript.appendChild(line);
    scrollIfStuck(chat);
    beep();
  }
}
