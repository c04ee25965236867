// Web chat client for 单一窗口智能客服: one websocket, history on (re)connect, automatic reconnect.
// The conversation is held by a secret the server issued: kept in localStorage, sent only in the
// socket's first frame (never in a URL), forgotten when the host portal's user logs out.
// Embedded in a host portal (an iframe, or the one-line embed.js), the portal passes its
// logged-in user's token with postMessage({type: "swa-auth", token}) and logs out with
// postMessage({type: "swa-logout", newConversation: true|false}); only messages from this
// page's own origin or the sites in SWA_EMBED_ORIGINS are accepted. To such a host the page
// says when it is ready ({type: "swa-ready"}) and how many lines arrived ({type:
// "swa-activity", count}), so a minimized widget can show an unread badge.

import { clockTime, identityName } from "/static/format.js";
import { backoff, socketOrigin } from "/static/reconnect.js";
import { appendRichText } from "/static/richtext.js";
import { cardLogin } from "./card.js";
import { showImage, wireImageButton } from "./images.js";

var STORAGE_KEY = "swa.webchat.secret";
var OLD_STORAGE_KEY = "swa.webchat.conversation";  // the id pages kept before: holds nothing now
var RETRY_MS = 1500;      // a message refused as too fast is sent again after this
var NOTICE_EVERY_MS = 10000;  // the "too fast" notice, at most this often

var log = document.querySelector(".swa-log");
var form = document.querySelector(".swa-composer");
var input = document.getElementById("swa-input");
var statusBadge = document.querySelector(".swa-status");
var endChatButton = document.querySelector(".swa-end-chat");
// 图片: shown only while a person serves the user, the one time an image can be sent (the bot
// reads no pictures); the server refuses one sent at any other moment all the same.
var imageButton = document.querySelector(".swa-image-button");
// The serving agent's name while a person serves the user (the header says so), else null.
var servingAgent = null;
var connected = false;
var END_CHAT = { title: "结束人工服务", payload: "/end_chat" };
// A system line with these buttons means no person serves the user (any more): the rating
// after a chat, or waiting in the queue again.
var NOT_SERVED_PAYLOADS = ["/csat_5", "/cancel_queue"];
// No card reader can be attached to a phone or tablet: no card login offered there.
var TOUCH_ONLY = window.matchMedia && window.matchMedia("(pointer: coarse)").matches &&
  !window.matchMedia("(any-pointer: fine)").matches;
var identityBadge = document.querySelector(".swa-identity");

// The conversation's secret survives reloads in localStorage. A browser that blocks storage in
// a third-party frame (an embedding site's) throws on any access: the chat then works without
// it, and a reload starts a new conversation.
var memory = {};
var store = {
  get: function (key) {
    try { return localStorage.getItem(key); } catch (error) { return memory[key] || null; }
  },
  set: function (key, value) {
    try { localStorage.setItem(key, value); } catch (error) { memory[key] = value; }
  },
  remove: function (key) {
    try { localStorage.removeItem(key); } catch (error) { delete memory[key]; }
  }
};

store.remove(OLD_STORAGE_KEY);

var allowedOrigins = [location.origin];  // extended by /webchat/config's embed_origins
var socket = null;
var reconnect = backoff();
var outbox = [];          // messages typed while offline or refused as too fast, in order
var retryTimer = null;    // while set, the outbox is sent one message at a time
var sent = {};            // ref -> message sent and not yet answered (sent again on reconnect)
var shownIds = {};        // transcript ids of the lines on the page: a line comes once
var nextRef = 1;
var refusal = null;       // why the server closed the socket, shown while reconnecting
var tooFastSaidAt = 0;
var typingItem = null;
var authToken = null;     // the host portal's token: kept in memory only, sent on each connect
var identityExpiry = null;
var card = null;          // 卡介质验证 (card.js), once the page knows where the card bridge is
var sessionIdentity = null;  // as the last session frame had it, for card.js once it is ready
var CARD_ROLES = { legal: "法人卡", operator: "操作员卡" };

// In the embed.js widget: room for its minimize button, and the site's colour
// (?color=%23c0392b) for the header, buttons and the user's own bubbles.
var params = new URLSearchParams(location.search);
if (params.get("embed") === "1") document.documentElement.classList.add("swa-embedded");
var color = params.get("color");
if (color && /^#[0-9a-fA-F]{6}$/.test(color)) {
  ["--swa-primary", "--swa-primary-dark", "--swa-user-bg"].forEach(function (name) {
    document.documentElement.style.setProperty(name, color);
  });
}

