// The owner's editor at /admin in real Chromium, against the built worker in Miniflare with the
// demo data: sign in with a token, write a new post with the live preview, autosave, open it on a
// second device, resolve a conflict between the two, publish it and see it on the public page,
// keep edits made offline, and set no cookie nor log a console error along the way.
//
// The tests run in order and share the two devices (browser profiles A and B).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, launchBrowser, newDevice, tenantOrigin, textMatches } from "../support/browser.mjs";
import { World } from "../support/world.mjs";

const DEMO = "demo.localhost:8787"; // for requests from node (dispatchFetch; the port is not used)
const SLUG = "written-in-a-browser";
const SAVED = /^Saved · rev (\d+) · \d\d:\d\d$/;
// Chromium logs every non-2xx fetch as a console error; these are the ones the flows cause on
// purpose (a wrong token, a conflict, going offline). Anything else is a failure.
const EXPECTED = [/status of 401 \(Unauthorized\)/, /status of 409 \(Conflict\)/, /ERR_INTERNET_DISCONNECTED/];

let w, browser, token, origin, A, B;

before(async () => {
  w = await World.start({ seed: true });
  token = await w.mintToken(await w.tenantId("demo"));
  origin = await tenantOrigin(w, "demo");
  browser = await launchBrowser();
  A = await newDevice(browser, { allow: EXPECTED });
  B = await newDevice(browser, { allow: EXPECTED });
});
after(async () => {
  await browser?.close();
  await w?.dispose();
});

async function apiJson(method, path, body) {
  const res = await w.api(method, DEMO, path, token, body);
  return { status: res.status, body: res.status === 204 ? null : await res.json() };
}
async function serverDraft() {
  const { status, body } = await apiJson("GET", `/api/drafts/${SLUG}`);
  return status === 200 ? body.draft : null;
}
async function signIn(page) {
  await page.goto(`${origin}/admin`);
  await page.waitForSelector("#signin-form", { state: "visible" });
  await page.getByLabel("Owner token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("#app", { state: "visible" });
}
async function openFromSidebar(page, name) {
  await page.locator("#draft-list a, #post-list a").filter({ hasText: name }).first().click();
  await page.waitForSelector("#doc", { state: "visible" });
  await textMatches(page, "#status", /^(Saved|Published)/);
}
const local = (page) => page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));

