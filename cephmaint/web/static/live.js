// The live part of a page: every element with data-live="URL" is replaced by a fresh copy
// of that URL (an HTML fragment of this site) every few seconds. A part someone is typing
// in is left alone; a session that ended, or a server that does not answer, stops it and
// marks it stale until the page is reloaded.
(function () {
  "use strict";

  var PERIOD_MS = 5000;

  function busy(part) {
    if (part.contains(document.activeElement) && document.activeElement !== part) {
      return true;
    }
    var fields = part.querySelectorAll("input[type=text]");
    for (var i = 0; i < fields.length; i += 1) {
      if (fields[i].value !== "") {
        return true;
      }
    }
    return false;
  }

  function refresh(part, timer) {
    if (document.hidden || busy(part)) {
      return;
    }
    fetch(part.getAttribute("data-live"), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      redirect: "manual"
    }).then(function (answer) {
      if (answer.status !== 200) {
        throw new Error("status " + answer.status);
      }
      return answer.text();
    }).then(function (html) {
      if (!busy(part)) {
        part.innerHTML = html;
      }
    }).catch(function () {
      window.clearInterval(timer.id);
      part.classList.add("stale");
      part.setAttribute("title", "No longer updated: reload the page.");
    });
  }

  function start() {
    var parts = document.querySelectorAll("[data-live]");
    Array.prototype.forEach.call(parts, function (part) {
      var timer = {};
      timer.id = window.setInterval(function () { refresh(part, timer); }, PERIOD_MS);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
