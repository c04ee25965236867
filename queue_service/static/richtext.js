// Message text for the web chat and the agent console: never parsed as HTML; links become
// anchors (opening in a new tab), everything else stays a text node.

var URL_PATTERN = /(https?:\/\/[^\s，。；、）)<>"]+|www\.[^\s，。；、）)<>"]+)/g;

export function appendRichText(parent, text) {
  var last = 0;
  text = String(text);
  text.replace(URL_PATTERN, function (match, _group, offset) {
    parent.appendChild(document.createTextNode(text.slice(last, offset)));
    var link = document.createElement("a");
    link.href = match.indexOf("http") === 0 ? match : "https://" + match;
    link.textContent = match;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    parent.appendChild(link);
    last = offset + match.length;
    return match;
  });
  parent.appendChild(document.createTextNode(text.slice(last)));
}
