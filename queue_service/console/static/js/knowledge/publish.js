// 发布: the knowledge base as it is now goes to users (trained when phrasings changed, checked
// against the version online, refused when it answers worse); the publishes so far, and a
// rollback to any earlier published version. A publish runs in the background for a minute or
// two: the page asks every 2 s while one runs.

import { api } from "../api.js";
import { $, el } from "../dom.js";
import { KB } from "./state.js";

var ui = {
  bar: $(".kb-publish"),
  current: $(".kb-publish-current"),
  button: $(".kb-publish-start"),
  status: $(".kb-publish-status"),
  reasons: $(".kb-publish-reasons"),
  changed: $(".kb-publish-changed"),
  list: $(".kb-publications"),
};

var STATES = {
  queued: "排队中",
  training: "训练中",
  evaluating: "评测中",
  published: "已发布",
  refused: "未通过评测",
  failed: "失败",
};
var timer = null;

function percent(value) {
  return typeof value === "number" ? (value * 100).toFixed(1) + "%" : "—";
}

function figures(evaluation) {
  if (!evaluation || !evaluation.candidate) return "";
  var text = "问题识别准确率 " + percent(evaluation.candidate.top1) +
    "，范围外问题拒答率 " + percent(evaluation.candidate.oos_reject);
  if (evaluation.baseline) {
    text += "（线上版本：" + percent(evaluation.baseline.top1) + "，" +
      percent(evaluation.baseline.oos_reject) + "）";
  }
  return text;
}

function outcome(name) {
  return { notsure: "不确定（猜你想问）", decline: "拒答", lookup: "查询记录" }[name] || name;
}

function showLatest(latest) {
  ui.reasons.replaceChildren();
  ui.changed.replaceChildren();
  if (!latest) {
    ui.status.textContent = "尚未发布过：线上使用的是系统初始的知识库。";
    return;
  }
  var text = "最近一次发布（" + latest.requested_by + "）：" + STATES[latest.state];
  if (latest.progress) text += " · " + latest.progress;
  if (latest.state === "failed" && latest.error) text += " · " + latest.error;
  var measured = figures(latest.evaluation);
  if (measured && latest.state !== "training") text += " · " + measured;
  ui.status.textContent = text;
  (latest.reasons || []).forEach(function (reason) {
    ui.reasons.appendChild(el("li", null, reason));
  });
  if (latest.state === "refused" && latest.evaluation && latest.evaluation.changed) {
    ui.changed.appendChild(el("caption", null,
      "结果变化的测试问题（共 " + latest.evaluation.changed_count + " 条，先列变差的）"));
    latest.evaluation.changed.slice(0, 20).forEach(function (change) {
      var row = el("tr");
      row.appendChild(el("td", null, change.text));
      row.appendChild(el("td", null, change.expected || "（范围外）"));
      row.appendChild(el("td", null, outcome(change.before) + " → " + outcome(change.after)));
      ui.changed.appendChild(row);
    });
  }
}

function rollback(item) {
  if (!window.confirm("回滚到第 " + item.id + " 次发布的版本？用户将立即得到该版本的答案。")) return;
  api("POST", KB + "/publications/" + item.id + "/rollback").then(load, function (error) {
    window.alert(error.message);
  });
}

function showList(data) {
  ui.list.replaceChildren();
  data.items.filter(function (item) { return item.published_at; }).forEach(function (item) {
    var li = el("li", "kb-publication");
    li.dataset.id = item.id;
    var label = "第 " + item.id + " 次发布 · " + item.requested_by + " · " +
      item.published_local +
      (item.restores ? "（回滚至第 " + item.restores + " 次）" : "");
    li.appendChild(el("span", null, label));
    if (item.id === data.current) {
      li.appendChild(el("span", "kb-version-current", "线上版本"));
    } else {
      var button = el("button", "kb-publication-rollback", "回滚到此版本");
      button.type = "button";
      button.addEventListener("click", function () { rollback(item); });
      li.appendChild(button);
    }
    ui.list.appendChild(li);
  });
}

export function load() {
  return api("GET", KB + "/publications").then(function (data) {
    var current = data.items.filter(function (item) { return item.id === data.current; })[0];
    ui.current.textContent = current ? "线上版本：第 " + current.id + " 次发布" : "线上版本：初始知识库";
    ui.button.disabled = data.running;
    showLatest(data.items[0]);
    showList(data);
    clearTimeout(timer);
    if (data.running) timer = setTimeout(load, 2000);
  });
}

export function resetPublish() {
  clearTimeout(timer);
  ui.list.replaceChildren();
}

ui.button.addEventListener("click", function () {
  if (!window.confirm("发布当前知识库？相似问法有变化时需要训练模型（约 1～3 分钟），评测通过后用户立即生效。")) return;
  ui.button.disabled = true;
  api("POST", KB + "/publish").then(load, function (error) {
    ui.button.disabled = false;
    window.alert(error.message);
  });
});
