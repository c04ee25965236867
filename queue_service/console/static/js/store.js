// The console's state for one login. Every answer and timer checks `session`, bumped on every
// login and logout, so that nothing from before (another agent's session, say) lands on the
// page. All of it is dropped at once at login and logout: grouped here by the module that
// keeps each part.

import { backoff } from "/static/reconnect.js";

export var state = freshState();

function freshState() {
  return {
    session: 0,            // bumped on every login and logout: late answers are dropped
    timers: [],            // session.js: the polling intervals
    me: null,              // me.js: the agent, as /console/api/me has it
    statusPending: false,
    socket: null,          // socket.js
    socketWanted: false,
    reconnect: backoff(),
    reconnectTimer: null,
    waits: new Map(),      // queue.js: conversation id -> {waited_s, at}: the ticking wait times
    queueLoaded: false,
    queueReloadTimer: null,
    chats: new Map(),      // chats.js: conversation id -> chat (see addChat), in tab order
    active: null,          // tabs.js: a conversation id, a view's name ("tickets"…), or null
    chatsLoaded: false,    // chats found after the first load are new: announced
    chatsSeq: 0,           // /chats requests issued
    chatsApplied: 0,       // the newest /chats answer applied
    endedAt: new Map(),    // conversation id -> chatsSeq when it ended here
    pendingActivate: null, // a chat claimed from the waiting list: open it once it arrives
    canned: [],            // canned.js: every canned response (常用语), for the "/" suggestions
    skills: [],            // [{id, title}]: the skills as the server names them
    cannedLoading: false,
    cannedSeq: 0,
    editing: null,         // the canned response being edited, or null when adding
    searchSeq: 0,          // search.js
    searchQuery: null,     // the filters of the results shown: 加载更多 continues them
    searchNext: null,      // before_id of the next page, or null
    searchLoaded: false,
    recordSeq: 0,
    recordFrom: null,      // the result the open conversation was opened from
    transferChat: null,    // transfer.js: the chat the transfer dialog is for
    liveTimer: null,       // live.js: the live view's polling, while it is shown
    liveReloadTimer: null,
    liveSeq: 0,
    listening: null,       // listen.js: the conversation id listened to, or null
    reportsSeq: 0,         // reports.js: the newest report asked for
  };
}

// A new session: everything as at first, under the next session number.
export function resetState() {
  var session = state.session;
  Object.assign(state, freshState());
  state.session = session + 1;
}