// The site this page is framed by, if any (Chromium and Safari name it; else the referrer).
function hostOrigin() {
  if (window.parent === window) return null;
  if (location.ancestorOrigins && location.ancestorOrigins.length) {
    return location.ancestorOrigins[0];
  }
  try { return new URL(document.referrer).origin; } catch (error) { return null; }
}

function tellHost(message) {
  var host = hostOrigin();
  if (host && host !== location.origin && allowedOrigins.indexOf(host) >= 0) {
    window.parent.postMessage(message, host);
  }
}

function setStatus(state, text) {
  connected = state === "online";
  statusBadge.dataset.state = state;
  statusBadge.textContent = text;
  showServing();
}

// Online, the header names the agent who serves the user, and offers to end that service.
function showServing() {
  if (connected) {
    statusBadge.textContent = servingAgent ? servingAgent + "为您服务" : "在线";
    statusBadge.dataset.serving = String(Boolean(servingAgent));
  }
  endChatButton.hidden = !(connected && servingAgent);
  imageButton.hidden = !(connected && servingAgent);
}

function followService(message) {
  var ticket = message.custom && message.custom.ticket;  // a ticket's answer is not a chat
  if (message.role === "agent" && message.sender_name && !ticket) {
    servingAgent = message.sender_name;
  } else if (message.role === "system" && (message.buttons || []).some(function (button) {
    return NOT_SERVED_PAYLOADS.indexOf(button.payload) >= 0;
  })) {
    servingAgent = null;
  } else {
    return;
  }
  showServing();
}

function isOpen() {
  return socket && socket.readyState === WebSocket.OPEN;
}

// Who the server has verified the conversation as: {name, enterprise_name, expires_at} or null.
function showIdentity(identity) {
  clearTimeout(identityExpiry);
  if (!identity) {
    identityBadge.hidden = true;
    identityBadge.textContent = "";
    return;
  }
  var who = identityName(identity);
  identityBadge.textContent = identity.card
    ? "已验证" + CARD_ROLES[identity.card.role] + "：" + who
    : "已登录：" + who;
  identityBadge.title = identity.label || who;
  identityBadge.hidden = false;
  if (identity.expires_at) {
    // The server forgets the login when the token expires; so does the badge.
    var left = identity.expires_at * 1000 - Date.now();
    identityExpiry = setTimeout(function () { showIdentity(null); }, Math.max(0, left));
  }
}

function sendAuth() {
  if (authToken && isOpen()) socket.send(JSON.stringify({ type: "auth", token: authToken }));
}

function scrollToEnd() {
  log.scrollTop = log.scrollHeight;
}

// A list of records with its table (kernel/record_tables.py in custom.records): the page draws
// the table instead of the numbered text WeChat and Telegram show, and leaves out the buttons
// the table carries itself (each row's own button, 更多).
function recordTable(message) {
  var table = message.custom && message.custom.records;
  return table && Array.isArray(table.columns) && Array.isArray(table.rows) ? table : null;
}

function recordTableButton(action, label, buttons) {
  // The user's line says what was clicked as the text channels' button would ("清单 …123456
  // 明细"), not only the row's short title.
  var same = buttons.filter(function (button) { return button.payload === action.payload; })[0];
  var el = document.createElement("button");
  el.type = "button";
  el.textContent = action.title;
  if (label) el.setAttribute("aria-label", action.title + "：" + label);
  el.addEventListener("click", function () {
    send(same ? same.title : action.title, action.payload);
  });
  return el;
}

function addRecordText(parent, tag, className, text) {
  var el = document.createElement(tag);
  el.className = className;
  el.textContent = text;
  parent.appendChild(el);
  return el;
}

function renderRecordTable(table, buttons) {
  var card = document.createElement("div");
  card.className = "swa-bubble swa-records";
  if (table.intro) addRecordText(card, "p", "swa-records-intro", table.intro);
  addRecordText(card, "p", "swa-records-title", table.title || "");
  var grid = document.createElement("table");
  grid.className = "swa-records-table";
  var head = grid.createTHead().insertRow();
  table.columns.forEach(function (column) { addRecordText(head, "th", "", column).scope = "col"; });
  var hasActions = table.rows.some(function (row) { return row.action; });
  if (hasActions) addRecordText(head, "th", "swa-records-action", "操作").scope = "col";
  var body = grid.createTBody();
  table.rows.forEach(function (row) {
    var line = body.insertRow();
    (row.cells || []).forEach(function (cell, index) {
      addRecordText(line, "td", "", cell).dataset.label = table.columns[index] || "";
    });
    if (!hasActions) return;
    var action = line.insertCell();
    action.className = "swa-records-action";
    if (row.action) action.appendChild(recordTableButton(row.action, (row.cells || [])[0], buttons));
  });
  card.appendChild(grid);
  if (table.pager) addRecordText(card, "p", "swa-records-pager", table.pager);
  (table.notes || []).forEach(function (note) { addRecordText(card, "p", "swa-records-note", note); });
  if (table.more) {
    var more = addRecordText(card, "div", "swa-records-more", "");
    more.appendChild(recordTableButton(table.more, "", buttons));
  }
  return card;
}

