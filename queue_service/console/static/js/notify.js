// The notice under the header (errors, and what an action did), and the beep for new users
// and new lines.

import { $ } from "./dom.js";

var NOTICE_MS = 6000;
var BEEP_GAP_MS = 1000;

var ui = {
  notice: $(".swa-notice"),
};

var noticeTimer = null;

export function showNotice(text, kind) {
  ui.notice.textContent = text;
  ui.notice.dataset.kind = kind || "error";
  ui.notice.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(function () { ui.notice.hidden = true; }, NOTICE_MS);
}

export function hideNotice() {
  ui.notice.hidden = true;
}

export function showError(error) {
  if (error && error.status === 401) return;  // the login form says it already
  showNotice((error && error.message) || "操作失败，请稍后重试。");
}

var audio = null;
var lastBeep = 0;

// Browsers start audio only after a user gesture: the context is made on the first one.
export function unlockAudio() {
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

export function beep() {
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

// Any key or click is such a gesture.
document.addEventListener("keydown", unlockAudio);
document.addEventListener("pointerdown", unlockAudio, true);
