// Conversations, people and times as the console writes them.

var CHANNELS = { webchat: "网页", wechat: "微信", telegram: "Telegram" };
export var ROLE_LABELS = { user: "用户", bot: "机器人", agent: "客服", system: "系统" };
export var LONG_WAIT_S = 300;   // a wait this long is marked, in the waiting list and live view
var SNIPPET_CHARS = 120;        // a longer line is shown around its first match

export function channelTitle(channel) {
  return CHANNELS[channel] || channel || "未知渠道";
}

export function shortId(conversationId) {
  var id = String(conversationId || "");
  var session = id.indexOf(":") >= 0 ? id.slice(id.indexOf(":") + 1) : id;
  return session.slice(0, 8);
}

export function identityText(identity) {
  if (!identity) return "";
  if (typeof identity === "string") return identity;
  return String(identity.name || identity.display_name || identity.nickname || "");
}

export function userLabel(info) {
  return channelTitle(info.channel) + " · " + (identityText(info.identity) || shortId(info.conversation_id));
}

function pad(n) {
  return n < 10 ? "0" + n : String(n);
}

export function formatWait(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  var h = Math.floor(seconds / 3600);
  var m = Math.floor((seconds % 3600) / 60);
  var s = seconds % 60;
  return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
}

export function formatTime(iso) {
  var date = iso ? new Date(iso) : new Date();
  if (isNaN(date.getTime())) return "";
  var time = pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds());
  var today = new Date();
  if (date.toDateString() === today.toDateString()) return time;
  return (date.getMonth() + 1) + "月" + date.getDate() + "日 " + time;
}

export function formatDateTime(iso) {
  var date = new Date(iso);
  if (isNaN(date.getTime())) return "";
  return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + " " +
    pad(date.getHours()) + ":" + pad(date.getMinutes());
}

export function formatFullTime(iso) {
  var date = new Date(iso);
  if (isNaN(date.getTime())) return "";
  return formatDateTime(iso) + ":" + pad(date.getSeconds());
}

// A long line is cut around the first match, so that the match is what shows.
export function snippet(text, needle) {
  text = String(text || "");
  if (text.length <= SNIPPET_CHARS) return text;
  var at = needle ? text.toLowerCase().indexOf(needle.toLowerCase()) : -1;
  var start = at < 0 ? 0 : Math.max(0, at - 40);
  var end = Math.min(text.length, start + SNIPPET_CHARS);
  return (start > 0 ? "…" : "") + text.slice(start, end) + (end < text.length ? "…" : "");
}
