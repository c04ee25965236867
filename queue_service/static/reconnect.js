// A page's websocket back after a drop: the web chat and the agent console reconnect alike.

var FIRST_MS = 500;
var MAX_MS = 10000;
var JITTER_MS = 300;  // pages a restart dropped together do not all come back at once

// "ws://host" or "wss://host": this page's own service, over the scheme the page came by.
export function socketOrigin() {
  return (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host;
}

// The wait before each attempt: doubling from half a second to ten seconds, and back to half
// a second once a connection opens (reset).
export function backoff() {
  var ms = FIRST_MS;
  return {
    reset: function () { ms = FIRST_MS; },
    // The longest wait from now on: the server asked the page to come back slowly.
    slowest: function () { ms = MAX_MS; },
    next: function () {
      var delay = ms + Math.random() * JITTER_MS;
      ms = Math.min(ms * 2, MAX_MS);
      return delay;
    },
  };
}
