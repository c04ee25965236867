// The console's JSON API (the agents' console and the knowledge studio).

import { state } from "./store.js";

// `body`: the error's JSON as sent (a 409 of the knowledge studio carries the newer version).
function ApiError(status, message, body) {
  this.status = status;
  this.message = message;
  this.body = body;
}

var onExpired = function () {};

// What the page does when its session is gone (each page shows its own login).
export function whenExpired(callback) {
  onExpired = callback;
}

// JSON in, JSON out. A 401 anywhere but the login itself means the session is gone.
export function api(method, path, body, options) {
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
          onExpired(detail);
        }
        throw new ApiError(response.status, detail, data);
      });
    },
    function () {
      throw new ApiError(0, "网络连接异常，请检查网络后重试。", null);
    }
  );
}
