// People and times as the chat page and the demo portal write them.

// A verified user: "王小明", or "赵建国（北京示例进出口有限公司）" for an enterprise's.
export function identityName(identity) {
  return identity.name + (identity.enterprise_name ? "（" + identity.enterprise_name + "）" : "");
}

// Hours and minutes ("14:05") of a time (a Date, an ISO string or milliseconds); now if none.
export function clockTime(when) {
  var date = when ? new Date(when) : new Date();
  return date.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
}
