// The agent at this console: name, role, status (在线, 忙碌…) and load.

import { api } from "./api.js";
import { fillDispositions, loadChats } from "./chats.js";
import { $, el } from "./dom.js";
import { showError } from "./notify.js";
import { setSearchScope } from "./search.js";
import { state } from "./store.js";
import { showSupervisorTabs } from "./tabs.js";

var STAFF_ROLES = { agent: "客服", supervisor: "班长" };

var ui = {
  meName: $(".swa-me-name"),
  meRole: $(".swa-me-role"),
  knowledgeLink: $(".swa-knowledge-link"),
  status: $("#swa-status"),
  load: $(".swa-load"),
  loadValue: $(".swa-load-value"),
  offHours: $(".swa-off-hours"),
};

export function applyMe(me) {
  var first = !state.me;
  state.me = me;
  ui.meName.textContent = me.display_name || me.username;
  ui.meRole.textContent = STAFF_ROLES[me.role] ? "（" + STAFF_ROLES[me.role] + "）" : "";
  if (first || ui.status.options.length === 0) buildStatusOptions(me);
  if (!state.statusPending) setStatusValue(me.status);
  ui.loadValue.textContent = me.load + " / " + me.capacity;
  ui.load.dataset.full = String(me.capacity > 0 && me.load >= me.capacity);
  var service = me.service || { open: true };
  ui.offHours.hidden = service.open;
  ui.offHours.textContent = service.open ? "" : service.notice;
  state.chats.forEach(function (chat) { fillDispositions(chat); });
  var supervisor = me.role === "supervisor";
  // A supervisor given the knowledge studio reaches it from the header (知识库维护).
  ui.knowledgeLink.hidden = !me.maintainer;
  showSupervisorTabs(supervisor);
  setSearchScope(supervisor);
}

function buildStatusOptions(me) {
  ui.status.textContent = "";
  (me.statuses || []).forEach(function (status) {
    var option = el("option", null, status.title);
    option.value = status.id;
    // Offline is where logout and dropped connections put an agent; it is not picked here.
    if (status.id === "offline") {
      option.disabled = true;
      option.hidden = true;
    }
    ui.status.appendChild(option);
  });
}

function setStatusValue(status) {
  ui.status.value = status;
  ui.status.dataset.status = status;
  var offline = ui.status.querySelector('option[value="offline"]');
  if (offline) offline.hidden = status !== "offline";
}

// The status can be changed while the websocket is up: it is what keeps an agent online.
export function allowStatusChange(allowed) {
  ui.status.disabled = !allowed;
}

export function clearStatus() {
  ui.status.textContent = "";
  ui.status.disabled = true;
}

ui.status.addEventListener("change", function () {
  var wanted = ui.status.value;
  state.statusPending = true;
  ui.status.dataset.status = wanted;
  var session = state.session;
  api("PUT", "/console/api/status", { status: wanted })
    .then(function () {
      if (session !== state.session) return;
      state.statusPending = false;
      refreshMe();
      loadChats();
    })
    .catch(function (error) {
      if (session !== state.session) return;
      state.statusPending = false;
      if (state.me) setStatusValue(state.me.status);
      showError(error);
    });
});

export function refreshMe() {
  var session = state.session;
  return api("GET", "/console/api/me").then(function (me) {
    if (session === state.session) applyMe(me);
  }, showError);
}

export function statusTitle(status) {
  var statuses = (state.me && state.me.statuses) || [];
  for (var i = 0; i < statuses.length; i++) if (statuses[i].id === status) return statuses[i].title;
  return status;
}
