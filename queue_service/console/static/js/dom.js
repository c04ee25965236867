// Building the page: elements are made and filled by these, text only ever as textContent.

export function $(selector, root) {
  return (root || document).querySelector(selector);
}

export function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// The needle marked wherever it occurs, ignoring case; text nodes and <mark>s only.
export function appendHighlighted(parent, text, needle) {
  text = String(text || "");
  if (!needle) {
    parent.appendChild(document.createTextNode(text));
    return;
  }
  var lower = text.toLowerCase();
  var wanted = needle.toLowerCase();
  var at = 0;
  var found = lower.indexOf(wanted);
  while (found >= 0) {
    parent.appendChild(document.createTextNode(text.slice(at, found)));
    parent.appendChild(el("mark", "swa-match", text.slice(found, found + wanted.length)));
    at = found + wanted.length;
    found = lower.indexOf(wanted, at);
  }
  parent.appendChild(document.createTextNode(text.slice(at)));
}

export function cssEscape(value) {
  return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, "\\$&");
}

// A list of options read from a text field (the WAI-ARIA combobox pattern): the option at
// `index` is the selected one, named by the field as its active option, and in view.
export function selectOption(field, options, index) {
  for (var i = 0; i < options.length; i++) {
    var selected = i === index;
    options[i].setAttribute("aria-selected", String(selected));
    if (selected) {
      field.setAttribute("aria-activedescendant", options[i].id);
      options[i].scrollIntoView({ block: "nearest" });
    }
  }
  if (!options.length) field.removeAttribute("aria-activedescendant");
}
