// One entry's form: fields in, save with the version it was read at. A save over a newer
// version (another maintainer's) answers 409: the page says who changed it and when, shows
// the newer answer, and keeps what this maintainer typed until they choose to load the newer
// version. Phrasings that already belong to another entry are flagged while they are typed.

import { api } from "../api.js";
import { $, el } from "../dom.js";
import { loadBrowse } from "./browse.js";
import { closeHistory, showHistory } from "./history.js";
import { clearPreview, schedulePreview } from "./preview.js";
import { KB, state } from "./state.js";

var ui = {
  placeholder: $(".kb-placeholder"),
  form: $(".kb-editor"),
  heading: $(".kb-editor-title"),
  version: $(".kb-version"),
  retiredBadge: $(".kb-retired-badge"),
  historyOpen: $(".kb-history-open"),
  retire: $(".kb-retire"),
  restore: $(".kb-restore"),
  save: $(".kb-save"),
  error: $(".kb-error"),
  conflict: $(".kb-conflict"),
  conflictText: $(".kb-conflict-text"),
  conflictAnswer: $(".kb-conflict-answer"),
  conflictLoad: $(".kb-conflict-load"),
  id: $(".kb-id"),
  category: $(".kb-category"),
  rank: $(".kb-rank"),
  title: $(".kb-title"),
  answer: $(".kb-answer"),
  phrasings: $(".kb-phrasings"),
  duplicates: $(".kb-duplicates"),
  heldout: $(".kb-heldout"),
  related: $(".kb-related"),
  topic: $(".kb-topic"),
  subject: $(".kb-subject"),
  notice: $(".kb-notice"),
};

var newer = null;       // the entry as another maintainer saved it (after a 409)
var onCreated = null;   // told of the entry a new-entry form created (the inbox's 新建条目)
var duplicateTimer = null;

function lines(text) {
  return text.split("\n").map(function (line) { return line.trim(); }).filter(Boolean);
}

function list(text) {
  return text.split(/[,，、\s]+/).map(function (part) { return part.trim(); }).filter(Boolean);
}

function notice(text) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
}

function showError(text) {
  ui.error.textContent = text || "";
  ui.error.hidden = !text;
}

function fillCategories(selected) {
  ui.category.replaceChildren();
  state.categories.forEach(function (category) {
    var option = el("option", null, category.title);
    option.value = category.id;
    option.selected = category.id === selected;
    ui.category.appendChild(option);
  });
}

function fill(entry) {
  if (entry) onCreated = null;
  state.entry = entry;
  newer = null;
  ui.conflict.hidden = true;
  showError("");
  ui.placeholder.hidden = true;
  ui.form.hidden = false;
  ui.heading.textContent = entry ? entry.title : "新建条目";
  ui.version.textContent = entry ? "第 " + entry.version + " 版" : "";
  ui.retiredBadge.hidden = !(entry && entry.retired);
  ui.retire.hidden = !entry || entry.retired;
  ui.restore.hidden = !(entry && entry.retired);
  ui.historyOpen.hidden = !entry;
  ui.id.value = entry ? entry.id : "";
  ui.id.readOnly = Boolean(entry);
  fillCategories(entry ? entry.category : state.category);
  ui.rank.value = entry && entry.rank ? entry.rank : "";
  ui.title.value = entry ? entry.title : "";
  ui.answer.value = entry ? entry.answer : "";
  ui.phrasings.value = entry ? entry.phrasings.join("\n") : "";
  ui.heldout.value = entry ? entry.heldout.join("\n") : "";
  ui.related.value = entry ? entry.related.map(function (r) { return r.id; }).join(", ") : "";
  ui.topic.value = entry && entry.topic ? entry.topic : "";
  ui.subject.value = entry ? entry.subject.join(", ") : "";
  ui.duplicates.hidden = true;
  schedulePreview(draft());
}

function draft() {
  return {
    title: ui.title.value,
    answer: ui.answer.value,
    phrasings: lines(ui.phrasings.value),
    heldout: lines(ui.heldout.value),
    related: list(ui.related.value),
    topic: ui.topic.value.trim() || null,
    subject: list(ui.subject.value),
    category: ui.category.value,
    rank: ui.rank.value ? Number(ui.rank.value) : null,
  };
}

