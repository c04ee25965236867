// 实时监控 (supervisors): today's figures, the queues and the agents, polled while shown and
// reloaded at once when a websocket event says something changed.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { formatTime, formatWait, LONG_WAIT_S, shortId } from "./format.js";
import { listenTo, takeOver } from "./listen.js";
import { statusTitle } from "./me.js";
import { EVENT_RELOAD_MS } from "./socket.js";
import { state } from "./store.js";

var ui = {
  liveUpdated: $(".swa-live-updated"),
  liveRefresh: $(".swa-live-refresh"),
  liveError: $(".swa-live-error"),
  liveToday: $(".swa-live-today"),
  liveSkills: $(".swa-live-skills tbody"),
  liveAgents: $(".swa-live-agents tbody"),
};

var LIVE_POLL_MS = 5000;        // while the view is shown
var LIVE_FORBIDDEN = "仅班长（主管）可以查看实时监控。";

export function startLive() {
  stopLive();
  loadLive();
  state.liveTimer = setInterval(function () {
    if (!document.hidden) loadLive();
  }, LIVE_POLL_MS);
}

export function stopLive() {
  clearInterval(state.liveTimer);
  clearTimeout(state.liveReloadTimer);
  state.liveTimer = null;
}

export function clearLive() {
  ui.liveToday.textContent = "";
  ui.liveSkills.textContent = "";
  ui.liveAgents.textContent = "";
  ui.liveUpdated.textContent = "";
  liveError("");
}

// A queue or an agent changed (a websocket event): reload now rather than at the next poll.
export function scheduleLiveReload() {
  if (state.active !== "live") return;
  clearTimeout(state.liveReloadTimer);
  state.liveReloadTimer = setTimeout(loadLive, EVENT_RELOAD_MS);
}

export function loadLive() {
  var session = state.session;
  var seq = ++state.liveSeq;
  return api("GET", "/console/api/supervisor").then(function (data) {
    if (session !== state.session || seq !== state.liveSeq) return;
    renderLive(data || {});
  }, function (error) {
    if (session !== state.session || seq !== state.liveSeq || error.status === 401) return;
    // The figures last shown stay, with their time, unless they may not be seen at all.
    if (error.status === 403) {
      clearLive();
      liveError(LIVE_FORBIDDEN);
    } else {
      liveError("实时数据更新失败：" + error.message);
    }
  });
}

function liveError(text) {
  ui.liveError.textContent = text || "";
  ui.liveError.hidden = !text;
}

function renderLive(data) {
  liveError("");
  renderToday(data.today || {});
  renderLiveSkills(data.skills || []);
  renderLiveAgents(data.agents || []);
  ui.liveUpdated.textContent = "更新于 " + formatTime();
}

// Seconds as mm:ss, or a dash when there is nothing to measure.
function durationText(seconds) {
  return typeof seconds === "number" ? formatWait(seconds) : "—";
}

// Today's figures: [key, label, value, a smaller note after the value or ""].
function todayFigures(today) {
  var rated = today.csat_count > 0 && typeof today.csat_average === "number";
  return [
    ["handled", "已接待", String(today.handled || 0), ""],
    ["abandoned", "放弃排队", String(today.abandoned || 0), ""],
    ["wait", "平均等待", durationText(today.average_wait_s), ""],
    ["handle", "平均处理时长", durationText(today.average_handle_s), ""],
    ["csat", "满意度", rated ? today.csat_average.toFixed(1) + " 分" : "暂无评价",
      rated ? "（共 " + today.csat_count + " 条评价）" : ""],
  ];
}

function renderToday(today) {
  ui.liveToday.textContent = "";
  todayFigures(today).forEach(function (figure) {
    var item = el("div", "swa-live-figure");
    item.dataset.figure = figure[0];
    item.appendChild(el("dt", null, figure[1]));
    var value = item.appendChild(el("dd", null, figure[2]));
    if (figure[3]) value.appendChild(el("span", "swa-live-figure-note", figure[3]));
    ui.liveToday.appendChild(item);
  });
}

function addCell(row, className, text) {
  return row.appendChild(el("td", className, text));
}

function rowHead(row, className, text) {
  var cell = row.appendChild(el("th", className, text));
  cell.scope = "row";
  return cell;
}

function renderLiveSkills(skills) {
  ui.liveSkills.textContent = "";
  skills.forEach(function (skill) {
    var row = el("tr", "swa-live-skill");
    row.dataset.skill = skill.skill;
    row.dataset.long = String(skill.waiting > 0 && skill.longest_wait_s >= LONG_WAIT_S);
    rowHead(row, "swa-live-skill-title", skill.title);
    addCell(row, "swa-live-waiting", skill.waiting).dataset.count = String(skill.waiting);
    addCell(row, "swa-live-longest", skill.waiting ? formatWait(skill.longest_wait_s) : "—");
    addCell(row, "swa-live-online", skill.agents_online + " 人（接待上限 " + skill.capacity_online + "）");
    addCell(row, "swa-live-abandoned", skill.abandoned_today);
    ui.liveSkills.appendChild(row);
  });
}

// Those at work first, in the order of the statuses (online, busy, away, offline); by user
// name within each, as listed.
function byStatus(agents) {
  var order = ((state.me && state.me.statuses) || []).map(function (status) { return status.id; });
  var rank = function (agent) {
    var at = order.indexOf(agent.status);
    return at < 0 ? order.length : at;
  };
  return agents.slice().sort(function (a, b) { return rank(a) - rank(b); });
}

function renderLiveAgents(agents) {
  ui.liveAgents.textContent = "";
  byStatus(agents).forEach(function (agent) {
    var row = el("tr", "swa-live-agent");
    row.dataset.username = agent.username;
    var name = rowHead(row, "swa-live-agent-name", agent.display_name || agent.username);
    name.appendChild(el("span", "swa-live-username", agent.username));
    addCell(row, "swa-live-status", statusTitle(agent.status)).dataset.status = agent.status;
    addCell(row, "swa-live-load", agent.load + " / " + agent.capacity);
    addCell(row, "swa-live-connected", agent.connected ? "已连接" : "未连接")
      .dataset.connected = String(agent.connected === true);
    addChatsCell(row, agent);
    ui.liveAgents.appendChild(row);
  });
  if (!agents.length) {
    var empty = el("tr");
    addCell(empty, "swa-live-none", "暂无客服").colSpan = 5;
    ui.liveAgents.appendChild(empty);
  }
}

// Each chat the agent serves, with 监听 and 接管 (not one's own chats).
function addChatsCell(row, agent) {
  var cell = addCell(row, "swa-live-chats");
  (agent.chats || []).forEach(function (conversationId) {
    var item = cell.appendChild(el("span", "swa-live-chat"));
    item.dataset.conversationId = conversationId;
    item.appendChild(el("code", null, shortId(conversationId)));
    if (state.me && agent.username === state.me.username) return;
    var label = (agent.display_name || agent.username) + " · " + shortId(conversationId);
    var listen = item.appendChild(el("button", "swa-live-listen", "监听"));
    listen.type = "button";
    listen.addEventListener("click", function () { listenTo(conversationId, label); });
    var take = item.appendChild(el("button", "swa-live-takeover", "接管"));
    take.type = "button";
    take.addEventListener("click", function () { takeOver(conversationId); });
  });
  if (!cell.children.length) cell.textContent = "—";
}

ui.liveRefresh.addEventListener("click", function () { loadLive(); });
