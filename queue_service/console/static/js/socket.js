// The console's websocket: events for this agent as they happen, typing notices out; reconnects
// after a drop, and hands over to the login form when the server ends the session.

import { socketOrigin } from "/static/reconnect.js";
import { api } from "./api.js";
import { loadChats, onClosed, onMessage, onUserTyping } from "./chats.js";
import { onNote } from "./contact.js";
import { $ } from "./dom.js";
import { onListening, onWatch, relisten } from "./listen.js";
import { scheduleLiveReload } from "./live.js";
import { allowStatusChange, applyMe, refreshMe } from "./me.js";
import { scheduleQueueReload } from "./queue.js";
import { ticketsChanged } from "./tickets.js";
import { poll, sessionExpired } from "./session.js";
import { state } from "./store.js";

export var EVENT_RELOAD_MS = 250;  // a burst of events causes one reload

var ui = {
  conn: $(".swa-conn"),
};

function setConn(kind, text) {
  ui.conn.dataset.state = kind;
  ui.conn.textContent = text;
}

export function openSocket() {
  state.socketWanted = true;
  connect();
}

export function closeSocket() {
  state.socketWanted = false;
  if (state.socket) {
    var socket = state.socket;
    state.socket = null;
    socket.close();
  }
  clearTimeout(state.reconnectTimer);
}

function connect() {
  if (!state.socketWanted) return;
  setConn("connecting", "连接中…");
  var socket = new WebSocket(socketOrigin() + "/console/ws");
  state.socket = socket;
  socket.onopen = function () {
    if (state.socket !== socket) return;
    state.reconnect.reset();
    setConn("online", "已连接");
    allowStatusChange(true);
    // Events may have been missed while disconnected: catch up.
    poll();
    relisten();
  };
  socket.onmessage = function (event) {
    if (state.socket !== socket) return;
    var frame;
    try {
      frame = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (frame && typeof frame === "object") onEvent(frame);
  };
  socket.onclose = function (event) {
    if (state.socket !== socket) return;
    state.socket = null;
    allowStatusChange(false);
    state.chats.forEach(function (chat) { chat.typingOn = false; });
    if (!state.socketWanted) return;
    if (event.code === 1008) {
      // The session ended (logout elsewhere, expiry, password or role change, deactivation):
      // the server says so in the close reason.
      sessionExpired(event.reason);
      return;
    }
    setConn("offline", "连接已断开，正在重连…");
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  var delay = state.reconnect.next();
  var session = state.session;
  clearTimeout(state.reconnectTimer);
  state.reconnectTimer = setTimeout(function () {
    // A socket refused before it opens looks like a network failure: ask whether the
    // session still holds (a 401 shows the login form) before trying again.
    api("GET", "/console/api/me").then(
      function (me) {
        if (session !== state.session || !state.socketWanted) return;
        applyMe(me);
        connect();
      },
      function (error) {
        if (session !== state.session || !state.socketWanted || error.status === 401) return;
        scheduleReconnect();
      }
    );
  }, delay);
}

export function sendFrame(frame) {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) {
    state.socket.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

// What the server tells the console (queue_service/console/socket.py): each event reloads
// or updates what it concerns.
function onEvent(event) {
  var id = event.conversation_id;
  switch (event.type) {
    case "assigned":
      loadChats();
      refreshMe();
      scheduleLiveReload();
      break;
    case "closed":
      onClosed(id, event.taken_by, event.ended_by === "user");
      scheduleLiveReload();
      break;
    case "message":
      onMessage(id, event.message);
      break;
    case "typing":
      onUserTyping(id, event.on === true);
      break;
    case "queue":
      scheduleQueueReload();
      scheduleLiveReload();
      break;
    case "tickets":
      ticketsChanged();
      break;
    case "note":
      if (event.note) onNote(event.note);
      break;
    case "listening":
      onListening(event);
      break;
    case "watch":
      onWatch(event);
      break;
  }
}
