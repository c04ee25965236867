// Messages users left (留言) when no agent could take them: the live 留言 badge, the list by
// status and assignee, and one ticket opened with who left it, the conversation behind it and
// its answers; taken (受理), given to an agent (指派, supervisors), answered in the user's own
// channel (回复用户) and closed with a note for the help desk (关闭).

import { appendRichText } from "/static/richtext.js";
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { channelTitle, formatDateTime } from "./format.js";
import { showError, showNotice } from "./notify.js";
import { state } from "./store.js";
import { renderLine } from "./transcript.js";

var RELOAD_DELAY_MS = 300;  // several changes at once reload the list once

var ui = {
  ticketCount: $(".swa-ticket-count"),
  ticketState: $("#swa-ticket-state"),
  ticketScope: $("#swa-ticket-scope"),
  ticketSkill: $("#swa-ticket-skill"),
  ticketFrom: $(".swa-ticket-from"),
  ticketTo: $(".swa-ticket-to"),
  ticketTotal: $(".swa-ticket-total"),
  ticketsRefresh: $(".swa-tickets-refresh"),
  ticketList: $(".swa-ticket-list"),
  ticketEmpty: $(".swa-ticket-empty"),
};

var reloadTimer = null;

export function clearTickets() {
  ui.ticketList.textContent = "";
  ui.ticketTotal.textContent = "";
}

function setTicketCount(count) {
  ui.ticketCount.textContent = String(count);
  ui.ticketCount.hidden = count === 0;
}

// The badge counts tickets nobody has taken yet (待处理).
export function loadTicketCount() {
  var session = state.session;
  return api("GET", "/console/api/tickets?state=open&limit=1").then(function (data) {
    if (session === state.session) setTicketCount(data.total || 0);
  }, showError);
}

// A console event said the tickets changed (queue_service/handoff/ticket_desk.py).
export function ticketsChanged() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(function () {
    loadTicketCount();
    if (state.active === "tickets") loadTickets();
  }, RELOAD_DELAY_MS);
}

function listPath() {
  var query = new URLSearchParams({ state: ui.ticketState.value });
  if (ui.ticketScope.value) query.set("assignee", ui.ticketScope.value);
  if (ui.ticketSkill.value) query.set("skill", ui.ticketSkill.value);
  if (ui.ticketFrom.value) query.set("date_from", ui.ticketFrom.value);
  if (ui.ticketTo.value) query.set("date_to", ui.ticketTo.value);
  return "/console/api/tickets?" + query.toString();
}

export function loadTickets() {
  var session = state.session;
  var path = listPath();
  return api("GET", path).then(function (data) {
    if (session !== state.session || listPath() !== path) return;
    var tickets = data.tickets || [];
    fillSkills(data.skills || []);
    renderTickets(tickets);
    ui.ticketTotal.textContent = "共 " + (data.total || 0) + " 条";
  }, showError);
}

function fillSkills(skills) {
  if (ui.ticketSkill.options.length > 1) return;  // the first is 全部技能组
  skills.forEach(function (skill) {
    var option = el("option", null, skill.title);
    option.value = skill.id;
    ui.ticketSkill.appendChild(option);
  });
}

// Keyed by ticket id and status, so an open ticket (and what is typed in it) survives a reload.
function renderTickets(tickets) {
  var existing = new Map();
  Array.prototype.forEach.call(ui.ticketList.children, function (item) {
    existing.set(item.dataset.key, item);
  });
  var keep = new Set();
  tickets.forEach(function (ticket, index) {
    var key = ticket.id + ":" + ticket.status + ":" + (ticket.assignee || "");
    var item = existing.get(key) || renderTicket(ticket, key);
    keep.add(item);
    var at = ui.ticketList.children[index];
    if (at !== item) ui.ticketList.insertBefore(item, at || null);
  });
  existing.forEach(function (item) { if (!keep.has(item)) item.remove(); });
  ui.ticketEmpty.hidden = tickets.length > 0;
}

