// Login, logout and the session between them: what starts and stops with an agent's login.

import { api, whenExpired } from "./api.js";
import { loadCanned, resetCanned } from "./canned.js";
import { dropChats, loadChats, openChatCount, TITLE, updateTitle } from "./chats.js";
import { $ } from "./dom.js";
import { clearLive, stopLive } from "./live.js";
import { applyMe, clearStatus, refreshMe } from "./me.js";
import { hideNotice, unlockAudio } from "./notify.js";
import { clearQueue, loadQueue, tick } from "./queue.js";
import { clearReports } from "./reports.js";
import { resetSearch } from "./search.js";
import { closeSocket, openSocket } from "./socket.js";
import { resetState, state } from "./store.js";
import { activate, showSupervisorTabs } from "./tabs.js";
import { clearTickets, loadTicketCount, loadTickets } from "./tickets.js";
import { closeTransfer } from "./transfer.js";

var KNOWLEDGE_PAGE = "/console/knowledge";
var POLL_MS = 10000;            // the safety net beside the websocket (poll)
var TICKET_POLL_MS = 60000;     // the 留言 badge

var ui = {
  login: $(".swa-login"),
  loginForm: $(".swa-login-form"),
  loginError: $(".swa-login-error"),
  username: $("#swa-login-username"),
  password: $("#swa-login-password"),
  loginSubmit: $(".swa-login-submit"),
  app: $(".swa-app"),
  logout: $(".swa-logout"),
};

function showLogin(message) {
  ui.app.hidden = true;
  ui.login.hidden = false;
  ui.loginError.textContent = message || "";
  ui.loginError.hidden = !message;
  ui.loginSubmit.disabled = false;
  document.title = TITLE;
  (ui.username.value ? ui.password : ui.username).focus();
}

export function loggedIn() {
  return !ui.app.hidden;
}

whenExpired(sessionExpired);

export function sessionExpired(detail) {
  if (ui.app.hidden) return;
  // The same agent most likely logs in again: only the password is asked for.
  if (state.me) ui.username.value = state.me.username;
  teardown();
  showLogin(detail || "登录已过期，请重新登录。");
}

ui.loginForm.addEventListener("submit", function (event) {
  event.preventDefault();
  unlockAudio();
  var username = ui.username.value.trim();
  var password = ui.password.value;
  if (!username || !password) {
    showLogin("请输入用户名和密码。");
    return;
  }
  ui.loginSubmit.disabled = true;
  ui.loginError.hidden = true;
  api("POST", "/console/api/login", { username: username, password: password }, { login: true })
    .then(function (who) {
      ui.password.value = "";
      // A maintainer account keeps the knowledge base only: its page is the studio.
      if (who.role === "maintainer") {
        window.location.assign(KNOWLEDGE_PAGE);
        return new Promise(function () {});
      }
      return api("GET", "/console/api/me", undefined, { login: true });
    })
    .then(startApp)
    .catch(function (error) { showLogin(error.message); });
});

ui.logout.addEventListener("click", function () {
  var open = openChatCount();
  if (open && !window.confirm("您还有 " + open + " 个进行中的会话，退出后这些用户会在一段时间后重新排队。确定退出吗？")) {
    return;
  }
  var done = function () {
    teardown();
    showLogin("");
  };
  api("POST", "/console/api/logout").then(done, done);
});

function startApp(me) {
  teardown();
  state.session += 1;
  ui.login.hidden = true;
  ui.app.hidden = false;
  ui.loginError.hidden = true;
  applyMe(me);
  openSocket();
  loadChats();
  loadQueue();
  loadTicketCount();
  loadCanned();
  state.timers.push(setInterval(poll, POLL_MS));
  state.timers.push(setInterval(tick, 1000));
  state.timers.push(setInterval(function () {
    if (state.active === "tickets") loadTickets(); else loadTicketCount();
  }, TICKET_POLL_MS));
}

function teardown() {
  closeSocket();
  clearTimeout(state.queueReloadTimer);
  state.timers.forEach(clearInterval);
  stopLive();
  dropChats();
  resetState();
  clearQueue();
  clearTickets();
  clearStatus();
  hideNotice();
  resetSearch();
  resetCanned();
  clearLive();
  clearReports();
  showSupervisorTabs(false);
  closeTransfer();
  activate(null);
  updateTitle();
}

// The safety net beside the websocket: the queue, the chats and the agent's own status.
export function poll() {
  loadQueue();
  loadChats();
  refreshMe();
}

window.addEventListener("beforeunload", function (event) {
  if (!ui.app.hidden && openChatCount()) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// The page opens on the workspace if the session cookie still holds, else on the login.
export function start() {
  api("GET", "/console/api/me", undefined, { login: true }).then(startApp, function (error) {
    if (error.status === 403) {
      window.location.assign(KNOWLEDGE_PAGE);  // a maintainer's session: the studio is theirs
      return;
    }
    showLogin(error.status === 401 ? "" : error.message);
  });
}
