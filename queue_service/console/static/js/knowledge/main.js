// 知识库维护 (the knowledge studio): maintainers browse, edit and restore FAQ entries.
//
// Plain ES modules like the agent console (../main.js), one per concern; text from the
// knowledge base reaches the page through textContent only, never as HTML.
//
//   session.js  login, logout, who is logged in;  ../api.js  the console's JSON API
//   browse.js   categories, search and the entry list
//   editor.js   one entry's form: save (409 shows the newer version), retire, restore,
//               phrasings already asked of another entry flagged as they are typed
//   preview.js  the answer as web chat, WeChat and Telegram show it
//   history.js  an entry's versions with what changed, and restoring one
//   inbox.js    未知问题: unanswered questions in clusters, one click each (phrasing, new
//               entry, out of scope, ignore)
//   publish.js  发布 (trained, gated, then online without a restart), the publishes, rollback
//   state.js    what is shown now

import { start } from "./session.js";

start();
