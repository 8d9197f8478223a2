// The case page, live: messages appear as they are sent, forms send over the socket with a client id
// (so a retry never duplicates), typing, presence and "seen by" show, and a lost connection resumes from
// the last sequence number it saw. When the case moves on, the server draws the page again and its
// data-live sections are swapped in, keeping whatever the viewer was typing. Without JavaScript the page
// works with plain forms; this only upgrades it.
(function () {
  "use strict";
  var section = document.getElementById("conversation");
  if (!section || !("WebSocket" in window)) { return; }
  var path = section.getAttribute("data-socket");
  var casePage = section.getAttribute("data-page");
  var after = parseInt(section.getAttribute("data-after"), 10) || 0;
  var storeKey = "accord-unsent:" + path;
  var pending = JSON.parse(window.sessionStorage.getItem(storeKey) || "[]");
  var socket = null;
  var delay = 1000;
  var lastTyping = 0;
  var readSent = {};  // channel → the last seq this page told the others it has seen
  var retryTimer = null;
  var readBy = {};  // channel → {name: seq} the others have seen (receipts are not stored: live only)
  var language = document.documentElement.lang;  // the socket and the redrawn page speak the page's language
  var unread = {};  // channel → messages that arrived while its tab was hidden
  var tabFor = {};  // channel → its tab button, when there are tabs

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
    if (role === "platform" && section.getAttribute("data-platform")) { name += " · " + section.getAttribute("data-platform"); }
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
    meta.appendChild(document.createTextNode(" · "));
    var time = document.createElement("time");
    time.setAttribute("datetime", frame.at);
    time.textContent = frame.shown_at;  // formatted by the server, exactly as on the page it drew
    meta.appendChild(time);
    var text = document.createElement("div");
    text.className = "text";
    text.textContent = frame.text;  // user text is text, never HTML
    item.appendChild(meta);
    item.appendChild(text);
    list.appendChild(item);
    if (box.hidden) { countUnread(frame.channel); }
  }

  // A message in a conversation whose tab is not shown: its tab says how many are new until it is opened.
  function countUnread(channel) {
    var tab = tabFor[channel];
    if (!tab) { return; }
    unread[channel] = (unread[channel] || 0) + 1;
    var mark = tab.querySelector(".unread");
    if (!mark) {
      mark = document.createElement("span");
      mark.className = "unread badge warn";
      tab.appendChild(document.createTextNode(" "));
      tab.appendChild(mark);
    }
    mark.textContent = section.getAttribute("data-unread-text").replace("%(count)s", String(unread[channel]));
  }

  function clearUnread(channel) {
    var tab = tabFor[channel];
    var mark = tab && tab.querySelector(".unread");
    unread[channel] = 0;
    if (mark) {
      mark.previousSibling.remove();
      mark.remove();
    }
  }

  function announceChange() {
    if (document.getElementById("case-changed")) { return; }
    var note = document.createElement("div");
    note.id = "case-changed";
    note.className = "alert ok";
    note.setAttribute("role", "status");
    var link = document.createElement("a");
    link.href = casePage;  // not the address of a refused form that came back (/cases/REF/actions/…)
    link.textContent = section.getAttribute("data-reload-text");
    note.appendChild(document.createTextNode(section.getAttribute("data-changed-text") + " "));
    note.appendChild(link);
    section.parentNode.insertBefore(note, section.parentNode.firstChild);
  }

  // --- live stage changes -------------------------------------------------------------------------
  // The server draws the page again (?since= tells it what this page showed, so it can say what changed)
  // and every data-live section is replaced by its new version: one template, nothing drawn twice. What
  // the viewer typed into the forms of those sections goes into the new forms, focus and cursor too; text
  // typed into a form that is no longer offered is kept, read-only, at the top.
  var redrawing = false;
  var redrawAgain = false;

  function formKey(form) { return form.id || form.getAttribute("action"); }

  function typedFields(form) {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && ["hidden", "submit", "button", "file"].indexOf(field.type) < 0;
    });
  }

  function fieldKey(field) {
    return (field.type === "radio" || field.type === "checkbox") ? field.name + "=" + field.value : field.name;
  }

  // {form key: {fields: {field key: value or checked}, open, texts: [[label, text]]}} of the live sections.
  function typedIn(root) {
    var typed = {};
    root.querySelectorAll("[data-live] form").forEach(function (form) {
      var kept = { fields: {}, open: false, texts: [] };
      typedFields(form).forEach(function (field) {
        var checkable = field.type === "radio" || field.type === "checkbox";
        kept.fields[fieldKey(field)] = checkable ? field.checked : field.value;
        // Typed: changed here, or a text area that came back filled in (a refused form).
        if (!checkable && field.tagName !== "SELECT" && field.value.trim() &&
            (field.value !== field.defaultValue || field.tagName === "TEXTAREA")) {
          var label = form.querySelector('label[for="' + field.id + '"]');
          kept.texts.push([label ? label.textContent : field.name, field.value]);
        }
      });
      var details = form.closest("details");
      kept.open = Boolean(details && details.open) || kept.texts.length > 0;
      typed[formKey(form)] = kept;
    });
    return typed;
  }

  function putBack(typed) {
    document.querySelectorAll("[data-live] form").forEach(function (form) {
      var kept = typed[formKey(form)];
      if (!kept) { return; }
      delete typed[formKey(form)];
      typedFields(form).forEach(function (field) {
        var value = kept.fields[fieldKey(field)];
        if (value === undefined) { return; }
        if (field.type === "radio" || field.type === "checkbox") { field.checked = value; return; }
        if (field.tagName === "SELECT" && !Array.prototype.some.call(field.options, function (o) { return o.value === value; })) { return; }
        field.value = value;
      });
      var details = form.closest("details");
      if (details && kept.open) { details.open = true; }
    });
    return typed;  // what is left: forms no longer on the page
  }

  function keepOrphans(orphans) {
    var texts = [];
    Object.keys(orphans).forEach(function (key) { texts = texts.concat(orphans[key].texts); });
    if (!texts.length) { return; }
    var box = document.createElement("div");
    box.className = "kept";
    var intro = document.createElement("p");
    intro.textContent = section.getAttribute("data-kept-text");
    box.appendChild(intro);
    texts.forEach(function (pair) {
      var label = document.createElement("p");
      label.className = "hint";
      label.textContent = pair[0];
      var area = document.createElement("textarea");
      area.readOnly = true;
      area.rows = 3;
      area.value = pair[1];
      box.appendChild(label);
      box.appendChild(area);
    });
    document.getElementById("case-head").appendChild(box);
  }

  // Where the focus was (form, field, cursor), to give it back in the redrawn form.
  function focusNow() {
    var field = document.activeElement;
    if (!field || !field.form || !field.closest("[data-live]")) { return null; }
    var at = { form: formKey(field.form), field: fieldKey(field) };
    try { at.start = field.selectionStart; at.end = field.selectionEnd; } catch (ignored) { at.start = null; }
    return at;
  }

  function refocus(at) {
    if (!at) { return; }
    document.querySelectorAll("[data-live] form").forEach(function (form) {
      if (formKey(form) !== at.form) { return; }
      typedFields(form).forEach(function (field) {
        if (fieldKey(field) !== at.field) { return; }
        field.focus();
        if (at.start !== null && typeof field.setSelectionRange === "function") {
          try { field.setSelectionRange(at.start, at.end); } catch (ignored) { /* not a text field */ }
        }
      });
    });
  }

  // Each data-live section of the new page replaces the one with its id; new ones go where the new page
  // has them (before the next element both pages share), and sections the new page no longer has go.
  function swapSections(fresh) {
    var old = {};
    document.querySelectorAll("[data-live]").forEach(function (element) { old[element.id] = element; });
    var keptBoxes = Array.prototype.slice.call(document.querySelectorAll("#case-head .kept"));
    fresh.querySelectorAll("[data-live]").forEach(function (element) {
      var adopted = document.importNode(element, true);
      if (old[element.id]) {
        old[element.id].replaceWith(adopted);
        delete old[element.id];
        return;
      }
      var next = element.nextElementSibling;
      while (next && !(next.id && document.getElementById(next.id))) { next = next.nextElementSibling; }
      if (next) { document.getElementById(next.id).before(adopted); }
    });
    Object.keys(old).forEach(function (id) { old[id].remove(); });
    var head = document.getElementById("case-head");
    keptBoxes.forEach(function (box) { if (head && !head.contains(box)) { head.appendChild(box); } });
  }

  function redrawWith(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    var head = fresh.getElementById("case-head");
    if (!head) { throw new Error("not a case page"); }
    var typed = typedIn(document);
    var focused = focusNow();
    swapSections(fresh);
    keepOrphans(putBack(typed));
    refocus(focused);
  }

  function redraw() {
    if (redrawing) { redrawAgain = true; return; }
    redrawing = true;
    var head = document.getElementById("case-head");
    var since = head ? head.getAttribute("data-version") : "";
    var url = casePage + "?since=" + encodeURIComponent(since) + "&lang=" + encodeURIComponent(language);
    window.fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("the case page did not come back"); }
        return response.text();
      })
      .then(redrawWith)
      .catch(announceChange)  // the page stays as it was, with a link to reload it
      .then(function () {
        redrawing = false;
        if (redrawAgain) { redrawAgain = false; redraw(); }
      });
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
      } else if (frame.kind !== "evidence") { redraw(); }
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
    socket = new WebSocket(scheme + window.location.host + path + "?after=" + after + "&lang=" + encodeURIComponent(language));
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
      tabFor[box.getAttribute("data-channel")] = tab;
      bar.appendChild(tab);
    });
    boxes[0].parentNode.insertBefore(bar, boxes[0]);
    var choose = function (chosen) {
      boxes.forEach(function (box, index) { box.hidden = index !== chosen; });
      bar.querySelectorAll(".tab").forEach(function (tab, index) {
        tab.setAttribute("aria-selected", index === chosen ? "true" : "false");
      });
      clearUnread(boxes[chosen].getAttribute("data-channel"));
      markRead();
    };
    // A form sent without JavaScript comes back to its conversation (#conversation-caucus-consumer).
    var wanted = boxes.map(function (box) { return "#" + box.id; }).indexOf(window.location.hash);
    choose(Math.max(wanted, 0));
  }

  document.addEventListener("visibilitychange", markRead);
  connect();
})();
