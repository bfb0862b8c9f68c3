// Lattice's live post page: reactions, "N reading now" and comments, as plain JS with no build
// step, served from the core at /assets/live.js (web/live) and loaded by post pages only.
//
// The page's HTML is cached and shared by every reader, so it holds no count, name or comment:
// this script reads them from the API, keeps them current over a WebSocket, and shows the
// controls (hidden in the HTML, so that a reader without JavaScript sees none). It talks only to
// this origin. A reader is whoever holds a reader token (from POST /api/readers with a name),
// kept in localStorage and sent only as `Authorization: Bearer`; Lattice sets no cookie.
//
// Nothing but the server's sanitised comment HTML is ever parsed as HTML; everything else is set
// as text.
"use strict";

(() => {
  const root = document.getElementById("live");
  if (!root || !root.dataset.slug) return;

  const SLUG = root.dataset.slug;
  const BASE = `/api/posts/${encodeURIComponent(SLUG)}`;
  const READER_KEY = "lattice.reader";
  const MAX_NAME = 50;
  const MAX_COMMENT = 5000;
  const PAGE_SIZE = 50;
  const MAX_PAGES = 200; // 10,000 comments: a bound on a misbehaving cursor, not a real limit
  const PING_MS = 30000;
  const SILENCE_MS = 75000; // no message (not even a pong) for this long: the socket is dead
  const BACKOFF_MIN_MS = 1000;
  const BACKOFF_MAX_MS = 30000;
  const OPEN_WAIT_MS = 3000; // load over HTTP anyway if the socket has not opened by then

  const el = {
    group: root.querySelector(".reactions"),
    buttons: new Map(Array.from(root.querySelectorAll(".reactions button[data-type]"), (b) => [b.dataset.type, b])),
    presence: root.querySelector(".presence"),
    status: root.querySelector(".live-status"),
    readerForm: root.querySelector(".reader-form"),
    readerName: root.querySelector(".reader-form input"),
    readerError: root.querySelector(".reader-form .form-error"),
    readerSubmit: root.querySelector(".reader-form button"),
    heading: root.querySelector(".comments-heading"),
    comments: root.querySelector("ol.comments"),
    commentForm: root.querySelector(".comment-form"),
    commentLabel: root.querySelector(".comment-form label"),
    commentBody: root.querySelector(".comment-form textarea"),
    commentError: root.querySelector(".comment-form .form-error"),
    commentSubmit: root.querySelector(".comment-form button"),
  };

  // -------------------------------------------------------------------------------------------
  // Small helpers

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // 22 url-safe characters (128 random bits): an idempotency key the server accepts (8-64 of
  // [A-Za-z0-9_-]), reused when the same request is retried.
  function newRequestId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function say(message) {
    el.status.textContent = message;
  }

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  function timeElement(when) {
    const t = document.createElement("time");
    const d = new Date(when);
    if (Number.isNaN(d.getTime())) return t;
    t.dateTime = d.toISOString();
    t.textContent = dateFormat.format(d);
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // The reader: {token, name} in localStorage, shared by the blog's tabs.

  function loadReader() {
    try {
      const r = JSON.parse(localStorage.getItem(READER_KEY));
      if (r && typeof r.token === "string" && r.token) return { token: r.token, name: typeof r.name === "string" ? r.name : "" };
    } catch {}
    return null;
  }
  function saveReader(r) {
    try {
      localStorage.setItem(READER_KEY, JSON.stringify(r));
    } catch {} // full or disabled: the reader lasts as long as this page
  }
  function forgetReader() {
    reader = null;
    try {
      localStorage.removeItem(READER_KEY);
    } catch {}
    showReaderName();
  }

  let reader = loadReader();
  window.addEventListener("storage", (e) => {
    if (e.key === READER_KEY || e.key === null) {
      reader = loadReader();
      showReaderName();
    }
  });

  function showReaderName() {
    el.commentLabel.textContent = reader?.name ? `Add a comment as ${reader.name}` : "Add a comment";
  }

  // -------------------------------------------------------------------------------------------
  // The API

  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      super(body?.error?.message || `the server answered ${status}`);
      this.status = status;
      this.code = body?.error?.code ?? "";
      this.field = body?.error?.field ?? "";
      this.retryAfter = retryAfter;
    }
  }
  // fetch failed before any answer: offline, or the server unreachable.
  class NetworkError extends Error {}

  // Seconds from a Retry-After header (delta-seconds or an HTTP date); null when absent.
  function retryAfterSeconds(value) {
    if (!value) return null;
    if (/^\d+$/.test(value.trim())) return Number(value.trim());
    const at = Date.parse(value);
    return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }

  async function api(method, path, body, { auth = true } = {}) {
    const headers = { accept: "application/json" };
    if (auth && reader) headers.authorization = `Bearer ${reader.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
        credentials: "omit",
      });
    } catch (err) {
      throw new NetworkError(String(err?.message ?? err));
    }
    let data = null;
    try {
      data = await res.json();
    } catch {}
    if (!res.ok) throw new ApiError(res.status, data, retryAfterSeconds(res.headers.get("retry-after")));
    return { status: res.status, data };
  }

  // Whether the request may have been lost on the way, so that sending it again (with the same
  // request id) is the right thing to do.
  const transient = (err) => err instanceof NetworkError || (err instanceof ApiError && err.status >= 500);
  // The reader token is not (or no longer) valid: ask for a name again.
  const invalidReader = (err) => err instanceof ApiError && err.status === 401;

  // Runs `send` (an idempotent request: it carries a request id) up to three times while it fails
  // transiently.
  async function withRetry(send) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (err) {
        if (!transient(err) || attempt >= 2) throw err;
        await sleep(500 * 2 ** attempt);
      }
    }
  }

  function describe(err) {
    if (err instanceof NetworkError) return "Could not reach the server. Check the connection and try again.";
    if (err.status === 429) {
      return err.retryAfter ? `Slow down a little: try again in ${err.retryAfter} s.` : "Slow down a little, then try again.";
    }
    if (err.status >= 500) return "The server could not do that just now. Try again shortly.";
    return err.message;
  }

  // -------------------------------------------------------------------------------------------
  // Asking for a name before the first reaction or comment

  let pendingAction = null; // what to do once the reader has a token (only the latest request)

  // Runs `action` now if there is a reader, else shows the name form after `anchor` and runs it
  // once the reader has signed up.
  function withReader(anchor, action) {
    if (reader) {
      action();
      return;
    }
    pendingAction = action;
    anchor.after(el.readerForm);
    el.readerError.textContent = "";
    el.readerForm.hidden = false;
    el.readerName.focus();
  }

  function closeReaderForm() {
    el.readerForm.hidden = true;
    pendingAction = null;
  }

  el.readerForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const name = el.readerName.value.trim();
    const length = Array.from(name).length;
    if (length < 1 || length > MAX_NAME) {
      el.readerError.textContent = `Your name: 1 to ${MAX_NAME} characters.`;
      el.readerName.setAttribute("aria-invalid", "true");
      return;
    }
    el.readerName.removeAttribute("aria-invalid");
    el.readerError.textContent = "";
    el.readerSubmit.disabled = true;
    try {
      // Not retried: a sign-up has no request id, and a lost answer only costs a second try.
      const { data } = await api("POST", "/api/readers", { name }, { auth: false });
      if (typeof data?.token !== "string" || !data.token) throw new ApiError(500, null, null);
      reader = { token: data.token, name: typeof data.reader?.name === "string" ? data.reader.name : name };
      saveReader(reader);
      showReaderName();
      const action = pendingAction;
      closeReaderForm();
      action?.();
    } catch (err) {
      el.readerError.textContent = err instanceof ApiError && err.field === "name" ? err.message : describe(err);
    } finally {
      el.readerSubmit.disabled = false;
    }
  });
  el.readerForm.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeReaderForm();
  });

  // -------------------------------------------------------------------------------------------
  // Reactions

  const reactions = {
    counts: {}, // type -> n, once known
    mine: new Set(),
    busy: new Set(), // types with a toggle in flight
    requestIds: new Map(), // type -> the request id of a toggle whose outcome is unknown
    events: 0, // socket "reactions" events applied: an HTTP answer older than one is not shown
  };

  function setCounts(counts) {
    if (!counts || typeof counts !== "object") return;
    for (const type of el.buttons.keys()) {
      const n = counts[type];
      if (Number.isInteger(n) && n >= 0) reactions.counts[type] = n;
    }
  }

  function renderReactions() {
    for (const [type, button] of el.buttons) {
      const n = reactions.counts[type];
      button.querySelector(".count").textContent = n === undefined ? "" : String(n);
      button.setAttribute("aria-pressed", reactions.mine.has(type) ? "true" : "false");
    }
  }

  async function loadReactions() {
    const events = reactions.events;
    let data;
    try {
      ({ data } = await api("GET", `${BASE}/reactions`));
    } catch (err) {
      if (!invalidReader(err)) throw err;
      forgetReader(); // a token the server no longer knows: read as nobody
      ({ data } = await api("GET", `${BASE}/reactions`));
    }
    if (events === reactions.events) setCounts(data?.counts);
    if (Array.isArray(data?.mine)) reactions.mine = new Set(data.mine.filter((t) => el.buttons.has(t)));
    renderReactions();
  }

  async function toggle(type) {
    if (reactions.busy.has(type)) return;
    const button = el.buttons.get(type);
    reactions.busy.add(type);
    button.setAttribute("aria-busy", "true");
    if (!reactions.requestIds.has(type)) reactions.requestIds.set(type, newRequestId());
    const requestId = reactions.requestIds.get(type);
    const events = reactions.events;
    try {
      const { data } = await withRetry(() => api("POST", `${BASE}/reactions`, { type, requestId }));
      reactions.requestIds.delete(type);
      if (data?.active) reactions.mine.add(type);
      else reactions.mine.delete(type);
      // The socket's counts are as new or newer if an event came meanwhile (ours follows it).
      if (events === reactions.events) setCounts(data?.counts);
      renderReactions();
      say("");
    } catch (err) {
      // A definite answer: the next click is a new toggle. After a lost one, it is a retry.
      if (!transient(err)) reactions.requestIds.delete(type);
      if (invalidReader(err)) {
        forgetReader();
        withReader(el.group, () => toggle(type));
      } else {
        say(describe(err));
      }
    } finally {
      reactions.busy.delete(type);
      button.removeAttribute("aria-busy");
    }
  }

  for (const [type, button] of el.buttons) {
    button.addEventListener("click", () => withReader(el.group, () => toggle(type)));
  }

  // -------------------------------------------------------------------------------------------
  // Comments

  const commentItems = new Map(); // comment id -> <li>

  function renderComment(c) {
    const li = document.createElement("li");
    li.className = "comment";
    li.id = `comment-${c.id}`;
    li.dataset.id = c.id;
    const meta = document.createElement("p");
    meta.className = "comment-meta";
    if (c.hidden) {
      li.classList.add("is-hidden");
      meta.append("Comment hidden");
      li.append(meta);
      return li;
    }
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = c.reader_name || "Anonymous";
    meta.append(author, " · ", timeElement(c.created_at));
    const body = document.createElement("div");
    body.className = "comment-body";
    body.innerHTML = typeof c.html === "string" ? c.html : ""; // rendered and sanitised by the server
    li.append(meta, body);
    return li;
  }

  function repliesOf(li) {
    let list = li.querySelector(":scope > ol.replies");
    if (!list) {
      list = document.createElement("ol");
      list.className = "replies";
      li.append(list);
    }
    return list;
  }

  // Shows `c`: a new comment is appended (under its parent when that is shown), a known one is
  // left alone unless `replace` (an update, e.g. hidden by the owner), keeping its replies.
  function showComment(c, { replace = false } = {}) {
    if (!c || typeof c.id !== "string" || !c.id) return;
    const existing = commentItems.get(c.id);
    if (existing && !replace) return;
    const li = renderComment(c);
    if (existing) {
      const replies = existing.querySelector(":scope > ol.replies");
      if (replies) li.append(replies);
      existing.replaceWith(li);
    } else {
      const parent = c.parent_id ? commentItems.get(c.parent_id) : null;
      (parent ? repliesOf(parent) : el.comments).append(li);
    }
    commentItems.set(c.id, li);
  }

  function clearComments() {
    el.comments.replaceChildren();
    commentItems.clear();
  }

  // Every comment, oldest first, page by page.
  async function fetchComments() {
    const all = [];
    let cursor = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (cursor) query.set("cursor", cursor);
      const { data } = await api("GET", `${BASE}/comments?${query}`, undefined, { auth: false });
      if (Array.isArray(data?.comments)) all.push(...data.comments);
      if (!data?.more || typeof data.next_cursor !== "string" || data.next_cursor === cursor) break;
      cursor = data.next_cursor;
    }
    return all;
  }

  let commentRequest = null; // {body, requestId} of a comment whose outcome is unknown

  async function postComment() {
    const body = el.commentBody.value;
    if (!commentRequest || commentRequest.body !== body) commentRequest = { body, requestId: newRequestId() };
    const { requestId } = commentRequest;
    el.commentSubmit.disabled = true;
    el.commentError.textContent = "";
    try {
      const { data } = await withRetry(() => api("POST", `${BASE}/comments`, { body, requestId }));
      commentRequest = null;
      if (el.commentBody.value === body) el.commentBody.value = "";
      showComment(data?.comment);
      el.commentBody.removeAttribute("aria-invalid");
    } catch (err) {
      if (!transient(err)) commentRequest = null;
      if (invalidReader(err)) {
        forgetReader();
        withReader(el.commentForm, postComment);
        return;
      }
      if (err.code === "comment.too_long" || err.status === 413) {
        el.commentError.textContent = `A comment can be at most ${MAX_COMMENT.toLocaleString()} characters.`;
      } else if (err.code === "comment.body_invalid") {
        el.commentError.textContent = err.message || "This comment cannot be posted as it is.";
      } else {
        el.commentError.textContent = describe(err);
      }
      if (err instanceof ApiError && err.status < 500 && err.status !== 429) el.commentBody.setAttribute("aria-invalid", "true");
    } finally {
      el.commentSubmit.disabled = false;
    }
  }

  el.commentForm.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!el.commentBody.value.trim()) {
      el.commentError.textContent = "Write something first.";
      el.commentBody.focus();
      return;
    }
    withReader(el.commentForm, postComment);
  });

  // -------------------------------------------------------------------------------------------
  // The current state over HTTP, and the live channel

  const live = {
    ws: null,
    lastSeq: null, // the highest event seq seen: a reconnect asks for what came after it
    attempt: 0, // reconnects since the last socket that worked, for the backoff
    reconnectTimer: 0,
    pingTimer: 0,
    heardAt: 0,
    loaded: false, // the state was read over HTTP at least once
    loading: null, // the reload in flight
    queued: [], // comment events that arrived during a reload, shown after it
  };

  // Reads reactions and comments over HTTP (all of them again, after a reset); comment events
  // that arrive meanwhile wait, so the thread keeps its order.
  function reload({ reset = false } = {}) {
    if (live.loading && !reset) return live.loading;
    const run = (async () => {
      const [r, c] = await Promise.allSettled([loadReactions(), fetchComments()]);
      if (c.status === "fulfilled") {
        if (reset) clearComments();
        for (const comment of c.value) showComment(comment, { replace: true });
      }
      if (live.loading === run) {
        live.loading = null;
        const queued = live.queued.splice(0);
        for (const m of queued) apply(m);
      }
      live.loaded = true;
      const failed = [r, c].find((x) => x.status === "rejected");
      if (failed) say(failed.reason instanceof NetworkError ? describe(failed.reason) : "Some reactions or comments could not be loaded.");
    })();
    live.loading = run;
    return run;
  }

  function apply(m) {
    if (m.type === "reactions") {
      reactions.events++;
      setCounts(m.counts);
      renderReactions();
    } else if (m.type === "comment") {
      showComment(m.comment);
    } else if (m.type === "comment_update") {
      showComment(m.comment, { replace: true });
    }
  }

  function onMessage(text) {
    let m;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (!m || typeof m !== "object" || typeof m.type !== "string") return;
    switch (m.type) {
      case "reactions":
      case "comment":
      case "comment_update": {
        if (Number.isInteger(m.seq)) {
          if (live.lastSeq !== null && m.seq <= live.lastSeq) return; // seen already
          live.lastSeq = m.seq;
        }
        if (live.loading && m.type !== "reactions") live.queued.push(m);
        else apply(m);
        return;
      }
      case "presence": {
        const n = m.reading;
        if (Number.isInteger(n) && n >= 0) el.presence.textContent = n > 0 ? `${n} reading now` : "";
        // The state was read after this socket subscribed, so nothing up to here is missing.
        if (live.lastSeq === null && Number.isInteger(m.seq) && m.seq >= 0) live.lastSeq = m.seq;
        return;
      }
      case "reset": {
        // Too far behind for a catch-up: read everything again, then go on from its seq.
        if (Number.isInteger(m.seq) && m.seq >= 0) live.lastSeq = m.seq;
        reload({ reset: true });
        return;
      }
      case "error":
        say(typeof m.message === "string" && m.message ? m.message : "The live connection reported a problem.");
        return;
      default:
        return; // "pong" and anything newer than this script
    }
  }

  function stopPing() {
    clearInterval(live.pingTimer);
    live.pingTimer = 0;
  }

  function scheduleReconnect() {
    clearTimeout(live.reconnectTimer);
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** live.attempt) * (0.75 + Math.random() * 0.25);
    live.attempt = Math.min(live.attempt + 1, 10);
    live.reconnectTimer = setTimeout(connect, delay);
  }

  // Stops using `ws` (it closed, died or the page is going away); reconnects unless told not to.
  function drop(ws, { reconnect = true } = {}) {
    if (live.ws !== ws) return;
    live.ws = null;
    stopPing();
    try {
      ws.close(1000);
    } catch {}
    if (!live.loaded) reload(); // never opened: show the state anyway
    if (reconnect) scheduleReconnect();
  }

  function connect() {
    clearTimeout(live.reconnectTimer);
    if (live.ws) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    let ws;
    try {
      ws = new WebSocket(`${scheme}//${location.host}${BASE}/live`);
    } catch {
      scheduleReconnect();
      return;
    }
    live.ws = ws;
    ws.addEventListener("open", () => {
      if (live.ws !== ws) return;
      live.heardAt = Date.now();
      const hello = { type: "hello" };
      if (live.lastSeq !== null) hello.since = live.lastSeq;
      ws.send(JSON.stringify(hello));
      // Nothing to catch up from: read the state now that this socket hears every change.
      if (live.lastSeq === null) reload();
      stopPing();
      live.pingTimer = setInterval(() => {
        if (Date.now() - live.heardAt > SILENCE_MS) {
          drop(ws);
          return;
        }
        if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
      }, PING_MS);
    });
    ws.addEventListener("message", (e) => {
      if (live.ws !== ws) return;
      live.heardAt = Date.now();
      live.attempt = 0; // the server took this socket: the next drop reconnects after 1 s
      if (typeof e.data === "string") onMessage(e.data);
    });
    ws.addEventListener("close", () => drop(ws));
    // An error is always followed by a close.
  }

  // A page kept in the back/forward cache must not hold a socket (nor count as reading).
  window.addEventListener("pagehide", () => {
    if (live.ws) drop(live.ws, { reconnect: false });
    clearTimeout(live.reconnectTimer);
  });
  window.addEventListener("pageshow", (e) => {
    if (e.persisted && !live.ws) connect();
  });
  window.addEventListener("online", () => {
    if (!live.ws) {
      live.attempt = 0;
      connect();
    }
  });

  // -------------------------------------------------------------------------------------------
  // Start: show the controls, open the channel (which loads the state once it is subscribed).

  for (const button of el.buttons.values()) button.hidden = false;
  el.heading.hidden = false;
  el.commentForm.hidden = false;
  showReaderName();
  connect();
  setTimeout(() => {
    if (!live.loaded && !live.loading) reload();
  }, OPEN_WAIT_MS);
})();
