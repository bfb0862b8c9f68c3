// Hostile input in a real browser (issue 8). Posts, comments, reader names and blogs' names and
// descriptions are built from a corpus of XSS payloads (tests/support/xss-payloads.mjs) through
// the real API, then every page that shows them is opened in headless Chromium: each blog's index,
// the tag pages, every post page (with its comments, filled in by live.js), the Atom feed and the
// sitemap, the admin editor's post and draft lists and its live preview, and the Meadow page
// (feed, following, Discover). Every payload calls xss("<id>") if it ever runs; an init script
// defines it and traps alert/confirm/prompt the same way, and a `dialog` event fails the test too.
//
// The pages are opened twice: as served (with their Content-Security-Policy; violations are
// counted and reported, not required to be zero), and with the CSP bypassed, which proves the
// sanitising itself: with no CSP behind it, still nothing may run. After each page settles, a
// DOM audit also checks what would run later (on a click or a focus): no on* attribute anywhere,
// no URL attribute with a scheme other than http(s)/mailto, no script but the page's own files, no
// iframe/object/embed/base/meta refresh.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CHROMIUM, launchBrowser, newDevice } from "../support/browser.mjs";
import { MARKDOWN, NAMES, TAGS, TEXT } from "../support/xss-payloads.mjs";
import { World } from "../support/world.mjs";

const HOSTILE = "hostile";
const OWN_SCRIPTS = ["/assets/live.js", "/admin/app.js", "/meadow/meadow.js"];
// Chromium logs a console error for every CSP refusal and every failed load (the payloads' images
// point at a closed port); those are what this test provokes on purpose.
const EXPECTED_CONSOLE = [
  /Refused to (execute|load|apply|frame|connect|create)/,
  /Content Security Policy/,
  /Failed to load resource: net::ERR_/,
  /Failed to load resource: the server responded with a status of 404/,
];

let w, browser, port, main, hostileHost, owner, readerToken;
const nameBlogs = []; // subdomains whose display name and description are hostile
const accepted = { posts: 0, comments: 0, names: 0, blogs: 0, draft: false };
const refusedByApi = []; // payloads the API refused outright (with their codes)
const visited = { csp: [], nocsp: [] };
const csp = { csp: 0, nocsp: 0 };

