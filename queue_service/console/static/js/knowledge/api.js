// The studio's JSON API: JSON in and out, `detail` of an error kept for the page to show.

var onExpired = function () {};

export function whenExpired(callback) {
  onExpired = callback;
}

export function ApiError(status, message, body) {
  this.status = status;
  this.message = message;
  this.body = body;
}

export function api(method, path, body, options) {
  var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(path, init).then(
    function (response) {
      if (response.status === 204) return null;
      return response.json().catch(function () { return null; }).then(function (data) {
        if (response.ok) return data;
        var detail = data && typeof data.detail === "string" ? data.detail :
          "请求失败（" + response.status + "），请稍后重试。";
        if (response.status === 401 && !(options && options.login)) onExpired(detail);
        throw new ApiError(response.status, detail, data);
      });
    },
    function () {
      throw new ApiError(0, "网络连接异常，请检查网络后重试。", null);
    }
  );
}

export var KB = "/console/api/knowledge";
