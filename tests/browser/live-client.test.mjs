// live.js (the post page's script) in real Chromium against a scripted server: the page and its
// assets come from the built worker in Miniflare, while the reader API and the live WebSocket
// are answered by FakeBackend below (Playwright's route() and routeWebSocket()), which speaks
// the API contract and can misbehave on cue. This covers what the real backend cannot easily be
// made to do: paging through many comments, replies and hidden ones, reconnecting with backoff and
// `since`, a reset, pings, 429/401/413/503 answers and retries with the same request id.
// tests/browser/live.test.mjs runs the same page against the real backend.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newDevice, tenantOrigin, textMatches } from "../support/browser.mjs";
import { World } from "../support/world.mjs";

// Chromium logs every non-2xx answer as a console error; these are the ones the scenarios cause.
const EXPECTED = [/status of (400|401|413|429|503)/];
const TYPES = ["like", "love", "insightful", "laugh"];
const PING = '{"type":"ping"}';

let w, browser, origin, slug, postUrl;
const devices = [];

before(async () => {
  w = await World.start({ seed: true });
  origin = await tenantOrigin(w, "demo");
  slug = (await w.newestPublicPost("demo")).slug;
  postUrl = `${origin}/blog/${slug}`;
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await w?.dispose();
});

// The contract's side of the API and the live channel, in memory.
class FakeBackend {
  constructor({ comments = [] } = {}) {
    this.counts = Object.fromEntries(TYPES.map((t) => [t, 0]));
    this.mine = new Map(); // token -> Set of types
    this.tokens = new Set();
    this.replays = new Map(); // token + requestId -> the answer
    this.comments = comments;
    this.seq = 0;
    this.sockets = []; // WebSocketRoute, in connection order
    this.frames = []; // [socket index, text] the page sent
    this.requests = []; // {method, path, query, auth, body}
    this.failures = []; // {method, suffix, status, body, headers}: answered once, in order
    this.readers = 0;
  }

  async attach(context) {
    await context.route(`${origin}/api/**`, (route) => this.handle(route));
    await context.routeWebSocket(new RegExp(`/api/posts/${slug}/live$`), (ws) => this.connect(ws));
  }

  // The next request of `method` whose path ends with `suffix` gets this answer instead.
  failNext(method, suffix, status, body, headers = {}) {
    this.failures.push({ method, suffix, status, body, headers });
  }

  handle(route) {
    const request = route.request();
    const url = new URL(request.url());
    let body = null;
    try {
      body = request.postDataJSON();
    } catch {}
    const auth = request.headers().authorization ?? null;
    this.requests.push({ method: request.method(), path: url.pathname, query: Object.fromEntries(url.searchParams), auth, body });
    const reply = (status, json, headers = {}) =>
      route.fulfill({ status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(json) });

    const failure = this.failures.findIndex((f) => f.method === request.method() && url.pathname.endsWith(f.suffix));
    if (failure >= 0) {
      const f = this.failures.splice(failure, 1)[0];
      return reply(f.status, f.body, f.headers);
    }
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : null;
    const base = `/api/posts/${slug}`;
    const invalid = () => reply(401, { error: { code: "reader.invalid_token", message: "that reader token is not valid" } });

    if (request.method() === "POST" && url.pathname === "/api/readers") {
      const n = ++this.readers;
      const issued = `rdr_fake${n}`;
      this.tokens.add(issued);
      return reply(201, { token: issued, reader: { id: `rd_${n}`, name: body.name } });
    }
    if (request.method() === "GET" && url.pathname === `${base}/reactions`) {
      if (token && !this.tokens.has(token)) return invalid();
      return reply(200, { counts: this.counts, mine: [...(this.mine.get(token) ?? [])] });
    }
    if (request.method() === "POST" && url.pathname === `${base}/reactions`) {
      if (!token || !this.tokens.has(token)) return invalid();
      const key = `${token}:${body.requestId}`;
      if (this.replays.has(key)) return reply(200, { ...this.replays.get(key), replayed: true });
      const mine = this.mine.get(token) ?? new Set();
      this.mine.set(token, mine);
      const active = !mine.has(body.type);
      if (active) mine.add(body.type);
      else mine.delete(body.type);
      this.counts[body.type] += active ? 1 : -1;
      const answer = { type: body.type, active, counts: { ...this.counts } };
      this.replays.set(key, answer);
      this.broadcast({ type: "reactions", counts: { ...this.counts } });
      return reply(200, { ...answer, replayed: false });
    }
    if (request.method() === "GET" && url.pathname === `${base}/comments`) {
      const limit = Number(url.searchParams.get("limit") ?? 20);
      const from = url.searchParams.has("cursor") ? Number(url.searchParams.get("cursor").slice(1)) : 0;
      const page = this.comments.slice(from, from + limit);
      const next = from + page.length;
      return reply(200, { comments: page, next_cursor: `c${next}`, more: next < this.comments.length });
    }
    if (request.method() === "POST" && url.pathname === `${base}/comments`) {
      if (!token || !this.tokens.has(token)) return invalid();
      const key = `${token}:${body.requestId}`;
      if (this.replays.has(key)) return reply(200, { comment: this.replays.get(key) });
      const comment = comment_({ id: `cm_new${this.comments.length}`, name: "Poster", text: body.body });
      this.comments.push(comment);
      this.replays.set(key, comment);
      this.broadcast({ type: "comment", comment });
      return reply(201, { comment });
    }
    return reply(404, { error: { code: "route.not_found", message: "no such route" } });
  }