// What every page gets before any of its own script runs.
function initScript() {
  window.__xssHits = [];
  window.__cspViolations = [];
  Object.defineProperty(window, "xss", { value: (id) => window.__xssHits.push(String(id)), writable: false });
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    Object.defineProperty(window, name, { value: (m) => window.__xssHits.push(`${name}:${m}`), writable: false });
  }
  document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`), true);
}

// Looks for anything that could still run on a click, focus or timer; returns findings.
function auditDom(ownScripts) {
  const found = [];
  const okScheme = (value) => {
    try {
      const u = new URL(value, document.baseURI);
      return ["http:", "https:", "mailto:"].includes(u.protocol) || (u.protocol === "data:" && /^data:image\/(png|gif|jpeg|webp);/i.test(value.trim()));
    } catch {
      return true; // not a URL a browser would follow
    }
  };
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data", "poster", "background", "cite", "codebase", "lowsrc", "dynsrc", "ping"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) found.push(`<${tag} ${name}="${attr.value.slice(0, 60)}">`);
      if (name === "srcdoc") found.push(`<${tag} srcdoc>`);
      // The app pages' own `<link rel="icon" href="data:,">` (no favicon request) is empty data.
      if (tag === "link" && name === "href" && attr.value === "data:,") continue;
      if (urlAttrs.includes(name) && !okScheme(attr.value)) found.push(`<${tag} ${name}="${attr.value.slice(0, 60)}">`);
    }
    if (["iframe", "frame", "object", "embed", "applet", "base", "portal"].includes(tag)) found.push(`<${tag}>`);
    if (tag === "meta" && el.hasAttribute("http-equiv")) found.push(`<meta http-equiv="${el.getAttribute("http-equiv")}">`);
    if (tag === "script") {
      const src = el.getAttribute("src");
      let path = null;
      try {
        const u = new URL(src ?? "", document.baseURI);
        if (src && u.origin === location.origin) path = u.pathname;
      } catch {}
      if (!ownScripts.includes(path)) found.push(`<script src=${JSON.stringify(src)}>${(el.textContent ?? "").slice(0, 60)}`);
    }
  }
  return found;
}

// A browser profile; with mode "nocsp" the page's CSP is off (the sanitiser alone must hold).
const profile = (mode) => newDevice(browser, { bypassCSP: mode === "nocsp", initScript, allow: EXPECTED_CONSOLE });

// Checks the page now: no payload ran, no dialog opened, nothing left armed in the DOM.
async function check(device, mode, label) {
  const { page } = device;
  await page.waitForTimeout(150); // timers, image errors and focus events of the payloads
  const hits = await page.evaluate(() => window.__xssHits ?? ["(init script missing)"]);
  const violations = await page.evaluate(() => window.__cspViolations?.length ?? 0);
  const findings = await page.evaluate(auditDom, OWN_SCRIPTS);
  visited[mode].push(label);
  csp[mode] += violations;
  assert.deepEqual(hits, [], `${mode} ${label}: payloads ran: ${hits.join(", ")}`);
  assert.deepEqual(device.dialogs, [], `${mode} ${label}: dialogs opened`);
  assert.deepEqual(findings, [], `${mode} ${label}: armed markup in the DOM`);
}

async function visit(device, mode, url, label, { status = 200, ready } = {}) {
  const response = await device.page.goto(url);
  assert.equal(response.status(), status, `${label}: HTTP ${response.status()}`);
  if (ready) await ready(device.page);
  await check(device, mode, label);
}

// ---- the hostile world, written through the API ----

async function api(method, host, path, token, body) {
  const res = await w.api(method, host, path, token, body);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: res.status, body: json };
}

// Concatenates payloads into one string of at most `max` characters, starting at `from`.
function packed(list, max, from = 0) {
  let out = "";
  for (let i = 0; i < list.length; i++) {
    const p = list[(from + i) % list.length][1];
    const next = out ? `${out} ${p}` : p;
    if ([...next].length > max) continue;
    out = next;
  }
  return out;
}

before(async () => {
  w = await World.start({
    vars: {
      POSTS_PER_PAGE: "50",
      READER_SIGNUPS_PER_MINUTE: "100000",
      COMMENTS_PER_MINUTE: "100000",
      REACTIONS_PER_MINUTE: "100000",
    },
  });
  port = new URL(await w.mf.ready).port;
  main = `http://localhost:${port}`;
  hostileHost = `${HOSTILE}.localhost:${port}`;
  owner = await w.mintToken(await w.addTenant(HOSTILE));

  // The blog's own name and description.
  const config = await api("PUT", hostileHost, "/api/tenant", owner, { display_name: packed(TEXT, 100), description: packed(TEXT, 500, 3) });
  assert.equal(config.status, 200, JSON.stringify(config.body));

  // One post per markdown payload, titled and described by the text payloads in turn, then one
  // post holding every payload at once (a broken tag may change how the next one parses).
  const day = 24 * 60 * 60 * 1000;
  const start = Date.now() - 400 * day;
  const write = async (slug, title, description, markdown, i) => {
    const r = await api("POST", hostileHost, "/api/posts", owner, {
      slug, title, description, markdown, tags: ["xss", `n${i % 3}`], status: "published",
      published_at: new Date(start + i * day).toISOString(),
    });
    if (r.status === 201) accepted.posts++;
    else refusedByApi.push(`post ${slug}: ${r.status} ${r.body.error?.code}`);
    return r;
  };
  for (let i = 0; i < MARKDOWN.length; i++) {
    const [id, payload] = MARKDOWN[i];
    await write(`m-${i}`, TEXT[i % TEXT.length][1], TEXT[(i + 1) % TEXT.length][1], `${payload}\n\nEnd of ${id}.`, i);
  }
  const all = MARKDOWN.map(([, p]) => p).join("\n\n");
  assert.equal((await write("all", packed(TEXT, 200, 5), packed(TEXT, 500, 7), all, MARKDOWN.length)).status, 201);
  assert.equal((await write("comments", "Comments", "Hostile comments below", "Read the comments.", MARKDOWN.length + 1)).status, 201);
  // A draft in the editor, its metadata hostile too.
  const draft = await api("PUT", hostileHost, "/api/drafts/d-xss", owner, {
    content: all, metadata: { title: packed(TEXT, 200, 9), description: packed(TEXT, 500, 11) }, deviceId: "xss-test",
  });
  accepted.draft = draft.status === 201;
  if (!accepted.draft) refusedByApi.push(`draft: ${draft.status} ${draft.body.error?.code}`);

  // Tags cannot carry markup at all: every hostile tag is refused.
  for (const tag of TAGS) {
    const r = await api("POST", hostileHost, "/api/posts", owner, { slug: "tagged", title: "t", tags: [tag] });
    assert.equal(r.status, 400, `tag ${JSON.stringify(tag)}`);
    assert.equal(r.body.error?.code, "post.tags_invalid");
  }

  // Blogs whose names and descriptions are the text payloads one by one (Meadow's Discover and
  // feed show them), each with one public post.
  for (let i = 0; i < TEXT.length; i++) {
    const [, payload] = TEXT[i];
    const sub = `name-${i}`;
    const token = await w.mintToken(await w.addTenant(sub));
    const host = `${sub}.localhost:${port}`;
    const r = await api("PUT", host, "/api/tenant", token, { display_name: [...payload].slice(0, 100).join(""), description: payload });
    if (r.status !== 200) {
      refusedByApi.push(`blog name ${TEXT[i][0]}: ${r.status} ${r.body.error?.code}`);
      continue;
    }
    accepted.blogs++;
    const p = await api("POST", host, "/api/posts", token, {
      slug: "hello", title: payload.slice(0, 200), description: payload, markdown: MARKDOWN[i % MARKDOWN.length][1], status: "published",
      published_at: new Date(start + (MARKDOWN.length + 10 + i) * day).toISOString(),
    });
    if (p.status === 201) nameBlogs.push(sub);
    else refusedByApi.push(`post on ${sub}: ${p.status} ${p.body.error?.code}`);
  }

  // Readers named by the payloads, commenting every payload (markdown and text) on one post,
  // some as replies.
  const readers = [];
  for (const [id, name] of NAMES) {
    const r = await api("POST", `localhost:${port}`, "/api/readers", undefined, { name });
    if (r.status === 201) {
      readers.push(r.body.token);
      accepted.names++;
    } else refusedByApi.push(`reader name ${id}: ${r.status} ${r.body.error?.code}`);
  }
  assert.ok(readers.length > 0);
  readerToken = readers[0];
  let parent = null;
  const bodies = [...MARKDOWN, ...TEXT];
  for (let i = 0; i < bodies.length; i++) {
    const [id, body] = bodies[i];
    const r = await api("POST", hostileHost, "/api/posts/comments/comments", readers[i % readers.length], {
      body, ...(parent && i % 4 === 1 ? { parentId: parent } : {}),
    });
    if (r.status === 201) {
      accepted.comments++;
      if (i % 4 === 0) parent = r.body.comment.id;
    } else refusedByApi.push(`comment ${id}: ${r.status} ${r.body.error?.code}`);
  }
  for (const t of readers.slice(0, 3)) {
    const r = await api("POST", hostileHost, "/api/posts/comments/reactions", t, { type: "like" });
    assert.equal(r.status, 200);
  }
  // The Meadow reader follows every hostile blog.
  for (const sub of [HOSTILE, ...nameBlogs]) {
    const r = await api("PUT", `localhost:${port}`, `/api/meadow/following/${sub}`, readerToken);
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await w?.dispose();
  console.log(
    `xss: ${TEXT.length} text + ${MARKDOWN.length} markdown payloads (+${TAGS.length} tags, all refused); ` +
      `stored ${accepted.posts} posts, ${accepted.comments} comments, ${accepted.names} reader names, ${accepted.blogs} blog names, draft ${accepted.draft}; ` +
      `pages checked: ${visited.csp.length} with CSP (${csp.csp} CSP violations), ${visited.nocsp.length} without CSP (${csp.nocsp}); ` +
      `refused by the API: ${refusedByApi.length ? refusedByApi.join("; ") : "none"}`,
  );
});

