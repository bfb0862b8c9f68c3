// Meadow, a reader's feed of the blogs they follow: plain JS with no build step, served from the
// core at /meadow/meadow.js (web/meadow) on the main host.
//
// A reader is whoever holds a reader token (POST /api/readers with a name), kept in this origin's
// localStorage and sent only as `Authorization: Bearer` — or, on the WebSocket, where a browser
// cannot set headers, as the second of the two subprotocols offered ("lattice.meadow", token);
// the server names only the first in its answer. Lattice sets no cookie.
//
// The feed is read a page at a time with the server's opaque cursor (never an offset), so new
// posts arriving while the reader scrolls neither repeat nor skip items. New posts are pushed
// over the socket and announced at the top; showing them reloads the first page. Everything from
// the server is set as text, never parsed as HTML.
"use strict";

const READER_KEY = "lattice.reader";
const PAGE_SIZE = 20;
const MAX_NAME = 50;
const PING_MS = 30000;
const SILENCE_MS = 75000; // nothing (not even a pong) for this long: the socket is dead
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const SUBDOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const $ = (id) => document.getElementById(id);
const el = {
  signin: $("signin"),
  signinForm: $("signin-form"),
  signinName: $("signin-name"),
  signinError: $("signin-error"),
  signinSubmit: $("signin-submit"),
  app: $("app"),
  readerName: $("reader-name"),
  signOut: $("sign-out"),
  sortButtons: Array.from(document.querySelectorAll(".sort button[data-sort]")),
  notice: $("new-posts"),
  status: $("feed-status"),
  feed: $("feed"),
  sentinel: $("sentinel"),
  end: $("feed-end"),
  empty: $("feed-empty"),
  following: $("following"),
  followingNone: $("following-none"),
  followForm: $("follow-form"),
  followName: $("follow-name"),
  followError: $("follow-error"),
  followSubmit: $("follow-submit"),
  discover: $("discover"),
  discoverNone: $("discover-none"),
  itemTemplate: $("item-template"),
};

// ---------------------------------------------------------------------------------------------
// The reader and the API

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
  } catch {}
}
function forgetReader() {
  try {
    localStorage.removeItem(READER_KEY);
  } catch {}
}

let reader = loadReader();

class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || `request failed (${status})`);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// The API's JSON answer, or an ApiError with the server's stable code. A 401 for the token means
// the server no longer knows it: the page signs out.
async function api(method, path, { body, auth = true } = {}) {
  const headers = {};
  if (auth && reader) headers.authorization = `Bearer ${reader.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  } catch {
    throw new ApiError(0, "network", "You seem to be offline. Check your connection and try again.");
  }
  let data = null;
  try {
    data = await res.json();
  } catch {}
  if (res.ok) return data;
  const code = data?.error?.code ?? null;
  if (res.status === 401 && auth && (code === "reader.invalid_token" || code === "reader.missing_token")) {
    signOut("Your reader key is no longer valid. Pick a name to start again.");
  }
  throw new ApiError(res.status, code, data?.error?.message, Number(res.headers.get("retry-after")) || 0);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
function setTime(t, when) {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return;
  t.dateTime = d.toISOString();
  t.textContent = dateFormat.format(d);
}

function say(message) {
  el.status.textContent = message;
}

// Only links to http(s) pages of this platform's blogs: an item's url comes from the server, but
// nothing that is not a web address becomes an href.
function safeHref(url) {
  try {
    const u = new URL(url, location.href);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// The feed: pages by cursor, appended as the reader scrolls

const feed = {
  sort: "recent",
  cursor: null,
  done: false,
  loading: null, // the page request in flight
  generation: 0, // bumped by every reset; a page of an older generation is dropped
  shown: new Map(), // post_id -> <li>
  pending: new Set(), // post ids pushed since the first page was read
};

function renderItem(item) {
  const li = el.itemTemplate.content.firstElementChild.cloneNode(true);
  li.dataset.postId = item.post_id;
  li.dataset.tenantId = item.tenant_id;
  const href = safeHref(item.url);
  const link = li.querySelector(".post-link");
  link.textContent = item.title || "(untitled)";
  if (href) link.href = href;
  const author = li.querySelector(".author");
  author.textContent = item.author || item.subdomain;
  const blog = href ? safeHref(new URL("/blog", href).href) : null;
  if (blog) author.href = blog;
  setTime(li.querySelector("time"), item.published_at);
  const description = li.querySelector(".description");
  description.textContent = item.description || "";
  description.hidden = !item.description;
  const tags = li.querySelector(".tags");
  for (const tag of Array.isArray(item.tags) ? item.tags.slice(0, 5) : []) {
    const span = document.createElement("span");
    span.className = "tag";
    span.textContent = `#${tag}`;
    tags.append(span);
  }
  const engagement = [];
  if (item.reactions > 0) engagement.push(plural(item.reactions, "reaction", "reactions"));
  if (item.comments > 0) engagement.push(plural(item.comments, "comment", "comments"));
  li.querySelector(".engagement").textContent = engagement.join(" · ");
  return li;
}

