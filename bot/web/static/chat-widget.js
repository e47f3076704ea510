// Switchboard chat widget: one websocket to /ws/chat carries bot replies, agent messages,
// typing and queue updates. Plain DOM (textContent only, never innerHTML), no build step.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const senderKey = "switchboard.sender";
  let sender = localStorage.getItem(senderKey);
  if (!sender) {
    sender = "web-" + crypto.getRandomValues(new Uint32Array(2)).join("");
    localStorage.setItem(senderKey, sender);
  }
  const shown = new Set();
  let lastId = 0;
  let socket = null;
  let typingTimer = null;
  let lastTypingSent = 0;
  let retryDelay = 1000;

  function setState(text) { $("chat-state").textContent = text; }

  function showError(text) {
    const box = $("chat-error");
    box.textContent = text;
    box.hidden = !text;
  }

  function addMessage(event) {
    if (event.id && shown.has(event.id)) return;
    if (event.id) { shown.add(event.id); lastId = Math.max(lastId, event.id); }
    if (!event.text && !(event.buttons || []).length) return;
    const item = document.createElement("li");
    item.className = "message " + event.role;
    if (event.role === "agent" && event.agent) {
      const who = document.createElement("span");
      who.className = "author";
      who.textContent = event.agent;
      item.appendChild(who);
    }
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = event.text || "";
    item.appendChild(body);
    if (event.role === "bot" && (event.buttons || []).length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const button of event.buttons) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = button.title;
        b.addEventListener("click", () => send({ type: "message", text: button.payload || button.title }));
        row.appendChild(b);
      }
      item.appendChild(row);
    }
    $("messages").appendChild(item);
    item.scrollIntoView({ block: "end" });
  }

  function showQueue(event) {
    const banner = $("queue");
    if (event.status !== "queued") { banner.hidden = true; return; }
    const minutes = Math.max(1, Math.round((event.estimated_wait_seconds || 0) / 60));
    $("queue-text").textContent = event.open === false
      ? "We're closed right now: leave a message here or ask for a callback."
      : `You're number ${event.position} in the queue (about ${minutes} min).`;
    banner.hidden = false;
  }

  function onEvent(event) {
    switch (event.type) {
      case "ready":
        setState("online");
        retryDelay = 1000;
        send({ type: "history", after: lastId });
        break;
      case "resync": send({ type: "history", after: lastId }); break;  // events may have been missed
      case "message": addMessage(event); break;
      case "queue": showQueue(event); break;
      case "handoff":
        if (event.status !== "queued") $("queue").hidden = true;
        if (event.status === "assigned") setState("with " + (event.agent || "an agent"));
        else setState("online");
        break;
      case "typing":
        $("typing").hidden = false;
        clearTimeout(typingTimer);
        typingTimer = setTimeout(() => { $("typing").hidden = true; }, 4000);
        break;
      case "error": showError(event.message); break;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/chat?sender=${encodeURIComponent(sender)}`);
    socket.addEventListener("message", (e) => onEvent(JSON.parse(e.data)));
    socket.addEventListener("close", () => {
      setState("reconnecting…");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) { showError("Not connected yet, please try again."); return false; }
    showError("");
    socket.send(JSON.stringify(frame));
    return true;
  }

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("message").value.trim();
    if (text && send({ type: "message", text })) $("message").value = "";
  });
  $("message").addEventListener("input", () => {
    const now = Date.now();
    if (now - lastTypingSent > 2000 && socket && socket.readyState === WebSocket.OPEN) {
      lastTypingSent = now;
      socket.send(JSON.stringify({ type: "typing" }));
    }
  });
  $("leave-queue").addEventListener("click", () => send({ type: "leave_queue" }));
  $("callback-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const phone = $("callback-phone").value.trim();
    if (phone) send({ type: "leave_queue", callback_phone: phone });
  });
  connect();
})();