function renderTicket(ticket, key) {
  var item = el("li", "swa-ticket");
  item.dataset.key = key;
  item.dataset.ticketId = String(ticket.id);
  item.dataset.status = ticket.status;
  var head = el("div", "swa-ticket-head");
  head.appendChild(el("span", "swa-ticket-id", "#" + ticket.id));
  head.appendChild(el("span", "swa-ticket-status", ticket.status_title)).dataset.status = ticket.status;
  head.appendChild(el("span", "swa-ticket-skill", ticket.skill_title || ticket.skill));
  head.appendChild(el("span", "swa-channel", channelTitle(ticket.channel))).dataset.channel = ticket.channel;
  if (ticket.identity) head.appendChild(el("span", "swa-ticket-who", ticket.identity));
  var time = el("time", "swa-ticket-time", formatDateTime(ticket.created_at));
  time.dateTime = ticket.created_at;
  head.appendChild(time);
  item.appendChild(head);
  var text = el("div", "swa-ticket-text");
  appendRichText(text, ticket.text || "");
  item.appendChild(text);
  var facts = el("div", "swa-ticket-contact");
  facts.appendChild(el("b", null, "联系方式："));
  facts.appendChild(el("span", "swa-ticket-contact-value", ticket.contact || ""));
  facts.appendChild(el("b", null, "　受理人："));
  facts.appendChild(el("span", "swa-ticket-assignee", ticket.assignee || "未受理"));
  item.appendChild(facts);
  if (ticket.status === "closed") {
    var result = el("div", "swa-ticket-result");
    result.appendChild(el("b", null, "关闭人："));
    result.appendChild(document.createTextNode((ticket.done_by || "") + "　"));
    result.appendChild(el("b", null, "备注："));
    result.appendChild(document.createTextNode(ticket.done_note || ""));
    item.appendChild(result);
  }
  var more = el("details", "swa-ticket-more");
  more.appendChild(el("summary", null, "详情与处理"));
  var body = el("div", "swa-ticket-body");
  more.appendChild(body);
  more.addEventListener("toggle", function () {
    if (more.open && !body.dataset.loaded) loadDetail(ticket.id, body);
  });
  item.appendChild(more);
  return item;
}

function loadDetail(ticketId, body) {
  var session = state.session;
  body.dataset.loaded = "loading";
  api("GET", "/console/api/tickets/" + encodeURIComponent(ticketId)).then(function (ticket) {
    if (session !== state.session) return;
    body.dataset.loaded = "true";
    body.textContent = "";
    var history = renderHistory(ticket.history || []);
    body.appendChild(history);
    var lines = history.querySelector(".swa-ticket-lines");
    lines.scrollTop = lines.scrollHeight;  // the newest lines, where the ticket was left
    body.appendChild(renderReplies(ticket.replies || []));
    if (ticket.status !== "closed") body.appendChild(renderActions(ticket));
  }, function (error) {
    delete body.dataset.loaded;
    showError(error);
  });
}

function renderHistory(history) {
  var box = el("section", "swa-ticket-history");
  box.appendChild(el("h3", null, "会话记录（" + history.length + " 条）"));
  var lines = el("ol", "swa-transcript swa-ticket-lines");
  history.forEach(function (message) { lines.appendChild(renderLine(message)); });
  box.appendChild(lines);
  return box;
}

function renderReplies(replies) {
  var box = el("section", "swa-ticket-replies");
  box.appendChild(el("h3", null, replies.length ? "已回复" : "尚未回复"));
  replies.forEach(function (reply) {
    var item = el("div", "swa-ticket-reply");
    item.appendChild(el("b", null, reply.author_name + "　" + formatDateTime(reply.created_at)));
    var text = el("div", "swa-ticket-text");
    appendRichText(text, reply.text);
    item.appendChild(text);
    box.appendChild(item);
  });
  return box;
}