function showEnd() {
  const any = feed.shown.size > 0;
  el.end.hidden = !(feed.done && any);
  el.empty.hidden = !(feed.done && !any);
}

function resetFeed() {
  feed.generation += 1;
  feed.cursor = null;
  feed.done = false;
  feed.loading = null;
  feed.shown.clear();
  feed.pending.clear();
  el.feed.replaceChildren();
  el.end.hidden = true;
  el.empty.hidden = true;
  showNotice();
}

async function loadPage() {
  if (feed.loading || feed.done || !reader) return feed.loading;
  const generation = feed.generation;
  const params = new URLSearchParams({ sort: feed.sort, limit: String(PAGE_SIZE) });
  if (feed.cursor) params.set("cursor", feed.cursor);
  el.feed.setAttribute("aria-busy", "true");
  say(feed.shown.size ? "Loading more…" : "Loading your feed…");
  feed.loading = (async () => {
    try {
      const page = await api("GET", `/api/meadow/feed?${params}`);
      if (generation !== feed.generation) return;
      for (const item of page.items ?? []) {
        if (feed.shown.has(item.post_id)) continue;
        const li = renderItem(item);
        feed.shown.set(item.post_id, li);
        el.feed.append(li);
      }
      feed.cursor = page.next_cursor ?? null;
      feed.done = !feed.cursor;
      say("");
      showEnd();
    } catch (err) {
      if (generation !== feed.generation) return;
      if (err.code === "feed.cursor_expired") {
        // A relevance ranking is kept an hour; after that the order starts again from the top.
        resetFeed();
        say("The ranking was refreshed, so the feed starts again from the top.");
        feed.loading = null;
        return loadPage();
      }
      say(err.message);
    } finally {
      if (generation === feed.generation) {
        feed.loading = null;
        el.feed.removeAttribute("aria-busy");
      }
    }
  })();
  await feed.loading;
  // Still at the bottom (a short page, a tall window): the observer will not fire again.
  if (generation === feed.generation && !feed.done && !el.status.textContent && sentinelVisible()) return loadPage();
}

function sentinelVisible() {
  const r = el.sentinel.getBoundingClientRect();
  return r.top < window.innerHeight + 600;
}

new IntersectionObserver((entries) => {
  if (entries.some((e) => e.isIntersecting)) loadPage();
}, { rootMargin: "0px 0px 600px 0px" }).observe(el.sentinel);

function setSort(sort) {
  if (sort === feed.sort) return;
  feed.sort = sort;
  for (const b of el.sortButtons) b.setAttribute("aria-pressed", String(b.dataset.sort === sort));
  resetFeed();
  loadPage();
}
for (const b of el.sortButtons) b.addEventListener("click", () => setSort(b.dataset.sort));

function removeItem(postId) {
  const li = feed.shown.get(postId);
  if (li) li.remove();
  feed.shown.delete(postId);
  feed.pending.delete(postId);
  showNotice();
  showEnd();
}

function removeBlog(tenantId) {
  for (const [postId, li] of feed.shown) if (li.dataset.tenantId === tenantId) removeItem(postId);
}

// ---------------------------------------------------------------------------------------------
// "N new posts": pushed items wait here until the reader asks for them

function showNotice() {
  const n = feed.pending.size;
  el.notice.hidden = n === 0;
  el.notice.textContent = n ? `${plural(n, "new post", "new posts")} — show` : "";
}

el.notice.addEventListener("click", () => {
  resetFeed();
  window.scrollTo({ top: 0 });
  loadPage();
});

// ---------------------------------------------------------------------------------------------
// Blogs: followed ones (unfollow) and others (follow)

