// Login, logout and who is logged in. The console's accounts and cookie: a maintainer, or a
// supervisor given the studio (who also gets a link back to the agents' console).

import { api, whenExpired } from "../api.js";
import { $ } from "../dom.js";
import { loadBrowse, resetBrowse } from "./browse.js";
import { closeEditor } from "./editor.js";
import { resetInbox } from "./inbox.js";
import { load as loadPublish, resetPublish } from "./publish.js";
import { KB, state } from "./state.js";

var ui = {
  login: $(".swa-login"),
  form: $(".swa-login-form"),
  error: $(".swa-login-error"),
  username: $("#kb-login-username"),
  password: $("#kb-login-password"),
  submit: $(".swa-login-submit"),
  app: $(".kb-app"),
  name: $(".swa-me-name"),
  consoleLink: $(".kb-console-link"),
  logout: $(".swa-logout"),
};

function showLogin(message) {
  ui.app.hidden = true;
  ui.login.hidden = false;
  ui.error.textContent = message || "";
  ui.error.hidden = !message;
  ui.submit.disabled = false;
  (ui.username.value ? ui.password : ui.username).focus();
}

function startApp(me) {
  state.me = me;
  ui.login.hidden = true;
  ui.app.hidden = false;
  ui.name.textContent = me.display_name + (me.role === "supervisor" ? "（主管）" : "（知识库管理员）");
  ui.consoleLink.hidden = me.role !== "supervisor";
  loadBrowse();
  loadPublish();
}

function teardown() {
  state.me = null;
  closeEditor();
  resetBrowse();
  resetPublish();
  resetInbox();
}

whenExpired(function (detail) {
  if (ui.app.hidden) return;
  if (state.me) ui.username.value = state.me.username;
  teardown();
  showLogin(detail);
});

ui.form.addEventListener("submit", function (event) {
  event.preventDefault();
  var username = ui.username.value.trim();
  var password = ui.password.value;
  if (!username || !password) {
    showLogin("请输入用户名和密码。");
    return;
  }
  ui.submit.disabled = true;
  api("POST", "/console/api/login", { username: username, password: password }, { login: true })
    .then(function () {
      ui.password.value = "";
      return api("GET", KB + "/me", undefined, { login: true });
    })
    .then(startApp)
    .catch(function (error) { showLogin(error.message); });
});

ui.logout.addEventListener("click", function () {
  var done = function () {
    teardown();
    showLogin("");
  };
  api("POST", "/console/api/logout").then(done, done);
});

export function start() {
  api("GET", KB + "/me", undefined, { login: true }).then(startApp, function (error) {
    showLogin(error.status === 401 ? "" : error.message);
  });
}
