// A chat's reply box: sending, the typing notices the user sees, and canned responses (常用语)
// put into the reply, by "/" and a shortcut or from the 常用语 panel; nothing is sent until the
// agent sends it.

import { api } from "./api.js";
import { loadCanned } from "./canned.js";
import { markEnded } from "./chats.js";
import { appendHighlighted, el, selectOption } from "./dom.js";
import { snippet } from "./format.js";
import { showError, showNotice } from "./notify.js";
import { sendFrame } from "./socket.js";
import { state } from "./store.js";
import { addLine, scrollIfStuck } from "./transcript.js";

var TYPING_THROTTLE_MS = 2000;  // "typing on" at most this often while the agent types
var TYPING_IDLE_MS = 3000;      // "typing off" after this long without a keystroke
var MAX_SUGGESTIONS = 8;
var SHORTCUT_TYPED = /^\/([a-z0-9_-]*)$/i;  // the whole reply up to the caret: "/" and a word
var SEARCH_DEBOUNCE_MS = 250;
var ARROWS = { ArrowDown: 1, ArrowUp: -1 };  // in a list of options, round from end to start

// A new chat's reply box: Enter sends, the user sees the agent typing, "/" and the 常用语
// button offer canned responses.
export function wireComposer(chat) {
  chat.suggest.id = chat.pane.id + "-suggest";
  chat.input.setAttribute("aria-controls", chat.suggest.id);
  chat.composer.addEventListener("submit", function (event) {
    event.preventDefault();
    sendReply(chat);
  });
  chat.input.addEventListener("keydown", function (event) {
    // A key that confirms an IME candidate is the input method's, not ours.
    if (event.isComposing || event.keyCode === 229) return;
    if (chat.suggestOpen && suggestionKey(chat, event)) return;
    // Enter sends; Shift+Enter is a new line.
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      sendReply(chat);
    }
  });
  chat.input.addEventListener("input", function () {
    agentTyping(chat);
    updateSuggestions(chat);
  });
  chat.input.addEventListener("blur", function () {
    stopTyping(chat);
    hideSuggestions(chat);
  });
  chat.cannedOpen.addEventListener("click", function () { toggleCannedPanel(chat); });
  chat.cannedSearch.addEventListener("input", function () {
    clearTimeout(chat.cannedTimer);
    chat.cannedTimer = setTimeout(function () { searchCannedPanel(chat); }, SEARCH_DEBOUNCE_MS);
  });
  chat.cannedSearch.addEventListener("keydown", function (event) { cannedPanelKey(chat, event); });
}

// The agent types: "on" now and then while keys come, "off" when they stop or send.
function agentTyping(chat) {
  if (chat.ended) return;
  clearTimeout(chat.typingIdle);
  if (!chat.input.value.trim()) {
    stopTyping(chat);
    return;
  }
  var now = Date.now();
  if (!chat.typingOn || now - chat.typingSent >= TYPING_THROTTLE_MS) {
    if (sendFrame({ type: "typing", conversation_id: chat.id, on: true })) {
      chat.typingOn = true;
      chat.typingSent = now;
    }
  }
  chat.typingIdle = setTimeout(function () { stopTyping(chat); }, TYPING_IDLE_MS);
}

export function stopTyping(chat) {
  clearTimeout(chat.typingIdle);
  if (!chat.typingOn) return;
  chat.typingOn = false;
  sendFrame({ type: "typing", conversation_id: chat.id, on: false });
}

function sendReply(chat) {
  var text = chat.input.value.trim();
  if (!text || chat.ended) return;
  stopTyping(chat);
  chat.input.value = "";
  var session = state.session;
  api("POST", "/console/api/chats/reply", { conversation_id: chat.id, text: text })
    .then(function (line) {
      if (session !== state.session) return;
      addLine(chat, line);
      scrollIfStuck(chat, true);
    })
    .catch(function (error) {
      if (session !== state.session) return;
      // Nothing typed is lost: the text goes back into an empty composer.
      if (!chat.input.value) chat.input.value = text;
      showError(error);
      if (error.status === 409) markEnded(chat, "会话已结束");
    });
}

// "/" and a shortcut: the canned responses whose shortcut or title fit, offered as the agent
// types (the whole list is here already: canned.js).

function usableIn(entry, chat) {
  return !entry.skill || !chat.info.skill || entry.skill === chat.info.skill;
}

