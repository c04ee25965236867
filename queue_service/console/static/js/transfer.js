// 转接: a chat handed to another skill's queue or to one online agent, with a note for them.

import { api } from "./api.js";
import { loadCanned } from "./canned.js";
import { removeChat } from "./chats.js";
import { stopTyping } from "./composer.js";
import { $, el } from "./dom.js";
import { userLabel } from "./format.js";
import { refreshMe, statusTitle } from "./me.js";
import { showNotice } from "./notify.js";
import { state } from "./store.js";

var ui = {
  transfer: $(".swa-transfer"),
  transferForm: $(".swa-transfer-form"),
  transferWho: $(".swa-transfer-who"),
  transferError: $(".swa-transfer-error"),
  transferSkill: $(".swa-transfer-skill"),
  transferAgent: $(".swa-transfer-agent"),
  transferAgentsNote: $(".swa-transfer-agents-note"),
  transferNote: $(".swa-transfer-note"),
  transferSubmit: $(".swa-transfer-submit"),
  transferCancel: $(".swa-transfer-cancel"),
};

function transferMode() {
  var checked = ui.transferForm.querySelector('input[name="swa-transfer-to"]:checked');
  return checked ? checked.value : "skill";
}

function setTransferMode(mode) {
  var radio = ui.transferForm.querySelector('input[name="swa-transfer-to"][value="' + mode + '"]');
  if (radio && !radio.disabled) radio.checked = true;
  ui.transferSkill.disabled = transferMode() !== "skill";
  ui.transferAgent.disabled = transferMode() !== "agent";
}

export function fillTransferSkills(chat) {
  var chosen = ui.transferSkill.value;
  ui.transferSkill.textContent = "";
  state.skills.forEach(function (skill) {
    var option = el("option", null, skill.title);
    option.value = skill.id;
    ui.transferSkill.appendChild(option);
  });
  // Moving a user to the queue they are already in would change nothing for them.
  var other = state.skills.filter(function (skill) { return skill.id !== chat.info.skill; })[0];
  ui.transferSkill.value = chosen || (other ? other.id : "");
}

function loadTransferAgents(chat) {
  var agentRadio = ui.transferForm.querySelector('input[name="swa-transfer-to"][value="agent"]');
  ui.transferAgent.textContent = "";
  agentRadio.disabled = true;
  ui.transferAgentsNote.textContent = "正在获取客服列表…";
  ui.transferAgentsNote.hidden = false;
  var session = state.session;
  api("GET", "/console/api/agents").then(function (data) {
    if (session !== state.session || state.transferChat !== chat) return;
    var me = state.me ? state.me.username : "";
    var available = 0;
    (data.agents || []).forEach(function (agent) {
      if (agent.username === me || agent.status === "offline") return;
      var full = agent.capacity > 0 && agent.load >= agent.capacity;
      var option = el("option", null, (agent.display_name || agent.username) + "（" + agent.username +
        "）· " + statusTitle(agent.status) + " · 接待 " + agent.load + "/" + agent.capacity);
      option.value = agent.username;
      option.disabled = agent.status !== "online" || full;
      if (!option.disabled) available += 1;
      ui.transferAgent.appendChild(option);
    });
    var first = ui.transferAgent.querySelector("option:not([disabled])");
    if (first) ui.transferAgent.value = first.value;
    agentRadio.disabled = available === 0;
    ui.transferAgentsNote.textContent = available ? "" : "暂无其他可接待的在线客服。";
    ui.transferAgentsNote.hidden = available > 0;
    setTransferMode(transferMode());
  }, function (error) {
    if (session !== state.session || state.transferChat !== chat) return;
    if (error.status === 401) return;
    ui.transferAgentsNote.textContent = "暂时无法获取客服列表，请选择技能组转接。";
    ui.transferAgentsNote.hidden = false;
  });
}

export function openTransfer(chat) {
  if (chat.ended || chat.closing) return;
  state.transferChat = chat;
  ui.transferWho.textContent = "将" + userLabel(chat.info) + "（当前：" + (chat.info.skill_title || "未知") +
    "）转给其他技能组排队，或直接转给一位在线客服。";
  ui.transferError.hidden = true;
  ui.transferNote.value = "";
  ui.transferSubmit.disabled = false;
  ui.transferSkill.value = "";
  fillTransferSkills(chat);
  if (!state.skills.length) loadCanned();  // the skills come with the canned responses
  setTransferMode("skill");
  loadTransferAgents(chat);
  if (typeof ui.transfer.showModal === "function") {
    if (!ui.transfer.open) ui.transfer.showModal();
  } else {
    ui.transfer.setAttribute("open", "");
  }
  ui.transferSkill.focus();
}

export function closeTransfer() {
  var chat = state.transferChat;
  state.transferChat = null;
  if (ui.transfer.open) {
    if (typeof ui.transfer.close === "function") ui.transfer.close();
    else ui.transfer.removeAttribute("open");
  }
  if (chat && !chat.ended && state.chats.get(chat.id) === chat && state.active === chat.id) {
    chat.input.focus();
  }
}

function transferError(text) {
  ui.transferError.textContent = text;
  ui.transferError.hidden = false;
}

ui.transferForm.addEventListener("change", function (event) {
  if (event.target.name === "swa-transfer-to") setTransferMode(event.target.value);
});
ui.transferCancel.addEventListener("click", closeTransfer);
// Esc closes a modal dialog by itself: forget which chat it was for.
ui.transfer.addEventListener("close", function () { state.transferChat = null; });

ui.transferForm.addEventListener("submit", function (event) {
  event.preventDefault();
  var chat = state.transferChat;
  if (!chat || chat.ended) return closeTransfer();
  var mode = transferMode();
  var body = { conversation_id: chat.id, to_skill: null, to_agent: null, note: ui.transferNote.value.trim() };
  var target;
  if (mode === "agent") {
    if (!ui.transferAgent.value) return transferError("请选择要转接的客服。");
    body.to_agent = ui.transferAgent.value;
    target = ui.transferAgent.selectedOptions[0].textContent.split("（")[0];
  } else {
    if (!ui.transferSkill.value) return transferError("请选择技能组。");
    body.to_skill = ui.transferSkill.value;
    target = ui.transferSkill.selectedOptions[0].textContent;
  }
  ui.transferSubmit.disabled = true;
  ui.transferError.hidden = true;
  // The "closed" event the transfer sends this console then removes the tab quietly.
  chat.closing = true;
  stopTyping(chat);
  var session = state.session;
  api("POST", "/console/api/chats/transfer", body).then(function () {
    if (session !== state.session) return;
    closeTransfer();
    removeChat(chat);
    showNotice("已将" + userLabel(chat.info) + "转接给" + target + "。", "info");
    refreshMe();
  }, function (error) {
    if (session !== state.session) return;
    chat.closing = false;
    ui.transferSubmit.disabled = false;
    if (error.status !== 401) transferError(error.message);
  });
});