test("the shell over HTTP: one page for any tenant, validators, strict headers, no cookie", async () => {
  const shell = await w.fetch(DEMO, "/admin");
  assert.equal(shell.status, 200);
  assert.equal(shell.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(shell.headers.get("content-security-policy"), /^default-src 'self'; script-src 'self'; style-src 'self';/);
  assert.equal(shell.headers.get("cache-control"), "no-cache");
  assert.equal(shell.headers.get("set-cookie"), null);
  const etag = shell.headers.get("etag");
  assert.match(etag, /^"[0-9a-f]{64}"$/);
  await shell.text();
  const again = await w.fetch(DEMO, "/admin", { headers: { "if-none-match": etag } });
  assert.equal(again.status, 304);
  const js = await w.fetch(DEMO, "/admin/app.js");
  assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
  assert.match(await js.text(), /autosave/i);
  assert.equal((await w.fetch(DEMO, "/admin/app.css")).status, 200);
  const missing = await w.fetch(DEMO, "/admin/secrets.txt");
  assert.equal(missing.status, 404);
  assert.equal((await missing.json()).error.code, "route.not_found");
  const post = await w.fetch(DEMO, "/admin", { method: "POST" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
});

test("sign in: a wrong token is refused, the owner token opens the editor with the blog's posts", async () => {
  const { page } = A;
  await page.goto(`${origin}/admin`);
  await page.waitForSelector("#signin-form", { state: "visible" });
  assert.equal(await page.isVisible("#app"), false);
  await page.getByLabel("Owner token").fill(`lat_${"0".repeat(64)}`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await textMatches(page, "#signin-error", /not valid/);
  assert.equal(await page.isVisible("#app"), false);

  await page.getByLabel("Owner token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("#app", { state: "visible" });
  const { tenant } = (await apiJson("GET", "/api/tenant")).body;
  assert.equal(await page.textContent("#blog-name"), tenant.display_name);

  const { posts } = (await apiJson("GET", "/api/posts?limit=100")).body;
  await page.waitForFunction((n) => document.querySelectorAll("#post-list a").length === n, posts.length);
  const listed = await page.$$eval("#post-list a .name", (els) => els.map((e) => e.textContent));
  assert.deepEqual(listed, posts.map((p) => p.title));

  // The token is kept for this host only, and sent as a bearer header, never as a cookie.
  const kept = await local(page);
  assert.equal(JSON.parse(kept[`lattice.token:${new URL(origin).host}`]), token);
  assert.match(JSON.parse(kept["lattice.device"]), /^web-[0-9a-f]{16}$/);
  assert.deepEqual(await A.context.cookies(), []);

  // Signed in on reload, without typing the token again.
  await page.reload();
  await page.waitForSelector("#app", { state: "visible" });
  assert.equal(await page.isVisible("#signin"), false);
});

test("an existing post opens with its markdown and a live preview rendered by the server", async () => {
  const { page } = A;
  // A demo post with headings, code and an image hosted elsewhere.
  const { post } = (await apiJson("GET", "/api/posts/measuring-ttfb-on-workers")).body;
  await openFromSidebar(page, post.title);
  assert.equal(await page.getByLabel("Markdown").inputValue(), post.markdown);
  assert.equal(await page.getByLabel("Title", { exact: true }).first().inputValue(), post.title);
  assert.equal(await page.getByLabel("Tags").inputValue(), post.tags.join(", "));
  assert.equal(await page.isVisible("#unpublish"), true);
  assert.match(await page.textContent("#status"), /^Published · v\d+ · ([A-Za-z]+ \d+, )?\d\d:\d\d$/);
  await page.waitForFunction(() => document.querySelector("#preview").children.length > 0);
  const { headings, word_count } = (await apiJson("POST", "/api/preview", { markdown: post.markdown })).body;
  const shown = await page.$$eval("#preview h2[id]", (els) => els.map((e) => ({ id: e.id, text: e.textContent })));
  assert.deepEqual(shown, headings.filter((h) => h.level === 2).map(({ id, text }) => ({ id, text })));
  assert.equal(await page.textContent("#words"), `${word_count} words`);
  // The CSP lets the editor load nothing from other sites: the image is named, not fetched.
  assert.match(await page.textContent("#preview .external-image"), /images\.example\.com\/lattice\/ttfb-histogram/);
  assert.equal(await page.$$eval("#preview img", (els) => els.length), 0);
  // Left untouched: nothing is saved, no draft appears.
  await page.goto(`${origin}/admin`);
  await page.waitForSelector("#app", { state: "visible" });
  assert.deepEqual((await apiJson("GET", "/api/drafts")).body.drafts, []);
});

const FIRST = "# Hello from A\n\nFirst words, *typed* in Chromium.\n\n| left | centre | right |\n|:-----|:------:|------:|\n| a | b | c |\n";

test("a new post: the slug is asked for, the preview follows the typing, autosave keeps it", async () => {
  const { page } = A;
  await page.waitForSelector("#app", { state: "visible" });
  await page.getByRole("button", { name: "New post" }).click();
  assert.equal(await page.isVisible("#new-dialog"), true);
  await page.getByLabel("Title", { exact: true }).last().fill("Written in a browser");
  assert.equal(await page.inputValue("#new-slug"), SLUG); // suggested from the title
  await page.fill("#new-slug", "Not A Slug!");
  await page.getByRole("button", { name: "Create" }).click();
  await textMatches(page, "#new-error", /lower-case/);
  await page.fill("#new-slug", SLUG);
  await page.getByRole("button", { name: "Create" }).click();
  await page.waitForFunction((slug) => location.hash === `#/edit/${slug}`, SLUG);
  await textMatches(page, "#status", /^Unsaved changes$/); // the title from the dialog is the first edit
  assert.equal(await page.getByLabel("Title", { exact: true }).first().inputValue(), "Written in a browser");
  assert.equal(await page.textContent("#slug"), SLUG);

  const editor = page.getByLabel("Markdown");
  await editor.fill(FIRST.slice(0, 20));
  await editor.pressSequentially(FIRST.slice(20), { delay: 2 });
  assert.equal(await editor.inputValue(), FIRST);
  await page.getByLabel("Tags").fill("browser, testing");

  // Live preview: the server's rendering, alignment turned into classes (the CSP forbids inline styles).
  await page.waitForSelector("#preview h1#hello-from-a");
  await page.waitForSelector("#preview em");
  assert.equal(await page.$eval("#preview", (e) => e.querySelectorAll(".align-center").length), 2);
  assert.equal(await page.$eval("#preview", (e) => e.querySelectorAll("[style]").length), 0);

  // Unsaved, the text is already kept in this browser (with no base revision: a new draft).
  const pending = JSON.parse((await local(page))[`lattice.local:${new URL(origin).host}:${SLUG}`]);
  assert.equal(pending.content, FIRST);
  assert.equal(pending.base, null);

  const status = await textMatches(page, "#status", SAVED, 15000);
  assert.equal(SAVED.exec(status)[1], "1");
  const draft = await serverDraft();
  assert.equal(draft.content, FIRST);
  assert.equal(draft.revision, 1);
  assert.deepEqual(draft.metadata, { title: "Written in a browser", description: "", tags: ["browser", "testing"] });
  assert.equal(draft.device_id, JSON.parse((await local(page))["lattice.device"]));
  // Saved: the local copy is gone, and the sidebar lists the draft.
  assert.equal((await local(page))[`lattice.local:${new URL(origin).host}:${SLUG}`], undefined);
  await page.waitForSelector(`#draft-list a[href="#/edit/${SLUG}"][aria-current="page"]`);
});

test("a second device signs in and opens the same draft", async () => {
  const { page } = B;
  await signIn(page);
  await openFromSidebar(page, "Written in a browser");
  assert.equal(await page.getByLabel("Markdown").inputValue(), FIRST);
  assert.equal(await page.getByLabel("Tags").inputValue(), "browser, testing");
  assert.match(await page.textContent("#status"), /^Saved · rev 1 · /);
  await page.waitForSelector("#preview h1#hello-from-a");
  assert.notEqual(JSON.parse((await local(B.page))["lattice.device"]), JSON.parse((await local(A.page))["lattice.device"]));
});

const A_TEXT = `${FIRST}\nA was here.\n`;
const B_TEXT = `${FIRST}\nB disagrees.\n`;

test("a conflict: B saves on a revision A moved past, sees both versions and keeps its own", async () => {
  await A.page.getByLabel("Markdown").fill(A_TEXT);
  await textMatches(A.page, "#status", /^Saved · rev 2 · /, 15000);
  assert.equal((await serverDraft()).content, A_TEXT);

  // B still has revision 1: its autosave is refused, and the dialog shows both texts.
  const { page } = B;
  await page.getByLabel("Markdown").fill(B_TEXT);
  await page.waitForSelector("#conflict-dialog[open]", { timeout: 15000 });
  assert.equal(await page.inputValue("#theirs-text"), A_TEXT);
  assert.equal(await page.inputValue("#mine-text"), B_TEXT);
  assert.match(await page.textContent("#theirs-meta"), /rev 2 · another device/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "keep-mine");
  assert.match(await page.textContent("#status"), /Conflict/);
  assert.equal((await serverDraft()).content, A_TEXT, "nothing was overwritten");
  // Nothing lost while undecided: B's text is kept locally, on its old revision.
  const pending = JSON.parse((await local(page))[`lattice.local:${new URL(origin).host}:${SLUG}`]);
  assert.equal(pending.content, B_TEXT);
  assert.equal(pending.base, 1);

  await page.getByRole("button", { name: "Copy mine" }).click();
  await textMatches(page, "#conflict-note", /clipboard|selected/);

  await page.getByRole("button", { name: "Keep mine" }).click();
  await page.waitForSelector("#conflict-dialog", { state: "hidden" });
  await textMatches(page, "#status", /^Saved · rev 3 · /);
  const draft = await serverDraft();
  assert.equal(draft.content, B_TEXT);
  assert.equal(draft.revision, 3);
  assert.equal(draft.device_id, JSON.parse((await local(page))["lattice.device"]));
  assert.equal(await page.getByLabel("Markdown").inputValue(), B_TEXT);
});

test("keep theirs: A, now behind, takes B's version", async () => {
  const { page } = A;
  await page.getByLabel("Markdown").fill(`${A_TEXT}\nA insists.\n`);
  await page.keyboard.press("Control+s"); // save now instead of waiting
  await page.waitForSelector("#conflict-dialog[open]", { timeout: 15000 });
  assert.equal(await page.inputValue("#theirs-text"), B_TEXT);
  await page.getByRole("button", { name: "Keep theirs" }).click();
  await page.waitForSelector("#conflict-dialog", { state: "hidden" });
  assert.equal(await page.getByLabel("Markdown").inputValue(), B_TEXT);
  assert.match(await page.textContent("#status"), /^Saved · rev 3 · /);
  assert.equal((await serverDraft()).revision, 3);
  assert.equal((await local(page))[`lattice.local:${new URL(origin).host}:${SLUG}`], undefined);
});

test("publish from the editor: the public page shows it; unpublish takes it down", async () => {
  const { page } = B;
  assert.equal((await w.fetch(DEMO, `/blog/${SLUG}`)).status, 404);
  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await textMatches(page, "#status", /^Published · v\d+ · \d\d:\d\d$/);
  const html = await (await eventually(async () => {
    const res = await w.fetch(DEMO, `/blog/${SLUG}`);
    return res.status === 200 ? res : null;
  }, { what: "the public page" })).text();
  assert.match(html, /Written in a browser/);
  assert.match(html, /B disagrees\./);
  assert.doesNotMatch(html, /A was here/);
  assert.equal(await serverDraft(), null, "publishing removes the draft");
  await page.waitForSelector("#unpublish:not([hidden])");
  assert.equal(await page.textContent("#post-state"), "published");

  await page.getByRole("button", { name: "Unpublish" }).click();
  await textMatches(page, "#status", /^Unpublished/);
  assert.equal((await w.fetch(DEMO, `/blog/${SLUG}`)).status, 404);
  assert.equal((await apiJson("GET", `/api/posts/${SLUG}`)).body.post.status, "draft");

  await page.getByRole("button", { name: "Publish", exact: true }).click();
  await textMatches(page, "#status", /^Published · /);
  assert.equal((await w.fetch(DEMO, `/blog/${SLUG}`)).status, 200);
});

test("offline: edits are kept in the browser, saved when back online, and restored after a crash", async () => {
  const { context } = A;
  await A.page.close();
  let page = await context.newPage();
  A.page = page;
  await page.goto(`${origin}/admin#/edit/${SLUG}`);
  await page.waitForSelector("#doc", { state: "visible" });
  await textMatches(page, "#status", /^Published/);
  assert.equal(await page.getByLabel("Markdown").inputValue(), B_TEXT);

  // Offline, then online again: the failed autosave is retried by itself.
  await context.setOffline(true);
  await page.getByLabel("Markdown").fill(`${B_TEXT}\nWritten on a train.\n`);
  await textMatches(page, "#status", /^Offline/);
  await new Promise((r) => setTimeout(r, 3500)); // the autosave runs, and fails
  await textMatches(page, "#status", /^Offline/);
  assert.equal(await serverDraft(), null);
  await context.setOffline(false);
  const rev = Number(SAVED.exec(await textMatches(page, "#status", SAVED, 15000))[1]);
  const saved = await serverDraft();
  assert.equal(saved.content, `${B_TEXT}\nWritten on a train.\n`);
  assert.equal(saved.revision, rev);

  // Offline again, and the tab dies before anything reaches the server.
  await context.setOffline(true);
  const crashText = `${B_TEXT}\nWritten on a train.\nAnd in a tunnel.\n`;
  await page.getByLabel("Markdown").fill(crashText);
  await textMatches(page, "#status", /^Offline/);
  await page.close({ runBeforeUnload: false });
  await context.setOffline(false);
  assert.equal((await serverDraft()).revision, rev, "nothing reached the server");

  page = await context.newPage();
  A.page = page;
  await page.goto(`${origin}/admin#/edit/${SLUG}`);
  await textMatches(page, "#status", /^(Restored|Saving|Saved)/);
  assert.equal(await page.getByLabel("Markdown").inputValue(), crashText);
  await textMatches(page, "#status", new RegExp(`^Saved · rev ${rev + 1} · `), 15000);
  assert.equal((await serverDraft()).content, crashText);
});

test("leaving the page saves what is unsaved (keepalive), without waiting for the autosave", async () => {
  const { page } = A;
  const before = await serverDraft();
  const text = `${before.content}\nOne more line before closing the tab.\n`;
  await page.getByLabel("Markdown").fill(text);
  await page.close({ runBeforeUnload: true });
  const draft = await eventually(async () => {
    const d = await serverDraft();
    return d?.content === text ? d : null;
  }, { what: "the keepalive save" });
  assert.equal(draft.revision, before.revision + 1);
  A.page = await A.context.newPage();
});

test("layout: side by side at 1280×800, stacked on a narrow window, sign out forgets the token", async () => {
  const { page } = B;
  const md = await page.locator("#markdown").boundingBox();
  const preview = await page.locator("#preview").boundingBox();
  assert.ok(preview.x > md.x + md.width - 1, "preview to the right of the text");
  assert.ok(Math.abs(preview.y - md.y) < 2, "at the same height");
  assert.ok(md.y + md.height <= 800, "fits the window");

  await page.setViewportSize({ width: 420, height: 800 });
  const mdN = await page.locator("#markdown").boundingBox();
  const previewN = await page.locator("#preview").boundingBox();
  assert.ok(previewN.y >= mdN.y + mdN.height - 1, "preview below the text");
  assert.ok(mdN.width > 300);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, "no sideways scrolling");
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForSelector("#signin-form", { state: "visible" });
  assert.equal((await local(page))[`lattice.token:${new URL(origin).host}`], undefined);
  assert.equal(await page.getByLabel("Markdown").inputValue(), "");
});

test("no cookies were set and no console errors were logged, on either device", async () => {
  assert.deepEqual(await A.context.cookies(), []);
  assert.deepEqual(await B.context.cookies(), []);
  assert.deepEqual(A.problems, []);
  assert.deepEqual(B.problems, []);
});
