// Keeps the header's unread badge current: one WebSocket per page, reconnecting with backoff.
// Pages work without it; this only saves a reload.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var link = document.getElementById("inbox-link");
  if (!main || !link || !("WebSocket" in window)) { return; }
  var path = main.getAttribute("data-live-unread");
  var delay = 1000;

  function show(count) {
    var badge = document.getElementById("unread-count");
    if (count > 0) {
      if (!badge) {
        badge = document.createElement("span");
        badge.id = "unread-count";
        badge.className = "badge warn";
        link.appendChild(document.createTextNode(" "));
        link.appendChild(badge);
      }
      badge.textContent = String(count);
    } else if (badge) {
      badge.remove();
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var page = encodeURIComponent(window.location.pathname);
    var socket = new WebSocket(scheme + window.location.host + path + "?page=" + page);
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (message) {
      var frame = JSON.parse(message.data);
      if (frame.type === "unread") { show(frame.count); }
    };
    socket.onclose = function (closing) {
      if (closing.code === 4401 || closing.code === 4403) { return; }  // signed out or refused: stop
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }
  connect();
})();
