// 未知问题: the questions the bot did not serve in the chosen period, grouped into clusters of
// one question, most asked first. Per cluster one click: add the (editable) wording as a
// phrasing of an entry (the model's three best guesses offered as buttons, or any entry by
// id), create a new entry with its wordings, mark it out of scope (trained as a negative), or
// ignore it. A handled cluster leaves the list; the knowledge base changes as any edit does
// and reaches users with the next 发布.

import { api } from "../api.js";
import { $, el } from "../dom.js";
import { loadBrowse } from "./browse.js";
import { newEntryWith } from "./editor.js";
import { KB, state } from "./state.js";

var INBOX = KB + "/inbox";

var ui = {
  tabs: document.querySelectorAll(".kb-tab"),
  inbox: $(".kb-inbox"),
  body: $(".kb-body"),
  days: $(".kb-inbox-days"),
  summary: $(".kb-inbox-summary"),
  refresh: $(".kb-inbox-refresh"),
  list: $(".kb-inbox-list"),
  empty: $(".kb-inbox-empty"),
  notice: $(".kb-notice"),
};

function notice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

export function showView(view) {
  ui.tabs.forEach(function (tab) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  });
  ui.inbox.hidden = view !== "inbox";
  ui.body.hidden = view === "inbox";
  if (view === "inbox") loadInbox();
}

export function resetInbox() {
  ui.list.replaceChildren();
  ui.summary.textContent = "";
  showView("entries");
}

export function loadInbox() {
  ui.summary.textContent = "正在加载……";
  return api("GET", INBOX + "?days=" + encodeURIComponent(ui.days.value)).then(function (found) {
    render(found);
  }, function (error) {
    ui.summary.textContent = error.message;
  });
}

function render(found) {
  ui.list.replaceChildren();
  ui.summary.textContent = found.total
    ? "共 " + found.total + " 类问题（" + found.questions + " 种问法），显示提问最多的 " + found.clusters.length + " 类"
    : "";
  ui.empty.hidden = found.clusters.length > 0;
  found.clusters.forEach(function (cluster) { ui.list.appendChild(item(cluster)); });
}

function item(cluster) {
  var li = el("li", "kb-inbox-cluster");
  li.dataset.text = cluster.text;
  var title = el("div", "kb-inbox-title");
  title.appendChild(el("span", "kb-inbox-text", cluster.text));
  title.appendChild(el("span", "kb-inbox-count", cluster.count + " 次"));
  cluster.why.forEach(function (why) {
    title.appendChild(el("span", "kb-inbox-why", why.title + " " + why.count));
  });
  li.appendChild(title);
  var questions = el("ul", "kb-inbox-questions");
  cluster.questions.forEach(function (question) {
    questions.appendChild(el("li", null, question.text + "（" + question.count + " 次）"));
  });
  if (cluster.more) questions.appendChild(el("li", null, "……另有 " + cluster.more + " 种问法"));
  li.appendChild(questions);

  var error = el("p", "kb-inbox-error");
  error.setAttribute("role", "alert");
  var actions = el("div", "kb-inbox-actions");
  var phrasing = el("input", "kb-inbox-phrasing");
  phrasing.maxLength = 200;
  phrasing.value = cluster.text;
  phrasing.setAttribute("aria-label", "要添加的问法");
  actions.appendChild(phrasing);
  var suggestions = el("span", "kb-inbox-suggestions");
  actions.appendChild(suggestions);
  var entry = el("input", "kb-inbox-entry");
  entry.setAttribute("list", "kb-entry-ids");
  entry.placeholder = "或输入条目编号";
  entry.setAttribute("aria-label", "添加到的条目编号");
  actions.appendChild(entry);
  var add = button("添加为问法", "kb-inbox-add");
  actions.appendChild(add);
  var create = button("新建条目", "kb-inbox-create");
  actions.appendChild(create);
  var outside = button("范围外问题", "kb-inbox-outside");
  actions.appendChild(outside);
  var ignore = button("忽略", "kb-inbox-ignore");
  actions.appendChild(ignore);
  li.appendChild(actions);
  li.appendChild(error);

  function resolve(body, done) {
    error.textContent = "";
    body.questions = cluster.all;
    return api("POST", INBOX + "/resolve", body).then(function () {
      li.remove();
      notice(done);
      if (body.action === "phrasing" || body.action === "out_of_scope") loadBrowse();
      if (!ui.list.children.length) loadInbox();
    }, function (failure) {
      error.textContent = failure.message;
    });
  }

  function addTo(entryId, entryTitle) {
    var text = phrasing.value.trim();
    resolve(
      { action: "phrasing", entry_id: entryId, phrasing: text },
      "已将“" + text + "”添加为“" + entryTitle + "”的相似问法。发布后生效。"
    );
  }

  add.addEventListener("click", function () {
    var id = entry.value.trim();
    if (!id) {
      error.textContent = "请选择建议的条目，或输入条目编号。";
      return;
    }
    addTo(id, state.titles[id] || id);
  });
  create.addEventListener("click", function () {
    showView("entries");
    // Wordings with a masked number (138****5678) are no phrasings a user would type: left out.
    var wordings = [phrasing.value.trim()].concat(cluster.all.filter(function (q) {
      return q !== phrasing.value.trim();
    })).filter(function (q) { return q && q.indexOf("**") < 0; });
    newEntryWith(wordings, function (created) {
      api("POST", INBOX + "/resolve", {
        action: "new_entry", entry_id: created.id, questions: cluster.all,
      }).catch(function () {});
    });
    notice("已将该类问题的问法填入新条目，请补充编号、标题、答案等后保存（号码已隐去，请检查问法）。");
  });
  outside.addEventListener("click", function () {
    var text = phrasing.value.trim();
    resolve({ action: "out_of_scope", phrasing: text }, "已将“" + text + "”列为不在服务范围内的问题。发布后生效。");
  });
  ignore.addEventListener("click", function () {
    resolve({ action: "ignored" }, "已忽略该类问题。");
  });

  // The model's best guesses, one click each (none when the bot is away).
  api("POST", INBOX + "/suggestions", { text: cluster.text }).then(function (found) {
    found.forEach(function (suggested) {
      var choice = button(
        "添加到：" + suggested.title + "（" + percent(suggested.confidence) + "）",
        "kb-inbox-suggestion"
      );
      choice.dataset.entryId = suggested.id;
      choice.addEventListener("click", function () { addTo(suggested.id, suggested.title); });
      suggestions.appendChild(choice);
    });
  }, function () {});
  return li;
}

function percent(confidence) {
  return confidence < 0.01 ? "<1%" : Math.round(confidence * 100) + "%";
}

function button(text, className) {
  var made = el("button", "kb-inbox-action " + className, text);
  made.type = "button";
  return made;
}

ui.tabs.forEach(function (tab) {
  tab.addEventListener("click", function () { showView(tab.dataset.view); });
});
ui.days.addEventListener("change", loadInbox);
ui.refresh.addEventListener("click", loadInbox);
