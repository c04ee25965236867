// Demo portal: log in as a demo account, hand the token to the embedded chat, get bind codes.
// The token stays in this tab (sessionStorage) and reaches the chat by postMessage only.

import { clockTime, identityName } from "/static/format.js";

var STORAGE_KEY = "swa.demo-portal.login";
var KINDS = { person: "个人用户", enterprise: "企业用户" };

var chat = document.getElementById("chat");
var accounts = document.querySelector(".portal-accounts");
var loggedOut = document.getElementById("logged-out");
var loggedIn = document.getElementById("logged-in");
var errorBox = document.getElementById("error");
var bindResult = document.getElementById("bind-result");
var bindButton = document.getElementById("bind-code");
var chatLoaded = false;
var login = null;         // {token, identity, expires_at (ms)}
var loginExpiry = null;
var codeExpiry = null;

function showError(text) {
  errorBox.textContent = text || "";
  errorBox.hidden = !text;
}

function toChat(message) {
  if (chatLoaded) chat.contentWindow.postMessage(message, location.origin);
}

function post(url, body, token) {
  var headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  return fetch(url, { method: "POST", headers: headers, body: JSON.stringify(body || {}) })
    .then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.detail || "操作失败，请稍后再试。");
        return data;
      });
    }, function () {
      throw new Error("无法连接服务器，请检查网络后再试。");
    });
}

function render() {
  clearTimeout(loginExpiry);
  loggedOut.hidden = !!login;
  loggedIn.hidden = !login;
  if (!login) return;
  document.getElementById("user-name").textContent = identityName(login.identity);
  document.getElementById("user-kind").textContent = KINDS[login.identity.kind] || "";
  document.getElementById("user-expiry").textContent = "登录有效期至 " + clockTime(login.expires_at);
  loginExpiry = setTimeout(function () {
    logOut();
    showError("登录已过期，请重新登录。");
  }, Math.max(0, login.expires_at - Date.now()));
}

function logIn(account) {
  showError("");
  post("/portal/demo/login", { account: account }).then(function (data) {
    login = {
      token: data.token,
      identity: data.identity,
      expires_at: Date.now() + data.expires_in * 1000,
    };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(login));
    render();
    toChat({ type: "swa-auth", token: login.token });
  }, function (error) { showError(error.message); });
}

function logOut() {
  login = null;
  sessionStorage.removeItem(STORAGE_KEY);
  clearTimeout(codeExpiry);
  bindResult.hidden = true;
  render();
  // The next person at this browser starts a new conversation.
  toChat({ type: "swa-logout", newConversation: true });
}

function getBindCode() {
  showError("");
  bindButton.disabled = true;
  post("/portal/api/bind-codes", {}, login && login.token).then(function (data) {
    var until = Date.now() + data.expires_in * 1000;
    document.getElementById("code").textContent = data.code;
    document.getElementById("code-expiry").textContent =
      "有效期至 " + clockTime(until) + "（" + Math.round(data.expires_in / 60) + " 分钟内有效）";
    var telegram = document.getElementById("telegram-link");
    telegram.hidden = !data.telegram_link;
    if (data.telegram_link) telegram.querySelector("a").href = data.telegram_link;
    bindResult.hidden = false;
    clearTimeout(codeExpiry);
    codeExpiry = setTimeout(function () {
      document.getElementById("code-expiry").textContent = "绑定码已过期，请重新获取。";
    }, data.expires_in * 1000);
  }, function (error) {
    showError(error.message);
  }).then(function () { bindButton.disabled = false; });
}

function renderAccounts(list) {
  list.forEach(function (account) {
    var item = document.createElement("li");
    var text = document.createElement("div");
    text.className = "who";
    var name = document.createElement("strong");
    name.textContent = account.name;
    var kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = (KINDS[account.kind] || "") +
      (account.enterprise_name ? " · " + account.enterprise_name : "");
    text.appendChild(name);
    text.appendChild(kind);
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "登录";
    button.setAttribute("aria-label", "以" + identityName(account) + "登录");
    button.addEventListener("click", function () { logIn(account.account); });
    item.appendChild(text);
    item.appendChild(button);
    accounts.appendChild(item);
  });
}

// A module runs after the page is parsed, possibly after a framed page has loaded: the chat is
// opened here, once its load is listened for.
chat.addEventListener("load", function () {
  chatLoaded = true;
  if (login) toChat({ type: "swa-auth", token: login.token });
});
chat.src = "/";
bindButton.addEventListener("click", getBindCode);
document.getElementById("logout").addEventListener("click", logOut);

try {
  login = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
} catch (ignored) {
  login = null;
}
if (login && login.expires_at <= Date.now()) login = null;
render();
fetch("/portal/demo/accounts").then(function (response) { return response.json(); })
  .then(function (data) { renderAccounts(data.accounts); }, function () {
    showError("演示账号加载失败，请刷新页面重试。");
  });
