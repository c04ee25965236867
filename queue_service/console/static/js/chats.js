// The chats this agent serves: a tab and a pane each (cloned from #swa-chat-template), kept in
// step with /console/api/chats and the websocket's events; the user's lines, typing, unread
// counts; closing a chat with its result (会话结果), and what is left when it ends elsewhere.

import { api } from "./api.js";
import { hideSuggestions, stopTyping, toggleCannedPanel, wireComposer } from "./composer.js";
import { loadContact, wireContact } from "./contact.js";
import { $, el } from "./dom.js";
import { channelTitle, identityText, shortId, userLabel } from "./format.js";
import { wireImages } from "./images.js";
import { refreshMe } from "./me.js";
import { beep, showError, showNotice } from "./notify.js";
import { state } from "./store.js";
import { activate } from "./tabs.js";
import { addLine, scrollIfStuck } from "./transcript.js";
import { closeTransfer, openTransfer } from "./transfer.js";

export var TITLE = "单一窗口客服工作台";
var USER_TYPING_TIMEOUT_MS = 8000;  // hide the user's indicator if its "off" got lost

var ui = {
  chatTabs: $(".swa-chat-tabs"),
  panes: $(".swa-panes"),
  chatTemplate: $("#swa-chat-template"),
};

// Every chat's tab and pane gone, its timers stopped: the console is logging out.
export function dropChats() {
  state.chats.forEach(function (chat) {
    clearTimeout(chat.typingIdle);
    clearTimeout(chat.userTypingTimer);
    clearTimeout(chat.cannedTimer);
    chat.tab.remove();
    chat.pane.remove();
  });
}

export function openChatCount() {
  var count = 0;
  state.chats.forEach(function (chat) { if (!chat.ended) count += 1; });
  return count;
}

export function loadChats() {
  var session = state.session;
  var seq = ++state.chatsSeq;
  return api("GET", "/console/api/chats").then(function (data) {
    if (session !== state.session || seq < state.chatsApplied) return;
    state.chatsApplied = seq;
    applyChats(data.chats || [], seq);
  }, showError);
}

function applyChats(list, seq) {
  var announce = state.chatsLoaded;
  var listed = new Set();
  list.forEach(function (info) {
    var id = info.conversation_id;
    listed.add(id);
    // An answer asked for before the chat ended here must not bring it back.
    if ((state.endedAt.get(id) || 0) >= seq) return;
    var chat = state.chats.get(id);
    if (!chat) {
      chat = addChat(info);
      if (announce) announceChat(chat);
    } else if (chat.ended) {
      reopenChat(chat, info);
      if (announce) announceChat(chat);
    }
    if (state.pendingActivate === id) {
      state.pendingActivate = null;
      activate(id, true);
    }
  });
  state.chats.forEach(function (chat, id) {
    if (!listed.has(id) && !chat.ended && !chat.closing && chat.seq < seq) {
      markEnded(chat, "会话已结束");
    }
  });
  state.chatsLoaded = true;
  if (state.active === null && state.chats.size) {
    // Nothing was open: show the first chat, and let the agent type at once unless they are
    // typing somewhere else.
    var focused = document.activeElement;
    var typing = focused && (focused.tagName === "TEXTAREA" || focused.tagName === "INPUT");
    activate(state.chats.keys().next().value, !typing);
  }
}

function announceChat(chat) {
  if (!isFocused(chat)) {
    chat.unread = Math.max(chat.unread, 1);
    updateUnread(chat);
  }
  beep();
}

function isFocused(chat) {
  return state.active === chat.id && !document.hidden;
}

var paneCount = 0;

