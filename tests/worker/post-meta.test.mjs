// The PostMetaDO in the real runtime (workerd via Miniflare): reaction counts that always equal
// the acknowledged (reader, type) pairs, across concurrency, replays and a restart; 5,000
// comments through restarts and a failing D1 landing exactly once; 50 hibernating WebSockets
// that all get a broadcast, before and after the object is evicted; bad frames that close only
// their own socket.
import assert from "node:assert/strict";
import { test } from "node:test";
import { World, until } from "../support/world.mjs";

const DEMO = "demo.localhost";
const ORIGIN = `http://${DEMO}`;
const TYPES = ["like", "love", "insightful", "laugh"];

async function signUp(w, name) {
  const res = await w.fetch(DEMO, "/api/readers", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()).token;
}

async function post(w, token, path, body) {
  return w.fetch(DEMO, path, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

async function stats(w, tenantId, postId) {
  const ns = await w.mf.getDurableObjectNamespace("POST_META_DO");
  const stub = ns.get(ns.idFromName(`post-meta:${tenantId}:${postId}`));
  const res = await stub.fetch("https://do.internal/stats", { headers: { "x-lattice-tenant": tenantId, "x-lattice-post": postId } });
  return res.json();
}

// A WebSocket to the post's live channel, collecting what it receives.
async function openSocket(w, slug, origin = ORIGIN) {
  const res = await w.fetch(DEMO, `/api/posts/${slug}/live`, { headers: { upgrade: "websocket", origin } });
  assert.equal(res.status, 101, res.status === 101 ? "" : await res.text());
  const ws = res.webSocket;
  const socket = { ws, messages: [], closed: null };
  ws.addEventListener("message", (e) => socket.messages.push(JSON.parse(e.data)));
  ws.addEventListener("close", (e) => {
    socket.closed = { code: e.code, reason: e.reason };
  });
  ws.accept();
  return socket;
}

const ofType = (socket, type) => socket.messages.filter((m) => m.type === type);

test("100 clients x 100 toggles with replays: counts equal the acknowledged (reader, type) pairs, also after a restart", async () => {
  const w = await World.start({ seed: true, vars: { REACTIONS_PER_MINUTE: "100000", READER_SIGNUPS_PER_MINUTE: "1000", REACTIONS_FLUSH_SECONDS: "1" } });
  try {
    const { slug, id: postId } = await w.newestPublicPost("demo");
    const tenantId = await w.tenantId("demo");
    const clients = await Promise.all(Array.from({ length: 100 }, (_, i) => signUp(w, `reader ${i}`)));
    const state = clients.map(() => ({})); // client -> type -> active, from acknowledged answers
    let replays = 0;
    await Promise.all(
      clients.map(async (token, c) => {
        let last = null;
        for (let i = 0; i < 100; i++) {
          // Every fifth request repeats the previous one (same request id): a retry after a lost answer.
          const repeat = last && i % 5 === 0;
          const body = repeat ? last : { type: TYPES[(c + i * 7) % 4], requestId: `c${c}-r${i}-xxxx` };
          const res = await post(w, token, `/api/posts/${slug}/reactions`, body);
          assert.equal(res.status, 200, await res.clone().text());
          const answer = await res.json();
          if (repeat) {
            assert.equal(answer.replayed, true);
            replays++;
          } else {
            assert.equal(answer.replayed, false);
          }
          state[c][answer.type] = answer.active;
          last = body;
        }
      }),
    );
    const expected = Object.fromEntries(TYPES.map((t) => [t, state.filter((s) => s[t]).length]));
    const counts = async () => (await (await w.fetch(DEMO, `/api/posts/${slug}/reactions`)).json()).counts;
    assert.deepEqual(await counts(), expected);
    assert.equal((await stats(w, tenantId, postId)).consistent, true);
    assert.ok(replays >= 1900);

    await w.restart();
    assert.deepEqual(await counts(), expected);
    assert.equal((await stats(w, tenantId, postId)).consistent, true);
    // The alarm writes the same counts to D1.
    const inD1 = async () => {
      const rows = await w.rows("SELECT type, count FROM reaction_counts WHERE post_id = ?", postId);
      return Object.fromEntries(TYPES.map((t) => [t, rows.find((r) => r.type === t)?.count ?? 0]));
    };
    await until("reaction counts in D1", async () => JSON.stringify(await inD1()) === JSON.stringify(expected));
  } finally {
    await w.dispose();
  }
});

test("5,000 comments with two restarts and a failing D1: exactly 5,000 rows, each once", async () => {
  const w = await World.start({
    seed: true,
    script: "tests/support/flaky-d1-worker.mjs",
    vars: { COMMENTS_PER_MINUTE: "100000", COMMENTS_FLUSH_SECONDS: "1", FLAKY_COMMENT_FAILURES: "3" },
  });
  try {
    const { slug, id: postId } = await w.newestPublicPost("demo");
    const tenantId = await w.tenantId("demo");
    const readers = await Promise.all(Array.from({ length: 20 }, (_, i) => signUp(w, `commenter ${i}`)));
    const total = 5000;
    let next = 0;
    const sentBy = [];
    const sendUpTo = (end) => async (token) => {
      for (;;) {
        const n = next++;
        if (n >= end) {
          next = end;
          return;
        }
        sentBy[n] = token;
        const res = await post(w, token, `/api/posts/${slug}/comments`, { body: `comment ${n}`, requestId: `cmt-${n}-xxxx` });
        assert.equal(res.status, 201, await res.clone().text());
      }
    };
    // Three waves with a restart between them: every object and isolate loses its memory while
    // comments are still waiting for their flush.
    for (const end of [1500, 3500, total]) {
      await Promise.all(readers.map(sendUpTo(end)));
      if (end < total) await w.restart();
    }
    // Clients retrying some of them (lost answers) add nothing: the same comment comes back.
    for (let n = 0; n < 50; n++) {
      const res = await post(w, sentBy[n], `/api/posts/${slug}/comments`, { body: `comment ${n}`, requestId: `cmt-${n}-xxxx` });
      assert.equal(res.status, 200);
      assert.equal((await res.json()).comment.body, `comment ${n}`);
    }
    const landed = async () => (await w.rows("SELECT count(*) AS n, count(DISTINCT id) AS d FROM comments WHERE post_id = ?", postId))[0];
    await until("5,000 comments in D1", async () => (await landed()).n >= total, 120_000);
    await until("outbox empty", async () => (await stats(w, tenantId, postId)).unflushed === 0);
    assert.deepEqual(await landed(), { n: total, d: total });
    assert.equal((await stats(w, tenantId, postId)).comments, total);
  } finally {
    await w.dispose();
  }
});

test("50 WebSockets all get a broadcast, also after the object hibernated and woke", async () => {
  const w = await World.start({ seed: true });
  try {
    const { slug } = await w.newestPublicPost("demo");
    const sockets = [];
    for (let i = 0; i < 50; i++) sockets.push(await openSocket(w, slug));
    await until("presence 50", () => sockets.every((s) => ofType(s, "presence").at(-1)?.reading === 50));
    const token = await signUp(w, "Ada");
    assert.equal((await post(w, token, `/api/posts/${slug}/reactions`, { type: "like" })).status, 200);
    await until("first broadcast", () => sockets.every((s) => ofType(s, "reactions").length === 1));

    // Idle for longer than workerd's 10 s: the object is evicted while the sockets stay open.
    const started = async () => (await w.counters())["object.started"] ?? 0;
    const before = await started();
    await new Promise((r) => setTimeout(r, 13_000));
    assert.equal((await post(w, token, `/api/posts/${slug}/reactions`, { type: "love" })).status, 200);
    await until("broadcast after hibernation", () => sockets.every((s) => ofType(s, "reactions").length === 2));
    assert.ok((await started()) > before, "the object was constructed again: it had hibernated");
    for (const s of sockets) {
      const [first, second] = ofType(s, "reactions");
      assert.equal(second.seq, first.seq + 1);
      assert.deepEqual(second.counts, { like: 1, love: 1, insightful: 0, laugh: 0 });
    }
    // A socket that was open through the hibernation can still talk: hello catches it up.
    sockets[0].ws.send(JSON.stringify({ type: "hello", since: 0 }));
    await until("catch-up", () => ofType(sockets[0], "reactions").length === 4);
    for (const s of sockets) s.ws.close(1000, "bye");
  } finally {
    await w.dispose();
  }
});

test("malformed and oversized frames close only their socket (1008/1009); the object serves the rest", async () => {
  const w = await World.start({ seed: true });
  try {
    const { slug } = await w.newestPublicPost("demo");
    const good = await openSocket(w, slug);
    const cases = [
      ["not json", 1008, "frame.not_json"],
      [JSON.stringify({ type: "shout" }), 1008, "message.type_unknown"],
      [JSON.stringify({ type: "hello", since: "x" }), 1008, "message.field_invalid"],
      ["x".repeat(10_000), 1009, "frame.too_big"],
      [new Uint8Array(16), 1008, "frame.binary"],
    ];
    for (const [frame, code, reason] of cases) {
      const bad = await openSocket(w, slug);
      bad.ws.send(frame);
      await until(`close for ${reason}`, () => bad.closed);
      assert.deepEqual(bad.closed, { code, reason });
    }
    const flood = await openSocket(w, slug);
    for (let i = 0; i < 100; i++) flood.ws.send(JSON.stringify({ type: "hello" }));
    await until("flood close", () => flood.closed);
    assert.deepEqual(flood.closed, { code: 1008, reason: "flood" });

    await until("presence back to 1", () => ofType(good, "presence").at(-1)?.reading === 1);
    const token = await signUp(w, "Ada");
    assert.equal((await post(w, token, `/api/posts/${slug}/reactions`, { type: "like" })).status, 200);
    await until("good socket still served", () => ofType(good, "reactions").length === 1);
    good.ws.send('{"type":"ping"}');
    await until("pong", () => good.messages.some((m) => m.type === "pong"));
    // A page on another origin cannot open the channel.
    const res = await w.fetch(DEMO, `/api/posts/${slug}/live`, { headers: { upgrade: "websocket", origin: "https://evil.example" } });
    assert.equal(res.status, 403);
    assert.equal((await res.json()).error.code, "live.origin_forbidden");
    good.ws.close(1000, "bye");
  } finally {
    await w.dispose();
  }
});
