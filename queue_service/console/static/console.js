// Agent console for 单一窗口客服工作台: login, waiting lists, chat tabs, tickets, transcript
// search, canned responses, transfers, the supervisor's live view, one websocket.
//
// No framework and no build step. Text from users, bots and agents only ever reaches the page
// through textContent (links become anchors built element by element), never as HTML.
(function () {
  "use strict";

  var TITLE = "单一窗口客服工作台";
  var POLL_MS = 10000;            // safety net beside the websocket: queue, chats, own status
  var TICKET_POLL_MS = 60000;     // the 留言 badge
  var MAX_BACKOFF_MS = 10000;
  var TYPING_THROTTLE_MS = 2000;  // "typing on" at most this often while the agent types
  var TYPING_IDLE_MS = 3000;      // "typing off" after this long without a keystroke
  var USER_TYPING_TIMEOUT_MS = 8000;  // hide the user's indicator if its "off" got lost
  var NOTICE_MS = 6000;
  var LONG_WAIT_S = 300;
  var BEEP_GAP_MS = 1000;
  var CHANNELS = { webchat: "网页", wechat: "微信", telegram: "Telegram" };
  var ROLE_LABELS = { user: "用户", bot: "机器人", agent: "客服", system: "系统" };
  var STAFF_ROLES = { agent: "客服", supervisor: "班长" };
  var MAX_SUGGESTIONS = 8;
  var SHORTCUT_TYPED = /^\/([a-z0-9_-]*)$/i;  // the whole reply up to the caret: "/" and a word
  var SEARCH_DEBOUNCE_MS = 250;
  var SNIPPET_CHARS = 120;        // a longer line is shown around its first match
  var LIVE_POLL_MS = 5000;        // the live view, while it is shown
  var EVENT_RELOAD_MS = 250;      // a burst of websocket events causes one reload

  function $(selector, root) {
    return (root || document).querySelector(selector);
  }

  var ui = {
    login: $(".swa-login"),
    loginForm: $(".swa-login-form"),
    loginError: $(".swa-login-error"),
    username: $("#swa-login-username"),
    password: $("#swa-login-password"),
    loginSubmit: $(".swa-login-submit"),
    app: $(".swa-app"),
    conn: $(".swa-conn"),
    meName: $(".swa-me-name"),
    meRole: $(".swa-me-role"),
    status: $("#swa-status"),
    load: $(".swa-load"),
    loadValue: $(".swa-load-value"),
    logout: $(".swa-logout"),
    notice: $(".swa-notice"),
    queue: $(".swa-queue"),
    queueTotal: $(".swa-queue-total"),
    queueRefresh: $(".swa-queue-refresh"),
    tabs: $(".swa-tabs"),
    chatTabs: $(".swa-chat-tabs"),
    ticketsTab: $(".swa-tab-tickets"),
    ticketCount: $(".swa-ticket-count"),
    panes: $(".swa-panes"),
    empty: $(".swa-empty"),
    tickets: $(".swa-tickets"),
    ticketState: $("#swa-ticket-state"),
    ticketsRefresh: $(".swa-tickets-refresh"),
    ticketList: $(".swa-ticket-list"),
    ticketEmpty: $(".swa-ticket-empty"),
    chatTemplate: $("#swa-chat-template"),
    searchTab: $(".swa-tab-search"),
    search: $(".swa-search"),
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
    cannedTab: $(".swa-tab-canned"),
    canned: $(".swa-canned"),
    cannedFilter: $(".swa-canned-filter"),
    cannedAdd: $(".swa-canned-add"),
    cannedForm: $(".swa-canned-form"),
    cannedFormTitle: $(".swa-canned-form-title"),
    cannedError: $(".swa-canned-error"),
    cannedShortcut: $(".swa-canned-shortcut"),
    cannedTitle: $(".swa-canned-title"),
    cannedSkill: $(".swa-canned-skill"),
    cannedText: $(".swa-canned-text"),
    cannedSave: $(".swa-canned-save"),
    cannedCancel: $(".swa-canned-cancel"),
    cannedList: $(".swa-canned-list"),
    cannedEmpty: $(".swa-canned-empty"),
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
    liveTab: $(".swa-tab-live"),
    live: $(".swa-live"),
    liveUpdated: $(".swa-live-updated"),
    liveRefresh: $(".swa-live-refresh"),
    liveError: $(".swa-live-error"),
    liveToday: $(".swa-live-today"),
    liveSkills: $(".swa-live-skills tbody"),
    liveAgents: $(".swa-live-agents tbody"),
  };

  var state = freshState();

  function freshState() {
    return {
      session: 0,            // bumped on every login and logout: late answers are dropped
      me: null,
      chats: new Map(),      // conversation id -> chat (see addChat), in tab order
      active: null,          // a conversation id, "tickets", or null (nothing open)
      chatsLoaded: false,    // chats found after the first load are new: announced
      chatsSeq: 0,           // /chats requests issued
      chatsApplied: 0,       // the newest /chats answer applied
      endedAt: new Map(),    // conversation id -> chatsSeq when it ended here
      pendingActivate: null, // a chat claimed from the waiting list: open it once it arrives
      waits: new Map(),      // conversation id -> {waited_s, at}: the ticking wait times
      queueLoaded: false,
      socket: null,
      socketWanted: false,
      backoffMs: 500,
      timers: [],
      reconnectTimer: null,
      queueReloadTimer: null,
      statusPending: false,
      canned: [],            // every canned response (常用语), for the "/" suggestions
      skills: [],            // [{id, title}]: the skills as the server names them
      cannedLoading: false,
      cannedSeq: 0,
      editing: null,         // the canned response being edited, or null when adding
      searchSeq: 0,
      searchQuery: null,     // the filters of the results shown: 加载更多 continues them
      searchNext: null,      // before_id of the next page, or null
      searchLoaded: false,
      recordSeq: 0,
      recordFrom: null,      // the result the open conversation was opened from
      transferChat: null,    // the chat the transfer dialog is for
      liveTimer: null,       // the live view's polling, while it is shown
      liveReloadTimer: null,
      liveSeq: 0,
    };
  }

  // ---------------------------------------------------------------- helpers

  function channelTitle(channel) {
    return CHANNELS[channel] || channel || "未知渠道";
  }

  function shortId(conversationId) {
    var id = String(conversationId || "");
    var session = id.indexOf(":") >= 0 ? id.slice(id.indexOf(":") + 1) : id;
    return session.slice(0, 8);
  }

  function identityText(identity) {
    if (!identity) return "";
    if (typeof identity === "string") return identity;
    return String(identity.name || identity.display_name || identity.nickname || "");
  }

  function userLabel(info) {
    return channelTitle(info.channel) + " · " + (identityText(info.identity) || shortId(info.conversation_id));
  }

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  function formatWait(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  function formatTime(iso) {
    var date = iso ? new Date(iso) : new Date();
    if (isNaN(date.getTime())) return "";
    var time = pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
    var today = new Date();
    if (date.toDateString() === today.toDateString()) return time;
    return (date.getMonth() + 1) + "月" + date.getDate() + "日 " + time;
  }

  function formatDateTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
      pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  function formatFullTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    return formatDateTime(iso) + ":" + pad(date.getSeconds());
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var appendRichText = window.SwaRichText;  // richtext.js

  // A long line is cut around the first match, so that the match is what shows.
  function snippet(text, needle) {
    text = String(text || "");
    if (text.length <= SNIPPET_CHARS) return text;
    var at = needle ? text.toLowerCase().indexOf(needle.toLowerCase()) : -1;
    var start = at < 0 ? 0 : Math.max(0, at - 40);
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
  }

  // The needle marked wherever it occurs, ignoring case; text nodes and <mark>s only.
  function appendHighlighted(parent, text, needle) {
    text = String(text || "");
    if (!needle) {
      parent.appendChild(document.createTextNode(text));
      return;
    }
    var lower = text.toLowerCase();
    var wanted = needle.toLowerCase();
    var at = 0;
    var found = lower.indexOf(wanted);
    while (found >= 0) {
      parent.appendChild(document.createTextNode(text.slice(at, found)));
      parent.appendChild(el("mark", "swa-match", text.slice(found, found + wanted.length)));
      at = found + wanted.length;
      found = lower.indexOf(wanted, at);
    }
    parent.appendChild(document.createTextNode(text.slice(at)));
  }

  function safeImageUrl(url) {
    if (typeof url !== "string") return null;
    if (/^https?:\/\//i.test(url)) return url;
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") return url;
    return null;
  }

  // ---------------------------------------------------------------- notices and sound

  var noticeTimer = null;

  function showNotice(text, kind) {
    ui.notice.textContent = text;
    ui.notice.dataset.kind = kind || "error";
    ui.notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { ui.notice.hidden = true; }, NOTICE_MS);
  }

  function showError(error) {
    if (error && error.status === 401) return;  // the login form says it already
    showNotice((error && error.message) || "操作失败，请稍后重试。");
  }

  var audio = null;
  var lastBeep = 0;

  // Browsers start audio only after a user gesture: the context is made on the first one.
  function unlockAudio() {
    try {
      if (!audio) {
        var Context = window.AudioContext || window.webkitAudioContext;
        if (!Context) return;
        audio = new Context();
      }
      if (audio.state === "suspended") audio.resume();
    } catch (e) {
      audio = null;
    }
  }

  function beep() {
    var now = Date.now();
    if (now - lastBeep < BEEP_GAP_MS) return;
    lastBeep = now;
    if (!audio || audio.state !== "running") return;
    try {
      var t = audio.currentTime;
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.setValueAtTime(880, t);
      osc.frequency.setValueAtTime(660, t + 0.12);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.32);
    } catch (e) {
      // No sound is better than a broken console.
    }
  }

  // ---------------------------------------------------------------- API

  function ApiError(status, message) {
    this.status = status;
    this.message = message;
  }

  // JSON in, JSON out. A 401 anywhere but the login itself means the session is gone.
  function api(method, path, body, options) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    var session = state.session;
    return fetch(path, init).then(
      function (response) {
        if (response.status === 204) return null;
        return response.json().catch(function () { return null; }).then(function (data) {
          if (response.ok) return data;
          var detail = data && typeof data.detail === "string" ? data.detail :
            "请求失败（" + response.status + "），请稍后重试。";
          if (response.status === 401 && !(options && options.login) && session === state.session) {
            sessionExpired(detail);
          }
          throw new ApiError(response.status, detail);
        });
      },
      function () {
        throw new ApiError(0, "网络连接异常，请检查网络后重试。");
      }
    );
  }

  // ---------------------------------------------------------------- login and session

  function showLogin(message) {
    ui.app.hidden = true;
    ui.login.hidden = false;
    ui.loginError.textContent = message || "";
    ui.loginError.hidden = !message;
    ui.loginSubmit.disabled = false;
    document.title = TITLE;
    (ui.username.value ? ui.password : ui.username).focus();
  }

  function sessionExpired(detail) {
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
      .then(function () {
        ui.password.value = "";
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
    state.socketWanted = true;
    connect();
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
    var session = state.session;
    state.socketWanted = false;
    if (state.socket) {
      var socket = state.socket;
      state.socket = null;
      socket.close();
    }
    clearTimeout(state.reconnectTimer);
    clearTimeout(state.queueReloadTimer);
    state.timers.forEach(clearInterval);
    stopLive();
    state.chats.forEach(function (chat) {
      clearTimeout(chat.typingIdle);
      clearTimeout(chat.userTypingTimer);
      clearTimeout(chat.cannedTimer);
      chat.tab.remove();
      chat.pane.remove();
    });
    state = freshState();
    state.session = session + 1;
    ui.queue.textContent = "";
    ui.ticketList.textContent = "";
    ui.status.textContent = "";
    ui.status.disabled = true;
    ui.notice.hidden = true;
    resetSearch();
    resetCanned();
    resetLive();
    closeTransfer();
    activate(null);
    updateTitle();
  }

  // ---------------------------------------------------------------- the agent: name, status, load

  function applyMe(me) {
    var first = !state.me;
    state.me = me;
    ui.meName.textContent = me.display_name || me.username;
    ui.meRole.textContent = STAFF_ROLES[me.role] ? "（" + STAFF_ROLES[me.role] + "）" : "";
    if (first || ui.status.options.length === 0) buildStatusOptions(me);
    if (!state.statusPending) setStatusValue(me.status);
    ui.loadValue.textContent = me.load + " / " + me.capacity;
    ui.load.dataset.full = String(me.capacity > 0 && me.load >= me.capacity);
    state.chats.forEach(function (chat) { fillDispositions(chat); });
    var supervisor = me.role === "supervisor";
    ui.cannedTab.hidden = !supervisor;
    ui.liveTab.hidden = !supervisor;
    // An agent's results are limited to their own chats by the server; no agent filter.
    ui.searchAgentField.hidden = !supervisor;
    ui.searchScope.textContent = supervisor ? "日期按北京时间计算。" :
      "仅显示您接待过的会话中的内容。日期按北京时间计算。";
    ui.searchScope.hidden = false;
  }

  function buildStatusOptions(me) {
    ui.status.textContent = "";
    (me.statuses || []).forEach(function (status) {
      var option = el("option", null, status.title);
      option.value = status.id;
      // Offline is where logout and dropped connections put an agent; it is not picked here.
      if (status.id === "offline") {
        option.disabled = true;
        option.hidden = true;
      }
      ui.status.appendChild(option);
    });
  }

  function setStatusValue(status) {
    ui.status.value = status;
    ui.status.dataset.status = status;
    var offline = ui.status.querySelector('option[value="offline"]');
    if (offline) offline.hidden = status !== "offline";
  }

  ui.status.addEventListener("change", function () {
    var wanted = ui.status.value;
    state.statusPending = true;
    ui.status.dataset.status = wanted;
    var session = state.session;
    api("PUT", "/console/api/status", { status: wanted })
      .then(function () {
        if (session !== state.session) return;
        state.statusPending = false;
        refreshMe();
        loadChats();
      })
      .catch(function (error) {
        if (session !== state.session) return;
        state.statusPending = false;
        if (state.me) setStatusValue(state.me.status);
        showError(error);
      });
  });

  function refreshMe() {
    var session = state.session;
    return api("GET", "/console/api/me").then(function (me) {
      if (session === state.session) applyMe(me);
    }, showError);
  }

  function poll() {
    loadQueue();
    loadChats();
    refreshMe();
  }

  // ---------------------------------------------------------------- websocket

  function setConn(kind, text) {
    ui.conn.dataset.state = kind;
    ui.conn.textContent = text;
  }

  function connect() {
    if (!state.socketWanted) return;
    setConn("connecting", "连接中…");
    var scheme = location.protocol === "https:" ? "wss:" : "ws:";
    var socket = new WebSocket(scheme + "//" + location.host + "/console/ws");
    state.socket = socket;
    socket.onopen = function () {
      if (state.socket !== socket) return;
      state.backoffMs = 500;
      setConn("online", "已连接");
      ui.status.disabled = false;
      // Events may have been missed while disconnected: catch up.
      poll();
    };
    socket.onmessage = function (event) {
      if (state.socket !== socket) return;
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (frame && typeof frame === "object") onEvent(frame);
    };
    socket.onclose = function (event) {
      if (state.socket !== socket) return;
      state.socket = null;
      ui.status.disabled = true;
      state.chats.forEach(function (chat) { chat.typingOn = false; });
      if (!state.socketWanted) return;
      if (event.code === 1008) {
        // The session ended (logout elsewhere, expiry, password or role change, deactivation):
        // the server says so in the close reason.
        sessionExpired(event.reason);
        return;
      }
      setConn("offline", "连接已断开，正在重连…");
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    var delay = state.backoffMs + Math.random() * 300;
    state.backoffMs = Math.min(state.backoffMs * 2, MAX_BACKOFF_MS);
    var session = state.session;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = setTimeout(function () {
      // A socket refused before it opens looks like a network failure: ask whether the
      // session still holds (a 401 shows the login form) before trying again.
      api("GET", "/console/api/me").then(
        function (me) {
          if (session !== state.session || !state.socketWanted) return;
          applyMe(me);
          connect();
        },
        function (error) {
          if (session !== state.session || !state.socketWanted || error.status === 401) return;
          scheduleReconnect();
        }
      );
    }, delay);
  }

  function sendFrame(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function onEvent(event) {
    var id = event.conversation_id;
    switch (event.type) {
      case "assigned":
        loadChats();
        refreshMe();
        scheduleLiveReload();
        break;
      case "closed":
        onClosed(id);
        scheduleLiveReload();
        break;
      case "message":
        onMessage(id, event.message);
        break;
      case "typing":
        onUserTyping(id, event.on === true);
        break;
      case "queue":
        scheduleQueueReload();
        scheduleLiveReload();
        break;
    }
  }

  // ---------------------------------------------------------------- waiting list

  function scheduleQueueReload() {
    clearTimeout(state.queueReloadTimer);
    state.queueReloadTimer = setTimeout(loadQueue, EVENT_RELOAD_MS);
  }

  function loadQueue() {
    var session = state.session;
    return api("GET", "/console/api/queue").then(function (data) {
      if (session === state.session) renderQueue(data.skills || []);
    }, showError);
  }

  function renderQueue(groups) {
    // Rebuilt each time; keyboard focus on a 接入 button is carried over.
    var focused = document.activeElement && document.activeElement.closest &&
      document.activeElement.closest(".swa-waiting");
    var focusedId = focused ? focused.dataset.conversationId : null;
    var now = Date.now();
    var waits = new Map();
    var total = 0;
    var newcomer = false;  // someone new waits for a manual skill: only a person takes them
    var fragment = document.createDocumentFragment();
    groups.forEach(function (group) {
      var users = group.waiting || [];
      total += users.length;
      var section = el("section", "swa-skill");
      section.dataset.skill = group.skill;
      section.dataset.count = String(users.length);
      var head = el("h3", "swa-skill-head");
      head.appendChild(el("span", "swa-skill-title", group.title));
      if (group.manual) {
        var manual = el("span", "swa-skill-manual", "手动接入");
        manual.title = "该业务的排队用户需由客服手动接入";
        head.appendChild(manual);
      }
      head.appendChild(el("span", "swa-skill-count", users.length));
      section.appendChild(head);
      if (users.length) {
        var list = el("ol", "swa-waiting-list");
        users.forEach(function (user) {
          if (group.manual && state.queueLoaded && !state.waits.has(user.conversation_id)) newcomer = true;
          waits.set(user.conversation_id, { waited_s: user.waited_s || 0, at: now });
          list.appendChild(renderWaiting(user, group));
        });
        section.appendChild(list);
      }
      fragment.appendChild(section);
    });
    if (!groups.length) fragment.appendChild(el("p", "swa-queue-empty", "您没有可接待的业务类型"));
    state.waits = waits;
    state.queueLoaded = true;
    if (newcomer) beep();
    ui.queue.textContent = "";
    ui.queue.appendChild(fragment);
    ui.queueTotal.textContent = String(total);
    ui.queueTotal.dataset.count = String(total);
    tick();
    if (focusedId) {
      var again = ui.queue.querySelector('.swa-waiting[data-conversation-id="' + cssEscape(focusedId) + '"] .swa-claim');
      if (again) again.focus();
    }
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
  }

  function renderWaiting(user, group) {
    var item = el("li", "swa-waiting");
    item.dataset.conversationId = user.conversation_id;
    item.dataset.skill = group.skill;
    var row = el("div", "swa-waiting-row");
    var channel = el("span", "swa-channel", channelTitle(user.channel));
    channel.dataset.channel = user.channel || "";
    row.appendChild(channel);
    var name = el("span", "swa-waiting-name", identityText(user.identity) || shortId(user.conversation_id));
    name.title = user.conversation_id;
    row.appendChild(name);
    var wait = el("span", "swa-wait", formatWait(user.waited_s || 0));
    wait.title = "已等待时间";
    row.appendChild(wait);
    var claim = el("button", "swa-claim", "接入");
    claim.type = "button";
    claim.title = "接入该用户";
    claim.addEventListener("click", function () { claimChat(user.conversation_id, claim); });
    row.appendChild(claim);
    item.appendChild(row);
    var lines = user.last_messages || [];
    if (lines.length) {
      var preview = el("ol", "swa-preview");
      lines.forEach(function (line) {
        var entry = el("li", "swa-preview-line");
        entry.dataset.role = line.role;
        entry.appendChild(el("b", null, (ROLE_LABELS[line.role] || line.role) + "："));
        entry.appendChild(document.createTextNode(line.text || ""));
        entry.title = line.text || "";
        preview.appendChild(entry);
      });
      item.appendChild(preview);
    }
    return item;
  }

  // Every second: the waiting times, counted on from the server's figure at the last load.
  function tick() {
    var now = Date.now();
    var items = ui.queue.querySelectorAll(".swa-waiting");
    for (var i = 0; i < items.length; i++) {
      var wait = state.waits.get(items[i].dataset.conversationId);
      if (!wait) continue;
      var seconds = wait.waited_s + (now - wait.at) / 1000;
      var label = items[i].querySelector(".swa-wait");
      label.textContent = formatWait(seconds);
      items[i].dataset.long = String(seconds >= LONG_WAIT_S);
    }
  }

  function claimChat(conversationId, button) {
    button.disabled = true;
    var session = state.session;
    api("POST", "/console/api/chats/claim", { conversation_id: conversationId })
      .then(function () {
        if (session !== state.session) return;
        state.pendingActivate = conversationId;
        loadChats();
        refreshMe();
      })
      .catch(function (error) {
        button.disabled = false;
        showError(error);
      })
      .then(function () {
        if (session === state.session) loadQueue();
      });
  }

  ui.queueRefresh.addEventListener("click", function () { loadQueue(); });

  // ---------------------------------------------------------------- chats

  function openChatCount() {
    var count = 0;
    state.chats.forEach(function (chat) { if (!chat.ended) count += 1; });
    return count;
  }

  function loadChats() {
    var session = state.session;
    var seq = ++state.chatsSeq;
    return api("GET", "/console/api/chats").then(function (data) {
      if (session !== state.session || seq < state.chatsApplied) return;
      state.chatsApplied = seq;
      applyChats(data.chats || [], seq);
    }, showError);
  }

  function applyChats(list, seq) {
    var announce = state.chatsLoaded;
    var listed = new Set();
    list.forEach(function (info) {
      var id = info.conversation_id;
      listed.add(id);
      // An answer asked for before the chat ended here must not bring it back.
      if ((state.endedAt.get(id) || 0) >= seq) return;
      var chat = state.chats.get(id);
      if (!chat) {
        chat = addChat(info);
        if (announce) announceChat(chat);
      } else if (chat.ended) {
        reopenChat(chat, info);
        if (announce) announceChat(chat);
      }
      if (state.pendingActivate === id) {
        state.pendingActivate = null;
        activate(id, true);
      }
    });
    state.chats.forEach(function (chat, id) {
      if (!listed.has(id) && !chat.ended && !chat.closing && chat.seq < seq) {
        markEnded(chat, "会话已结束");
      }
    });
    state.chatsLoaded = true;
    if (state.active === null && state.chats.size) {
      // Nothing was open: show the first chat, and let the agent type at once unless they are
      // typing somewhere else.
      var focused = document.activeElement;
      var typing = focused && (focused.tagName === "TEXTAREA" || focused.tagName === "INPUT");
      activate(state.chats.keys().next().value, !typing);
    }
  }

  function announceChat(chat) {
    if (!isFocused(chat)) {
      chat.unread = Math.max(chat.unread, 1);
      updateUnread(chat);
    }
    beep();
  }

  function isFocused(chat) {
    return state.active === chat.id && !document.hidden;
  }

  var paneCount = 0;

  function addChat(info) {
    var id = info.conversation_id;
    var pane = ui.chatTemplate.content.firstElementChild.cloneNode(true);
    pane.dataset.conversationId = id;
    paneCount += 1;
    pane.id = "swa-pane-" + paneCount;

    var tab = el("button", "swa-tab swa-chat-tab");
    tab.type = "button";
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-selected", "false");
    tab.setAttribute("aria-controls", pane.id);
    tab.dataset.conversationId = id;
    tab.title = id;
    var name = el("span", "swa-tab-name");
    var skill = el("span", "swa-tab-skill");
    var typing = el("span", "swa-tab-typing", "…");
    typing.hidden = true;
    typing.title = "用户正在输入";
    var badge = el("span", "swa-unread", "0");
    badge.hidden = true;
    tab.appendChild(name);
    tab.appendChild(skill);
    tab.appendChild(typing);
    tab.appendChild(badge);

    var chat = {
      id: id,
      info: info,
      seq: state.chatsSeq,
      tab: tab,
      tabName: name,
      tabSkill: skill,
      tabTyping: typing,
      badge: badge,
      pane: pane,
      transcript: $(".swa-transcript", pane),
      typingLine: $(".swa-typing", pane),
      composer: $(".swa-composer", pane),
      input: $(".swa-reply-input", pane),
      send: $(".swa-send", pane),
      disposition: $(".swa-disposition", pane),
      closeButton: $(".swa-close-chat", pane),
      transferButton: $(".swa-transfer-chat", pane),
      dismiss: $(".swa-dismiss", pane),
      suggest: $(".swa-suggest", pane),
      cannedOpen: $(".swa-canned-open", pane),
      cannedPanel: $(".swa-canned-panel", pane),
      cannedSearch: $(".swa-canned-search", pane),
      cannedResults: $(".swa-canned-results", pane),
      cannedNone: $(".swa-canned-none", pane),
      endedLabel: $(".swa-chat-ended", pane),
      noteBar: $(".swa-chat-note", pane),
      noteText: $(".swa-chat-note-text", pane),
      lines: new Map(),     // message id -> element: a line arrives once however it came
      unread: 0,
      ended: false,
      closing: false,
      stick: true,          // keep the newest line in view unless the agent scrolled up
      typingOn: false,
      typingSent: 0,
      typingIdle: null,
      userTypingTimer: null,
      suggestions: [],      // the canned responses the "/" list offers
      suggestIndex: 0,
      suggestOpen: false,
      suggestDismissed: null,  // the reply as it was when Esc closed the list
      cannedEntries: [],    // the 常用语 panel's results
      cannedIndex: 0,
      cannedSeq: 0,
      cannedTimer: null,
    };
    chat.suggest.id = pane.id + "-suggest";
    chat.input.setAttribute("aria-controls", chat.suggest.id);
    describeChat(chat, info);
    fillDispositions(chat);

    tab.addEventListener("click", function () { activate(id, true); });
    chat.composer.addEventListener("submit", function (event) {
      event.preventDefault();
      sendReply(chat);
    });
    chat.input.addEventListener("keydown", function (event) {
      // A key that confirms an IME candidate is the input method's, not ours.
      if (event.isComposing || event.keyCode === 229) return;
      if (chat.suggestOpen && suggestionKey(chat, event)) return;
      // Enter sends; Shift+Enter is a new line.
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        sendReply(chat);
      }
    });
    chat.input.addEventListener("input", function () {
      agentTyping(chat);
      updateSuggestions(chat);
    });
    chat.input.addEventListener("blur", function () {
      stopTyping(chat);
      hideSuggestions(chat);
    });
    chat.cannedOpen.addEventListener("click", function () { toggleCannedPanel(chat); });
    chat.cannedSearch.addEventListener("input", function () {
      clearTimeout(chat.cannedTimer);
      chat.cannedTimer = setTimeout(function () { searchCannedPanel(chat); }, SEARCH_DEBOUNCE_MS);
    });
    chat.cannedSearch.addEventListener("keydown", function (event) { cannedPanelKey(chat, event); });
    chat.transferButton.addEventListener("click", function () { openTransfer(chat); });
    chat.closeButton.addEventListener("click", function () { closeChat(chat); });
    chat.dismiss.addEventListener("click", function () { removeChat(chat); });
    chat.transcript.addEventListener("scroll", function () {
      var t = chat.transcript;
      chat.stick = t.scrollHeight - t.scrollTop - t.clientHeight < 40;
    });

    state.chats.set(id, chat);
    ui.chatTabs.appendChild(tab);
    ui.panes.appendChild(pane);
    loadTranscript(chat);
    return chat;
  }

  function describeChat(chat, info) {
    chat.info = info;
    chat.tabName.textContent = userLabel(info);
    chat.tabSkill.textContent = info.skill_title || "";
    $(".swa-chat-who", chat.pane).textContent = channelTitle(info.channel) + "用户 " +
      (identityText(info.identity) || shortId(info.conversation_id));
    $(".swa-chat-skill", chat.pane).textContent = info.skill_title || "";
    $(".swa-chat-id", chat.pane).textContent = info.conversation_id;
    // A transfer's note ("客服小王：…"), for the agent who took the user over.
    chat.noteText.textContent = info.note || "";
    chat.noteBar.hidden = !info.note;
  }

  function fillDispositions(chat) {
    var dispositions = (state.me && state.me.dispositions) || [];
    var select = chat.disposition;
    if (select.options.length - 1 === dispositions.length) return;
    var chosen = select.value;
    while (select.options.length > 1) select.remove(1);
    dispositions.forEach(function (d) {
      var option = el("option", null, d.title);
      option.value = d.id;
      select.appendChild(option);
    });
    select.value = chosen;
  }

  function loadTranscript(chat) {
    var session = state.session;
    api("GET", "/console/api/transcript?conversation_id=" + encodeURIComponent(chat.id))
      .then(function (data) {
        if (session !== state.session || state.chats.get(chat.id) !== chat) return;
        (data.messages || []).forEach(function (message) { addLine(chat, message); });
        scrollIfStuck(chat);
      })
      .catch(function (error) {
        if (session !== state.session) return;
        if (error.status === 403) markEnded(chat, "会话已结束");
        else showError(error);
      });
  }

  function roleLabel(message) {
    if (message.role === "agent") {
      var name = message.sender_name || message.agent || "";
      // Display names are often 客服小王 already: no "客服 客服小王".
      return name.indexOf("客服") === 0 ? name : ("客服 " + name).trim();
    }
    return ROLE_LABELS[message.role] || message.role || "";
  }

  function renderLine(message) {
    var item = el("li", "swa-line");
    item.dataset.role = message.role || "bot";
    if (message.id !== undefined && message.id !== null) item.dataset.id = String(message.id);
    if (message.role === "agent" && state.me && message.agent === state.me.username) {
      item.dataset.mine = "true";
    }
    var meta = el("div", "swa-line-meta");
    meta.appendChild(el("span", "swa-line-who", roleLabel(message)));
    var time = el("time", "swa-line-time", formatTime(message.created_at));
    if (message.created_at) {
      time.dateTime = message.created_at;
      time.title = new Date(message.created_at).toLocaleString("zh-CN");
    }
    meta.appendChild(time);
    item.appendChild(meta);
    var shown = false;
    if (message.text) {
      var text = el("div", "swa-line-text");
      appendRichText(text, message.text);
      item.appendChild(text);
      shown = true;
    }
    var image = safeImageUrl(message.image);
    if (image) {
      var link = el("a", "swa-line-image");
      link.href = image;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      var img = el("img");
      img.src = image;
      img.alt = "图片";
      img.loading = "lazy";
      img.referrerPolicy = "no-referrer";
      link.appendChild(img);
      item.appendChild(link);
      shown = true;
    }
    if (message.buttons && message.buttons.length) {
      // What the user was offered; for the agent's eyes only, so not clickable.
      var buttons = el("div", "swa-line-buttons");
      message.buttons.forEach(function (button) {
        buttons.appendChild(el("span", "swa-line-button", button.title));
      });
      item.appendChild(buttons);
      shown = true;
    }
    if (!shown) item.appendChild(el("div", "swa-line-text swa-line-other", message.custom ? "[卡片消息]" : "[空消息]"));
    return item;
  }

  // Adds a transcript line in id order; false if the line is already there.
  function addLine(chat, message) {
    if (!message) return false;
    var id = message.id;
    if (id !== undefined && id !== null && chat.lines.has(id)) return false;
    var item = renderLine(message);
    var before = null;
    if (id !== undefined && id !== null) {
      chat.lines.set(id, item);
      var node = chat.transcript.lastElementChild;
      while (node && node.dataset.id && Number(node.dataset.id) > id) {
        before = node;
        node = node.previousElementSibling;
      }
    }
    chat.transcript.insertBefore(item, before);
    return true;
  }

  function scrollIfStuck(chat, force) {
    if (force) chat.stick = true;
    if (chat.stick) chat.transcript.scrollTop = chat.transcript.scrollHeight;
  }

  function onMessage(conversationId, message) {
    var chat = state.chats.get(conversationId);
    if (!chat || chat.ended) {
      loadChats();  // a chat this console does not show yet: its transcript brings the line
      return;
    }
    var added = addLine(chat, message);
    if (message && message.role === "user") showUserTyping(chat, false);
    scrollIfStuck(chat);
    if (added && message.role === "user" && !isFocused(chat)) {
      chat.unread += 1;
      updateUnread(chat);
      beep();
    }
  }

  function onUserTyping(conversationId, on) {
    var chat = state.chats.get(conversationId);
    if (chat && !chat.ended) showUserTyping(chat, on);
  }

  function showUserTyping(chat, on) {
    clearTimeout(chat.userTypingTimer);
    chat.typingLine.hidden = !on;
    chat.tabTyping.hidden = !on;
    if (on) {
      chat.userTypingTimer = setTimeout(function () { showUserTyping(chat, false); }, USER_TYPING_TIMEOUT_MS);
    }
  }

  function updateUnread(chat) {
    if (chat) {
      chat.badge.textContent = String(chat.unread);
      chat.badge.hidden = chat.unread === 0;
      chat.tab.dataset.unread = String(chat.unread);
    }
    updateTitle();
  }

  function updateTitle() {
    var total = 0;
    state.chats.forEach(function (chat) { total += chat.unread; });
    document.title = total ? "(" + total + ") " + TITLE : TITLE;
  }

  // The agent types: "on" now and then while keys come, "off" when they stop or send.
  function agentTyping(chat) {
    if (chat.ended) return;
    clearTimeout(chat.typingIdle);
    if (!chat.input.value.trim()) {
      stopTyping(chat);
      return;
    }
    var now = Date.now();
    if (!chat.typingOn || now - chat.typingSent >= TYPING_THROTTLE_MS) {
      if (sendFrame({ type: "typing", conversation_id: chat.id, on: true })) {
        chat.typingOn = true;
        chat.typingSent = now;
      }
    }
    chat.typingIdle = setTimeout(function () { stopTyping(chat); }, TYPING_IDLE_MS);
  }

  function stopTyping(chat) {
    clearTimeout(chat.typingIdle);
    if (!chat.typingOn) return;
    chat.typingOn = false;
    sendFrame({ type: "typing", conversation_id: chat.id, on: false });
  }

  function sendReply(chat) {
    var text = chat.input.value.trim();
    if (!text || chat.ended) return;
    stopTyping(chat);
    chat.input.value = "";
    var session = state.session;
    api("POST", "/console/api/chats/reply", { conversation_id: chat.id, text: text })
      .then(function (line) {
        if (session !== state.session) return;
        addLine(chat, line);
        scrollIfStuck(chat, true);
      })
      .catch(function (error) {
        if (session !== state.session) return;
        // Nothing typed is lost: the text goes back into an empty composer.
        if (!chat.input.value) chat.input.value = text;
        showError(error);
        if (error.status === 409) markEnded(chat, "会话已结束");
      });
  }

  function closeChat(chat) {
    if (chat.closing || chat.ended) return;
    var disposition = chat.disposition.value;
    if (!disposition) {
      showNotice("请先选择会话结果，再结束会话。");
      chat.disposition.focus();
      return;
    }
    if (chat.input.value.trim() && !window.confirm("回复框中还有未发送的内容，仍要结束会话吗？")) return;
    chat.closing = true;
    chat.closeButton.disabled = true;
    stopTyping(chat);
    var session = state.session;
    api("POST", "/console/api/chats/close", { conversation_id: chat.id, disposition: disposition })
      .then(function () {
        if (session !== state.session) return;
        removeChat(chat);
        refreshMe();
      })
      .catch(function (error) {
        if (session !== state.session) return;
        chat.closing = false;
        chat.closeButton.disabled = false;
        showError(error);
        if (error.status === 409) markEnded(chat, "会话已结束");
      });
  }

  function onClosed(conversationId) {
    var chat = state.chats.get(conversationId);
    refreshMe();
    if (!chat) return;
    if (chat.closing) removeChat(chat);
    else if (!chat.ended) {
      markEnded(chat, "会话已结束");
      showNotice("与" + userLabel(chat.info) + "的会话已结束（可能已在其他窗口结束，或用户已重新排队）。", "info");
    }
  }

  // The chat ended elsewhere: the transcript stays readable until the agent closes the tab.
  function markEnded(chat, reason) {
    if (chat.ended) return;
    chat.ended = true;
    state.endedAt.set(chat.id, state.chatsSeq);
    stopTyping(chat);
    showUserTyping(chat, false);
    chat.pane.dataset.ended = "true";
    chat.tab.dataset.ended = "true";
    chat.endedLabel.textContent = reason;
    chat.endedLabel.hidden = false;
    chat.input.disabled = true;
    chat.send.disabled = true;
    chat.disposition.disabled = true;
    chat.closeButton.hidden = true;
    chat.transferButton.hidden = true;
    chat.cannedOpen.disabled = true;
    hideSuggestions(chat);
    toggleCannedPanel(chat, false);
    if (state.transferChat === chat) closeTransfer();
    chat.dismiss.hidden = false;
  }

  function reopenChat(chat, info) {
    chat.ended = false;
    chat.closing = false;
    chat.seq = state.chatsSeq;
    describeChat(chat, info);
    delete chat.pane.dataset.ended;
    delete chat.tab.dataset.ended;
    chat.endedLabel.hidden = true;
    chat.input.disabled = false;
    chat.send.disabled = false;
    chat.disposition.disabled = false;
    chat.disposition.value = "";
    chat.closeButton.hidden = false;
    chat.closeButton.disabled = false;
    chat.transferButton.hidden = false;
    chat.cannedOpen.disabled = false;
    chat.dismiss.hidden = true;
    loadTranscript(chat);
  }

  function removeChat(chat) {
    if (state.chats.get(chat.id) !== chat) return;
    var ids = Array.from(state.chats.keys());
    var index = ids.indexOf(chat.id);
    stopTyping(chat);
    clearTimeout(chat.userTypingTimer);
    clearTimeout(chat.cannedTimer);
    if (state.transferChat === chat) closeTransfer();
    state.endedAt.set(chat.id, state.chatsSeq);
    state.chats.delete(chat.id);
    chat.tab.remove();
    chat.pane.remove();
    if (state.active === chat.id) {
      var rest = ids.filter(function (id) { return id !== chat.id; });
      activate(rest.length ? rest[Math.min(index, rest.length - 1)] : null, true);
    }
    updateTitle();
  }

  // ---------------------------------------------------------------- tabs

  // The tabs that are not chats; `open` runs each time one is shown, `close` (if any) when
  // another is.
  var VIEWS = {
    tickets: { tab: ui.ticketsTab, pane: ui.tickets, open: function () { loadTickets(); } },
    search: {
      tab: ui.searchTab,
      pane: ui.search,
      open: function () { if (!state.searchLoaded) runSearch(false); },
    },
    canned: {
      tab: ui.cannedTab,
      pane: ui.canned,
      open: function () {
        renderCannedList();
        loadCanned();
      },
    },
    live: { tab: ui.liveTab, pane: ui.live, open: startLive, close: stopLive },
  };

  function activate(view, focusComposer) {
    var previous = state.active;
    state.active = view;
    state.chats.forEach(function (chat, id) {
      var selected = id === view;
      chat.tab.setAttribute("aria-selected", String(selected));
      chat.tab.tabIndex = selected ? 0 : -1;
      chat.pane.hidden = !selected;
    });
    Object.keys(VIEWS).forEach(function (name) {
      var selected = view === name;
      VIEWS[name].tab.setAttribute("aria-selected", String(selected));
      VIEWS[name].tab.tabIndex = selected || (view === null && name === "tickets") ? 0 : -1;
      VIEWS[name].pane.hidden = !selected;
    });
    ui.empty.hidden = view !== null;
    var chat = state.chats.get(view);
    if (chat) {
      if (!document.hidden && chat.unread) {
        chat.unread = 0;
        updateUnread(chat);
      }
      scrollIfStuck(chat);
      if (focusComposer && !chat.ended) chat.input.focus();
    }
    if (previous !== view && VIEWS[previous] && VIEWS[previous].close) VIEWS[previous].close();
    if (VIEWS[view]) VIEWS[view].open();
  }

  function tabOrder() {
    var views = Array.from(state.chats.keys());
    Object.keys(VIEWS).forEach(function (name) {
      if (!VIEWS[name].tab.hidden) views.push(name);
    });
    return views;
  }

  function tabOf(view) {
    return VIEWS[view] ? VIEWS[view].tab : state.chats.get(view).tab;
  }

  ui.ticketsTab.addEventListener("click", function () { activate("tickets"); });
  ui.searchTab.addEventListener("click", function () { activate("search"); });
  ui.cannedTab.addEventListener("click", function () { activate("canned"); });
  ui.liveTab.addEventListener("click", function () { activate("live"); });

  // Arrow keys, Home and End move between tabs (the WAI-ARIA tabs pattern).
  ui.tabs.addEventListener("keydown", function (event) {
    if (!event.target.classList.contains("swa-tab")) return;
    var views = tabOrder();
    var current = event.target.dataset.view || event.target.dataset.conversationId;
    var index = views.indexOf(current);
    var next = null;
    if (event.key === "ArrowRight") next = views[(index + 1) % views.length];
    else if (event.key === "ArrowLeft") next = views[(index - 1 + views.length) % views.length];
    else if (event.key === "Home") next = views[0];
    else if (event.key === "End") next = views[views.length - 1];
    if (next === null) return;
    event.preventDefault();
    activate(next);
    tabOf(next).focus();
  });

  // Alt+1…9 opens the n-th chat, Alt+0 the tickets.
  document.addEventListener("keydown", function (event) {
    unlockAudio();
    if (ui.app.hidden || !event.altKey || event.ctrlKey || event.metaKey) return;
    var match = /^Digit([0-9])$/.exec(event.code || "");
    if (!match) return;
    var n = Number(match[1]);
    var ids = Array.from(state.chats.keys());
    if (n === 0) activate("tickets");
    else if (n <= ids.length) activate(ids[n - 1], true);
    else return;
    event.preventDefault();
  });
  document.addEventListener("pointerdown", unlockAudio, true);

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    if (state.active === "live") loadLive();  // its polling skips a hidden page
    var chat = state.chats.get(state.active);
    if (chat && chat.unread) {
      chat.unread = 0;
      updateUnread(chat);
    }
  });

  window.addEventListener("beforeunload", function (event) {
    if (!ui.app.hidden && openChatCount()) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // ---------------------------------------------------------------- tickets (留言)

  function setTicketCount(count) {
    ui.ticketCount.textContent = String(count);
    ui.ticketCount.hidden = count === 0;
  }

  function loadTicketCount() {
    var session = state.session;
    return api("GET", "/console/api/tickets?state=open").then(function (data) {
      if (session === state.session) setTicketCount((data.tickets || []).length);
    }, showError);
  }

  function loadTickets() {
    var session = state.session;
    var wanted = ui.ticketState.value;
    return api("GET", "/console/api/tickets?state=" + encodeURIComponent(wanted)).then(function (data) {
      if (session !== state.session || ui.ticketState.value !== wanted) return;
      var tickets = data.tickets || [];
      renderTickets(tickets);
      if (wanted === "open") setTicketCount(tickets.length);
    }, showError);
  }

  // Keyed by ticket id, so a note being typed survives a reload of the list.
  function renderTickets(tickets) {
    var existing = new Map();
    Array.prototype.forEach.call(ui.ticketList.children, function (item) {
      existing.set(item.dataset.ticketId + ":" + item.dataset.status, item);
    });
    var keep = new Set();
    tickets.forEach(function (ticket, index) {
      var key = ticket.id + ":" + ticket.status;
      var item = existing.get(key) || renderTicket(ticket);
      keep.add(item);
      var at = ui.ticketList.children[index];
      if (at !== item) ui.ticketList.insertBefore(item, at || null);
    });
    existing.forEach(function (item) { if (!keep.has(item)) item.remove(); });
    ui.ticketEmpty.hidden = tickets.length > 0;
  }

  function renderTicket(ticket) {
    var item = el("li", "swa-ticket");
    item.dataset.ticketId = String(ticket.id);
    item.dataset.status = ticket.status;
    var head = el("div", "swa-ticket-head");
    head.appendChild(el("span", "swa-ticket-id", "#" + ticket.id));
    head.appendChild(el("span", "swa-ticket-skill", ticket.skill_title || ticket.skill));
    var channel = String(ticket.conversation_id || "").split(":")[0];
    head.appendChild(el("span", "swa-channel", channelTitle(channel))).dataset.channel = channel;
    var time = el("time", "swa-ticket-time", formatDateTime(ticket.created_at));
    time.dateTime = ticket.created_at;
    head.appendChild(time);
    item.appendChild(head);
    var text = el("div", "swa-ticket-text");
    appendRichText(text, ticket.text || "");
    item.appendChild(text);
    var contact = el("div", "swa-ticket-contact");
    contact.appendChild(el("b", null, "联系方式："));
    contact.appendChild(el("span", "swa-ticket-contact-value", ticket.contact || ""));
    item.appendChild(contact);
    if (ticket.status === "done") {
      var result = el("div", "swa-ticket-result");
      result.appendChild(el("b", null, "处理人："));
      result.appendChild(document.createTextNode((ticket.done_by || "") + "　"));
      result.appendChild(el("b", null, "备注："));
      result.appendChild(document.createTextNode(ticket.done_note || ""));
      item.appendChild(result);
      return item;
    }
    var form = el("form", "swa-ticket-form");
    form.autocomplete = "off";
    var note = el("textarea", "swa-ticket-note");
    note.rows = 2;
    note.maxLength = 1000;
    note.placeholder = "处理备注（必填），如：已电话联系用户，问题已解决";
    note.setAttribute("aria-label", "留言 #" + ticket.id + " 的处理备注");
    var done = el("button", "swa-ticket-done", "标记已处理");
    done.type = "submit";
    form.appendChild(note);
    form.appendChild(done);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      markTicketDone(ticket, item, note, done);
    });
    note.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        markTicketDone(ticket, item, note, done);
      }
    });
    item.appendChild(form);
    return item;
  }

  function markTicketDone(ticket, item, note, button) {
    var text = note.value.trim();
    if (!text) {
      showNotice("请填写处理备注。");
      note.focus();
      return;
    }
    button.disabled = true;
    var session = state.session;
    api("POST", "/console/api/tickets/" + encodeURIComponent(ticket.id) + "/done", { note: text })
      .then(function () {
        if (session !== state.session) return;
        item.remove();
        showNotice("留言 #" + ticket.id + " 已标记为已处理。", "info");
      })
      .catch(function (error) {
        button.disabled = false;
        showError(error);
      })
      .then(function () {
        if (session === state.session) loadTickets();
      });
  }

  ui.ticketState.addEventListener("change", function () {
    ui.ticketList.textContent = "";
    loadTickets();
  });
  ui.ticketsRefresh.addEventListener("click", function () { loadTickets(); });

  // ---------------------------------------------------------------- canned responses (常用语)

  // The whole list, kept for the "/" suggestions (filtered here, keystroke by keystroke).
  function loadCanned() {
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

  function usableIn(entry, chat) {
    return !entry.skill || !chat.info.skill || entry.skill === chat.info.skill;
  }

  // What follows the "/" when the reply so far is just "/" and a word; else null.
  function typedShortcut(chat) {
    var input = chat.input;
    if (input.selectionStart !== input.selectionEnd) return null;
    var match = SHORTCUT_TYPED.exec(input.value.slice(0, input.selectionStart));
    return match ? match[1].toLowerCase() : null;
  }

  // Shortcuts that start with the word first, then those that contain it or whose title does.
  function suggestionsFor(chat, typed) {
    var starting = [];
    var containing = [];
    state.canned.forEach(function (entry) {
      if (!usableIn(entry, chat)) return;
      var word = entry.shortcut.slice(1);
      if (word.indexOf(typed) === 0) starting.push(entry);
      else if (word.indexOf(typed) >= 0 || entry.title.toLowerCase().indexOf(typed) >= 0) {
        containing.push(entry);
      }
    });
    return starting.concat(containing).slice(0, MAX_SUGGESTIONS);
  }

  function updateSuggestions(chat) {
    var typed = chat.ended ? null : typedShortcut(chat);
    if (typed === null) chat.suggestDismissed = null;
    if (typed === null || chat.input.value === chat.suggestDismissed) {
      hideSuggestions(chat);
      return;
    }
    chat.suggestDismissed = null;
    // The list is loaded again each time it opens, so that an entry a supervisor has just
    // added is offered at once (the answer updates the open list).
    if (!chat.suggestOpen && !state.cannedLoading) loadCanned();
    var previous = chat.suggestions[chat.suggestIndex];
    var entries = suggestionsFor(chat, typed);
    chat.suggestions = entries;
    chat.suggestIndex = Math.max(0, entries.indexOf(previous));
    chat.suggest.textContent = "";
    if (!entries.length) {
      var none = el("li", "swa-suggest-none",
        state.canned.length ? "没有匹配的常用语（按 Esc 关闭）" : "暂无常用语");
      none.setAttribute("aria-disabled", "true");
      chat.suggest.appendChild(none);
    }
    entries.forEach(function (entry, index) {
      var option = el("li", "swa-suggest-item");
      option.id = chat.suggest.id + "-" + index;
      option.setAttribute("role", "option");
      option.dataset.shortcut = entry.shortcut;
      option.appendChild(el("code", "swa-suggest-shortcut", entry.shortcut));
      option.appendChild(el("span", "swa-suggest-title", entry.title));
      option.appendChild(el("span", "swa-suggest-text", entry.text));
      // On mousedown, so that the reply box keeps the focus (and the caret).
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        insertSuggestion(chat, entry);
      });
      chat.suggest.appendChild(option);
    });
    chat.suggest.hidden = false;
    chat.suggestOpen = true;
    chat.input.setAttribute("aria-expanded", "true");
    markSuggestion(chat);
  }

  function markSuggestion(chat) {
    var items = chat.suggest.querySelectorAll(".swa-suggest-item");
    for (var i = 0; i < items.length; i++) {
      var selected = i === chat.suggestIndex;
      items[i].setAttribute("aria-selected", String(selected));
      if (selected) {
        chat.input.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      }
    }
    if (!items.length) chat.input.removeAttribute("aria-activedescendant");
  }

  function hideSuggestions(chat) {
    if (!chat.suggestOpen) return;
    chat.suggestOpen = false;
    chat.suggest.hidden = true;
    chat.suggest.textContent = "";
    chat.input.setAttribute("aria-expanded", "false");
    chat.input.removeAttribute("aria-activedescendant");
  }

  // Keys while the "/" list is open; true when the key was the list's.
  function suggestionKey(chat, event) {
    var count = chat.suggestions.length;
    if (event.key === "Escape") {
      chat.suggestDismissed = chat.input.value;
      hideSuggestions(chat);
    } else if (event.key === "ArrowDown" && count) {
      chat.suggestIndex = (chat.suggestIndex + 1) % count;
      markSuggestion(chat);
    } else if (event.key === "ArrowUp" && count) {
      chat.suggestIndex = (chat.suggestIndex - 1 + count) % count;
      markSuggestion(chat);
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey && count) {
      insertSuggestion(chat, chat.suggestions[chat.suggestIndex]);
    } else if (event.key === "Enter" && !event.shiftKey) {
      // A reply that is only "/word" is a shortcut not found, not a message for the user.
      showNotice("没有找到该常用语。按 Esc 关闭提示后，可将其作为普通文字发送。");
    } else {
      return false;
    }
    event.preventDefault();
    return true;
  }

  // The entry's text replaces the "/word" typed; it is not sent until the agent sends it.
  function insertSuggestion(chat, entry) {
    var input = chat.input;
    var rest = input.value.slice(input.selectionEnd);
    input.value = entry.text + rest;
    input.setSelectionRange(entry.text.length, entry.text.length);
    hideSuggestions(chat);
    input.focus();
    agentTyping(chat);
  }

  // The 常用语 button: a panel searched on the server, for when the shortcut is not known.
  function toggleCannedPanel(chat, open) {
    if (open === undefined) open = chat.cannedPanel.hidden;
    if (open === !chat.cannedPanel.hidden) return;  // already so
    chat.cannedPanel.hidden = !open;
    chat.cannedOpen.setAttribute("aria-expanded", String(open));
    clearTimeout(chat.cannedTimer);
    if (!open) return;
    hideSuggestions(chat);
    chat.cannedSearch.value = "";
    chat.cannedResults.textContent = "";
    chat.cannedNone.hidden = true;
    searchCannedPanel(chat);
    chat.cannedSearch.focus();
  }

  function searchCannedPanel(chat) {
    var session = state.session;
    var seq = ++chat.cannedSeq;
    var words = chat.cannedSearch.value.trim();
    var params = new URLSearchParams();
    if (words) params.set("q", words);
    if (chat.info.skill) params.set("skill", chat.info.skill);
    api("GET", "/console/api/canned?" + params.toString()).then(function (data) {
      if (session !== state.session || seq !== chat.cannedSeq) return;
      renderCannedResults(chat, data.canned || [], words);
    }, showError);
  }

  function renderCannedResults(chat, entries, words) {
    chat.cannedEntries = entries;
    chat.cannedIndex = 0;
    chat.cannedResults.textContent = "";
    entries.forEach(function (entry, index) {
      var option = el("li", "swa-canned-result");
      option.id = chat.pane.id + "-canned-" + index;
      option.setAttribute("role", "option");
      option.dataset.shortcut = entry.shortcut;
      var head = el("div", "swa-canned-result-head");
      head.appendChild(el("code", "swa-canned-result-shortcut", entry.shortcut));
      head.appendChild(el("b", "swa-canned-result-title", entry.title));
      if (entry.skill) head.appendChild(el("span", "swa-canned-badge", entry.skill_title));
      option.appendChild(head);
      var text = el("div", "swa-canned-result-text");
      appendHighlighted(text, snippet(entry.text, words), words);
      option.appendChild(text);
      option.addEventListener("mousedown", function (event) { event.preventDefault(); });
      option.addEventListener("click", function () { insertCanned(chat, entry); });
      chat.cannedResults.appendChild(option);
    });
    chat.cannedNone.textContent = words ? "没有匹配的常用语" : "暂无常用语";
    chat.cannedNone.hidden = entries.length > 0;
    markCannedResult(chat);
  }

  function markCannedResult(chat) {
    var items = chat.cannedResults.children;
    for (var i = 0; i < items.length; i++) {
      var selected = i === chat.cannedIndex;
      items[i].setAttribute("aria-selected", String(selected));
      if (selected) {
        chat.cannedSearch.setAttribute("aria-activedescendant", items[i].id);
        items[i].scrollIntoView({ block: "nearest" });
      }
    }
    if (!items.length) chat.cannedSearch.removeAttribute("aria-activedescendant");
  }

  function cannedPanelKey(chat, event) {
    var count = chat.cannedEntries.length;
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Escape") {
      toggleCannedPanel(chat, false);
      chat.input.focus();
    } else if (event.key === "ArrowDown" && count) {
      chat.cannedIndex = (chat.cannedIndex + 1) % count;
      markCannedResult(chat);
    } else if (event.key === "ArrowUp" && count) {
      chat.cannedIndex = (chat.cannedIndex - 1 + count) % count;
      markCannedResult(chat);
    } else if (event.key === "Enter") {
      if (count) insertCanned(chat, chat.cannedEntries[chat.cannedIndex]);
    } else {
      return;
    }
    event.preventDefault();
  }

  // Into the reply at the caret (replacing a selection), not sent.
  function insertCanned(chat, entry) {
    var input = chat.input;
    var start = input.selectionStart;
    var end = input.selectionEnd;
    input.value = input.value.slice(0, start) + entry.text + input.value.slice(end);
    toggleCannedPanel(chat, false);
    input.focus();
    input.setSelectionRange(start + entry.text.length, start + entry.text.length);
    agentTyping(chat);
  }

  // A click outside a chat's composer closes its 常用语 panel.
  document.addEventListener("pointerdown", function (event) {
    state.chats.forEach(function (chat) {
      if (!chat.cannedPanel.hidden && !chat.composer.contains(event.target)) {
        toggleCannedPanel(chat, false);
      }
    });
  });

  // ---------------------------------------------------------------- 常用语管理 (supervisors)

  function cannedMatches(entry, words) {
    if (!words) return true;
    return [entry.shortcut, entry.title, entry.text].some(function (field) {
      return field.toLowerCase().indexOf(words) >= 0;
    });
  }

  function renderCannedList() {
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
    var edit = el("button", "swa-canned-edit", "编辑");
    edit.type = "button";
    edit.addEventListener("click", function () { openCannedForm(entry); });
    var remove = el("button", "swa-canned-delete", "删除");
    remove.type = "button";
    remove.addEventListener("click", function () { deleteCanned(entry, remove); });
    head.appendChild(edit);
    head.appendChild(remove);
    item.appendChild(head);
    item.appendChild(el("div", "swa-canned-item-text", entry.text));
    item.appendChild(el("div", "swa-canned-item-meta",
      "创建人：" + entry.created_by + "　更新于 " + formatDateTime(entry.updated_at)));
    return item;
  }

  function openCannedForm(entry) {
    state.editing = entry || null;
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

  function resetCanned() {
    closeCannedForm();
    ui.cannedFilter.value = "";
    ui.cannedList.textContent = "";
    ui.cannedEmpty.hidden = true;
    ui.cannedTab.hidden = true;
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

  // ---------------------------------------------------------------- 会话记录 (transcript search)

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
  function runSearch(more) {
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

  function resetSearch() {
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

  // ---------------------------------------------------------------- 转接 (transfer a chat)

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

  function fillTransferSkills(chat) {
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

  function statusTitle(status) {
    var statuses = (state.me && state.me.statuses) || [];
    for (var i = 0; i < statuses.length; i++) if (statuses[i].id === status) return statuses[i].title;
    return status;
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

  function openTransfer(chat) {
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

  function closeTransfer() {
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

  // ---------------------------------------------------------------- 实时监控 (supervisors)

  var LIVE_FORBIDDEN = "仅班长（主管）可以查看实时监控。";

  function startLive() {
    stopLive();
    loadLive();
    state.liveTimer = setInterval(function () {
      if (!document.hidden) loadLive();
    }, LIVE_POLL_MS);
  }

  function stopLive() {
    clearInterval(state.liveTimer);
    clearTimeout(state.liveReloadTimer);
    state.liveTimer = null;
  }

  function resetLive() {
    ui.liveTab.hidden = true;
    clearLive();
  }

  function clearLive() {
    ui.liveToday.textContent = "";
    ui.liveSkills.textContent = "";
    ui.liveAgents.textContent = "";
    ui.liveUpdated.textContent = "";
    liveError("");
  }

  // A queue or an agent changed (a websocket event): reload now rather than at the next poll.
  function scheduleLiveReload() {
    if (state.active !== "live") return;
    clearTimeout(state.liveReloadTimer);
    state.liveReloadTimer = setTimeout(loadLive, EVENT_RELOAD_MS);
  }

  function loadLive() {
    var session = state.session;
    var seq = ++state.liveSeq;
    return api("GET", "/console/api/supervisor").then(function (data) {
      if (session !== state.session || seq !== state.liveSeq) return;
      renderLive(data || {});
    }, function (error) {
      if (session !== state.session || seq !== state.liveSeq || error.status === 401) return;
      // The figures last shown stay, with their time, unless they may not be seen at all.
      if (error.status === 403) {
        clearLive();
        liveError(LIVE_FORBIDDEN);
      } else {
        liveError("实时数据更新失败：" + error.message);
      }
    });
  }

  function liveError(text) {
    ui.liveError.textContent = text || "";
    ui.liveError.hidden = !text;
  }

  function renderLive(data) {
    liveError("");
    renderToday(data.today || {});
    renderLiveSkills(data.skills || []);
    renderLiveAgents(data.agents || []);
    ui.liveUpdated.textContent = "更新于 " + formatTime();
  }

  // Seconds as mm:ss, or a dash when there is nothing to measure.
  function durationText(seconds) {
    return typeof seconds === "number" ? formatWait(seconds) : "—";
  }

  // Today's figures: [key, label, value, a smaller note after the value or ""].
  function todayFigures(today) {
    var rated = today.csat_count > 0 && typeof today.csat_average === "number";
    return [
      ["handled", "已接待", String(today.handled || 0), ""],
      ["abandoned", "放弃排队", String(today.abandoned || 0), ""],
      ["wait", "平均等待", durationText(today.average_wait_s), ""],
      ["handle", "平均处理时长", durationText(today.average_handle_s), ""],
      ["csat", "满意度", rated ? today.csat_average.toFixed(1) + " 分" : "暂无评价",
        rated ? "（共 " + today.csat_count + " 条评价）" : ""],
    ];
  }

  function renderToday(today) {
    ui.liveToday.textContent = "";
    todayFigures(today).forEach(function (figure) {
      var item = el("div", "swa-live-figure");
      item.dataset.figure = figure[0];
      item.appendChild(el("dt", null, figure[1]));
      var value = item.appendChild(el("dd", null, figure[2]));
      if (figure[3]) value.appendChild(el("span", "swa-live-figure-note", figure[3]));
      ui.liveToday.appendChild(item);
    });
  }

  function addCell(row, className, text) {
    return row.appendChild(el("td", className, text));
  }

  function rowHead(row, className, text) {
    var cell = row.appendChild(el("th", className, text));
    cell.scope = "row";
    return cell;
  }

  function renderLiveSkills(skills) {
    ui.liveSkills.textContent = "";
    skills.forEach(function (skill) {
      var row = el("tr", "swa-live-skill");
      row.dataset.skill = skill.skill;
      row.dataset.long = String(skill.waiting > 0 && skill.longest_wait_s >= LONG_WAIT_S);
      rowHead(row, "swa-live-skill-title", skill.title);
      addCell(row, "swa-live-waiting", skill.waiting).dataset.count = String(skill.waiting);
      addCell(row, "swa-live-longest", skill.waiting ? formatWait(skill.longest_wait_s) : "—");
      addCell(row, "swa-live-online", skill.agents_online + " 人（接待上限 " + skill.capacity_online + "）");
      addCell(row, "swa-live-abandoned", skill.abandoned_today);
      ui.liveSkills.appendChild(row);
    });
  }

  // Those at work first, in the order of the statuses (online, busy, away, offline); by user
  // name within each, as listed.
  function byStatus(agents) {
    var order = ((state.me && state.me.statuses) || []).map(function (status) { return status.id; });
    var rank = function (agent) {
      var at = order.indexOf(agent.status);
      return at < 0 ? order.length : at;
    };
    return agents.slice().sort(function (a, b) { return rank(a) - rank(b); });
  }

  function renderLiveAgents(agents) {
    ui.liveAgents.textContent = "";
    byStatus(agents).forEach(function (agent) {
      var row = el("tr", "swa-live-agent");
      row.dataset.username = agent.username;
      var name = rowHead(row, "swa-live-agent-name", agent.display_name || agent.username);
      name.appendChild(el("span", "swa-live-username", agent.username));
      addCell(row, "swa-live-status", statusTitle(agent.status)).dataset.status = agent.status;
      addCell(row, "swa-live-load", agent.load + " / " + agent.capacity);
      addCell(row, "swa-live-connected", agent.connected ? "已连接" : "未连接")
        .dataset.connected = String(agent.connected === true);
      ui.liveAgents.appendChild(row);
    });
    if (!agents.length) {
      var empty = el("tr");
      addCell(empty, "swa-live-none", "暂无客服").colSpan = 4;
      ui.liveAgents.appendChild(empty);
    }
  }

  ui.liveRefresh.addEventListener("click", function () { loadLive(); });

  // ---------------------------------------------------------------- start

  api("GET", "/console/api/me", undefined, { login: true }).then(startApp, function (error) {
    showLogin(error.status === 401 ? "" : error.message);
  });
})();
