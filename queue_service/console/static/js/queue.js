// The waiting list (排队用户): users waiting per skill, their wait ticking, and 接入 to claim one.

import { api } from "./api.js";
import { loadChats } from "./chats.js";
import { $, cssEscape, el } from "./dom.js";
import {
  channelTitle, formatWait, identityText, LONG_WAIT_S, ROLE_LABELS, shortId,
} from "./format.js";
import { refreshMe } from "./me.js";
import { beep, showError } from "./notify.js";
import { EVENT_RELOAD_MS } from "./socket.js";
import { state } from "./store.js";

var ui = {
  queue: $(".swa-queue"),
  queueTotal: $(".swa-queue-total"),
  queueRefresh: $(".swa-queue-refresh"),
};

export function clearQueue() {
  ui.queue.textContent = "";
}

export function scheduleQueueReload() {
  clearTimeout(state.queueReloadTimer);
  state.queueReloadTimer = setTimeout(loadQueue, EVENT_RELOAD_MS);
}

export function loadQueue() {
  var session = state.session;
  return api("GET", "/console/api/queue").then(function (data) {
    if (session === state.session) renderQueue(data.skills || []);
  }, showError);
}

function renderQueue(groups) {
  // Rebuilt each time; keyboard focus on a 接入 button is carried over.
  var focused = document.activeElement && document.activeElement.closest &&
    document.activeElement.closest(".swa-waiting");
  var focusedId = focused ? focused.dataset.conversationId : null;
  var now = Date.now();
  var waits = new Map();
  var total = 0;
  var newcomer = false;  // someone new waits for a manual skill: only a person takes them
  var fragment = document.createDocumentFragment();
  groups.forEach(function (group) {
    var users = group.waiting || [];
    total += users.length;
    var section = el("section", "swa-skill");
    section.dataset.skill = group.skill;
    section.dataset.count = String(users.length);
    var head = el("h3", "swa-skill-head");
    head.appendChild(el("span", "swa-skill-title", group.title));
    if (group.manual) {
      var manual = el("span", "swa-skill-manual", "手动接入");
      manual.title = "该业务的排队用户需由客服手动接入";
      head.appendChild(manual);
    }
    head.appendChild(el("span", "swa-skill-count", users.length));
    section.appendChild(head);
    if (users.length) {
      var list = el("ol", "swa-waiting-list");
      users.forEach(function (user) {
        if (group.manual && state.queueLoaded && !state.waits.has(user.conversation_id)) newcomer = true;
        waits.set(user.conversation_id, { waited_s: user.waited_s || 0, at: now });
        list.appendChild(renderWaiting(user, group));
      });
      section.appendChild(list);
    }
    fragment.appendChild(section);
  });
  if (!groups.length) fragment.appendChild(el("p", "swa-queue-empty", "您没有可接待的业务类型"));
  state.waits = waits;
  state.queueLoaded = true;
  if (newcomer) beep();
  ui.queue.textContent = "";
  ui.queue.appendChild(fragment);
  ui.queueTotal.textContent = String(total);
  ui.queueTotal.dataset.count = String(total);
  tick();
  if (focusedId) {
    var again = ui.queue.querySelector('.swa-waiting[data-conversation-id="' + cssEscape(focusedId) + '"] .swa-claim');
    if (again) again.focus();
  }
}

function renderWaiting(user, group) {
  var item = el("li", "swa-waiting");
  item.dataset.conversationId = user.conversation_id;
  item.dataset.skill = group.skill;
  var row = el("div", "swa-waiting-row");
  var channel = el("span", "swa-channel", channelTitle(user.channel));
  channel.dataset.channel = user.channel || "";
  row.appendChild(channel);
  var name = el("span", "swa-waiting-name", identityText(user.identity) || shortId(user.conversation_id));
  name.title = user.conversation_id;
  row.appendChild(name);
  var wait = el("span", "swa-wait", formatWait(user.waited_s || 0));
  wait.title = "已等待时间";
  row.appendChild(wait);
  var claim = el("button", "swa-claim", "接入");
  claim.type = "button";
  claim.title = "接入该用户";
  claim.addEventListener("click", function () { claimChat(user.conversation_id, claim); });
  row.appendChild(claim);
  item.appendChild(row);
  var lines = user.last_messages || [];
  if (lines.length) {
    var preview = el("ol", "swa-preview");
    lines.forEach(function (line) {
      var entry = el("li", "swa-preview-line");
      entry.dataset.role = line.role;
      entry.appendChild(el("b", null, (ROLE_LABELS[line.role] || line.role) + "："));
      entry.appendChild(document.createTextNode(line.text || ""));
      entry.title = line.text || "";
      preview.appendChild(entry);
    });
    item.appendChild(preview);
  }
  return item;
}

// Every second: the waiting times, counted on from the server's figure at the last load.
export function tick() {
  var now = Date.now();
  var items = ui.queue.querySelectorAll(".swa-waiting");
  for (var i = 0; i < items.length; i++) {
    var wait = state.waits.get(items[i].dataset.conversationId);
    if (!wait) continue;
    var seconds = wait.waited_s + (now - wait.at) / 1000;
    var label = items[i].querySelector(".swa-wait");
    label.textContent = formatWait(seconds);
    items[i].dataset.long = String(seconds >= LONG_WAIT_S);
  }
}

function claimChat(conversationId, button) {
  button.disabled = true;
  var session = state.session;
  api("POST", "/console/api/chats/claim", { conversation_id: conversationId })
    .then(function () {
      if (session !== state.session) return;
      state.pendingActivate = conversationId;
      loadChats();
      refreshMe();
    })
    .catch(function (error) {
      button.disabled = false;
      showError(error);
    })
    .then(function () {
      if (session === state.session) loadQueue();
    });
}

ui.queueRefresh.addEventListener("click", function () { loadQueue(); });
