/*!
 * flowbot agent console (GET /agent): vanilla JS, no build step, no dependencies.
 *
 * Lists the conversations waiting for a person and those in progress
 * (GET /api/handoffs, kept live by the server-sent events of
 * /api/handoffs/events), shows one's transcript, and joins, replies to, moves
 * and ends it through /api/conversations/{id}/handoff/…. The key (agent key
 * or API key) lives in sessionStorage, the agent's name in localStorage.
 * Everything the users or the bots wrote is put into the DOM with
 * textContent, never parsed as HTML. See docs/agents.md.
 */
(() => {
  "use strict";

  const KEY_STORAGE = "flowbot:agent:key";
  const NAME_STORAGE = "flowbot:agent:name";
  const MAX_NAME = 100;
  const TICK_MS = 15000; // waited times
  const RESYNC_MS = 60000; // a full refresh, should an event have been missed
  const LINK_PROTOCOLS = new Set(["http:", "https:", "mailto:", "tel:"]);
  // where the page is: /agent → the API is api/…, beside it (a path prefix works too)
  const BASE = new URL(".", window.location.href);

  const $ = (id) => document.getElementById(id);

  const state = {
    key: null,
    name: "",
    fullKey: false, // the API key: the bots' flows can be listed (Move to flow)
    handoffs: [],
    selected: null, // conversation id
    detail: null,
    unread: new Set(),
    flows: new Map(), // botId -> [{id, title}] | null (cannot list)
    events: null,
    eventFailures: 0,
    retryTimer: null,
    listTimer: null,
    detailTimer: null,
    busy: false,
  };

  // ------------------------------------------------------------- storage

  const store = {
    get(area, key) {
      try {
        return window[area].getItem(key);
      } catch {
        return null;
      }
    },
    set(area, key, value) {
      try {
        if (value === null) window[area].removeItem(key);
        else window[area].setItem(key, value);
      } catch {
        /* private mode: the page keeps it for its life */
      }
    },
  };

  // ------------------------------------------------------------- DOM helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function asText(value) {
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : String(value);
  }

  function safeLink(uri) {
    try {
      const url = new URL(asText(uri).trim(), BASE);
      return LINK_PROTOCOLS.has(url.protocol) ? url.href : null;
    } catch {
      return null;
    }
  }

  function capitalised(text) {
    const value = asText(text).trim();
    return value ? value.charAt(0).toUpperCase() + value.slice(1) : value;
  }

  function sentence(text) {
    const value = capitalised(text);
    return /[.!?…]$/.test(value) ? value : `${value}.`;
  }

  // "just now", "45 s", "12 min", "2 h 5 min", "3 d"
  function since(iso, now) {
    const at = Date.parse(asText(iso));
    if (!Number.isFinite(at)) return "";
    const seconds = Math.max(0, Math.round((now - at) / 1000));
    if (seconds < 10) return "just now";
    if (seconds < 60) return `${seconds} s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes} min`;
    const hours = Math.floor(minutes / 60);
    if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
    return `${Math.floor(hours / 24)} d`;
  }

  function clock(iso) {
    const at = new Date(asText(iso));
    if (Number.isNaN(at.getTime())) return "";
    return at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  // ------------------------------------------------------------- the API

  class ApiError extends Error {
    constructor(status, message, network = false) {
      super(message);
      this.status = status;
      this.network = network;
    }
  }

  async function api(method, path, body) {
    const headers = { "X-API-Key": state.key || "" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(new URL(path, BASE), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "Cannot reach the server: check the connection and try again.", true);
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (!response.ok) {
      const said = data && typeof data.error === "string" ? data.error : `the server answered ${response.status}`;
      throw new ApiError(response.status, said);
    }
    return data;
  }

  const conversationPath = (id, tail = "") => `api/conversations/${encodeURIComponent(id)}/handoff${tail}`;

  // What to tell the agent about a refused action (`what`: "Cannot join", …).
  function explain(error, what) {
    if (!(error instanceof ApiError)) return `${what}: ${asText(error && error.message) || "unexpected error"}.`;
    if (error.network) return error.message;
    switch (error.status) {
      case 403:
        return "The server does not accept your key any more (403): sign in again.";
      case 404:
        return `${what}: ${sentence(error.message)}`;
      case 409:
        return `${what}: ${sentence(error.message)}`;
      case 422:
        return `${what}: the server did not take it (${error.message}).`;
      case 502:
      case 503:
        return `${what}: ${sentence(error.message)} Try again.`;
      default:
        return `${what}: ${sentence(error.message)}`;
    }
  }

  // ------------------------------------------------------------- sign-in

  function showLogin({ error = "", nameOnly = false } = {}) {
    $("console").hidden = true;
    $("login").hidden = false;
    $("login-key-field").hidden = nameOnly;
    $("login-cancel").hidden = !nameOnly;
    $("login-intro").textContent = nameOnly
      ? "The name the people you talk with see."
      : "Sign in with this server's agent key (or its API key).";
    $("login-submit").textContent = nameOnly ? "Save" : "Sign in";
    $("login-name").value = state.name;
    const message = $("login-error");
    message.textContent = error;
    message.hidden = !error;
    const focus = !nameOnly && !$("login-key").value ? $("login-key") : $("login-name");
    setTimeout(() => focus.focus(), 0);
  }

  async function submitLogin(event) {
    event.preventDefault();
    const nameOnly = $("login-key-field").hidden;
    const name = $("login-name").value.trim().slice(0, MAX_NAME);
    const key = $("login-key").value.trim();
    const message = $("login-error");
    const fail = (text) => {
      message.textContent = text;
      message.hidden = false;
    };
    if (!nameOnly && !key) return fail("Enter the agent key or the API key.");
    if (!name) return fail("Enter your name: the people you talk with see it.");
    state.name = name;
    store.set("localStorage", NAME_STORAGE, name);
    if (nameOnly) {
      enterConsole();
      return undefined;
    }
    $("login-submit").disabled = true;
    try {
      await signIn(key);
      $("login-key").value = "";
    } catch (error) {
      fail(
        error instanceof ApiError && error.status === 403
          ? `This key is not accepted (403): ${sentence(error.message)}`
          : explain(error, "Cannot sign in"),
      );
    } finally {
      $("login-submit").disabled = false;
    }
    return undefined;
  }

  // Checks the key on the list itself; the API key also lists the bots' flows.
  async function signIn(key) {
    state.key = key;
    let data;
    try {
      data = await api("GET", "api/handoffs");
    } catch (error) {
      state.key = null;
      throw error;
    }
    store.set("sessionStorage", KEY_STORAGE, key);
    state.fullKey = false;
    try {
      await api("GET", "api/bots");
      state.fullKey = true;
    } catch {
      state.fullKey = false; // the agent key opens the agent routes only
    }
    state.flows.clear();
    setHandoffs(data);
    enterConsole();
    connectEvents();
  }

  function signOut(error = "") {
    closeEvents();
    state.key = null;
    state.selected = null;
    state.detail = null;
    state.handoffs = [];
    state.unread.clear();
    store.set("sessionStorage", KEY_STORAGE, null);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    showLogin({ error });
  }

  function enterConsole() {
    $("login").hidden = true;
    $("console").hidden = false;
    $("me").textContent = state.name;
    $("me").setAttribute("aria-label", `Signed in as ${state.name}: change your name`);
    renderList();
    renderDetail();
  }

  // A 403 on any call: the key was changed on the server (or never was right).
  function refusedKey(error) {
    if (error instanceof ApiError && error.status === 403) {
      signOut("The server does not accept your key any more (403): sign in again.");
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------- live events

  function setLive(online, text) {
    const live = $("live");
    live.classList.toggle("ag-online", online);
    live.textContent = text;
    live.title = text;
  }

  function connectEvents() {
    closeEvents();
    if (!state.key || typeof window.EventSource !== "function") {
      setLive(false, "No live updates in this browser: refreshing every minute");
      return;
    }
    const url = new URL("api/handoffs/events", BASE);
    url.searchParams.set("key", state.key);
    const source = new EventSource(url.href);
    state.events = source;
    source.addEventListener("open", () => {
      if (source !== state.events) return;
      state.eventFailures = 0;
      setLive(true, "Live");
      // catch up with whatever happened while the stream was down
      scheduleList(0);
      if (state.selected) scheduleDetail(0);
    });
    source.addEventListener("handoff", (event) => {
      if (source !== state.events) return;
      let data = null;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data && typeof data === "object") onHandoffEvent(data);
    });
    source.addEventListener("error", () => {
      if (source !== state.events) return;
      if (source.readyState !== EventSource.CLOSED) {
        setLive(false, "Reconnecting…"); // the browser tries again by itself
        return;
      }
      // Refused (a wrong key, a server that is not back yet): ask why, then retry.
      source.close();
      state.events = null;
      state.eventFailures += 1;
      setLive(false, "Reconnecting…");
      api("GET", "api/handoffs")
        .then((data) => {
          setHandoffs(data);
          retryEvents();
        })
        .catch((error) => {
          if (!refusedKey(error)) retryEvents();
        });
    });
  }

  function retryEvents() {
    clearTimeout(state.retryTimer);
    const wait = Math.min(30000, 1000 * 2 ** Math.min(state.eventFailures, 5));
    state.retryTimer = setTimeout(() => {
      if (state.key && !state.events) connectEvents();
    }, wait);
  }

  function closeEvents() {
    clearTimeout(state.retryTimer);
    if (state.events) state.events.close();
    state.events = null;
  }

  function onHandoffEvent(data) {
    const id = asText(data.conversationId);
    if (!id) return;
    scheduleList(50);
    if (id === state.selected) {
      scheduleDetail(50);
    } else if (data.type === "requested" || data.type === "message") {
      state.unread.add(id);
    }
    if (data.type === "ended") state.unread.delete(id);
  }

  // Several events in a row make one request.
  function scheduleList(ms) {
    clearTimeout(state.listTimer);
    state.listTimer = setTimeout(refreshList, ms);
  }

  function scheduleDetail(ms) {
    clearTimeout(state.detailTimer);
    state.detailTimer = setTimeout(refreshDetail, ms);
  }

  async function refreshList() {
    if (!state.key) return;
    try {
      setHandoffs(await api("GET", "api/handoffs"));
      $("list-error").hidden = true;
    } catch (error) {
      if (refusedKey(error)) return;
      $("list-error").textContent = explain(error, "Cannot load the conversations");
      $("list-error").hidden = false;
    }
  }

  async function refreshDetail() {
    const id = state.selected;
    if (!state.key || !id) return;
    try {
      const detail = await api("GET", conversationPath(id));
      if (state.selected !== id) return;
      state.detail = detail;
      renderDetail();
    } catch (error) {
      if (refusedKey(error) || state.selected !== id) return;
      showError(explain(error, "Cannot load the conversation"));
    }
  }

  // ------------------------------------------------------------- the list

  function setHandoffs(data) {
    const list = data && Array.isArray(data.handoffs) ? data.handoffs : [];
    state.handoffs = list.filter((c) => c && typeof c === "object" && c.handoff && typeof c.handoff === "object");
    renderList();
  }

  function displayName(conversation) {
    const params = conversation && typeof conversation.params === "object" && conversation.params ? conversation.params : {};
    for (const key of ["name", "userName", "nickname"]) {
      if (typeof params[key] === "string" && params[key].trim()) return params[key].trim().slice(0, 80);
    }
    const userKey = asText(conversation && conversation.userKey);
    return userKey ? `User ${userKey.length > 12 ? `${userKey.slice(0, 8)}…` : userKey}` : "User";
  }

  function renderList() {
    const now = Date.now();
    const waiting = state.handoffs.filter((c) => c.handoff.status !== "active");
    const active = state.handoffs.filter((c) => c.handoff.status === "active");
    fillList($("waiting-list"), waiting, now);
    fillList($("active-list"), active, now);
    $("waiting-empty").hidden = waiting.length > 0;
    $("active-empty").hidden = active.length > 0;
    const count = $("waiting-count");
    count.textContent = String(waiting.length);
    count.classList.toggle("ag-zero", waiting.length === 0);
    count.setAttribute("aria-label", `${waiting.length} waiting`);
    $("active-count").textContent = String(active.length);
    document.title = waiting.length ? `(${waiting.length}) Agents · flowbot` : "Agents · flowbot";
  }

  function fillList(list, conversations, now) {
    const items = conversations.map((conversation) => {
      const handoff = conversation.handoff;
      const id = asText(conversation.id);
      const item = el("li");
      const button = el("button", "ag-item");
      button.type = "button";
      button.dataset.id = id;
      button.setAttribute("data-testid", "agent-item");
      button.setAttribute("aria-current", id === state.selected ? "true" : "false");
      if (state.unread.has(id)) button.classList.add("ag-unread");
      button.appendChild(el("span", "ag-item-name", displayName(conversation)));
      let badge;
      let time;
      if (handoff.status === "active") {
        const agent = asText(handoff.agent);
        badge = el("span", `ag-badge ${agent === state.name ? "ag-mine" : "ag-other"}`, agent === state.name ? "You" : agent);
        time = since(handoff.joined || handoff.since, now);
      } else {
        badge = el("span", "ag-badge", "Waiting");
        time = since(handoff.since, now);
      }
      button.appendChild(badge);
      button.appendChild(el("span", "ag-item-sub", `${asText(conversation.botId)} · ${asText(conversation.channel)}`));
      const waited = el("span", "ag-item-time", time);
      waited.setAttribute("data-testid", "agent-item-time");
      button.appendChild(waited);
      const status = handoff.status === "active" ? `with ${asText(handoff.agent)}` : "waiting";
      button.setAttribute(
        "aria-label",
        `${displayName(conversation)}, ${asText(conversation.botId)}, ${status}${time ? ` for ${time}` : ""}` +
          (state.unread.has(id) ? ", new messages" : ""),
      );
      button.addEventListener("click", () => select(id));
      item.appendChild(button);
      return item;
    });
    list.replaceChildren(...items);
  }

  // ------------------------------------------------------------- one conversation

  async function select(id) {
    state.selected = id;
    state.unread.delete(id);
    const known = state.handoffs.find((c) => asText(c.id) === id);
    state.detail = state.detail && asText(state.detail.id) === id ? state.detail : known ? { ...known, transcript: null } : null;
    window.history.replaceState(null, "", `#${encodeURIComponent(id)}`);
    document.body.classList.add("ag-show-detail");
    hideError();
    renderList();
    renderDetail();
    await refreshDetail();
    const botId = state.detail && asText(state.detail.botId);
    if (botId && state.fullKey && !state.flows.has(botId)) loadFlows(botId);
    $("transcript-scroll").scrollTop = $("transcript-scroll").scrollHeight;
  }

  async function loadFlows(botId) {
    state.flows.set(botId, null);
    try {
      const data = await api("GET", `api/bots/${encodeURIComponent(botId)}/flows`);
      const flows = data && Array.isArray(data.flows) ? data.flows : [];
      state.flows.set(
        botId,
        flows.map((flow) => ({ id: flow.id, title: asText(flow.title) })),
      );
    } catch {
      state.flows.set(botId, null); // not this key's to list: no Move to flow
    }
    if (state.detail && asText(state.detail.botId) === botId) renderDetail();
  }

  function back() {
    document.body.classList.remove("ag-show-detail");
    state.selected = null;
    state.detail = null;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    renderList();
    renderDetail();
  }

  function renderDetail() {
    const detail = state.detail;
    $("detail-empty").hidden = Boolean(detail);
    $("detail-body").hidden = !detail;
    if (!detail) return;
    const handoff = detail.handoff && typeof detail.handoff === "object" ? detail.handoff : null;
    $("detail-title").textContent = displayName(detail);
    $("detail-sub").textContent = `${asText(detail.botId)} · ${asText(detail.channel)} · ${asText(detail.userKey)}`;
    const status = $("detail-status");
    const now = Date.now();
    status.className = "ag-status";
    if (!handoff) {
      status.textContent = "With the bot";
    } else if (handoff.status === "active") {
      status.classList.add("ag-active");
      const agent = asText(handoff.agent);
      status.textContent = agent === state.name ? "You have it" : `With ${agent}`;
    } else {
      status.classList.add("ag-waiting");
      const waited = since(handoff.since, now);
      status.textContent = waited && waited !== "just now" ? `Waiting for ${waited}` : "Waiting";
    }
    renderTranscript(Array.isArray(detail.transcript) ? detail.transcript : []);

    const mine = Boolean(handoff) && handoff.status === "active" && asText(handoff.agent) === state.name;
    const takenBy = handoff && handoff.status === "active" && !mine ? asText(handoff.agent) : "";
    $("actions").hidden = !handoff;
    $("join").hidden = !handoff || handoff.status === "active";
    $("taken").textContent = takenBy ? `${takenBy} has this conversation.` : "";
    $("taken").hidden = !takenBy;
    $("composer").hidden = !mine;
    $("join").disabled = state.busy;
    $("end").disabled = state.busy;
    $("send").disabled = state.busy;
    renderFlowChoice(asText(detail.botId));
  }

  function renderFlowChoice(botId) {
    const flows = state.fullKey ? state.flows.get(botId) : null;
    const box = $("end-flow-box");
    const select = $("end-flow");
    if (!Array.isArray(flows) || !flows.length) {
      box.hidden = true;
      select.replaceChildren();
      return;
    }
    const chosen = select.dataset.bot === botId ? select.value : "";
    const options = [el("option", null, "hand back to the bot")];
    options[0].value = "";
    for (const flow of flows) {
      const option = el("option", null, `move to flow ${asText(flow.id)}${flow.title ? ` · ${flow.title}` : ""}`);
      option.value = JSON.stringify(flow.id);
      options.push(option);
    }
    select.replaceChildren(...options);
    select.dataset.bot = botId;
    select.value = options.some((o) => o.value === chosen) ? chosen : "";
    box.hidden = false;
  }

  // Only what is new is added (the list is a live region: a screen reader reads additions);
  // another conversation, or a transcript that changed otherwise, is drawn again.
  function renderTranscript(entries) {
    const scroller = $("transcript-scroll");
    const list = $("transcript");
    const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    const shown = entries.filter(
      (entry) => entry && typeof entry === "object" && entry.message && typeof entry.message === "object",
    );
    const keys = shown.map((entry) => JSON.stringify([entry.direction, entry.at, entry.message]));
    const same = list.dataset.conversation === asText(state.selected);
    const drawn = same ? Array.from(list.children) : [];
    const prefix =
      same && drawn.length <= keys.length && drawn.every((node, index) => node.dataset.key === keys[index]);
    if (!prefix) list.replaceChildren();
    list.dataset.conversation = asText(state.selected);
    for (let index = prefix ? drawn.length : 0; index < shown.length; index += 1) {
      const node = transcriptEntry(shown[index]);
      node.dataset.key = keys[index];
      list.appendChild(node);
    }
    if (atBottom || !prefix) scroller.scrollTop = scroller.scrollHeight;
  }

  function transcriptEntry(entry) {
    const message = entry.message;
    if (entry.direction === "in" && message.type === "event") {
      const what = message.event === "open" ? "opened the chat" : `event: ${asText(message.event)}`;
      return el("li", "ag-event", `${what} · ${clock(entry.at)}`);
    }
    const agent = entry.direction === "out" && typeof message.agent === "string" ? message.agent : "";
    const kind = entry.direction === "in" ? "ag-in" : agent ? "ag-out ag-agent" : "ag-out ag-bot";
    const item = el("li", `ag-entry ${kind}`);
    item.setAttribute(
      "data-testid",
      entry.direction === "in" ? "agent-user-message" : agent ? "agent-agent-message" : "agent-bot-message",
    );
    const who = entry.direction === "in" ? "User" : agent || "Bot";
    item.appendChild(el("div", "ag-who-line", `${who} · ${clock(entry.at)}`));
    item.appendChild(messageView(message));
    return item;
  }

  // One message (the user's or the bot's), as text: what it says, not how it looks.
  function messageView(message) {
    const bubble = el("div", "ag-bubble");
    bubble.setAttribute("data-testid", "agent-bubble");
    const add = (node) => bubble.appendChild(node);
    const text = (value) => add(document.createTextNode(asText(value)));
    const kind = (label) => add(el("span", "ag-kind", label));
    switch (message.type) {
      case "media": {
        const media = message.media && typeof message.media === "object" ? message.media : {};
        kind(`[${asText(media.contentType || "image")}] `);
        const href = safeLink(media.uri);
        if (href) {
          const link = el("a", null, asText(media.uri));
          link.href = href;
          link.target = "_blank";
          link.rel = "noopener noreferrer";
          add(link);
        } else {
          text(asText(media.uri));
        }
        break;
      }
      case "cards": {
        const cards = Array.isArray(message.cards) ? message.cards : [];
        kind(`[${cards.length} card${cards.length === 1 ? "" : "s"}] `);
        text(cards.map((card) => asText(card && card.title) || "untitled").join(" · "));
        chips(bubble, cards.flatMap((card) => (card && Array.isArray(card.buttons) ? card.buttons : [])));
        break;
      }
      case "location":
        kind("[location] ");
        text(`${asText(message.label)} (${asText(message.latitude)}, ${asText(message.longitude)})`.trim());
        break;
      default:
        if (typeof message.text === "string") {
          text(message.text);
        } else if (message.location && typeof message.location === "object") {
          kind("[location] ");
          text(`${asText(message.location.latitude)}, ${asText(message.location.longitude)}`);
        } else {
          kind(`[${asText(message.type) || "message"}]`);
        }
        if (message.type === "postback" && message.payload !== undefined) kind(" (button)");
        chips(bubble, Array.isArray(message.buttons) ? message.buttons : []);
    }
    return bubble;
  }

  function chips(bubble, buttons) {
    const labels = buttons.filter((b) => b && typeof b === "object").map((b) => asText(b.label)).filter(Boolean);
    if (!labels.length) return;
    const box = el("div", "ag-chips");
    for (const label of labels) box.appendChild(el("span", "ag-chip", label));
    bubble.appendChild(box);
  }

  function showError(text) {
    const box = $("detail-error");
    box.textContent = text;
    box.hidden = false;
  }

  function hideError() {
    $("detail-error").hidden = true;
    $("detail-error").textContent = "";
  }

  // ------------------------------------------------------------- actions

  async function act(what, path, body, after) {
    const id = state.selected;
    if (!id || state.busy) return false;
    state.busy = true;
    hideError();
    renderDetail();
    try {
      const data = await api("POST", conversationPath(id, path), body);
      if (after) after(data);
      return true;
    } catch (error) {
      if (!refusedKey(error)) showError(explain(error, what));
      return false;
    } finally {
      state.busy = false;
      if (state.selected === id) {
        renderDetail();
        scheduleDetail(0);
      }
      scheduleList(0);
    }
  }

  function join() {
    act("Cannot join", "/join", { agent: state.name }, (data) => {
      if (data && typeof data === "object") state.detail = { ...state.detail, ...data };
      setTimeout(() => $("reply").focus(), 0);
    });
  }

  async function sendReply(event) {
    if (event) event.preventDefault();
    const box = $("reply");
    const text = box.value.trim();
    if (!text) return;
    const sent = await act("Not sent", "/reply", { agent: state.name, text });
    if (sent) {
      box.value = "";
      resizeReply();
    }
    box.focus();
  }

  function end() {
    const body = { agent: state.name };
    const choice = $("end-flow-box").hidden ? "" : $("end-flow").value;
    if (choice) {
      try {
        body.flowId = JSON.parse(choice);
      } catch {
        /* not one of ours */
      }
    }
    act("Cannot end", "/end", body, (data) => {
      if (data && typeof data === "object") state.detail = { ...state.detail, ...data };
    });
  }

  function resizeReply() {
    const box = $("reply");
    box.style.height = "auto";
    box.style.height = `${Math.min(box.scrollHeight + 2, 160)}px`;
  }

  // ------------------------------------------------------------- start

  function start() {
    state.name = (store.get("localStorage", NAME_STORAGE) || "").trim().slice(0, MAX_NAME);
    $("login-form").addEventListener("submit", submitLogin);
    $("login-cancel").addEventListener("click", () => enterConsole());
    $("me").addEventListener("click", () => showLogin({ nameOnly: true }));
    $("logout").addEventListener("click", () => signOut());
    $("back").addEventListener("click", back);
    $("join").addEventListener("click", join);
    $("end").addEventListener("click", end);
    $("composer").addEventListener("submit", sendReply);
    const reply = $("reply");
    reply.addEventListener("keydown", (event) => {
      // Enter sends, Shift+Enter breaks the line; never while an IME composes (Korean input).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        sendReply();
      }
    });
    reply.addEventListener("input", resizeReply);
    setInterval(() => {
      if (!state.key) return;
      renderList();
      if (state.detail) renderDetail();
    }, TICK_MS);
    setInterval(() => {
      if (!state.key) return;
      scheduleList(0);
      if (state.selected) scheduleDetail(0);
    }, RESYNC_MS);

    const key = store.get("sessionStorage", KEY_STORAGE);
    let wanted = "";
    try {
      wanted = decodeURIComponent(window.location.hash.slice(1));
    } catch {
      wanted = "";
    }
    if (!key || !state.name) {
      if (key) $("login-key").value = key;
      showLogin();
      return;
    }
    signIn(key)
      .then(() => {
        if (wanted) select(wanted);
      })
      .catch((error) => {
        store.set("sessionStorage", KEY_STORAGE, null);
        showLogin({
          error:
            error instanceof ApiError && error.status === 403
              ? "The server does not accept your key any more (403): sign in again."
              : explain(error, "Cannot sign in"),
        });
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start, { once: true });
  else start();
})();