let followed = []; // [{tenant_id, subdomain, display_name}]

function blogRow(blog, action, label, onClick) {
  const li = document.createElement("li");
  const name = document.createElement("a");
  name.className = "blog-name";
  name.textContent = blog.display_name || blog.subdomain;
  name.title = name.textContent; // in full when the column cuts it short
  const href = blog.url ? safeHref(blog.url) : null;
  if (href) name.href = href;
  const sub = document.createElement("span");
  sub.className = "muted small";
  sub.textContent = blog.subdomain;
  const button = document.createElement("button");
  button.type = "button";
  button.className = action;
  button.textContent = label;
  button.setAttribute("aria-label", `${label} ${blog.display_name || blog.subdomain}`);
  button.addEventListener("click", () => onClick(blog, button));
  const text = document.createElement("div");
  text.className = "blog-text";
  text.append(name, sub);
  li.append(text, button);
  return li;
}

let directory = [];

function renderBlogs() {
  const followedNames = new Set(followed.map((f) => f.subdomain));
  el.following.replaceChildren(
    ...followed.map((f) => blogRow({ ...f, url: directory.find((d) => d.subdomain === f.subdomain)?.url }, "quiet", "Unfollow", unfollow)),
  );
  el.followingNone.hidden = followed.length > 0;
  const others = directory.filter((d) => !followedNames.has(d.subdomain));
  el.discover.replaceChildren(...others.map((d) => blogRow(d, "primary", "Follow", (b, button) => follow(b.subdomain, button))));
  el.discoverNone.hidden = !(directory.length > 0 && others.length === 0);
}

async function loadFollowing() {
  try {
    const data = await api("GET", "/api/meadow/following");
    followed = Array.isArray(data?.following) ? data.following : [];
  } catch (err) {
    say(err.message);
  }
  renderBlogs();
}

async function loadDirectory() {
  try {
    const data = await api("GET", "/api/meadow/blogs", { auth: false });
    directory = Array.isArray(data?.blogs) ? data.blogs : [];
  } catch {
    directory = [];
  }
  renderBlogs();
}

// Resolves once the follow is stored (onStored runs then), after the lists and feed are reloaded.
async function follow(subdomain, button, onStored = () => {}) {
  el.followError.textContent = "";
  if (button) button.disabled = true;
  try {
    await api("PUT", `/api/meadow/following/${encodeURIComponent(subdomain)}`);
  } catch (err) {
    el.followError.textContent =
      err.code === "tenant.not_found" ? `There is no blog called “${subdomain}”.` : err.message;
    return false;
  } finally {
    if (button) button.disabled = false;
  }
  onStored();
  await loadFollowing();
  resetFeed();
  await loadPage();
  return true;
}

async function unfollow(blog, button) {
  button.disabled = true;
  try {
    await api("DELETE", `/api/meadow/following/${encodeURIComponent(blog.subdomain)}`);
    removeBlog(blog.tenant_id);
    await loadFollowing();
  } catch (err) {
    button.disabled = false;
    say(err.message);
  }
}

el.followForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = el.followName.value.trim().toLowerCase();
  if (!SUBDOMAIN.test(name)) {
    el.followName.setAttribute("aria-invalid", "true");
    el.followError.textContent = "A blog name is its address's first part: letters, digits and hyphens.";
    return;
  }
  el.followName.removeAttribute("aria-invalid");
  await follow(name, el.followSubmit, () => (el.followName.value = ""));
});

// ---------------------------------------------------------------------------------------------
// Live: the reader's FeedDO pushes new posts, removals and unfollows (from any of their tabs)

let socket = null;
let backoff = BACKOFF_MIN_MS;
let pingTimer = null;
let silenceTimer = null;
let dropped = false; // the socket was lost at least once: items may have been missed meanwhile

function heard() {
  clearTimeout(silenceTimer);
  silenceTimer = setTimeout(() => socket?.close(4000, "silent"), SILENCE_MS);
}

function onMessage(event) {
  heard();
  let m;
  try {
    m = JSON.parse(event.data);
  } catch {
    return;
  }
  if (m.type === "item" && m.item?.post_id) {
    if (!feed.shown.has(m.item.post_id)) feed.pending.add(m.item.post_id);
    showNotice();
  } else if (m.type === "removed" && m.post_id) {
    removeItem(m.post_id);
  } else if (m.type === "unfollowed" && m.tenant_id) {
    removeBlog(m.tenant_id);
    loadFollowing();
  }
}

