// The case page, live: messages appear as they are sent, forms send over the socket with a client id
// (so a retry never duplicates), typing, presence and "seen by" show, and a lost connection resumes from
// the last sequence number it saw. Without JavaScript the page works with plain forms; this only upgrades it.
(function () {
  "use strict";
  var section = document.getElementById("conversation");
  if (!section || !("WebSocket" in window)) { return; }
  var path = section.getAttribute("data-socket");
  var after = parseInt(section.getAttribute("data-after"), 10) || 0;
  var storeKey = "accord-unsent:" + path;
  var pending = JSON.parse(window.sessionStorage.getItem(storeKey) || "[]");
  var socket = null;
  var delay = 1000;
  var lastTyping = 0;
  var readSent = {};  // channel → the last seq this page told the others it has seen
  var retryTimer = null;
  var readBy = {};  // channel → {name: seq} the others have seen (receipts are not stored: live only)

  function channelBox(channel) {
    return section.querySelector('.channel[data-channel="' + channel + '"]');
  }

  function remember() { window.sessionStorage.setItem(storeKey, JSON.stringify(pending)); }

  // "(merchant · Enterprise)", "(mediator)": the author's part in the case, as the page renders it.
  function speakerRole(role) {
    var part = document.createElement("span");
    part.className = "role";
    var name = section.getAttribute("data-role-" + role) || role;
    if (role === "merchant") { name += " · " + section.getAttribute("data-enterprise"); }
    part.textContent = "(" + name + ")";
    return part;
  }

  function appendMessage(frame) {
    var box = channelBox(frame.channel);
    if (!box || box.querySelector('li[data-seq="' + frame.seq + '"]')) { return; }
    var list = box.querySelector("ol.messages");
    var empty = list.querySelector("li.empty");
    if (empty) { empty.remove(); }
    var item = document.createElement("li");
    item.setAttribute("data-seq", String(frame.seq));
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("strong");
    who.textContent = frame.author.display_name;
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(speakerRole(frame.author.role));
    meta.appendChild(document.createTextNode(" · " + new Date(frame.at).toLocaleString() + " · #" + frame.seq));
    var text = document.createElement("div");
    text.className = "text";
    text.textContent = frame.text;  // user text is text, never HTML
    item.appendChild(meta);
    item.appendChild(text);
    list.appendChild(item);
  }

  function announceChange() {
    if (document.getElementById("case-changed")) { return; }
    var note = document.createElement("div");
    note.id = "case-changed";
    note.className = "alert ok";
    note.setAttribute("role", "status");
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = section.getAttribute("data-reload-text");
    note.appendChild(document.createTextNode(section.getAttribute("data-changed-text") + " "));
    note.appendChild(link);
    section.parentNode.insertBefore(note, section.parentNode.firstChild);
  }

  function lastSeq(box) {
    var items = box.querySelectorAll("ol.messages li[data-seq]");
    return items.length ? parseInt(items[items.length - 1].getAttribute("data-seq"), 10) : 0;
  }

  // Tell the others what this page shows: the newest message of each conversation in view.
  function markRead() {
    if (!socket || socket.readyState !== WebSocket.OPEN || document.hidden) { return; }
    section.querySelectorAll(".channel").forEach(function (box) {
      var channel = box.getAttribute("data-channel");
      var seq = lastSeq(box);
      if (box.hidden || seq <= (readSent[channel] || 0)) { return; }
      readSent[channel] = seq;
      socket.send(JSON.stringify({ type: "read", channel: channel, seq: seq }));
    });
  }

  // "Seen by": who has seen the newest message of the conversation.
  function showSeen(channel) {
    var box = channelBox(channel);
    if (!box) { return; }
    var newest = lastSeq(box);
    var seen = readBy[channel] || {};
    var names = Object.keys(seen).filter(function (name) { return newest && seen[name] >= newest; });
    box.querySelector(".seen").textContent = names.length
      ? section.getAttribute("data-seen-text").replace("%(names)s", names.sort().join(", "))
      : "";
  }

  function showTyping(frame) {
    var box = channelBox(frame.channel);
    if (!box) { return; }
    var line = box.querySelector(".typing");
    line.textContent = section.getAttribute("data-typing-text").replace("%(name)s", frame.user);
    window.clearTimeout(line._timer);
    line._timer = window.setTimeout(function () { line.textContent = ""; }, 4000);
  }

  function onFrame(frame) {
    if (frame.type === "event") {
      after = Math.max(after, frame.seq);
      if (frame.kind === "message") {
        appendMessage(frame);
        showSeen(frame.channel);
        markRead();
      } else if (frame.kind !== "evidence") { announceChange(); }
    } else if (frame.type === "ack") {
      pending = pending.filter(function (item) { return item.client_id !== frame.client_id; });
      remember();
    } else if (frame.type === "error" && frame.client_id) {
      refused(frame);
    } else if (frame.type === "read") {
      readBy[frame.channel] = readBy[frame.channel] || {};
      readBy[frame.channel][frame.user] = Math.max(readBy[frame.channel][frame.user] || 0, frame.seq);
      showSeen(frame.channel);
    } else if (frame.type === "typing") {
      showTyping(frame);
    } else if (frame.type === "presence") {
      var line = section.querySelector(".presence");
      line.hidden = frame.users.length === 0;
      line.textContent = frame.users.join(", ");
    }
  }

  // A message the server would not take: too many at once waits and goes again; anything else is shown
  // under its conversation and dropped (sending it again would fail the same way).
  function refused(frame) {
    var item = pending.filter(function (kept) { return kept.client_id === frame.client_id; })[0];
    if (!item) { return; }
    if (frame.code === "rate_limited") {
      window.clearTimeout(retryTimer);
      retryTimer = window.setTimeout(flush, 10000);
      return;
    }
    pending = pending.filter(function (kept) { return kept !== item; });
    remember();
    var box = channelBox(item.channel);
    if (box) { box.querySelector(".send-error").textContent = frame.detail; }
  }

  // Send every kept message (once the socket is open: otherwise they wait for the next connection).
  function flush() {
    if (!socket || socket.readyState !== WebSocket.OPEN) { return; }
    pending.forEach(function (item) {
      socket.send(JSON.stringify({ type: "send", channel: item.channel, text: item.text, client_id: item.client_id }));
    });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + path + "?after=" + after);
    socket.onopen = function () { delay = 1000; readSent = {}; flush(); markRead(); };
    socket.onmessage = function (message) { onFrame(JSON.parse(message.data)); };
    socket.onclose = function (closing) {
      socket = null;
      if (closing.code === 4401 || closing.code === 4403) { return; }
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  section.querySelectorAll("form.message-form").forEach(function (form) {
    var area = form.querySelector("textarea");
    form.addEventListener("submit", function (submit) {
      var text = area.value.trim();
      if (!text) { return; }
      submit.preventDefault();
      var id = (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID() : String(Date.now()) + Math.random();
      pending.push({ channel: form.getAttribute("data-channel"), text: text, client_id: id });
      remember();
      area.value = "";
      flush();
    });
    area.addEventListener("input", function () {
      var now = Date.now();
      if (socket && socket.readyState === WebSocket.OPEN && now - lastTyping > 2000) {
        lastTyping = now;
        socket.send(JSON.stringify({ type: "typing", channel: form.getAttribute("data-channel") }));
      }
    });
  });

  // Tabs: one conversation at a time when there are several (all stay reachable without JavaScript).
  var boxes = Array.prototype.slice.call(section.querySelectorAll(".channel"));
  if (boxes.length > 1) {
    var bar = document.createElement("div");
    bar.className = "tabs";
    bar.setAttribute("role", "tablist");
    boxes.forEach(function (box, index) {
      var tab = document.createElement("button");
      tab.type = "button";
      tab.className = "tab";
      tab.setAttribute("role", "tab");
      tab.textContent = box.querySelector("h3").textContent;
      tab.addEventListener("click", function () { choose(index); });
      bar.appendChild(tab);
    });
    boxes[0].parentNode.insertBefore(bar, boxes[0]);
    var choose = function (chosen) {
      boxes.forEach(function (box, index) { box.hidden = index !== chosen; });
      bar.querySelectorAll(".tab").forEach(function (tab, index) {
        tab.setAttribute("aria-selected", index === chosen ? "true" : "false");
      });
      markRead();
    };
    choose(0);
  }

  document.addEventListener("visibilitychange", markRead);
  connect();
})();
