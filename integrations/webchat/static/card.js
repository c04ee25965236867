// 卡介质验证 for the web chat: the e-port card in a reader on this PC, through the card bridge
// (swa-card-bridge on 127.0.0.1). The page gets a one-time challenge over its socket, the bridge
// has the card sign it after the PIN, and the page sends the proof back over the socket. The PIN
// goes only to the bridge on this PC: it is dropped from the page as soon as it is sent.

var BRIDGE_MISSING = "未连接到本机读卡程序。请先安装并启动“单一窗口读卡程序”（swa-card-bridge），" +
  "并确认读卡器已连接，然后重试。";
var NO_CARD = "未检测到电子口岸卡，请将法人卡或操作员卡插入读卡器。";
var PIN_FORMAT = "卡密码应为 6 至 12 位数字，请核对后重新输入。";
var WORKING = "正在读卡验证，请勿拔出卡片…";
var INITIAL_PIN = "88888888";
var PINS_DIFFER = "两次输入的新密码不一致，请重新输入。";
var PIN_CHANGED = "卡密码已修改，请牢记新密码。下次卡介质验证时请使用新密码。";

// options: {send(frame), notice(text), bridgeUrl}
export function cardLogin(options) {
  var panel = document.querySelector(".swa-card-panel");
  var opener = document.querySelector(".swa-card-button");
  var pinInput = document.getElementById("swa-card-pin");
  var statusText = panel.querySelector(".swa-card-status");
  var submit = panel.querySelector(".swa-card-submit");
  var pendingPin = null;
  var events = null;
  var initialPin = false;  // the last proof said the card still has the initial PIN
  var change = document.querySelector(".swa-card-change");
  var newPin = document.getElementById("swa-card-new-pin");
  var newPinAgain = document.getElementById("swa-card-new-pin-again");
  var changeStatus = change.querySelector(".swa-card-status");

  function status(text) { statusText.textContent = text || ""; }
  function busy(on) { submit.disabled = on; pinInput.disabled = on; }

  function bridge(path, init) {
    return fetch(options.bridgeUrl.replace(/\/$/, "") + path, init).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  function checkReader() {
    bridge("/readers").then(function (result) {
      var withCard = (result.body.readers || []).filter(function (r) { return r.card_present; });
      if (!result.ok) status(result.body.message);
      else if (!withCard.length) status(NO_CARD);
    }).catch(function () { status(BRIDGE_MISSING); });
  }

  function open() {
    panel.hidden = false;
    pinInput.value = "";
    status("");
    busy(false);
    pinInput.focus();
    checkReader();
  }

  function close() {
    panel.hidden = true;
    pinInput.value = "";
    pendingPin = null;
  }

  // Card removed: the hub ends the card identity for what needs it.
  function watch() {
    if (events || !window.EventSource) return;
    events = new EventSource(options.bridgeUrl.replace(/\/$/, "") + "/events");
    events.addEventListener("card_removed", function () {
      options.send({ type: "card_removed" });
      events.close();
      events = null;
    });
  }

  // The initial PIN must be changed: offered right after a login that used it. The old PIN is
  // the initial one by definition, so the page never has to keep the PIN the user typed.
  function offerChange() {
    change.hidden = false;
    newPin.value = newPinAgain.value = "";
    changeStatus.textContent = "";
    newPin.focus();
  }

  change.addEventListener("submit", function (event) {
    event.preventDefault();
    var pin = newPin.value;
    if (!/^\d{6,12}$/.test(pin)) { changeStatus.textContent = PIN_FORMAT; return; }
    if (pin !== newPinAgain.value) { changeStatus.textContent = PINS_DIFFER; return; }
    newPin.value = newPinAgain.value = "";
    bridge("/change-pin", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ old_pin: INITIAL_PIN, new_pin: pin })
    }).then(function (result) {
      if (result.ok) {
        change.hidden = true;
        options.notice(PIN_CHANGED);
      } else {
        changeStatus.textContent = result.body.message;
      }
    }).catch(function () { changeStatus.textContent = BRIDGE_MISSING; });
  });
  change.querySelector(".swa-card-later").addEventListener("click", function () {
    change.hidden = true;
  });

  opener.addEventListener("click", function () { if (panel.hidden) open(); else close(); });
  panel.querySelector(".swa-card-cancel").addEventListener("click", close);
  panel.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!/^\d{6,12}$/.test(pinInput.value)) { status(PIN_FORMAT); return; }
    pendingPin = pinInput.value;
    pinInput.value = "";
    busy(true);
    status(WORKING);
    options.send({ type: "card_challenge" });
  });

  return {
    // The hub's challenge: the bridge has the card sign it, with the PIN typed just before.
    onChallenge: function (frame) {
      var pin = pendingPin;
      pendingPin = null;
      if (!pin) return;
      bridge("/prove", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ challenge: frame.challenge, pin: pin })
      }).then(function (result) {
        if (result.ok) {
          initialPin = result.body.initial_pin === true;
          options.send({ type: "card_proof", proof: result.body });
        } else {
          busy(result.body.error === "locked");
          status(result.body.message);
        }
      }).catch(function () { busy(false); status(BRIDGE_MISSING); });
    },
    onIdentity: function (identity) {
      if (identity && identity.card) {
        close();
        watch();
        if (initialPin) offerChange();
        initialPin = false;
      }
    },
    // A reconnect or reload finds a card login: watch for removal again, and end it now if the
    // card was taken out while nobody was watching.
    onSessionIdentity: function (identity) {
      if (!identity || !identity.card) return;
      watch();
      bridge("/readers").then(function (result) {
        var present = (result.body.readers || []).some(function (r) { return r.card_present; });
        if (result.ok && !present) options.send({ type: "card_removed" });
      }).catch(function () { /* no bridge: the service ends the card login at its expiry */ });
    },
    onRefused: function (message) { busy(false); status(message); }
  };
}
