// An entry's versions, newest first: who, when, what kind of change, and what changed (texts
// before and after, phrasings added and removed); any older version can be restored, which
// saves it as a new version (nothing of the history is lost).

import { api } from "../api.js";
import { $, el } from "../dom.js";
import { showSaved } from "./editor.js";
import { KB, state } from "./state.js";

var ui = {
  panel: $(".kb-history"),
  list: $(".kb-history-list"),
  close: $(".kb-history-close"),
};

var FIELDS = {
  title: "标题",
  answer: "答案",
  phrasings: "相似问法",
  heldout: "测试问法",
  related: "相关问题",
  topic: "追问主题",
  subject: "主题对象",
  category: "分类",
};

function change(item) {
  var li = el("li", "kb-change");
  li.appendChild(el("b", null, (FIELDS[item.field] || item.field) + "："));
  if (item.added || item.removed) {
    (item.added || []).forEach(function (v) { li.appendChild(el("ins", "kb-added", v)); });
    (item.removed || []).forEach(function (v) { li.appendChild(el("del", "kb-removed", v)); });
  } else {
    if (item.before) li.appendChild(el("del", "kb-removed", item.before));
    li.appendChild(el("ins", "kb-added", item.after || "（空）"));
  }
  return li;
}

function render(entry, versions) {
  ui.list.replaceChildren();
  versions.forEach(function (version) {
    var item = el("li", "kb-version-item");
    var head = el("div", "kb-version-head");
    head.appendChild(el("b", null, "第 " + version.version + " 版"));
    head.appendChild(el("span", null, version.action_title));
    head.appendChild(el("span", "kb-version-author", version.author));
    head.appendChild(el("time", null, version.at));
    if (version.version !== entry.version) {
      var restore = el("button", "kb-version-restore", "恢复此版本");
      restore.type = "button";
      restore.addEventListener("click", function () { restoreVersion(entry, version.version); });
      head.appendChild(restore);
    } else {
      head.appendChild(el("span", "kb-version-current", "当前版本"));
    }
    item.appendChild(head);
    var changes = el("ul", "kb-changes");
    version.changes.forEach(function (c) { changes.appendChild(change(c)); });
    item.appendChild(changes);
    ui.list.appendChild(item);
  });
}

function restoreVersion(entry, version) {
  if (!window.confirm("将条目恢复为第 " + version + " 版的内容（保存为新版本）。确定吗？")) return;
  var path = KB + "/entries/" + encodeURIComponent(entry.id) + "/versions/" + version + "/restore";
  api("POST", path, { base_version: entry.version }).then(function (saved) {
    showSaved(saved, "已恢复为第 " + version + " 版的内容（保存为第 " + saved.version + " 版）。");
    showHistory(saved);
  }, function (error) { window.alert(error.message); });
}

export function showHistory(entry) {
  ui.panel.hidden = false;
  return api("GET", KB + "/entries/" + encodeURIComponent(entry.id) + "/history").then(function (versions) {
    if (!state.entry || state.entry.id !== entry.id) return;
    render(entry, versions);
    ui.panel.scrollIntoView({ block: "start" });
  });
}

export function closeHistory() {
  ui.panel.hidden = true;
  ui.list.replaceChildren();
}

ui.close.addEventListener("click", closeHistory);