  connect(ws) {
    const index = this.sockets.push(ws) - 1;
    if (this.refuse) {
      ws.close({ code: 1011, reason: "unavailable" });
      return;
    }
    ws.open = true;
    ws.onMessage((text) => {
      this.frames.push([index, text]);
      if (text === PING) return ws.send('{"type":"pong"}'); // the runtime's auto-response
      const m = JSON.parse(text);
      if (m.type === "hello") ws.send(JSON.stringify({ type: "presence", reading: this.open().length, seq: this.seq }));
    });
    ws.onClose(() => {
      ws.open = false;
    });
  }

  open() {
    return this.sockets.filter((s) => s.open);
  }
  hellos() {
    return this.frames.map(([i, text]) => [i, text]).filter(([, text]) => text.includes('"hello"')).map(([i, text]) => [i, JSON.parse(text)]);
  }
  // Sends an event with the next seq to every open socket.
  broadcast(payload) {
    this.seq++;
    const text = JSON.stringify({ seq: this.seq, at: new Date().toISOString(), ...payload });
    for (const s of this.open()) s.send(text);
    return this.seq;
  }
  send(payload) {
    for (const s of this.open()) s.send(JSON.stringify(payload));
  }
  async dropAll() {
    for (const s of this.open()) {
      s.open = false;
      await s.close({ code: 1001, reason: "going away" });
    }
  }
}

// A comment as readers get it.
function comment_({ id, name = "Reader", text = "", parent = null, hidden = false, at = "2026-11-01T10:00:00.000Z" }) {
  if (hidden) return { id, parent_id: parent, hidden: true, created_at: at };
  const html = `<p>${text.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</p>\n`;
  return { id, reader_name: name, parent_id: parent, body: text, html, hidden: false, created_at: at };
}

async function open(backend, { reader = null, clock = false } = {}) {
  const device = await newDevice(browser, { allow: EXPECTED });
  devices.push(device);
  if (clock) await device.context.clock.install();
  if (reader) {
    await device.context.addInitScript((r) => localStorage.setItem("lattice.reader", JSON.stringify(r)), reader);
    backend.tokens.add(reader.token);
  }
  await backend.attach(device.context);
  await device.page.goto(postUrl);
  await device.page.waitForSelector('#live button[data-type="like"]', { state: "visible" });
  return device;
}