// What follows the "/" when the reply so far is just "/" and a word; else null.
function typedShortcut(chat) {
  var input = chat.input;
  if (input.selectionStart !== input.selectionEnd) return null;
  var match = SHORTCUT_TYPED.exec(input.value.slice(0, input.selectionStart));
  return match ? match[1].toLowerCase() : null;
}

// Shortcuts that start with the word first, then those that contain it or whose title does.
function suggestionsFor(chat, typed) {
  var starting = [];
  var containing = [];
  state.canned.forEach(function (entry) {
    if (!usableIn(entry, chat)) return;
    var word = entry.shortcut.slice(1);
    if (word.indexOf(typed) === 0) starting.push(entry);
    else if (word.indexOf(typed) >= 0 || entry.title.toLowerCase().indexOf(typed) >= 0) {
      containing.push(entry);
    }
  });
  return starting.concat(containing).slice(0, MAX_SUGGESTIONS);
}

export function updateSuggestions(chat) {
  var typed = chat.ended ? null : typedShortcut(chat);
  if (typed === null) chat.suggestDismissed = null;
  if (typed === null || chat.input.value === chat.suggestDismissed) {
    hideSuggestions(chat);
    return;
  }
  chat.suggestDismissed = null;
  // The list is loaded again each time it opens, so that an entry a supervisor has just
  // added is offered at once (the answer updates the open list).
  if (!chat.suggestOpen && !state.cannedLoading) loadCanned();
  var previous = chat.suggestions[chat.suggestIndex];
  var entries = suggestionsFor(chat, typed);
  chat.suggestions = entries;
  chat.suggestIndex = Math.max(0, entries.indexOf(previous));
  chat.suggest.textContent = "";
  if (!entries.length) {
    var none = el("li", "swa-suggest-none",
      state.canned.length ? "没有匹配的常用语（按 Esc 关闭）" : "暂无常用语");
    none.setAttribute("aria-disabled", "true");
    chat.suggest.appendChild(none);
  }
  entries.forEach(function (entry, index) {
    var option = el("li", "swa-suggest-item");
    option.id = chat.suggest.id + "-" + index;
    option.setAttribute("role", "option");
    option.dataset.shortcut = entry.shortcut;
    option.appendChild(el("code", "swa-suggest-shortcut", entry.shortcut));
    option.appendChild(el("span", "swa-suggest-title", entry.title));
    option.appendChild(el("span", "swa-suggest-text", entry.text));
    // On mousedown, so that the reply box keeps the focus (and the caret).
    option.addEventListener("mousedown", function (event) {
      event.preventDefault();
      insertSuggestion(chat, entry);
    });
    chat.suggest.appendChild(option);
  });
  chat.suggest.hidden = false;
  chat.suggestOpen = true;
  chat.input.setAttribute("aria-expanded", "true");
  markSuggestion(chat);
}

function markSuggestion(chat) {
  selectOption(chat.input, chat.suggest.querySelectorAll(".swa-suggest-item"), chat.suggestIndex);
}

export function hideSuggestions(chat) {
  if (!chat.suggestOpen) return;
  chat.suggestOpen = false;
  chat.suggest.hidden = true;
  chat.suggest.textContent = "";
  chat.input.setAttribute("aria-expanded", "false");
  chat.input.removeAttribute("aria-activedescendant");
}

// Keys while the "/" list is open; true when the key was the list's.
function suggestionKey(chat, event) {
  var count = chat.suggestions.length;
  if (event.key === "Escape") {
    chat.suggestDismissed = chat.input.value;
    hideSuggestions(chat);
  } else if (ARROWS[event.key] && count) {
    chat.suggestIndex = (chat.suggestIndex + ARROWS[event.key] + count) % count;
    markSuggestion(chat);
  } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && count) {
    insertSuggestion(chat, chat.suggestions[chat.suggestIndex]);
  } else if (event.key === "Enter" && !event.shiftKey) {
    // A reply that is only "/word" is a shortcut not found, not a message for the user.
    showNotice("没有找到该常用语。按 Esc 关闭提示后，可将其作为普通文字发送。");
  } else {
    return false;
  }
  event.preventDefault();
  return true;
}

// A canned response's variables filled in for this chat: {name} the user's verified name
// (empty for an anonymous user), {agent} the agent's display name, {date} today in China.
// Anything else in braces stays as written.
var TODAY = new Intl.DateTimeFormat("zh-CN", {
  timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric",
});

export function fillVariables(text, chat) {
  var values = {
    name: (chat.info && chat.info.user_name) || "",
    agent: (state.me && (state.me.display_name || state.me.username)) || "",
    date: TODAY.format(new Date()),
  };
  return String(text).replace(/\{(name|agent|date)\}/g, function (_, key) { return values[key]; });
}