function buttonsBesideRecordTable(buttons, table) {
  var drawn = table.rows.map(function (row) { return row.action && row.action.payload; });
  if (table.more) drawn.push(table.more.payload);
  return buttons.filter(function (button) { return drawn.indexOf(button.payload) < 0; });
}

function renderMessage(message) {
  if (message.id) {
    if (shownIds[message.id]) return null;  // an answer given again for a message sent again
    shownIds[message.id] = true;
  }
  followService(message);
  var item = document.createElement("li");
  item.className = "swa-msg";
  item.dataset.role = message.role || "bot";
  if (message.sender_name) {
    var sender = document.createElement("div");
    sender.className = "swa-sender";
    sender.textContent = message.sender_name;
    item.appendChild(sender);
  }
  var records = recordTable(message);
  var buttons = message.buttons || [];
  if (records) {
    item.classList.add("swa-msg-records");
    item.appendChild(renderRecordTable(records, buttons));
    buttons = buttonsBesideRecordTable(buttons, records);
  } else if (message.text) {
    var bubble = document.createElement("div");
    bubble.className = "swa-bubble";
    appendRichText(bubble, message.text);
    item.appendChild(bubble);
  }
  if (message.image) {
    var frame = document.createElement("div");
    frame.className = "swa-bubble";
    var img = document.createElement("img");
    showImage(img, message.image, conversationSecret);
    img.alt = "图片";
    frame.appendChild(img);
    item.appendChild(frame);
  }
  var verdicts = buttons.filter(isFeedback);
  buttons = buttons.filter(function (button) { return !isFeedback(button); });
  if (buttons.length) {
    var group = document.createElement("div");
    group.className = "swa-buttons";
    buttons.forEach(function (button) {
      var el = document.createElement("button");
      el.type = "button";
      el.textContent = button.title;
      el.addEventListener("click", function () { send(button.title, button.payload); });
      group.appendChild(el);
    });
    item.appendChild(group);
  }
  if (verdicts.length) item.appendChild(renderFeedback(verdicts));
  if (!item.childNodes.length) return null;
  var meta = document.createElement("div");
  meta.className = "swa-meta";
  meta.textContent = clockTime(message.created_at);
  item.appendChild(meta);
  log.insertBefore(item, typingItem && typingItem.parentNode === log ? typingItem : null);
  scrollToEnd();
  return item;
}

// 有用 / 没用 under an FAQ answer: a quiet row of its own, one verdict per answer on this page
// (WeChat and Telegram show them as the answer's other options).
function isFeedback(button) {
  return String(button.payload || "").indexOf('"faq_feedback"') >= 0;
}

function renderFeedback(verdicts) {
  var row = document.createElement("div");
  row.className = "swa-feedback";
  var ask = document.createElement("span");
  ask.textContent = "这个回答对您有帮助吗？";
  row.appendChild(ask);
  verdicts.forEach(function (button) {
    var el = document.createElement("button");
    el.type = "button";
    el.textContent = button.title;
    el.addEventListener("click", function () {
      row.querySelectorAll("button").forEach(function (other) {
        other.disabled = true;
        other.setAttribute("aria-pressed", String(other === el));
      });
      send(button.title, button.payload);
    });
    row.appendChild(el);
  });
  return row;
}

function showTyping(on, text) {
  if (on && typingItem && text) {
    typingItem.firstChild.textContent = text;
  } else if (on && !typingItem) {
    typingItem = document.createElement("li");
    typingItem.className = "swa-msg swa-typing";
    typingItem.dataset.role = "bot";
    var bubble = document.createElement("div");
    bubble.className = "swa-bubble";
    bubble.textContent = text || "正在输入…";
    typingItem.appendChild(bubble);
    log.appendChild(typingItem);
    scrollToEnd();
  } else if (!on && typingItem) {
    typingItem.remove();
    typingItem = null;
  }
}

function transmit(entry) {
  sent[entry.ref] = entry;
  socket.send(JSON.stringify(
    { type: "message", text: entry.text, payload: entry.payload, ref: entry.ref, id: entry.id }
  ));
  entry.item.classList.remove("swa-pending");
  showTyping(true);
}