const button = (type) => `#live .reactions button[data-type="${type}"]`;
const countOf = (type) => `${button(type)} .count`;
const requestsTo = (backend, method, suffix) => backend.requests.filter((r) => r.method === method && r.path.endsWith(suffix));
const waitFor = async (fn, what, timeout = 5000) => {
  const deadline = Date.now() + timeout;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

test("loading: counts, every page of comments in order, replies under their parent, hidden ones, names as text", async () => {
  const comments = [];
  for (let i = 0; i < 120; i++) comments.push(comment_({ id: `c${i}`, name: `Reader ${i}`, text: `Comment number ${i}` }));
  comments[5] = comment_({ id: "c5", hidden: true });
  comments[7] = comment_({ id: "c7", parent: "c3", name: "Replier", text: "A reply to three" });
  comments[8] = comment_({ id: "c8", name: "<b>bold</b> & co", text: "names are text" });
  const backend = new FakeBackend({ comments });
  backend.counts = { like: 4, love: 0, insightful: 2, laugh: 1 };
  const { page } = await open(backend);

  for (const [type, n] of Object.entries(backend.counts)) await textMatches(page, countOf(type), new RegExp(`^${n}$`));
  await page.waitForFunction(() => document.querySelectorAll("#live .comment").length === 120);
  const gets = requestsTo(backend, "GET", "/comments");
  assert.deepEqual(gets.map((r) => r.query), [{ limit: "50" }, { limit: "50", cursor: "c50" }, { limit: "50", cursor: "c100" }]);
  assert.ok(gets.every((r) => r.auth === null), "comments are read without a token");
  assert.equal(requestsTo(backend, "GET", "/reactions")[0].auth, null, "no reader yet: no token");

  const top = await page.$$eval("#live ol.comments > li", (els) => els.map((e) => e.dataset.id));
  assert.equal(top.length, 119);
  assert.deepEqual(top.slice(0, 4), ["c0", "c1", "c2", "c3"]);
  assert.equal(top.at(-1), "c119");
  assert.equal((await page.textContent('#live li[data-id="c3"] > ol.replies > li[data-id="c7"] .comment-body')).trim(), "A reply to three");
  assert.equal(await page.textContent('#live li[data-id="c5"]'), "Comment hidden");
  assert.equal(await page.textContent('#live li[data-id="c8"] .author'), "<b>bold</b> & co");
  assert.equal(await page.locator("#live b").count(), 0);
  assert.equal(await page.textContent('#live li[data-id="c0"] .comment-body p'), "Comment number 0");
  assert.match(await page.getAttribute('#live li[data-id="c0"] time', "datetime"), /^2026-11-01T10:00:00/);
  // The socket said hello without `since` (nothing seen yet), and presence arrived.
  await waitFor(() => backend.hellos().length === 1, "hello");
  assert.deepEqual(backend.hellos()[0][1], { type: "hello" });
  await textMatches(page, "#live .presence", /^1 reading now$/);
});

test("live events: counts, new comments once, updates that hide, presence, quiet errors", async () => {
  const backend = new FakeBackend({ comments: [comment_({ id: "a", text: "first" })] });
  const { page } = await open(backend);
  await page.waitForSelector('#live li[data-id="a"]');
  await waitFor(() => backend.open().length === 1, "socket");

  backend.broadcast({ type: "reactions", counts: { like: 9, love: 1, insightful: 0, laugh: 3 } });
  await textMatches(page, countOf("like"), /^9$/);
  await textMatches(page, countOf("laugh"), /^3$/);
  assert.equal(await page.getAttribute(button("like"), "aria-pressed"), "false");

  const fresh = comment_({ id: "b", name: "Someone", text: "second" });
  backend.broadcast({ type: "comment", comment: fresh });
  backend.broadcast({ type: "comment", comment: fresh }); // e.g. also delivered by a catch-up
  await page.waitForSelector('#live li[data-id="b"]');
  await page.waitForTimeout(200);
  assert.equal(await page.locator('#live li[data-id="b"]').count(), 1);

  backend.broadcast({ type: "comment_update", comment: comment_({ id: "a", hidden: true }) });
  await textMatches(page, '#live li[data-id="a"]', /^Comment hidden$/);

  backend.send({ type: "presence", reading: 3, seq: backend.seq });
  await textMatches(page, "#live .presence", /^3 reading now$/);
  backend.send({ type: "presence", reading: 1, seq: backend.seq });
  await textMatches(page, "#live .presence", /^1 reading now$/);

  // An event older than one already seen changes nothing.
  const stale = JSON.stringify({ seq: 1, type: "reactions", at: new Date().toISOString(), counts: { like: 0, love: 0, insightful: 0, laugh: 0 } });
  backend.open()[0].send(stale);
  backend.send({ type: "error", code: "rate.limited", message: "Too many messages; slow down." });
  await textMatches(page, "#live .live-status", /^Too many messages; slow down\.$/);
  assert.equal(await page.textContent(countOf("like")), "9");
});

test("the channel: a ping every 30 s, reconnects with `since`, a reset reloads, capped exponential backoff", async () => {
  const backend = new FakeBackend();
  const { page, context } = await open(backend, { clock: true });
  await waitFor(() => backend.open().length === 1, "socket");
  await textMatches(page, countOf("like"), /^0$/);
  // From here on the page's time moves only when the test says so.
  await context.clock.pauseAt(Date.now() + 5000);

  await context.clock.fastForward(30000);
  await waitFor(() => backend.frames.some(([, t]) => t === PING), "a ping");
  assert.equal(backend.frames.filter(([, t]) => t === PING).length, 1);

  backend.broadcast({ type: "reactions", counts: { like: 1, love: 0, insightful: 0, laugh: 0 } });
  const last = backend.broadcast({ type: "comment", comment: comment_({ id: "x", text: "before the drop" }) });
  await page.waitForSelector('#live li[data-id="x"]');

  // Dropped: back within a second, asking for what came after the last event it saw.
  await backend.dropAll();
  await context.clock.fastForward(1000);
  await waitFor(() => backend.sockets.length === 2 && backend.hellos().length === 2, "reconnect");
  assert.deepEqual(backend.hellos()[1][1], { type: "hello", since: last });

  // Too far behind: reset -> read everything again, then go on from the reset's seq.
  const readsBefore = requestsTo(backend, "GET", "/reactions").length;
  backend.comments.push(comment_({ id: "y", text: "missed while away" }));
  backend.counts.love = 5;
  backend.send({ type: "reset", seq: 40 });
  await page.waitForSelector('#live li[data-id="y"]');
  await textMatches(page, countOf("love"), /^5$/);
  assert.equal(requestsTo(backend, "GET", "/reactions").length, readsBefore + 1);
  assert.equal(await page.locator('#live li[data-id="x"]').count(), 0, "the list was read afresh");
  await backend.dropAll();
  await context.clock.fastForward(1000);
  await waitFor(() => backend.sockets.length === 3 && backend.hellos().length === 3, "reconnect after reset");
  assert.deepEqual(backend.hellos()[2][1], { type: "hello", since: 40 });

  // A server that keeps refusing: the waits double (1 s, 2 s, 4 s, ...) up to 30 s, never more.
  backend.refuse = true;
  await backend.dropAll();
  const connects = () => backend.sockets.length;
  await context.clock.fastForward(1000); // the first wait is at most 1 s
  await waitFor(() => connects() === 4, "the first retry");
  for (const [quiet, rest] of [[1400, 600], [2900, 1100], [5900, 2100]]) {
    // Between 3/4 of the doubled wait and all of it.
    const n = connects();
    await context.clock.fastForward(quiet);
    await page.waitForTimeout(150);
    assert.equal(connects(), n, `no retry within ${quiet} ms`);
    await context.clock.fastForward(rest);
    await waitFor(() => connects() === n + 1, `a retry within ${quiet + rest} ms`);
  }
  for (let i = 0; i < 4; i++) {
    const n = connects();
    await context.clock.fastForward(30000);
    await waitFor(() => connects() === n + 1, `a retry within 30 s (${i})`);
  }
});

test("reacting: a name first, then a bearer token; retried with the same request id; 429 slows down; 401 asks again", async () => {
  const backend = new FakeBackend();
  const { page } = await open(backend);
  await textMatches(page, countOf("like"), /^0$/);

  // An empty name is refused before any request.
  await page.click(button("like"));
  await page.waitForSelector("#reader-form", { state: "visible" });
  await page.click("#reader-form button[type=submit]");
  await textMatches(page, "#reader-error", /1 to 50 characters/);
  assert.equal(requestsTo(backend, "POST", "/api/readers").length, 0);

  await page.fill("#reader-name", "  Bo  ");
  await page.click("#reader-form button[type=submit]");
  await page.waitForSelector(`${button("like")}[aria-pressed="true"]`);
  await textMatches(page, countOf("like"), /^1$/);
  assert.deepEqual(requestsTo(backend, "POST", "/api/readers")[0].body, { name: "Bo" });
  const [toggle] = requestsTo(backend, "POST", "/reactions");
  assert.equal(toggle.auth, "Bearer rdr_fake1");
  assert.equal(toggle.body.type, "like");
  assert.match(toggle.body.requestId, /^[A-Za-z0-9_-]{16,64}$/);
  assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem("lattice.reader"))), { token: "rdr_fake1", name: "Bo" });
  assert.equal(await page.isVisible("#reader-form"), false);
  assert.equal(await page.textContent("#comment-form label"), "Add a comment as Bo");

  // A lost answer (503) is sent again with the same request id.
  backend.failNext("POST", "/reactions", 503, { error: { code: "storage.unavailable", message: "retry shortly" } });
  await page.click(button("love"));
  await page.waitForSelector(`${button("love")}[aria-pressed="true"]`);
  const loves = requestsTo(backend, "POST", "/reactions").filter((r) => r.body.type === "love");
  assert.equal(loves.length, 2);
  assert.equal(loves[0].body.requestId, loves[1].body.requestId);
  await textMatches(page, countOf("love"), /^1$/);

  // Too fast: says so, with Retry-After; nothing changes.
  backend.failNext("POST", "/reactions", 429, { error: { code: "rate.limited", message: "slow down" } }, { "retry-after": "7" });
  await page.click(button("laugh"));
  await textMatches(page, "#live .live-status", /Slow down.*7 s/);
  assert.equal(await page.getAttribute(button("laugh"), "aria-pressed"), "false");
  await textMatches(page, countOf("laugh"), /^0$/);

  // The token stopped working: forgotten, a name asked for again, then the toggle goes through.
  backend.tokens.delete("rdr_fake1");
  await page.click(button("laugh"));
  await page.waitForSelector("#reader-form", { state: "visible" });
  assert.equal(await page.evaluate(() => localStorage.getItem("lattice.reader")), null);
  await page.fill("#reader-name", "Bo again");
  await page.keyboard.press("Enter");
  await page.waitForSelector(`${button("laugh")}[aria-pressed="true"]`);
  const laughs = requestsTo(backend, "POST", "/reactions").filter((r) => r.body.type === "laugh");
  assert.equal(laughs.at(-1).auth, "Bearer rdr_fake2");
  assert.notEqual(laughs.at(-1).body.requestId, laughs[0].body.requestId, "a new request after a definite answer");
  assert.equal(await page.textContent("#live .live-status"), "");
});

