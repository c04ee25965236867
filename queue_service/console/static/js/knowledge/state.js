// What the studio shows now: the maintainer, the categories, the chosen filter and entry.

export var state = {
  me: null,
  categories: [],
  category: null,     // the category listed (null: all, when searching)
  query: "",
  retired: false,
  entry: null,        // the entry in the editor as last read or saved (null: a new one)
  titles: {},         // entry id -> title, for related questions
};

// The studio's API.
export var KB = "/console/api/knowledge";
