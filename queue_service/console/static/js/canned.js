// Canned responses (常用语): the whole list, loaded for the "/" suggestions and the transfer
// dialog's skills, and 常用语管理, where supervisors keep the team's entries and everyone their
// personal ones (only they see them).

import { api } from "./api.js";
import { updateSuggestions } from "./composer.js";
import { $, el } from "./dom.js";
import { formatDateTime } from "./format.js";
import { showError, showNotice } from "./notify.js";
import { state } from "./store.js";
import { fillTransferSkills } from "./transfer.js";

var ui = {
  cannedFilter: $(".swa-canned-filter"),
  cannedAdd: $(".swa-canned-add"),
  cannedForm: $(".swa-canned-form"),
  cannedFormTitle: $(".swa-canned-form-title"),
  cannedError: $(".swa-canned-error"),
  cannedShortcut: $(".swa-canned-shortcut"),
  cannedTitle: $(".swa-canned-title"),
  cannedSkill: $(".swa-canned-skill"),
  cannedPersonal: $(".swa-canned-personal"),
  cannedText: $(".swa-canned-text"),
  cannedSave: $(".swa-canned-save"),
  cannedCancel: $(".swa-canned-cancel"),
  cannedList: $(".swa-canned-list"),
  cannedEmpty: $(".swa-canned-empty"),
};

// The whole list, kept for the "/" suggestions (filtered here, keystroke by keystroke).
export function loadCanned() {
  var session = state.session;
  var seq = ++state.cannedSeq;
  state.cannedLoading = true;
  return api("GET", "/console/api/canned").then(function (data) {
    if (session !== state.session || seq !== state.cannedSeq) return;
    state.cannedLoading = false;
    state.canned = data.canned || [];
    state.skills = data.skills || [];
    fillSkillOptions();
    if (state.active === "canned") renderCannedList();
    state.chats.forEach(function (chat) { if (chat.suggestOpen) updateSuggestions(chat); });
  }, function (error) {
    if (session !== state.session) return;
    state.cannedLoading = false;
    showError(error);
  });
}

function fillSkillOptions() {
  var select = ui.cannedSkill;
  var chosen = select.value;
  while (select.options.length > 1) select.remove(1);  // the first is 全部技能组
  state.skills.forEach(function (skill) {
    var option = el("option", null, skill.title);
    option.value = skill.id;
    select.appendChild(option);
  });
  select.value = chosen;
  if (state.transferChat) fillTransferSkills(state.transferChat);
}

// 常用语管理 (supervisors): the list, filtered here, and a form to add or edit an entry.

function cannedMatches(entry, words) {
  if (!words) return true;
  return [entry.shortcut, entry.title, entry.text].some(function (field) {
    return field.toLowerCase().indexOf(words) >= 0;
  });
}

export function renderCannedList() {
  var words = ui.cannedFilter.value.trim().toLowerCase();
  var entries = state.canned.filter(function (entry) { return cannedMatches(entry, words); });
  ui.cannedList.textContent = "";
  entries.forEach(function (entry) { ui.cannedList.appendChild(renderCannedItem(entry)); });
  ui.cannedEmpty.textContent = state.canned.length ? "没有匹配的常用语" : "暂无常用语";
  ui.cannedEmpty.hidden = entries.length > 0;
}

function renderCannedItem(entry) {
  var item = el("li", "swa-canned-item");
  item.dataset.id = String(entry.id);
  item.dataset.shortcut = entry.shortcut;
  var head = el("div", "swa-canned-item-head");
  head.appendChild(el("code", "swa-canned-item-shortcut", entry.shortcut));
  head.appendChild(el("b", "swa-canned-item-title", entry.title));
  head.appendChild(el("span", "swa-canned-badge", entry.skill_title));
  if (entry.personal) head.appendChild(el("span", "swa-canned-badge swa-canned-mine", "个人"));
  if (entry.personal || isSupervisor()) {
    var edit = el("button", "swa-canned-edit", "编辑");
    edit.type = "button";
    edit.addEventListener("click", function () { openCannedForm(entry); });
    var remove = el("button", "swa-canned-delete", "删除");
    remove.type = "button";
    remove.addEventListener("click", function () { deleteCanned(entry, remove); });
    head.appendChild(edit);
    head.appendChild(remove);
  }
  item.appendChild(head);
  item.appendChild(el("div", "swa-canned-item-text", entry.text));
  item.appendChild(el("div", "swa-canned-item-meta",
    "创建人：" + entry.created_by + "　更新于 " + formatDateTime(entry.updated_at)));
  return item;
}

