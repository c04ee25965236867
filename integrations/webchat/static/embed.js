// 单一窗口智能客服 on any site, with one line (the site must be listed in SWA_EMBED_ORIGINS):
//
//   <script src="https://<chat host>/webchat/static/embed.js" async
//           data-position="right" data-color="#1f5fbf" data-title="在线客服"></script>
//
// Options (all optional): data-position left|right, data-color (#rrggbb), data-title (the
// launcher's label), data-open="true" (open at once), data-token (the logged-in user's portal
// token, for pages rendered per user). A site with its own login calls, at any time:
//   SWAChat.login(token)   SWAChat.logout()   SWAChat.open()   SWAChat.close()
// The chat runs in an iframe served by the chat host; a launcher button opens and minimizes it,
// and shows how many lines arrived while it was minimized. On a phone the chat fills the screen.
(function () {
  "use strict";
  if (window.SWAChat) return;  // the tag twice on one page: one widget

  var script = document.currentScript;
  var chatOrigin = new URL(script.src).origin;
  var options = script.dataset;
  var side = options.position === "left" ? "left" : "right";
  var color = /^#[0-9a-fA-F]{6}$/.test(options.color || "") ? options.color : "#1f5fbf";
  var title = (options.title || "在线客服").slice(0, 12);

  var token = options.token || null;
  var ready = false;
  var unread = 0;
  var frame = null;

  // A shadow root keeps the site's CSS out of the widget and ours out of the site.
  var host = document.createElement("div");
  host.id = "swa-chat-widget";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host { all: initial; }" +
    ".launcher { position: fixed; bottom: 20px; " + side + ": 20px; z-index: 2147483000;" +
    "  display: flex; align-items: center; gap: 6px; border: 0; border-radius: 24px;" +
    "  padding: 12px 18px; color: #fff; background: " + color + "; cursor: pointer;" +
    "  font: 15px -apple-system, 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif;" +
    "  box-shadow: 0 4px 16px rgba(0,0,0,.2); }" +
    ".badge { min-width: 20px; height: 20px; border-radius: 10px; padding: 0 6px;" +
    "  background: #e53935; color: #fff; font-size: 12px; line-height: 20px; text-align: center; }" +
    ".badge[hidden] { display: none; }" +
    ".panel { position: fixed; bottom: 84px; " + side + ": 20px; z-index: 2147483000;" +
    "  width: 380px; height: min(640px, calc(100vh - 104px)); border-radius: 12px;" +
    "  overflow: hidden; background: #fff; box-shadow: 0 8px 32px rgba(0,0,0,.25); }" +
    ".panel[hidden] { display: none; }" +
    ".panel iframe { width: 100%; height: 100%; border: 0; display: block; }" +
    ".minimize { position: absolute; top: 10px; right: 10px; width: 28px; height: 28px;" +
    "  border: 0; border-radius: 14px; background: rgba(255,255,255,.25); color: #fff;" +
    "  font-size: 18px; line-height: 28px; cursor: pointer; }" +
    "@media (max-width: 600px) {" +
    "  .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }" +
    "}" +
    "</style>" +
    '<button class="launcher" type="button"><span class="title"></span>' +
    '<span class="badge" hidden></span></button>' +
    '<div class="panel" role="dialog" hidden>' +
    '<button class="minimize" type="button" aria-label="最小化" title="最小化">–</button></div>';

  var launcher = root.querySelector(".launcher");
  var badge = root.querySelector(".badge");
  var panel = root.querySelector(".panel");
  root.querySelector(".title").textContent = title;

  function showUnread() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 99 ? "99+" : String(unread);
    launcher.setAttribute("aria-label", unread ? title + "（" + unread + " 条未读消息）" : title);
  }

  function post(message) {
    if (frame && ready) frame.contentWindow.postMessage(message, chatOrigin);
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = "单一窗口智能客服";
      frame.allow = "clipboard-write";
      frame.src = chatOrigin + "/?embed=1&color=" + encodeURIComponent(color);
      panel.insertBefore(frame, panel.firstChild);
    }
    panel.hidden = false;
    unread = 0;
    showUnread();
    launcher.setAttribute("aria-expanded", "true");
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  root.querySelector(".minimize").addEventListener("click", close);

  window.addEventListener("message", function (event) {
    if (event.origin !== chatOrigin || !frame || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === "swa-ready") {
      ready = true;
      if (token) post({ type: "swa-auth", token: token });
    } else if (data.type === "swa-activity" && panel.hidden) {
      unread += Math.max(0, Math.min(Number(data.count) || 0, 100));
      showUnread();
    }
  });

  window.SWAChat = {
    open: open,
    close: close,
    login: function (newToken) {
      token = newToken || null;
      if (token) post({ type: "swa-auth", token: token });
    },
    logout: function () {
      token = null;
      post({ type: "swa-logout", newConversation: true });
    }
  };

  function mount() {
    document.body.appendChild(host);
    showUnread();
    if (options.open === "true") open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
