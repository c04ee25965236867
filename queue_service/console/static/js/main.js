// Agent console for 单一窗口客服工作台: login, waiting lists, chat tabs, tickets, transcript
// search, canned responses, transfers, the supervisor's live view, one websocket.
//
// No framework and no build step: native ES modules, one per concern, each owning its part of
// the page (queue_service/console/static/index.html). Text from users, bots and agents only ever
// reaches the page through textContent (links become anchors built element by element), never
// as HTML. The modules call one another only once the page runs, never while they load, so the
// order in which the browser loads them does not matter.
//
//   session.js   login, logout; starts and stops everything below with the agent's session
//   api.js       the JSON API;  socket.js  the websocket and its events
//   me.js        the agent: status and load;  queue.js  the waiting list
//   chats.js     chat tabs and panes;  transcript.js  their lines;  composer.js  the reply box
//   tabs.js      which tab is shown;  tickets.js  留言;  search.js  会话记录
//   canned.js    常用语 and 常用语管理;  transfer.js  转接;  live.js  实时监控
//   reports.js   报表: charts (Chart.js from static/vendor/), tables, CSV downloads
//   store.js     the session's state;  dom.js, format.js, notify.js  page, text, notices, sound
// Shared with the chat page and the demo portal: /static/ (queue_service/static/).

import { start } from "./session.js";

start();