// The entry's text replaces the "/word" typed; it is not sent until the agent sends it.
function insertSuggestion(chat, entry) {
  var input = chat.input;
  var rest = input.value.slice(input.selectionEnd);
  var text = fillVariables(entry.text, chat);
  input.value = text + rest;
  input.setSelectionRange(text.length, text.length);
  hideSuggestions(chat);
  input.focus();
  agentTyping(chat);
}

// The 常用语 button: a panel searched on the server, for when the shortcut is not known.
export function toggleCannedPanel(chat, open) {
  if (open === undefined) open = chat.cannedPanel.hidden;
  if (open === !chat.cannedPanel.hidden) return;  // already so
  chat.cannedPanel.hidden = !open;
  chat.cannedOpen.setAttribute("aria-expanded", String(open));
  clearTimeout(chat.cannedTimer);
  if (!open) return;
  hideSuggestions(chat);
  chat.cannedSearch.value = "";
  chat.cannedResults.textContent = "";
  chat.cannedNone.hidden = true;
  searchCannedPanel(chat);
  chat.cannedSearch.focus();
}

function searchCannedPanel(chat) {
  var session = state.session;
  var seq = ++chat.cannedSeq;
  var words = chat.cannedSearch.value.trim();
  var params = new URLSearchParams();
  if (words) params.set("q", words);
  if (chat.info.skill) params.set("skill", chat.info.skill);
  api("GET", "/console/api/canned?" + params.toString()).then(function (data) {
    if (session !== state.session || seq !== chat.cannedSeq) return;
    renderCannedResults(chat, data.canned || [], words);
  }, showError);
}

function renderCannedResults(chat, entries, words) {
  chat.cannedEntries = entries;
  chat.cannedIndex = 0;
  chat.cannedResults.textContent = "";
  entries.forEach(function (entry, index) {
    var option = el("li", "swa-canned-result");
    option.id = chat.pane.id + "-canned-" + index;
    option.setAttribute("role", "option");
    option.dataset.shortcut = entry.shortcut;
    var head = el("div", "swa-canned-result-head");
    head.appendChild(el("code", "swa-canned-result-shortcut", entry.shortcut));
    head.appendChild(el("b", "swa-canned-result-title", entry.title));
    if (entry.skill) head.appendChild(el("span", "swa-canned-badge", entry.skill_title));
    option.appendChild(head);
    var text = el("div", "swa-canned-result-text");
    appendHighlighted(text, snippet(entry.text, words), words);
    option.appendChild(text);
    option.addEventListener("mousedown", function (event) { event.preventDefault(); });
    option.addEventListener("click", function () { insertCanned(chat, entry); });
    chat.cannedResults.appendChild(option);
  });
  chat.cannedNone.textContent = words ? "没有匹配的常用语" : "暂无常用语";
  chat.cannedNone.hidden = entries.length > 0;
  markCannedResult(chat);
}

function markCannedResult(chat) {
  selectOption(chat.cannedSearch, chat.cannedResults.children, chat.cannedIndex);
}

function cannedPanelKey(chat, event) {
  var count = chat.cannedEntries.length;
  if (event.isComposing || event.keyCode === 229) return;
  if (event.key === "Escape") {
    toggleCannedPanel(chat, false);
    chat.input.focus();
  } else if (ARROWS[event.key] && count) {
    chat.cannedIndex = (chat.cannedIndex + ARROWS[event.key] + count) % count;
    markCannedResult(chat);
  } else if (event.key === "Enter") {
    if (count) insertCanned(chat, chat.cannedEntries[chat.cannedIndex]);
  } else {
    return;
  }
  event.preventDefault();
}

// Into the reply at the caret (replacing a selection), not sent.
function insertCanned(chat, entry) {
  var input = chat.input;
  var start = input.selectionStart;
  var end = input.selectionEnd;
  var text = fillVariables(entry.text, chat);
  input.value = input.value.slice(0, start) + text + input.value.slice(end);
  toggleCannedPanel(chat, false);
  input.focus();
  input.setSelectionRange(start + text.length, start + text.length);
  agentTyping(chat);
}

// A click outside a chat's composer closes its 常用语 panel.
document.addEventListener("pointerdown", function (event) {
  state.chats.forEach(function (chat) {
    if (!chat.cannedPanel.hidden && !chat.composer.contains(event.target)) {
      toggleCannedPanel(chat, false);
    }
  });
});