export function entryId() {
  return state.entry ? state.entry.id : (ui.id.value.trim() || "new");
}

export function openEntry(id) {
  closeHistory();
  notice("");
  return api("GET", KB + "/entries/" + encodeURIComponent(id)).then(fill, function (error) {
    notice(error.message);
  });
}

export function newEntry() {
  closeHistory();
  notice("");
  onCreated = null;
  fill(null);
  ui.id.focus();
}

// A new entry with these phrasings filled in; `created(entry)` once it is saved.
export function newEntryWith(phrasings, created) {
  newEntry();
  ui.phrasings.value = phrasings.join("\n");
  onCreated = created;
  checkDuplicates();
}

export function closeEditor() {
  state.entry = null;
  ui.form.hidden = true;
  ui.placeholder.hidden = false;
  clearPreview();
  closeHistory();
}

// After a save, a retire or a restore: the form shows what the server kept.
export function showSaved(entry, message) {
  fill(entry);
  notice(message);
  loadBrowse();
}

function refused(error) {
  if (error.status === 409 && error.body && error.body.current) {
    newer = error.body.current;
    ui.conflictText.textContent = error.message;
    ui.conflictAnswer.textContent = newer.answer;
    ui.conflict.hidden = false;
    showError("");
    return;
  }
  showError(error.message);
}

ui.form.addEventListener("submit", function (event) {
  event.preventDefault();
  var body = draft();
  var request;
  if (state.entry) {
    body.base_version = state.entry.version;
    request = api("PUT", KB + "/entries/" + encodeURIComponent(state.entry.id), body);
  } else {
    body.id = ui.id.value.trim();
    request = api("POST", KB + "/entries", body);
  }
  ui.save.disabled = true;
  notice("");
  var created = state.entry ? null : onCreated;
  request.then(function (entry) {
    showSaved(entry, "已保存（第 " + entry.version + " 版）。修改将在下次发布模型后对用户生效。");
    if (created) created(entry);
  }, refused).then(function () { ui.save.disabled = false; });
});

ui.conflictLoad.addEventListener("click", function () {
  if (newer) fill(newer);
});

function setRetired(retired) {
  if (!state.entry) return;
  if (retired && !window.confirm("停用后，该条目不再用于回答用户，可随时恢复。确定停用吗？")) return;
  var path = KB + "/entries/" + encodeURIComponent(state.entry.id) + (retired ? "/retire" : "/restore");
  api("POST", path, { base_version: state.entry.version }).then(function (entry) {
    showSaved(entry, retired ? "条目已停用。" : "条目已恢复。");
  }, refused);
}

ui.retire.addEventListener("click", function () { setRetired(true); });
ui.restore.addEventListener("click", function () { setRetired(false); });
ui.historyOpen.addEventListener("click", function () {
  if (state.entry) showHistory(state.entry);
});

// Phrasings that are already another entry's: flagged before anything is saved.
function checkDuplicates() {
  var phrasings = lines(ui.phrasings.value).concat(lines(ui.heldout.value));
  if (!phrasings.length) {
    ui.duplicates.hidden = true;
    return;
  }
  api("POST", KB + "/duplicates", { entry_id: entryId(), phrasings: phrasings }).then(function (found) {
    ui.duplicates.replaceChildren();
    found.forEach(function (d) {
      var text = d.model
        ? "当前模型会把“" + d.phrasing + "”答为“" + d.title + "”（把握 " + Math.round(d.confidence * 100) + "%），请确认该问法属于本条目"
        : "“" + d.phrasing + "”已是“" + d.title + "”的问法";
      ui.duplicates.appendChild(el("li", d.model ? "kb-duplicate kb-duplicate-model" : "kb-duplicate", text));
    });
    ui.duplicates.hidden = found.length === 0;
  }, function () {});
}

[ui.phrasings, ui.heldout].forEach(function (field) {
  field.addEventListener("input", function () {
    clearTimeout(duplicateTimer);
    duplicateTimer = setTimeout(checkDuplicates, 400);
  });
});

[ui.title, ui.answer, ui.related].forEach(function (field) {
  field.addEventListener("input", function () { schedulePreview(draft()); });
});