function addChat(info) {
  var id = info.conversation_id;
  var pane = ui.chatTemplate.content.firstElementChild.cloneNode(true);
  pane.dataset.conversationId = id;
  paneCount += 1;
  pane.id = "swa-pane-" + paneCount;

  var tab = el("button", "swa-tab swa-chat-tab");
  tab.type = "button";
  tab.setAttribute("role", "tab");
  tab.setAttribute("aria-selected", "false");
  tab.setAttribute("aria-controls", pane.id);
  tab.dataset.conversationId = id;
  tab.title = id;
  var name = el("span", "swa-tab-name");
  var skill = el("span", "swa-tab-skill");
  var typing = el("span", "swa-tab-typing", "…");
  typing.hidden = true;
  typing.title = "用户正在输入";
  var badge = el("span", "swa-unread", "0");
  badge.hidden = true;
  tab.appendChild(name);
  tab.appendChild(skill);
  tab.appendChild(typing);
  tab.appendChild(badge);

  var chat = {
    id: id,
    info: info,
    seq: state.chatsSeq,
    tab: tab,
    tabName: name,
    tabSkill: skill,
    tabTyping: typing,
    badge: badge,
    pane: pane,
    transcript: $(".swa-transcript", pane),
    typingLine: $(".swa-typing", pane),
    composer: $(".swa-composer", pane),
    input: $(".swa-reply-input", pane),
    send: $(".swa-send", pane),
    disposition: $(".swa-disposition", pane),
    closeButton: $(".swa-close-chat", pane),
    transferButton: $(".swa-transfer-chat", pane),
    dismiss: $(".swa-dismiss", pane),
    suggest: $(".swa-suggest", pane),
    cannedOpen: $(".swa-canned-open", pane),
    cannedPanel: $(".swa-canned-panel", pane),
    cannedSearch: $(".swa-canned-search", pane),
    cannedResults: $(".swa-canned-results", pane),
    cannedNone: $(".swa-canned-none", pane),
    endedLabel: $(".swa-chat-ended", pane),
    noteBar: $(".swa-chat-note", pane),
    noteText: $(".swa-chat-note-text", pane),
    lines: new Map(),     // message id -> element: a line arrives once however it came
    unread: 0,
    ended: false,
    closing: false,
    stick: true,          // keep the newest line in view unless the agent scrolled up
    typingOn: false,
    typingSent: 0,
    typingIdle: null,
    userTypingTimer: null,
    suggestions: [],      // the canned responses the "/" list offers
    suggestIndex: 0,
    suggestOpen: false,
    suggestDismissed: null,  // the reply as it was when Esc closed the list
    cannedEntries: [],    // the 常用语 panel's results
    cannedIndex: 0,
    cannedSeq: 0,
    cannedTimer: null,
  };
  describeChat(chat, info);
  fillDispositions(chat);

  tab.addEventListener("click", function () { activate(id, true); });
  wireComposer(chat);
  wireImages(chat);
  wireContact(chat);
  chat.transferButton.addEventListener("click", function () { openTransfer(chat); });
  chat.closeButton.addEventListener("click", function () { closeChat(chat); });
  chat.dismiss.addEventListener("click", function () { removeChat(chat); });
  chat.transcript.addEventListener("scroll", function () {
    var t = chat.transcript;
    chat.stick = t.scrollHeight - t.scrollTop - t.clientHeight < 40;
  });

  state.chats.set(id, chat);
  ui.chatTabs.appendChild(tab);
  ui.panes.appendChild(pane);
  loadTranscript(chat);
  return chat;
}

function describeChat(chat, info) {
  chat.info = info;
  chat.tabName.textContent = userLabel(info);
  chat.tabSkill.textContent = info.skill_title || "";
  $(".swa-chat-who", chat.pane).textContent = channelTitle(info.channel) + "用户 " +
    (identityText(info.identity) || shortId(info.conversation_id));
  $(".swa-chat-skill", chat.pane).textContent = info.skill_title || "";
  $(".swa-chat-id", chat.pane).textContent = info.conversation_id;
  // A transfer's note ("客服小王：…"), for the agent who took the user over.
  chat.noteText.textContent = info.note || "";
  chat.noteBar.hidden = !info.note;
}

export function fillDispositions(chat) {
  var dispositions = (state.me && state.me.dispositions) || [];
  var select = chat.disposition;
  if (select.options.length - 1 === dispositions.length) return;
  var chosen = select.value;
  while (select.options.length > 1) select.remove(1);
  dispositions.forEach(function (d) {
    var option = el("option", null, d.title);
    option.value = d.id;
    select.appendChild(option);
  });
  select.value = chosen;
}

function loadTranscript(chat) {
  var session = state.session;
  api("GET", "/console/api/transcript?conversation_id=" + encodeURIComponent(chat.id))
    .then(function (data) {
      if (session !== state.session || state.chats.get(chat.id) !== chat) return;
      (data.messages || []).forEach(function (message) { addLine(chat, message); });
      scrollIfStuck(chat);
    })
    .catch(function (error) {
      if (session !== state.session) return;
      if (error.status === 403) markEnded(chat, "会话已结束");
      else showError(error);
    });
}

export function onMessage(conversationId, message) {
  var chat = state.chats.get(conversationId);
  if (!chat || chat.ended) {
    loadChats();  // a chat this console does not show yet: its transcript brings the line
    return;
  }
  var added = addLine(chat, message);
  if (message && message.role === "user") showUserTyping(chat, false);
  scrollIfStuck(chat);
  if (added && message.role === "user" && !isFocused(chat)) {
    chat.unread += 1;
    updateUnread(chat);
    beep();
  }
}

export function onUserTyping(conversationId, on) {
  var chat = state.chats.get(conversationId);
  if (chat && !chat.ended) showUserTyping(chat, on);
}

