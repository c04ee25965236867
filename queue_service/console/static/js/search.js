// 会话记录: transcript search, by lines or by chats, and the whole conversation of a result,
// read-only, with the line found marked.

import { api } from "./api.js";
import { $, appendHighlighted, el } from "./dom.js";
import { channelTitle, formatFullTime, ROLE_LABELS, shortId, snippet } from "./format.js";
import { state } from "./store.js";
import { renderLine } from "./transcript.js";

var ui = {
  searchForm: $(".swa-search-form"),
  searchKind: $(".swa-search-kind"),
  searchConversation: $(".swa-search-conversation"),
  searchAgent: $(".swa-search-agent"),
  searchAgentField: $(".swa-search-agent-field"),
  searchRole: $(".swa-search-role"),
  searchRoleField: $(".swa-search-role-field"),
  searchFrom: $(".swa-search-from"),
  searchTo: $(".swa-search-to"),
  searchText: $(".swa-search-text"),
  searchTextField: $(".swa-search-text-field"),
  searchReset: $(".swa-search-reset"),
  searchScope: $(".swa-search-scope"),
  searchError: $(".swa-search-error"),
  searchResults: $(".swa-search-results"),
  results: $(".swa-results"),
  searchEmpty: $(".swa-search-empty"),
  searchMore: $(".swa-search-more"),
  record: $(".swa-record"),
  recordBack: $(".swa-record-back"),
  recordId: $(".swa-record-id"),
  recordLines: $(".swa-record-lines"),
};

// An agent's results are limited to their own chats by the server; no agent filter.
export function setSearchScope(supervisor) {
  ui.searchAgentField.hidden = !supervisor;
  ui.searchScope.textContent = supervisor ? "日期按北京时间计算。" :
    "仅显示您接待过的会话中的内容。日期按北京时间计算。";
  ui.searchScope.hidden = false;
}

function readSearchForm() {
  var kind = ui.searchKind.value;
  var params = {
    conversation: ui.searchConversation.value.trim(),
    agent: ui.searchAgentField.hidden ? "" : ui.searchAgent.value.trim(),
    date_from: ui.searchFrom.value,
    date_to: ui.searchTo.value,
  };
  if (kind === "lines") {
    params.role = ui.searchRole.value;
    params.text = ui.searchText.value.trim();
  }
  return { kind: kind, params: params };
}

function searchError(text) {
  ui.searchError.textContent = text || "";
  ui.searchError.hidden = !text;
}

// A new search (more false) or the next page of the one shown (more true).
export function runSearch(more) {
  var query = more ? state.searchQuery : readSearchForm();
  if (!query) return;
  if (!more && query.params.date_from && query.params.date_to &&
      query.params.date_from > query.params.date_to) {
    searchError("开始日期不能晚于结束日期。");
    return;
  }
  var params = new URLSearchParams();
  Object.keys(query.params).forEach(function (name) {
    if (query.params[name]) params.set(name, query.params[name]);
  });
  if (more && state.searchNext !== null) params.set("before_id", String(state.searchNext));
  var path = query.kind === "chats" ? "/console/api/search/chats" : "/console/api/search";
  var session = state.session;
  var seq = ++state.searchSeq;
  ui.searchMore.disabled = true;
  if (!more) closeRecord(false);
  api("GET", path + "?" + params.toString()).then(function (data) {
    if (session !== state.session || seq !== state.searchSeq) return;
    state.searchLoaded = true;
    state.searchQuery = query;
    searchError("");
    if (!more) ui.results.textContent = "";
    var items = (query.kind === "chats" ? data.chats : data.lines) || [];
    items.forEach(function (item) {
      ui.results.appendChild(query.kind === "chats" ? renderChatHit(item) :
        renderLineHit(item, query.params.text));
    });
    ui.results.dataset.kind = query.kind;
    state.searchNext = data.next_before === undefined ? null : data.next_before;
    ui.searchMore.hidden = state.searchNext === null;
    ui.searchMore.disabled = false;
    ui.searchEmpty.hidden = ui.results.children.length > 0;
  }, function (error) {
    if (session !== state.session || seq !== state.searchSeq) return;
    ui.searchMore.disabled = false;
    if (error.status !== 401) searchError(error.message);
  });
}

function hitButton(conversationId, lineId) {
  var button = el("button", "swa-hit");
  button.type = "button";
  button.dataset.conversationId = conversationId;
  button.title = "查看完整会话";
  button.addEventListener("click", function () { openRecord(conversationId, lineId, button); });
  return button;
}