function send(text, payload) {
  text = (text || "").trim();
  if (!text && !payload) return;
  // The ref numbers messages in the order typed; a refusal names it, and the outbox keeps it.
  // The id stays the message's own when it is sent again: the service answers it once.
  var entry = { text: text, payload: payload || null, ref: nextRef++, id: messageId() };
  entry.item = renderMessage({ role: "user", text: text });
  if (isOpen() && !outbox.length) {
    transmit(entry);
  } else {
    entry.item.classList.add("swa-pending");
    outbox.push(entry);  // after those still waiting, to keep the order
  }
}

// The server refused a message as sent too fast: it stays on the page, marked as not sent,
// and goes again, with any that follow it, one at a time.
function refused(frame) {
  var entry = sent[frame.ref];
  if (!entry) return;
  delete sent[frame.ref];
  entry.item.classList.add("swa-pending");
  var at = 0;  // back in typing order
  while (at < outbox.length && outbox[at].ref < entry.ref) at++;
  outbox.splice(at, 0, entry);
  if (Date.now() - tooFastSaidAt > NOTICE_EVERY_MS) {
    tooFastSaidAt = Date.now();
    renderMessage({ role: "system", text: frame.message });
  }
  if (!retryTimer) retryTimer = setTimeout(retry, RETRY_MS);
}

function retry() {
  retryTimer = null;
  if (!isOpen() || !outbox.length) return;  // on reconnect, onSession sends the outbox
  transmit(outbox.shift());
  if (outbox.length) retryTimer = setTimeout(retry, RETRY_MS);
}

function messageId() {
  var bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);  // randomUUID needs a secure context; this does not
  return Array.prototype.map.call(bytes, function (b) {
    return (b + 256).toString(16).slice(1);
  }).join("");
}

// The socket closed: messages sent and not answered go again, first, in the order typed.
function unanswered() {
  var again = Object.keys(sent).map(function (ref) { return sent[ref]; });
  again.sort(function (a, b) { return a.ref - b.ref; });
  sent = {};
  again.forEach(function (entry) { entry.item.classList.add("swa-pending"); });
  outbox = again.concat(outbox);
}

function onSession(frame) {
  // Online once the conversation is here: the log is redrawn from its history just below, so
  // a line typed before that would be wiped from view (it is kept in the outbox and resent).
  setStatus("online", "在线");
  if (frame.secret) store.set(STORAGE_KEY, frame.secret);  // only a new conversation has one
  refusal = null;
  document.documentElement.dataset.conversation = frame.conversation_id;
  showIdentity(frame.identity);
  sessionIdentity = frame.identity;
  if (card) card.onSessionIdentity(frame.identity);
  sendAuth();  // before the greeting, so the bot already knows who it greets
  showTyping(false);
  log.textContent = "";
  shownIds = {};
  servingAgent = null;
  frame.history.forEach(renderMessage);
  showServing();
  // A message the service already has is in the history: it is sent again all the same (its
  // answer may be on its way), and the service answers it once.
  var kept = {};
  frame.history.forEach(function (m) { if (m.message_id) kept[m.message_id] = true; });
  var pending = outbox;
  outbox = [];
  pending.forEach(function (entry) {
    if (!kept[entry.id]) log.appendChild(entry.item);
    transmit(entry);
  });
  if (!frame.history.length && !pending.length) {
    // A new conversation: the bot greets and shows the categories of hot questions.
    socket.send(JSON.stringify({ type: "start" }));
    showTyping(true);
  }
}