function showUserTyping(chat, on) {
  clearTimeout(chat.userTypingTimer);
  chat.typingLine.hidden = !on;
  chat.tabTyping.hidden = !on;
  if (on) {
    chat.userTypingTimer = setTimeout(function () { showUserTyping(chat, false); }, USER_TYPING_TIMEOUT_MS);
  }
}

export function updateUnread(chat) {
  if (chat) {
    chat.badge.textContent = String(chat.unread);
    chat.badge.hidden = chat.unread === 0;
    chat.tab.dataset.unread = String(chat.unread);
  }
  updateTitle();
}

// The page's title counts the unread lines of all chats: "(2) 单一窗口客服工作台".
export function updateTitle() {
  var total = 0;
  state.chats.forEach(function (chat) { total += chat.unread; });
  document.title = total ? "(" + total + ") " + TITLE : TITLE;
}

function closeChat(chat) {
  if (chat.closing || chat.ended) return;
  var disposition = chat.disposition.value;
  if (!disposition) {
    showNotice("请先选择会话结果，再结束会话。");
    chat.disposition.focus();
    return;
  }
  if (chat.input.value.trim() && !window.confirm("回复框中还有未发送的内容，仍要结束会话吗？")) return;
  chat.closing = true;
  chat.closeButton.disabled = true;
  stopTyping(chat);
  var session = state.session;
  api("POST", "/console/api/chats/close", { conversation_id: chat.id, disposition: disposition })
    .then(function () {
      if (session !== state.session) return;
      removeChat(chat);
      refreshMe();
    })
    .catch(function (error) {
      if (session !== state.session) return;
      chat.closing = false;
      chat.closeButton.disabled = false;
      showError(error);
      if (error.status === 409) markEnded(chat, "会话已结束");
    });
}

export function onClosed(conversationId, takenBy, endedByUser) {
  var chat = state.chats.get(conversationId);
  refreshMe();
  if (!chat) return;
  if (chat.closing) removeChat(chat);
  else if (takenBy && !chat.ended) {
    markEnded(chat, "已由主管接管");
    showNotice("与" + userLabel(chat.info) + "的会话已由主管接管。", "info");
  } else if (endedByUser && !chat.ended) {
    markEnded(chat, "用户已结束会话");
    showNotice(userLabel(chat.info) + "已结束人工服务。", "info");
  } else if (!chat.ended) {
    markEnded(chat, "会话已结束");
    showNotice("与" + userLabel(chat.info) + "的会话已结束（可能已在其他窗口结束，或用户已重新排队）。", "info");
  }
}

// The chat ended elsewhere: the transcript stays readable until the agent closes the tab.
export function markEnded(chat, reason) {
  if (chat.ended) return;
  chat.ended = true;
  state.endedAt.set(chat.id, state.chatsSeq);
  stopTyping(chat);
  showUserTyping(chat, false);
  chat.pane.dataset.ended = "true";
  chat.tab.dataset.ended = "true";
  chat.endedLabel.textContent = reason;
  chat.endedLabel.hidden = false;
  chat.input.disabled = true;
  chat.send.disabled = true;
  chat.disposition.disabled = true;
  chat.closeButton.hidden = true;
  chat.transferButton.hidden = true;
  chat.cannedOpen.disabled = true;
  hideSuggestions(chat);
  toggleCannedPanel(chat, false);
  if (state.transferChat === chat) closeTransfer();
  chat.dismiss.hidden = false;
}

function reopenChat(chat, info) {
  chat.ended = false;
  chat.closing = false;
  chat.seq = state.chatsSeq;
  describeChat(chat, info);
  delete chat.pane.dataset.ended;
  delete chat.tab.dataset.ended;
  chat.endedLabel.hidden = true;
  chat.input.disabled = false;
  chat.send.disabled = false;
  chat.disposition.disabled = false;
  chat.disposition.value = "";
  chat.closeButton.hidden = false;
  chat.closeButton.disabled = false;
  chat.transferButton.hidden = false;
  chat.cannedOpen.disabled = false;
  chat.dismiss.hidden = true;
  loadTranscript(chat);
  loadContact(chat);
}

export function removeChat(chat) {
  if (state.chats.get(chat.id) !== chat) return;
  var ids = Array.from(state.chats.keys());
  var index = ids.indexOf(chat.id);
  stopTyping(chat);
  clearTimeout(chat.userTypingTimer);
  clearTimeout(chat.cannedTimer);
  if (state.transferChat === chat) closeTransfer();
  state.endedAt.set(chat.id, state.chatsSeq);
  state.chats.delete(chat.id);
  chat.tab.remove();
  chat.pane.remove();
  if (state.active === chat.id) {
    var rest = ids.filter(function (id) { return id !== chat.id; });
    activate(rest.length ? rest[Math.min(index, rest.length - 1)] : null, true);
  }
  updateTitle();
}