function isSupervisor() {
  return Boolean(state.me && state.me.role === "supervisor");
}

function openCannedForm(entry) {
  state.editing = entry || null;
  // An agent's entries are personal; an entry stays what it was made as.
  ui.cannedPersonal.checked = entry ? Boolean(entry.personal) : !isSupervisor();
  ui.cannedPersonal.disabled = Boolean(entry) || !isSupervisor();
  ui.cannedFormTitle.textContent = entry ? "编辑常用语" : "新增常用语";
  ui.cannedShortcut.value = entry ? entry.shortcut : "/";
  ui.cannedTitle.value = entry ? entry.title : "";
  ui.cannedSkill.value = entry && entry.skill ? entry.skill : "";
  ui.cannedText.value = entry ? entry.text : "";
  ui.cannedError.hidden = true;
  ui.cannedSave.disabled = false;
  ui.cannedForm.hidden = false;
  ui.cannedShortcut.focus();
  var end = ui.cannedShortcut.value.length;
  ui.cannedShortcut.setSelectionRange(end, end);
}

function closeCannedForm() {
  state.editing = null;
  ui.cannedForm.hidden = true;
  ui.cannedError.hidden = true;
}

function cannedFormError(text, field) {
  ui.cannedError.textContent = text;
  ui.cannedError.hidden = false;
  if (field) field.focus();
}

ui.cannedForm.addEventListener("submit", function (event) {
  event.preventDefault();
  var body = {
    shortcut: ui.cannedShortcut.value.trim(),
    title: ui.cannedTitle.value.trim(),
    text: ui.cannedText.value.trim(),
    skill: ui.cannedSkill.value || null,
    personal: ui.cannedPersonal.checked,
  };
  // The server checks everything; these only save a round trip for the obvious.
  if (!body.shortcut || body.shortcut === "/") return cannedFormError("请填写快捷指令，如 /hello。", ui.cannedShortcut);
  if (!body.title) return cannedFormError("请填写标题。", ui.cannedTitle);
  if (!body.text) return cannedFormError("请填写常用语内容。", ui.cannedText);
  var editing = state.editing;
  var session = state.session;
  ui.cannedSave.disabled = true;
  var request = editing ?
    api("PUT", "/console/api/canned/" + encodeURIComponent(editing.id), body) :
    api("POST", "/console/api/canned", body);
  request.then(function (saved) {
    if (session !== state.session) return;
    closeCannedForm();
    showNotice("常用语 " + saved.shortcut + " 已保存。", "info");
    loadCanned();
  }, function (error) {
    if (session !== state.session) return;
    ui.cannedSave.disabled = false;
    if (error.status === 401) return;
    cannedFormError(error.message);
    if (error.status === 404) loadCanned();
  });
});

function deleteCanned(entry, button) {
  if (!window.confirm("确定删除常用语“" + entry.title + "”（" + entry.shortcut + "）吗？")) return;
  button.disabled = true;
  var session = state.session;
  api("DELETE", "/console/api/canned/" + encodeURIComponent(entry.id)).then(function () {
    if (session !== state.session) return;
    if (state.editing && state.editing.id === entry.id) closeCannedForm();
    showNotice("常用语 " + entry.shortcut + " 已删除。", "info");
    loadCanned();
  }, function (error) {
    if (session !== state.session) return;
    button.disabled = false;
    showError(error);
    if (error.status === 404) loadCanned();
  });
}

export function resetCanned() {
  closeCannedForm();
  ui.cannedFilter.value = "";
  ui.cannedList.textContent = "";
  ui.cannedEmpty.hidden = true;
}

ui.cannedAdd.addEventListener("click", function () { openCannedForm(null); });
ui.cannedCancel.addEventListener("click", closeCannedForm);
ui.cannedFilter.addEventListener("input", renderCannedList);
ui.cannedForm.addEventListener("keydown", function (event) {
  if (event.key === "Escape") {
    event.preventDefault();
    closeCannedForm();
    ui.cannedAdd.focus();
  }
});
