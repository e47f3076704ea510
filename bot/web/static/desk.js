// Switchboard agent desk: the JSON API for actions, /ws/desk for live updates.
// Plain DOM (textContent only), no build step. The token lives in sessionStorage.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("switchboard.token");
  let me = null;
  let current = null;      // the handoff open in the conversation view
  let lastMessageId = 0;
  let socket = null;
  let typingTimer = null;
  let supervisorTimer = null;

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function showError(text) { $("desk-error").textContent = text || ""; $("desk-error").hidden = !text; }

  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: Object.assign({ "Content-Type": "application/json" }, token ? { Authorization: "Bearer " + token } : {}),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json();
    if (response.status === 401 && path !== "/api/auth/login") { logoutLocally(); }
    if (!response.ok) { throw new Error(data.message || response.statusText); }
    return data;
  }

  async function guarded(action) {
    try { showError(""); await action(); } catch (error) { showError(error.message); }
  }

  // ---- login ----
  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    $("login-error").hidden = true;
    api("POST", "/api/auth/login", { username: $("username").value, password: $("password").value })
      .then((data) => { token = data.token; sessionStorage.setItem("switchboard.token", token); start(); })
      .catch((error) => { $("login-error").textContent = error.message; $("login-error").hidden = false; });
  });

  function logoutLocally() {
    token = null; sessionStorage.removeItem("switchboard.token");
    if (socket) socket.close();
    $("desk").hidden = true; $("login").hidden = false;
  }

  $("logout").addEventListener("click", () => guarded(async () => {
    await api("PUT", "/api/me/presence", { presence: "offline" }).catch(() => {});
    await api("POST", "/api/auth/logout");
    logoutLocally();
  }));

  async function start() {
    me = await api("GET", "/api/me");
    $("login").hidden = true; $("desk").hidden = false;
    $("who").textContent = `${me.display_name} (${me.role})`;
    $("presence").value = me.presence;
    $("tab-supervisor").hidden = !["supervisor", "admin"].includes(me.role);
    connect();
    await refreshQueues();
    await refreshMine();
  }

  $("presence").addEventListener("change", () => guarded(async () => {
    me = await api("PUT", "/api/me/presence", { presence: $("presence").value });
  }));

  // ---- live updates ----
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(`${scheme}://${location.host}/ws/desk`);
    socket.addEventListener("open", () => socket.send(JSON.stringify({ type: "auth", token })));
    socket.addEventListener("message", (e) => onEvent(JSON.parse(e.data)));
    socket.addEventListener("close", () => { if (token) setTimeout(connect, 2000); });
  }

  function watch(handoffId) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: "watch", handoff_id: handoffId }));
  }

  function onEvent(event) {
    switch (event.type) {
      case "ready": if (current) watch(current.id); break;
      case "queues_changed": refreshQueues(); refreshMine(); if (!$("supervisor").hidden) refreshSupervisor(); break;
      case "resync":  // the gateway's event hub was cut off for a while: reload what may have changed
        refreshQueues(); refreshMine(); if (!$("supervisor").hidden) refreshSupervisor();
        if (current) openHandoff(current.id);
        break;
      case "agents_changed": if (!$("supervisor").hidden) refreshSupervisor(); break;
      case "assigned": refreshMine(); openHandoff(event.handoff_id); break;
      case "released": refreshMine(); if (current && event.handoff_id === current.id) leaveConversation(); break;
      case "session_ended": logoutLocally(); showError("Your session ended; please log in again."); break;
      case "message": if (current && event.conversation_id === current.conversation_id) appendMessages([event]); break;
      case "typing":
        if (current && event.handoff_id === current.id) {
          $("customer-typing").hidden = false;
          clearTimeout(typingTimer);
          typingTimer = setTimeout(() => { $("customer-typing").hidden = true; }, 4000);
        }
        break;
      case "error": showError(event.message); break;
    }
  }

  // ---- queues ----
  async function refreshQueues() {
    const data = await api("GET", "/api/queues");
    const box = $("queue-list");
    box.replaceChildren();
    for (const queue of data.queues) {
      const section = el("section", null, "queue");
      section.dataset.queue = queue.queue;
      section.appendChild(el("h3", `${queue.queue} (${queue.waiting.length})`));
      const list = el("ul", null, "list");
      for (const item of queue.waiting) {
        const row = el("li", null, item.waited_seconds > item.sla_seconds ? "waiting breach" : "waiting");
        if (item.escalation && (item.escalation.escalated || item.escalation.score >= 0.5)) row.classList.add("escalated");
        row.appendChild(el("span", `#${item.id} ${item.language} · ${item.reason} · ${item.waited_seconds}s`));
        row.appendChild(el("small", item.summary || ""));
        const accept = el("button", "Accept");
        accept.type = "button";
        accept.addEventListener("click", () => guarded(async () => {
          await api("POST", `/api/handoffs/${item.id}/accept`);
          await refreshMine(); await openHandoff(item.id);
        }));
        row.appendChild(accept);
        list.appendChild(row);
      }
      section.appendChild(list);
      box.appendChild(section);
    }
    const select = $("transfer-queue");
    if (!select.options.length) {
      for (const q of data.queues) select.appendChild(new Option(`queue: ${q.queue}`, `queue:${q.queue}`));
      const colleagues = await api("GET", "/api/agents");
      for (const a of colleagues.agents) {
        if (me && a.id !== me.id) select.appendChild(new Option(`agent: ${a.display_name} (${a.presence})`, `agent:${a.id}`));
      }
    }
  }

  async function refreshMine() {
    const data = await api("GET", "/api/me/handoffs");
    const list = $("mine");
    list.replaceChildren();
    for (const item of data.handoffs) {
      const row = el("li", null, current && current.id === item.id ? "mine active" : "mine");
      const open = el("button", `#${item.id} ${item.queue} · ${item.language} · ${item.channel || "chat"}`);
      open.type = "button";
      open.addEventListener("click", () => guarded(() => openHandoff(item.id)));
      row.appendChild(open);
      list.appendChild(row);
    }
  }

  $("accept-next").addEventListener("click", () => guarded(async () => {
    const taken = await api("POST", "/api/queues/next");
    if (taken.id) { await refreshMine(); await openHandoff(taken.id); }
    else showError("Nothing is waiting that you can take.");
  }));

  // ---- one conversation ----
  async function openHandoff(id) {
    if (current && current.id !== id && socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "unwatch", handoff_id: current.id }));
    }
    current = await api("GET", `/api/handoffs/${id}`);
    lastMessageId = 0;
    $("conversation").hidden = false; $("context").hidden = false;
    $("conv-title").textContent = `#${current.id} · ${current.queue} · ${current.language} · ${current.status}`;
    $("transcript").replaceChildren();
    const data = await api("GET", `/api/handoffs/${id}/messages`);
    appendMessages(data.messages);
    renderContext(current.context || {});
    await loadCanned(current.language);
    watch(id);
    refreshMine();
  }

  function appendMessages(messages) {
    for (const m of messages) {
      if (!m.id || m.id <= lastMessageId) continue;
      lastMessageId = m.id;
      if (!m.text) continue;
      const row = el("li", null, "message " + m.role);
      row.appendChild(el("span", m.role === "agent" ? (m.agent || "agent") : m.role, "author"));
      row.appendChild(el("span", m.text, "text"));
      $("transcript").appendChild(row);
      row.scrollIntoView({ block: "end" });
    }
  }

  function renderContext(context) {
    const list = $("context-list");
    list.replaceChildren();
    const add = (term, value) => {
      list.appendChild(el("dt", term));
      list.appendChild(el("dd", value === undefined || value === null || value === "" ? "—" : value));
    };
    const customer = context.customer || {};
    const escalation = context.escalation || {};
    add("Summary", context.summary);
    add("Reason", context.reason);
    add("Language / channel", `${context.language || "?"} / ${context.channel || "chat"}`);
    add("Identity verified", context.identity_verified ? "yes" : "no");
    add("Customer", customer.name ? `${customer.name} · ${customer.tier} · ${customer.plan || ""}` : "not verified");
    add("Open tickets", (customer.open_tickets || []).map((t) => t.subject || t.id || JSON.stringify(t)).join("; "));
    add("Contacts in 30 days", customer.contacts_last_30_days);
    add("Escalation", `${escalation.score ?? 0} ${(escalation.reasons || []).join(", ")}`);
    add("IVR path", (context.ivr_path || []).join(" › "));
    add("Intents", (context.intents || []).map((i) => `${i.intent} (${i.confidence})`).join(", "));
    add("Slots", Object.entries(context.slots || {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", "));
    add("Entities", (context.entities || []).map((e) => `${e.entity}=${e.value}`).join(", "));
  }

  async function loadCanned(language) {
    const data = await api("GET", `/api/canned?language=${encodeURIComponent(language || "en")}`);
    const select = $("canned");
    select.replaceChildren(new Option("Canned responses…", ""));
    for (const r of data.responses) select.appendChild(new Option(r.topic.replace(/_/g, " "), r.text));
  }

  $("canned").addEventListener("change", () => {
    if ($("canned").value) $("reply").value = $("canned").value;
    $("canned").value = "";
  });

  let lastTyping = 0;
  $("reply").addEventListener("input", () => {
    if (current && Date.now() - lastTyping > 2000) {
      lastTyping = Date.now();
      api("POST", `/api/handoffs/${current.id}/typing`).catch(() => {});
    }
  });

  $("reply-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("reply").value.trim();
    if (!current || !text) return;
    guarded(async () => { await api("POST", `/api/handoffs/${current.id}/messages`, { text }); $("reply").value = ""; });
  });

  $("note-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("note").value.trim();
    if (!current || !text) return;
    guarded(async () => {
      await api("POST", `/api/handoffs/${current.id}/notes`, { text });
      $("note").value = "";
      appendMessages((await api("GET", `/api/handoffs/${current.id}/messages?after=${lastMessageId}`)).messages);
    });
  });

  function leaveConversation() {
    current = null;
    $("conversation").hidden = true; $("context").hidden = true;
    refreshMine(); refreshQueues();
  }

  $("transfer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!current) return;
    guarded(async () => {
      const [kind, target] = $("transfer-queue").value.split(":");
      const body = kind === "agent" ? { agent_id: Number(target) } : { queue: target };
      await api("POST", `/api/handoffs/${current.id}/transfer`, Object.assign(body, { note: $("transfer-note").value }));
      $("transfer-note").value = "";
      leaveConversation();
    });
  });

  $("close-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!current) return;
    guarded(async () => {
      await api("POST", `/api/handoffs/${current.id}/close`, { disposition: $("disposition").value, wrap_up: $("wrap-up").value });
      $("wrap-up").value = ""; $("disposition").value = "";
      leaveConversation();
    });
  });

  $("handback").addEventListener("click", () => {
    if (!current) return;
    guarded(async () => { await api("POST", `/api/handoffs/${current.id}/handback`); leaveConversation(); });
  });

  // ---- supervisor view ----
  function showTab(supervisor) {
    $("work").hidden = supervisor; $("supervisor").hidden = !supervisor;
    $("tab-work").classList.toggle("active", !supervisor);
    $("tab-supervisor").classList.toggle("active", supervisor);
    clearInterval(supervisorTimer);
    if (supervisor) { refreshSupervisor(); supervisorTimer = setInterval(refreshSupervisor, 5000); }
  }
  $("tab-work").addEventListener("click", () => showTab(false));
  $("tab-supervisor").addEventListener("click", () => showTab(true));

  function row(cells, className) {
    const tr = el("tr", null, className);
    for (const c of cells) tr.appendChild(el("td", c));
    return tr;
  }

  async function refreshSupervisor() {
    const [overview, kpis] = await Promise.all([api("GET", "/api/supervisor/overview"), api("GET", "/api/supervisor/kpis?hours=24")]);
    const queues = $("sv-queues").tBodies[0];
    queues.replaceChildren(...overview.queues.map((q) => row(
      [q.queue, q.waiting, `${q.longest_wait_seconds}s`, `${q.sla_seconds}s`, q.breaching_sla, q.in_progress],
      q.breaching_sla ? "breach" : "")));
    const agents = $("sv-agents").tBodies[0];
    agents.replaceChildren(...overview.agents.map((a) => row(
      [a.display_name, a.role, a.presence, `${a.active_chats}/${a.capacity}`, (a.skills || []).join(", "), (a.languages || []).join(", ")],
      "presence-" + a.presence)));
    const escalations = $("sv-escalations");
    escalations.replaceChildren(...overview.escalations.map((x) => el("li",
      `#${x.id} ${x.queue} · ${x.status}${x.agent ? " with " + x.agent : ""} · waited ${x.waited_seconds}s of ${x.sla_seconds}s · score ${x.score ?? "?"} ${(x.reasons || []).join(", ")} — ${x.summary || ""}`,
      "escalated" + (x.waited_seconds > x.sla_seconds && x.status === "queued" ? " breach" : ""))));
    if (!overview.escalations.length) escalations.appendChild(el("li", "No open escalations"));
    const k = $("sv-kpis");
    k.replaceChildren();
    const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`);
    const sec = (v) => (v === null || v === undefined ? "—" : `${v}s`);
    for (const [term, value] of [
      ["Conversations", kpis.conversations], ["Handoffs", kpis.handoffs], ["Containment", pct(kpis.containment_rate)],
      ["Mean wait", sec(kpis.wait_seconds_mean)], ["Wait p90", sec(kpis.wait_seconds_p90)],
      ["Answered within SLA", pct(kpis.answered_within_sla_rate)], ["Abandonment", pct(kpis.abandonment_rate)],
      ["Average handle time", sec(kpis.average_handle_seconds)], ["First-contact resolution", pct(kpis.first_contact_resolution_rate)],
    ]) { k.appendChild(el("dt", term)); k.appendChild(el("dd", value)); }
  }

  if (token) start().catch(() => logoutLocally());
})();
