// Browse: the categories with their entry counts, a search over titles, answers, phrasings and
// ids, and the entries of the chosen category in curated (hot-question) order.

import { api } from "../api.js";
import { $, el } from "../dom.js";
import { openEntry, newEntry } from "./editor.js";
import { KB, state } from "./state.js";

var ui = {
  categories: $(".kb-categories"),
  search: $(".kb-search-input"),
  retired: $(".kb-show-retired"),
  list: $(".kb-entries"),
  empty: $(".kb-entries-empty"),
  add: $(".kb-new"),
  ids: $("#kb-entry-ids"),
};

var searchTimer = null;

export function loadBrowse() {
  return api("GET", KB + "/categories").then(function (categories) {
    state.categories = categories;
    if (state.category === null && !state.query && categories.length) {
      state.category = categories[0].id;
    }
    renderCategories();
    loadTitles();
    return loadEntries();
  });
}

// Every active entry's title, for the related-question field and the preview.
function loadTitles() {
  return api("GET", KB + "/entries").then(function (entries) {
    state.titles = {};
    ui.ids.replaceChildren();
    entries.forEach(function (entry) {
      state.titles[entry.id] = entry.title;
      var option = el("option");
      option.value = entry.id;
      option.label = entry.title;
      ui.ids.appendChild(option);
    });
  });
}

function renderCategories() {
  ui.categories.replaceChildren();
  state.categories.forEach(function (category) {
    var button = el("button", "kb-category-button");
    button.type = "button";
    button.dataset.category = category.id;
    button.setAttribute("aria-pressed", String(category.id === state.category && !state.query));
    button.appendChild(el("span", "kb-category-title", category.title));
    button.appendChild(el("span", "kb-category-count", category.entries));
    button.addEventListener("click", function () {
      state.category = category.id;
      state.query = "";
      ui.search.value = "";
      renderCategories();
      loadEntries();
    });
    ui.categories.appendChild(button);
  });
}

export function loadEntries() {
  var params = { retired: String(state.retired) };
  if (state.query) params.q = state.query;
  else if (state.category) params.category = state.category;
  return api("GET", KB + "/entries?" + new URLSearchParams(params)).then(renderEntries);
}

function renderEntries(entries) {
  ui.list.replaceChildren();
  ui.empty.hidden = entries.length > 0;
  entries.forEach(function (entry) {
    var item = el("li", "kb-entry");
    var button = el("button", "kb-entry-button");
    button.type = "button";
    button.dataset.entryId = entry.id;
    if (state.entry && state.entry.id === entry.id) button.setAttribute("aria-current", "true");
    button.appendChild(el("span", "kb-entry-rank", entry.rank ? entry.rank + "." : "—"));
    button.appendChild(el("span", "kb-entry-title", entry.title));
    button.appendChild(el("span", "kb-entry-meta", entry.id + " · " + entry.phrasings + " 条问法"));
    button.addEventListener("click", function () { openEntry(entry.id); });
    item.appendChild(button);
    ui.list.appendChild(item);
  });
}

export function resetBrowse() {
  state.categories = [];
  state.category = null;
  state.query = "";
  ui.search.value = "";
  ui.categories.replaceChildren();
  ui.list.replaceChildren();
}

ui.search.addEventListener("input", function () {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(function () {
    state.query = ui.search.value.trim();
    renderCategories();
    loadEntries();
  }, 250);
});

ui.retired.addEventListener("change", function () {
  state.retired = ui.retired.checked;
  loadEntries();
});

ui.add.addEventListener("click", function () { newEntry(); });
