// Messages users left (留言) when no agent could take them: the 留言 badge, the list by state,
// and marking one done with a note.

import { appendRichText } from "/static/richtext.js";
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { channelTitle, formatDateTime } from "./format.js";
import { showError, showNotice } from "./notify.js";
import { state } from "./store.js";

var ui = {
  ticketCount: $(".swa-ticket-count"),
  ticketState: $("#swa-ticket-state"),
  ticketsRefresh: $(".swa-tickets-refresh"),
  ticketList: $(".swa-ticket-list"),
  ticketEmpty: $(".swa-ticket-empty"),
};

export function clearTickets() {
  ui.ticketList.textContent = "";
}

function setTicketCount(count) {
  ui.ticketCount.textContent = String(count);
  ui.ticketCount.hidden = count === 0;
}

export function loadTicketCount() {
  var session = state.session;
  return api("GET", "/console/api/tickets?state=open").then(function (data) {
    if (session === state.session) setTicketCount((data.tickets || []).length);
  }, showError);
}

export function loadTickets() {
  var session = state.session;
  var wanted = ui.ticketState.value;
  return api("GET", "/console/api/tickets?state=" + encodeURIComponent(wanted)).then(function (data) {
    if (session !== state.session || ui.ticketState.value !== wanted) return;
    var tickets = data.tickets || [];
    renderTickets(tickets);
    if (wanted === "open") setTicketCount(tickets.length);
  }, showError);
}

// Keyed by ticket id, so a note being typed survives a reload of the list.
function renderTickets(tickets) {
  var existing = new Map();
  Array.prototype.forEach.call(ui.ticketList.children, function (item) {
    existing.set(item.dataset.ticketId + ":" + item.dataset.status, item);
  });
  var keep = new Set();
  tickets.forEach(function (ticket, index) {
    var key = ticket.id + ":" + ticket.status;
    var item = existing.get(key) || renderTicket(ticket);
    keep.add(item);
    var at = ui.ticketList.children[index];
    if (at !== item) ui.ticketList.insertBefore(item, at || null);
  });
  existing.forEach(function (item) { if (!keep.has(item)) item.remove(); });
  ui.ticketEmpty.hidden = tickets.length > 0;
}

function renderTicket(ticket) {
  var item = el("li", "swa-ticket");
  item.dataset.ticketId = String(ticket.id);
  item.dataset.status = ticket.status;
  var head = el("div", "swa-ticket-head");
  head.appendChild(el("span", "swa-ticket-id", "#" + ticket.id));
  head.appendChild(el("span", "swa-ticket-skill", ticket.skill_title || ticket.skill));
  var channel = String(ticket.conversation_id || "").split(":")[0];
  head.appendChild(el("span", "swa-channel", channelTitle(channel))).dataset.channel = channel;
  var time = el("time", "swa-ticket-time", formatDateTime(ticket.created_at));
  time.dateTime = ticket.created_at;
  head.appendChild(time);
  item.appendChild(head);
  var text = el("div", "swa-ticket-text");
  appendRichText(text, ticket.text || "");
  item.appendChild(text);
  var contact = el("div", "swa-ticket-contact");
  contact.appendChild(el("b", null, "联系方式："));
  contact.appendChild(el("span", "swa-ticket-contact-value", ticket.contact || ""));
  item.appendChild(contact);
  if (ticket.status === "done") {
    var result = el("div", "swa-ticket-result");
    result.appendChild(el("b", null, "处理人："));
    result.appendChild(document.createTextNode((ticket.done_by || "") + "　"));
    result.appendChild(el("b", null, "备注："));
    result.appendChild(document.createTextNode(ticket.done_note || ""));
    item.appendChild(result);
    return item;
  }
  var form = el("form", "swa-ticket-form");
  form.autocomplete = "off";
  var note = el("textarea", "swa-ticket-note");
  note.rows = 2;
  note.maxLength = 1000;
  note.placeholder = "处理备注（必填），如：已电话联系用户，问题已解决";
  note.setAttribute("aria-label", "留言 #" + ticket.id + " 的处理备注");
  var done = el("button", "swa-ticket-done", "标记已处理");
  done.type = "submit";
  form.appendChild(note);
  form.appendChild(done);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    markTicketDone(ticket, item, note, done);
  });
  note.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      markTicketDone(ticket, item, note, done);
    }
  });
  item.appendChild(form);
  return item;
}

function markTicketDone(ticket, item, note, button) {
  var text = note.value.trim();
  if (!text) {
    showNotice("请填写处理备注。");
    note.focus();
    return;
  }
  button.disabled = true;
  var session = state.session;
  api("POST", "/console/api/tickets/" + encodeURIComponent(ticket.id) + "/done", { note: text })
    .then(function () {
      if (session !== state.session) return;
      item.remove();
      showNotice("留言 #" + ticket.id + " 已标记为已处理。", "info");
    })
    .catch(function (error) {
      button.disabled = false;
      showError(error);
    })
    .then(function () {
      if (session === state.session) loadTickets();
    });
}

ui.ticketState.addEventListener("change", function () {
  ui.ticketList.textContent = "";
  loadTickets();
});
ui.ticketsRefresh.addEventListener("click", function () { loadTickets(); });
