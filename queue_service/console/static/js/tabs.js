// The tabs: one per chat, then 留言, 会话记录 and, for supervisors, 常用语管理, 实时监控 and 报表; which
// one is shown, and moving between them by mouse and keyboard.

import { loadCanned, renderCannedList } from "./canned.js";
import { updateUnread } from "./chats.js";
import { $ } from "./dom.js";
import { loadLive, startLive, stopLive } from "./live.js";
import { openReports } from "./reports.js";
import { runSearch } from "./search.js";
import { loggedIn } from "./session.js";
import { state } from "./store.js";
import { loadTickets } from "./tickets.js";
import { scrollIfStuck } from "./transcript.js";

var ui = {
  tabs: $(".swa-tabs"),
  ticketsTab: $(".swa-tab-tickets"),
  empty: $(".swa-empty"),
  tickets: $(".swa-tickets"),
  searchTab: $(".swa-tab-search"),
  search: $(".swa-search"),
  cannedTab: $(".swa-tab-canned"),
  canned: $(".swa-canned"),
  liveTab: $(".swa-tab-live"),
  live: $(".swa-live"),
  reportsTab: $(".swa-tab-reports"),
  reports: $(".swa-reports"),
};

// The tabs that are not chats; `open` runs each time one is shown, `close` (if any) when
// another is.
var VIEWS = {
  tickets: { tab: ui.ticketsTab, pane: ui.tickets, open: function () { loadTickets(); } },
  search: {
    tab: ui.searchTab,
    pane: ui.search,
    open: function () { if (!state.searchLoaded) runSearch(false); },
  },
  canned: {
    tab: ui.cannedTab,
    pane: ui.canned,
    open: function () {
      renderCannedList();
      loadCanned();
    },
  },
  live: { tab: ui.liveTab, pane: ui.live, open: startLive, close: stopLive },
  reports: { tab: ui.reportsTab, pane: ui.reports, open: openReports },
};

export function activate(view, focusComposer) {
  var previous = state.active;
  state.active = view;
  state.chats.forEach(function (chat, id) {
    var selected = id === view;
    chat.tab.setAttribute("aria-selected", String(selected));
    chat.tab.tabIndex = selected ? 0 : -1;
    chat.pane.hidden = !selected;
  });
  Object.keys(VIEWS).forEach(function (name) {
    var selected = view === name;
    VIEWS[name].tab.setAttribute("aria-selected", String(selected));
    VIEWS[name].tab.tabIndex = selected || (view === null && name === "tickets") ? 0 : -1;
    VIEWS[name].pane.hidden = !selected;
  });
  ui.empty.hidden = view !== null;
  var chat = state.chats.get(view);
  if (chat) {
    if (!document.hidden && chat.unread) {
      chat.unread = 0;
      updateUnread(chat);
    }
    scrollIfStuck(chat);
    if (focusComposer && !chat.ended) chat.input.focus();
  }
  if (previous !== view && VIEWS[previous] && VIEWS[previous].close) VIEWS[previous].close();
  if (VIEWS[view]) VIEWS[view].open();
}

// 实时监控 and 报表 are for supervisors only; in 常用语管理 agents keep their personal entries.
export function showSupervisorTabs(supervisor) {
  ui.cannedTab.hidden = false;
  ui.liveTab.hidden = !supervisor;
  ui.reportsTab.hidden = !supervisor;
}

function tabOrder() {
  var views = Array.from(state.chats.keys());
  Object.keys(VIEWS).forEach(function (name) {
    if (!VIEWS[name].tab.hidden) views.push(name);
  });
  return views;
}

function tabOf(view) {
  return VIEWS[view] ? VIEWS[view].tab : state.chats.get(view).tab;
}

ui.ticketsTab.addEventListener("click", function () { activate("tickets"); });
ui.searchTab.addEventListener("click", function () { activate("search"); });
ui.cannedTab.addEventListener("click", function () { activate("canned"); });
ui.liveTab.addEventListener("click", function () { activate("live"); });
ui.reportsTab.addEventListener("click", function () { activate("reports"); });

// Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
ui.tabs.addEventListener("keydown", function (event) {
  if (!event.target.classList.contains("swa-tab")) return;
  var views = tabOrder();
  var current = event.target.dataset.view || event.target.dataset.conversationId;
  var index = views.indexOf(current);
  var next = null;
  if (event.key === "ArrowRight") next = views[(index + 1) % views.length];
  else if (event.key === "ArrowLeft") next = views[(index - 1 + views.length) % views.length];
  else if (event.key === "Home") next = views[0];
  else if (event.key === "End") next = views[views.length - 1];
  if (next === null) return;
  event.preventDefault();
  activate(next);
  tabOf(next).focus();
});

// Alt+1…9 opens the n-th chat, Alt+0 the tickets.
document.addEventListener("keydown", function (event) {
  if (!loggedIn() || !event.altKey || event.ctrlKey || event.metaKey) return;
  var match = /^Digit([0-9])$/.exec(event.code || "");
  if (!match) return;
  var n = Number(match[1]);
  var ids = Array.from(state.chats.keys());
  if (n === 0) activate("tickets");
  else if (n <= ids.length) activate(ids[n - 1], true);
  else return;
  event.preventDefault();
});

document.addEventListener("visibilitychange", function () {
  if (document.hidden) return;
  if (state.active === "live") loadLive();  // its polling skips a hidden page
  var chat = state.chats.get(state.active);
  if (chat && chat.unread) {
    chat.unread = 0;
    updateUnread(chat);
  }
});