function renderActions(ticket) {
  var box = el("div", "swa-ticket-actions");
  var me = state.me || {};
  var mine = !ticket.assignee || ticket.assignee === me.username;
  var supervisor = me.role === "supervisor";
  if (!mine && !supervisor) {
    box.appendChild(el("p", "swa-ticket-hint", "该留言已由 " + ticket.assignee + " 受理。"));
    return box;
  }
  if (ticket.assignee !== me.username) {
    var take = el("button", "swa-ticket-take", "受理");
    take.type = "button";
    take.addEventListener("click", function () { act(ticket, "assign", {}, take); });
    box.appendChild(take);
  }
  if (supervisor) box.appendChild(renderAssign(ticket));
  box.appendChild(renderForm(ticket, "reply", "回复内容将发送给用户（" + channelTitle(ticket.channel) + "）",
                             "回复用户", 2000));
  box.appendChild(renderForm(ticket, "close", "关闭备注（必填，仅客服可见），如：已电话联系用户，问题已解决",
                             "关闭留言", 1000));
  return box;
}

function renderAssign(ticket) {
  var form = el("form", "swa-ticket-assign");
  var select = el("select", "swa-ticket-assignee-select");
  select.setAttribute("aria-label", "留言 #" + ticket.id + " 指派给");
  var button = el("button", null, "指派");
  button.type = "submit";
  form.appendChild(select);
  form.appendChild(button);
  api("GET", "/console/api/agents").then(function (data) {
    (data.agents || []).forEach(function (agent) {
      var option = el("option", null, agent.display_name + "（" + agent.username + "）");
      option.value = agent.username;
      select.appendChild(option);
    });
  }, showError);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (select.value) act(ticket, "assign", { assignee: select.value }, button);
  });
  return form;
}

function renderForm(ticket, action, placeholder, title, maxLength) {
  var form = el("form", "swa-ticket-form");
  form.autocomplete = "off";
  form.dataset.action = action;
  var field = el("textarea", "swa-ticket-note");
  field.rows = 2;
  field.maxLength = maxLength;
  field.placeholder = placeholder;
  field.setAttribute("aria-label", "留言 #" + ticket.id + " 的" + title);
  var button = el("button", "swa-ticket-" + action, title);
  button.type = "submit";
  form.appendChild(field);
  form.appendChild(button);
  function submit(event) {
    event.preventDefault();
    var text = field.value.trim();
    if (!text) {
      showNotice(action === "reply" ? "请填写回复内容。" : "请填写关闭备注。");
      field.focus();
      return;
    }
    act(ticket, action, action === "reply" ? { text: text } : { note: text }, button);
  }
  form.addEventListener("submit", submit);
  field.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
  });
  return form;
}

var DONE = {
  assign: function (ticket) { return "留言 #" + ticket.id + " 已由 " + ticket.assignee + " 受理。"; },
  reply: function (ticket) {
    return ticket.sent ? "回复已发送给用户。" :
      "回复已保存，用户下次发消息时将收到（微信仅能在用户 48 小时内互动后发送），也可按联系方式联系用户。";
  },
  close: function (ticket) { return "留言 #" + ticket.id + " 已关闭。"; },
};

function act(ticket, action, body, button) {
  var session = state.session;
  button.disabled = true;
  api("POST", "/console/api/tickets/" + encodeURIComponent(ticket.id) + "/" + action, body)
    .then(function (answer) {
      if (session === state.session) showNotice(DONE[action](answer), "info");
    }, function (error) {
      button.disabled = false;
      showError(error);
    })
    .then(function () {
      if (session === state.session) { loadTickets(); loadTicketCount(); }
    });
}

[ui.ticketState, ui.ticketScope, ui.ticketSkill, ui.ticketFrom, ui.ticketTo].forEach(function (field) {
  field.addEventListener("change", function () {
    ui.ticketList.textContent = "";
    loadTickets();
  });
});
ui.ticketsRefresh.addEventListener("click", function () { loadTickets(); });