// ---- the pages, as served and with the CSP bypassed ----

for (const mode of ["csp", "nocsp"]) {
  const tag = mode === "csp" ? "as served" : "CSP bypassed";

  test(`public pages (${tag}): blog indexes, tag pages, feed, sitemap`, async () => {
    const device = await profile(mode);
    try {
      const origin = `http://${hostileHost}`;
      const pages = Math.ceil((accepted.posts) / 50);
      for (let p = 1; p <= pages; p++) await visit(device, mode, `${origin}/blog${p > 1 ? `?page=${p}` : ""}`, `/blog page ${p}`);
      for (const t of ["xss", "n0", "n1", "n2"]) await visit(device, mode, `${origin}/tags/${t}`, `/tags/${t}`);
      await visit(device, mode, `${origin}/tags/xss?page=2`, "/tags/xss page 2");
      await visit(device, mode, `${origin}/feed.xml`, "/feed.xml");
      await visit(device, mode, `${origin}/sitemap.xml`, "/sitemap.xml");
      await visit(device, mode, `${origin}/blog/no-such-post`, "404 page", { status: 404 });
      for (const sub of nameBlogs) {
        await visit(device, mode, `http://${sub}.localhost:${port}/blog`, `${sub} /blog`);
        await visit(device, mode, `http://${sub}.localhost:${port}/blog/hello`, `${sub} /blog/hello`, { ready: liveReady });
        await visit(device, mode, `http://${sub}.localhost:${port}/feed.xml`, `${sub} /feed.xml`);
      }
      assert.deepEqual(device.problems, []);
    } finally {
      await device.context.close();
    }
  });

  test(`every post page (${tag}), with live.js running`, async () => {
    const device = await profile(mode);
    try {
      const origin = `http://${hostileHost}`;
      for (let i = 0; i < MARKDOWN.length; i++) await visit(device, mode, `${origin}/blog/m-${i}`, `/blog/m-${i} (${MARKDOWN[i][0]})`, { ready: liveReady });
      await visit(device, mode, `${origin}/blog/all`, "/blog/all", { ready: liveReady });
      assert.deepEqual(device.problems, []);
    } finally {
      await device.context.close();
    }
  });

  test(`comments and reader names on the live post page (${tag})`, async () => {
    const device = await profile(mode);
    try {
      await visit(device, mode, `http://${hostileHost}/blog/comments`, "/blog/comments", {
        ready: async (page) => {
          await liveReady(page);
          await page.waitForFunction((n) => document.querySelectorAll("#live ol.comments li.comment").length === n, accepted.comments, { timeout: 20000 });
        },
      });
      // Everything arrived as text or sanitised markup: each comment shows, none executed.
      const shown = await device.page.$$eval("#live ol.comments .author", (els) => els.map((e) => e.textContent));
      assert.ok(shown.some((n) => n.includes("<")), "reader names are shown as text, markup and all");
      assert.deepEqual(device.problems, []);
    } finally {
      await device.context.close();
    }
  });

  test(`the admin editor (${tag}): post and draft lists, the live preview`, async () => {
    const device = await profile(mode);
    try {
      const { page } = device;
      const origin = `http://${hostileHost}`;
      await visit(device, mode, `${origin}/admin`, "/admin sign-in", { ready: (p) => p.waitForSelector("#signin-form", { state: "visible" }) });
      await page.fill("#token", owner);
      await page.click("#signin-submit");
      await page.waitForSelector("#app", { state: "visible" });
      await page.waitForFunction((n) => document.querySelectorAll("#post-list li a").length >= n, accepted.posts);
      await check(device, mode, "/admin lists");
      for (const slug of ["all", "d-xss", "m-0", "m-1"]) {
        await page.click(`a[href="#/edit/${slug}"]`);
        await page.waitForSelector("#doc", { state: "visible" });
        await page.waitForFunction((s) => document.querySelector("#slug")?.textContent === s, slug);
        await page.waitForFunction(() => document.querySelector("#preview")?.textContent.includes("End of") ||
          document.querySelector("#preview")?.children.length > 3, null, { timeout: 10000 });
        await check(device, mode, `/admin preview of ${slug}`);
      }
      assert.deepEqual(device.problems, []);
    } finally {
      await device.context.close();
    }
  });

  test(`the Meadow page (${tag}): feed, following and Discover`, async () => {
    const device = await profile(mode);
    try {
      const { page } = device;
      await visit(device, mode, `${main}/meadow`, "/meadow sign-in");
      await page.evaluate(([token, name]) => localStorage.setItem("lattice.reader", JSON.stringify({ token, name })), [readerToken, NAMES[0][1]]);
      await visit(device, mode, `${main}/meadow`, "/meadow", {
        ready: async (p) => {
          await p.waitForSelector("#app", { state: "visible" });
          await p.waitForFunction(() => document.querySelectorAll("#feed li.item").length >= 20);
          await p.waitForFunction((n) => document.querySelectorAll("#following li").length >= n, nameBlogs.length + 1);
        },
      });
      // Further pages by scrolling: more hostile titles, authors and descriptions.
      for (let i = 0; i < 3; i++) {
        const before = await page.$$eval("#feed li.item", (l) => l.length);
        await page.evaluate(() => document.getElementById("sentinel")?.scrollIntoView());
        await page.waitForFunction((n) => document.querySelectorAll("#feed li.item").length > n || document.querySelector("#feed-end:not([hidden])"), before, { timeout: 10000 }).catch(() => {});
        await check(device, mode, `/meadow after scrolling ${i + 1}`);
      }
      // Most relevant: the same items through the other sort.
      await page.click('button[data-sort="relevance"]').catch(() => {});
      await page.waitForTimeout(300);
      await check(device, mode, "/meadow by relevance");
      assert.deepEqual(device.problems, []);
    } finally {
      await device.context.close();
    }
  });
}

// The post page's script has shown its controls and read the counts.
async function liveReady(page) {
  await page.waitForSelector('#live .reactions button[data-type="like"]', { state: "visible", timeout: 10000 });
}

test("the corpus reached every surface", () => {
  assert.equal(accepted.posts, MARKDOWN.length + 2, `posts refused: ${refusedByApi.join("; ")}`);
  assert.ok(accepted.draft);
  assert.ok(accepted.comments >= MARKDOWN.length, `comments refused: ${refusedByApi.join("; ")}`);
  assert.ok(accepted.blogs >= TEXT.length - 2);
  assert.ok(visited.csp.length > 150 && visited.nocsp.length === visited.csp.length, `${visited.csp.length} / ${visited.nocsp.length}`);
  assert.ok(CHROMIUM);
});