function hitConversation(conversationId) {
  var channel = String(conversationId).split(":")[0];
  var span = el("span", "swa-hit-conversation", channelTitle(channel) + " · " + shortId(conversationId));
  span.title = conversationId;
  return span;
}

function hitTime(iso) {
  var time = el("time", "swa-hit-time", formatFullTime(iso));
  time.dateTime = iso;
  return time;
}

function renderLineHit(line, needle) {
  var item = el("li", "swa-hit-item");
  var button = hitButton(line.conversation_id, line.id);
  button.dataset.id = String(line.id);
  button.dataset.role = line.role;
  button.appendChild(hitTime(line.created_at));
  button.appendChild(hitConversation(line.conversation_id));
  button.appendChild(el("span", "swa-hit-role", ROLE_LABELS[line.role] || line.role));
  var agent = line.agent ? (line.sender_name ? line.sender_name + "（" + line.agent + "）" : line.agent) : "—";
  button.appendChild(el("span", "swa-hit-agent", agent));
  var text = el("span", "swa-hit-text");
  if (line.text) appendHighlighted(text, snippet(line.text, needle), needle);
  else text.appendChild(el("i", null, "[非文字消息]"));
  button.appendChild(text);
  item.appendChild(button);
  return item;
}

function renderChatHit(chat) {
  var item = el("li", "swa-hit-item");
  var button = hitButton(chat.conversation_id, null);
  button.dataset.chatId = String(chat.id);
  button.appendChild(hitTime(chat.assigned_at));
  button.appendChild(hitConversation(chat.conversation_id));
  button.appendChild(el("span", "swa-hit-role", chat.skill_title || chat.skill));
  button.appendChild(el("span", "swa-hit-agent", chat.agent));
  var outcome = chat.closed_at ? (chat.disposition_title || "已结束") : "进行中";
  if (chat.csat) outcome += " · 评价 " + chat.csat + " 分";
  else if (chat.closed_at) outcome += " · 未评价";
  button.appendChild(el("span", "swa-hit-text", outcome));
  item.appendChild(button);
  return item;
}

// The whole conversation, read-only, with the line found marked and in view.
function openRecord(conversationId, lineId, from) {
  var session = state.session;
  var seq = ++state.recordSeq;
  state.recordFrom = from || null;
  ui.recordId.textContent = conversationId;
  ui.recordLines.textContent = "";
  ui.searchResults.hidden = true;
  ui.record.hidden = false;
  ui.recordBack.focus();
  var path = "/console/api/search/conversation?conversation_id=" + encodeURIComponent(conversationId);
  api("GET", path).then(function (data) {
    if (session !== state.session || seq !== state.recordSeq) return;
    var target = null;
    (data.messages || []).forEach(function (message) {
      var item = renderLine(message);
      if (lineId !== null && message.id === lineId) {
        item.dataset.hit = "true";
        target = item;
      }
      ui.recordLines.appendChild(item);
    });
    if (target) target.scrollIntoView({ block: "center" });
    else ui.recordLines.scrollTop = 0;
  }, function (error) {
    if (session !== state.session || seq !== state.recordSeq) return;
    closeRecord(true);
    if (error.status !== 401) searchError(error.message);
  });
}

function closeRecord(focus) {
  state.recordSeq += 1;
  var wasOpen = !ui.record.hidden;
  ui.record.hidden = true;
  ui.recordLines.textContent = "";
  ui.searchResults.hidden = false;
  if (focus && wasOpen && state.recordFrom && state.recordFrom.isConnected) state.recordFrom.focus();
}

function updateSearchKind() {
  var lines = ui.searchKind.value === "lines";
  ui.searchRoleField.hidden = !lines;
  ui.searchTextField.hidden = !lines;
}

export function resetSearch() {
  ui.searchForm.reset();
  updateSearchKind();
  closeRecord(false);
  ui.results.textContent = "";
  ui.searchMore.hidden = true;
  ui.searchEmpty.hidden = true;
  searchError("");
}

ui.searchForm.addEventListener("submit", function (event) {
  event.preventDefault();
  runSearch(false);
});
ui.searchKind.addEventListener("change", function () {
  updateSearchKind();
  runSearch(false);
});
ui.searchReset.addEventListener("click", function () {
  resetSearch();
  runSearch(false);
});
ui.searchMore.addEventListener("click", function () { runSearch(true); });
ui.recordBack.addEventListener("click", function () { closeRecord(true); });
ui.record.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    event.preventDefault();
    closeRecord(true);
  }
});