test("commenting: errors next to the form, a retry with the same request id, shown once, the form cleared", async () => {
  const backend = new FakeBackend();
  const reader = { token: "rdr_known", name: "Cy" };
  const { page } = await open(backend, { reader });
  await textMatches(page, "#comment-form label", /^Add a comment as Cy$/);
  await textMatches(page, countOf("like"), /^0$/);
  assert.equal(requestsTo(backend, "GET", "/reactions")[0].auth, "Bearer rdr_known");

  await page.click("#comment-form button[type=submit]");
  await textMatches(page, "#comment-error", /Write something first/);
  assert.equal(requestsTo(backend, "POST", "/comments").length, 0);

  await page.fill("#comment-body", "Hello *there*");
  backend.failNext("POST", "/comments", 413, { error: { code: "comment.too_long", message: "too long", field: "body" } });
  await page.click("#comment-form button[type=submit]");
  await textMatches(page, "#comment-error", /at most 5,000 characters/);
  assert.equal(await page.inputValue("#comment-body"), "Hello *there*", "nothing typed is lost");

  backend.failNext("POST", "/comments", 400, { error: { code: "comment.body_invalid", message: "The comment has a control character.", field: "body" } });
  await page.click("#comment-form button[type=submit]");
  await textMatches(page, "#comment-error", /^The comment has a control character\.$/);

  backend.failNext("POST", "/comments", 503, { error: { code: "storage.unavailable", message: "retry shortly" } });
  await page.click("#comment-form button[type=submit]");
  await page.waitForSelector('#live li[data-id="cm_new0"]');
  const posts = requestsTo(backend, "POST", "/comments");
  assert.equal(posts.at(-1).body.body, "Hello *there*");
  assert.equal(posts.at(-1).body.requestId, posts.at(-2).body.requestId, "the retry reuses the request id");
  assert.notEqual(posts.at(-2).body.requestId, posts[0].body.requestId, "a new request after a definite answer");
  assert.equal(posts.at(-1).auth, "Bearer rdr_known");
  await page.waitForTimeout(200); // the socket's copy of the same comment
  assert.equal(await page.locator('#live li[data-id="cm_new0"]').count(), 1);
  assert.equal(await page.inputValue("#comment-body"), "");
  assert.equal(await page.textContent("#comment-error"), "");
});

test("no console errors beyond the answers the scenarios asked for, and no cookies", async () => {
  for (const d of devices) {
    assert.deepEqual(d.problems, []);
    assert.deepEqual(await d.context.cookies(), []);
  }
});