function connect() {
  setStatus("connecting", "连接中…");
  socket = new WebSocket(socketOrigin() + "/channels/webchat/ws");
  socket.onopen = function () {
    var secret = store.get(STORAGE_KEY);
    this.send(JSON.stringify(secret ? { type: "resume", secret: secret } : { type: "new" }));
    reconnect.reset();
  };
  socket.onmessage = function (event) {
    var frame = JSON.parse(event.data);
    if (frame.type === "session") {
      onSession(frame);
    } else if (frame.type === "messages") {
      if (frame.reply_to !== undefined) delete sent[frame.reply_to];
      showTyping(false);
      frame.messages.forEach(renderMessage);
      var arrived = frame.messages.filter(function (m) { return m.role !== "user"; }).length;
      if (arrived) tellHost({ type: "swa-activity", count: arrived });
    } else if (frame.type === "typing") {
      showTyping(frame.on);
    } else if (frame.type === "busy") {
      showTyping(true, frame.message);  // the answer is on its way: the service is busy
    } else if (frame.type === "identity") {
      showIdentity(frame.identity);
      (frame.notices || []).forEach(function (text) {
        renderMessage({ role: "system", text: text });
      });
      if (card) card.onIdentity(frame.identity);
    } else if (frame.type === "card_challenge") {
      if (card) card.onChallenge(frame);
    } else if (frame.type === "error" && frame.code === "unavailable") {
      // The service could not complete the turn: the message goes again, a little later.
      showTyping(false);
      if (frame.dropped === "message") refused(frame);
      else renderMessage({ role: "system", text: frame.message });
    } else if (frame.type === "error" && frame.code === "rate_limited") {
      if (frame.dropped === "message") refused(frame);
      else if (frame.dropped === "login") renderMessage({ role: "system", text: frame.message });
      // a typing notice over the pace is only a hint: nothing to tell
    } else if (frame.type === "error" && frame.code === "too_many_connections") {
      refusal = frame.message;  // shown in the status while the page tries again, slowly
      reconnect.slowest();
    } else if (frame.type === "error") {
      if (frame.ref !== undefined) delete sent[frame.ref];  // refused for good: not again
      if (frame.code === "auth_failed") showIdentity(null);
      if (frame.code === "card_refused" && card) card.onRefused(frame.message);
      showTyping(false);
      renderMessage({ role: "system", text: frame.message });
    }
  };
  socket.onclose = function () {
    unanswered();
    showTyping(false);
    setStatus("offline", refusal || "连接已断开，正在重连…");
    setTimeout(connect, reconnect.next());
  };
}

// The agent sees "用户正在输入…": at most one notice per TYPING_EVERY_MS, off when idle.
var TYPING_EVERY_MS = 2000;
var TYPING_IDLE_MS = 3000;
var typingSentAt = 0;
var typingIdle = null;

function sendTyping(on) {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({ type: "typing", on: on }));
}

function stopTyping() {
  clearTimeout(typingIdle);
  typingIdle = null;
  if (typingSentAt) {
    typingSentAt = 0;
    sendTyping(false);
  }
}

// The box grows with what is typed, up to its CSS max-height, so a long question stays in view.
function fitInput() {
  input.style.height = "auto";
  input.style.height = input.scrollHeight + 2 + "px";
}

endChatButton.addEventListener("click", function () { send(END_CHAT.title, END_CHAT.payload); });

function conversationSecret() {
  return store.get(STORAGE_KEY);
}

wireImageButton(
  imageButton,
  document.querySelector(".swa-image-input"),
  conversationSecret,
  function (ref) {
    renderMessage({ role: "user", image: ref, created_at: new Date().toISOString() });
  },
  function (text) { renderMessage({ role: "system", text: text }); }
);

input.addEventListener("input", function () {
  fitInput();
  var now = Date.now();
  if (input.value.trim() && now - typingSentAt > TYPING_EVERY_MS) {
    typingSentAt = now;
    sendTyping(true);
  }
  clearTimeout(typingIdle);
  typingIdle = setTimeout(stopTyping, TYPING_IDLE_MS);
});

form.addEventListener("submit", function (event) {
  event.preventDefault();
  stopTyping();
  send(input.value);
  input.value = "";
  fitInput();
  input.focus();
});
input.addEventListener("keydown", function (event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    form.requestSubmit();
  }
});

window.addEventListener("message", function (event) {
  var data = event.data;
  if (allowedOrigins.indexOf(event.origin) < 0 || !data || typeof data !== "object") return;
  if (data.type === "swa-auth" && typeof data.token === "string" && data.token) {
    authToken = data.token;
    sendAuth();
  } else if (data.type === "swa-logout") {
    authToken = null;
    if (isOpen()) socket.send(JSON.stringify({ type: "logout" }));
    showIdentity(null);
    if (data.newConversation) {
      // The next user of this browser starts afresh: the socket reconnects without the secret,
      // and nothing on this page can reach the old conversation again.
      store.remove(STORAGE_KEY);
      if (socket) socket.close();
    }
  }
});

function sendFrame(frame) {
  if (isOpen()) socket.send(JSON.stringify(frame));
}

fetch("/webchat/config").then(function (response) { return response.json(); })
  .then(function (config) {
    allowedOrigins = allowedOrigins.concat(config.embed_origins || []);
    tellHost({ type: "swa-ready" });
    if (config.card_bridge_url && !TOUCH_ONLY) {
      document.querySelector(".swa-card-button").hidden = false;
      card = cardLogin({
        send: sendFrame,
        notice: function (text) { renderMessage({ role: "system", text: text }); },
        bridgeUrl: config.card_bridge_url
      });
      card.onSessionIdentity(sessionIdentity);
    }
  })
  .catch(function () { /* no card login on this page; chatting works as before */ });

connect();