// After a lost socket: the newest items of the feed that are not on the page are new posts.
async function catchUp() {
  if (feed.sort !== "recent" || feed.shown.size === 0) return;
  try {
    const page = await api("GET", `/api/meadow/feed?sort=recent&limit=${PAGE_SIZE}`);
    for (const item of page.items ?? []) if (!feed.shown.has(item.post_id)) feed.pending.add(item.post_id);
    showNotice();
  } catch {}
}

function connect() {
  if (!reader || socket) return;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${scheme}//${location.host}/api/meadow/live`, ["lattice.meadow", reader.token]);
  socket = ws;
  ws.addEventListener("open", () => {
    backoff = BACKOFF_MIN_MS;
    document.body.dataset.live = "open";
    heard();
    pingTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('{"type":"ping"}'), PING_MS);
    if (dropped) catchUp();
  });
  ws.addEventListener("message", onMessage);
  ws.addEventListener("close", () => {
    clearInterval(pingTimer);
    clearTimeout(silenceTimer);
    if (socket === ws) socket = null;
    delete document.body.dataset.live;
    if (!reader) return;
    dropped = true;
    setTimeout(connect, backoff + Math.random() * 500);
    backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  });
}

function disconnect() {
  const ws = socket;
  socket = null;
  ws?.close(1000, "signed out");
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

// #follow=name in the address (a blog's "Follow in Meadow" link): follow once signed in. A
// fragment never reaches the server or its logs.
function followRequested() {
  const m = /^#follow=([a-z0-9-]{1,63})$/.exec(location.hash);
  return m ? m[1] : null;
}

async function start() {
  el.signin.hidden = true;
  el.app.hidden = false;
  el.readerName.hidden = false;
  el.readerName.textContent = reader.name;
  el.signOut.hidden = false;
  connect();
  const wanted = followRequested();
  if (wanted) history.replaceState(null, "", location.pathname + location.search);
  // A follow that worked has loaded the blogs followed and the feed already.
  if (wanted && (await follow(wanted))) return loadDirectory();
  await Promise.all([loadFollowing(), loadDirectory(), loadPage()]);
}

function signOut(message = "") {
  reader = null;
  forgetReader();
  disconnect();
  resetFeed();
  followed = [];
  el.app.hidden = true;
  el.readerName.hidden = true;
  el.signOut.hidden = true;
  el.signin.hidden = false;
  el.signinError.textContent = message;
  el.signinName.focus();
}

el.signOut.addEventListener("click", () => signOut());

// A #follow= link opened while the page is already showing.
window.addEventListener("hashchange", async () => {
  const wanted = followRequested();
  if (!wanted || !reader) return;
  history.replaceState(null, "", location.pathname + location.search);
  if (await follow(wanted)) renderBlogs();
});

el.signinForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = el.signinName.value.trim();
  if (!name || name.length > MAX_NAME) {
    el.signinName.setAttribute("aria-invalid", "true");
    el.signinError.textContent = `A name is 1 to ${MAX_NAME} characters.`;
    return;
  }
  el.signinName.removeAttribute("aria-invalid");
  el.signinSubmit.disabled = true;
  el.signinError.textContent = "";
  try {
    const data = await api("POST", "/api/readers", { body: { name }, auth: false });
    if (typeof data?.token !== "string" || !data.token) throw new ApiError(500, null, "The server sent no reader key.");
    reader = { token: data.token, name: data.reader?.name ?? name };
    saveReader(reader);
    await start();
  } catch (err) {
    el.signinError.textContent =
      err.code === "rate.limited"
        ? `Too many new readers from your network just now; try again in ${err.retryAfter || 60} s.`
        : err.code === "reader.name_invalid"
          ? "That name cannot be used: 1 to 50 characters, no control characters."
          : err.message;
  } finally {
    el.signinSubmit.disabled = false;
  }
});

// Another tab signed in or out.
window.addEventListener("storage", (e) => {
  if (e.key !== READER_KEY) return;
  const next = loadReader();
  if (next?.token === reader?.token) return;
  if (!next) return signOut();
  reader = next;
  disconnect();
  resetFeed();
  start();
});

if (reader) start();
else signOut();
