// The Meadow page (issue 7) in real Chromium, against the built worker in Miniflare with the demo
// data and one more blog of 45 posts: a reader picks a name, follows a blog from the Discover
// list, scrolls two pages further (infinite scroll by the server's cursor: no duplicates, newest
// first, then "all caught up"), sees a post published meanwhile announced over the live channel
// (the WebSocket authenticated by subprotocol) and shown on a click, switches the order, follows
// by name and by a blog's "#follow=" link, unfollows, and nothing logs a console error.
//
// The tests run in order and share one reader.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { eventually, launchBrowser, newDevice, textMatches } from "../support/browser.mjs";
import { World } from "../support/world.mjs";

const POSTS = 45; // three pages of 20: the first, and two more by scrolling
let w, browser, main, port, alphaHost, owner, device;

async function publish(slug, when) {
  const r = await w.api("POST", alphaHost, "/api/posts", owner, {
    slug,
    title: `Title ${slug}`,
    description: `About ${slug}`,
    tags: ["meadow"],
    markdown: `# ${slug}\n\nBody of ${slug}.`,
    status: "published",
    published_at: when,
  });
  assert.equal(r.status, 201, await r.clone().text());
}

before(async () => {
  w = await World.start({ seed: true });
  const url = new URL(await w.mf.ready);
  port = url.port;
  main = `http://localhost:${port}`;
  alphaHost = `alpha.localhost:${port}`;
  owner = await w.mintToken(await w.addTenant("alpha"));
  // One a day, the newest ten days ago: all older than anything published during the test.
  const day = 24 * 60 * 60 * 1000;
  const newest = Date.now() - 10 * day;
  for (let i = 1; i <= POSTS; i++) await publish(`p-${String(i).padStart(2, "0")}`, new Date(newest - (POSTS - i) * day).toISOString());
  browser = await launchBrowser();
  // Chromium logs the expected 404 of following a blog that does not exist as a console error.
  device = await newDevice(browser, { allow: [/status of 404 \(Not Found\)/] });
});
after(async () => {
  await browser?.close();
  await w?.dispose();
});

const items = (page) => page.$$eval("#feed li.item", (lis) => lis.map((li) => li.querySelector(".post-link").textContent));
const dates = (page) => page.$$eval("#feed li.item time", (ts) => ts.map((t) => Date.parse(t.dateTime)));

async function scrollToEnd(page) {
  await page.evaluate(() => document.getElementById("sentinel").scrollIntoView());
}

test("a new reader picks a name and sees an empty feed and blogs to follow", async () => {
  const { page } = device;
  const response = await page.goto(`${main}/meadow`);
  assert.equal(response.status(), 200);
  await page.waitForSelector("#signin-form", { state: "visible" });
  await page.fill("#signin-name", "Meadow Reader");
  await page.click("#signin-submit");
  await page.waitForSelector("#app", { state: "visible" });
  assert.equal(await page.textContent("#reader-name"), "Meadow Reader");
  await page.waitForSelector("#feed-empty", { state: "visible" });
  // Discover: the blogs with public posts, alpha (newest posts) among them, with Follow buttons.
  await textMatches(page, "#discover", /alpha blog/);
  await textMatches(page, "#discover", /Notes from the Workbench/);
  assert.equal(await page.isVisible("#following-none"), true);
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("lattice.reader")));
  assert.match(stored.token, /^rdr_[0-9a-f]{64}$/);
});

test("following from Discover fills the feed; scrolling loads two more pages by cursor", async () => {
  const { page } = device;
  await page.click('#discover button[aria-label="Follow alpha blog"]');
  await textMatches(page, "#following", /alpha blog/);
  await page.waitForFunction(() => document.querySelectorAll("#feed li.item").length === 20);
  assert.deepEqual((await items(page)).slice(0, 2), ["Title p-45", "Title p-44"]);
  assert.equal(await page.isVisible("#feed-end"), false);
  // alpha left Discover for Following.
  assert.equal(await page.locator('#discover button[aria-label="Follow alpha blog"]').count(), 0);

  await scrollToEnd(page);
  await page.waitForFunction(() => document.querySelectorAll("#feed li.item").length === 40);
  await scrollToEnd(page);
  await page.waitForFunction((n) => document.querySelectorAll("#feed li.item").length === n, POSTS);
  await page.waitForSelector("#feed-end", { state: "visible" });

  const titles = await items(page);
  const expected = Array.from({ length: POSTS }, (_, i) => `Title p-${String(POSTS - i).padStart(2, "0")}`);
  assert.deepEqual(titles, expected, "every post once, newest first");
  const when = await dates(page);
  for (let i = 1; i < when.length; i++) assert.ok(when[i - 1] >= when[i], "newest first");
  // Links go to the post on its blog's host, and the item shows what the feed knows of it.
  const first = page.locator("#feed li.item").first();
  assert.equal(await first.locator(".post-link").getAttribute("href"), `http://${alphaHost}/blog/p-45`);
  assert.equal(await first.locator(".author").textContent(), "alpha blog");
  assert.equal(await first.locator(".description").textContent(), "About p-45");
  assert.equal(await first.locator(".tag").textContent(), "#meadow");
});

test("a post published meanwhile is announced live and shown on a click", async () => {
  const { page } = device;
  // The live channel is open (the WebSocket with the token as a subprotocol was accepted).
  await page.waitForFunction(() => document.body.dataset.live === "open");
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  await publish("breaking", new Date().toISOString());
  await page.waitForSelector("#new-posts", { state: "visible", timeout: 15000 });
  assert.equal(await page.textContent("#new-posts"), "1 new post — show");
  // Not inserted under the reader's eyes until asked for.
  assert.equal((await items(page)).includes("Title breaking"), false);
  await page.click("#new-posts");
  await page.waitForFunction(() => document.querySelector("#feed li.item .post-link")?.textContent === "Title breaking");
  assert.equal(await page.isVisible("#new-posts"), false);
  assert.equal((await items(page)).length, 20, "the first page again");
  assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload");
});

test("the order toggle reads the feed by relevance", async () => {
  const { page } = device;
  await page.click('.sort button[data-sort="relevance"]');
  assert.equal(await page.getAttribute('.sort button[data-sort="relevance"]', "aria-pressed"), "true");
  assert.equal(await page.getAttribute('.sort button[data-sort="recent"]', "aria-pressed"), "false");
  await page.waitForFunction(() => document.querySelectorAll("#feed li.item").length === 20);
  // Equal engagement: recency decides, so the fresh post leads.
  assert.equal((await items(page))[0], "Title breaking");
  await scrollToEnd(page);
  await page.waitForFunction(() => document.querySelectorAll("#feed li.item").length === 40);
  const titles = await items(page);
  assert.equal(new Set(titles).size, titles.length, "no duplicates across pages");
  await page.click('.sort button[data-sort="recent"]');
  await page.waitForFunction(() => document.querySelectorAll("#feed li.item").length === 20);
});

test("following by name: an unknown blog is a clear error; a known one adds its posts", async () => {
  const { page } = device;
  await page.fill("#follow-name", "Not A Blog!");
  await page.click("#follow-submit");
  await textMatches(page, "#follow-error", /letters, digits and hyphens/);
  await page.fill("#follow-name", "nosuchblog");
  await page.click("#follow-submit");
  await textMatches(page, "#follow-error", /There is no blog called “nosuchblog”/);
  await page.fill("#follow-name", "demo");
  await page.click("#follow-submit");
  await textMatches(page, "#following", /Notes from the Workbench/);
  await textMatches(page, "#following", /alpha blog/);
  await eventually(async () => (await page.inputValue("#follow-name")) === "", { what: "the follow field cleared" });
  assert.equal(await page.textContent("#follow-error"), "");
  const follows = await w.rows("SELECT t.subdomain FROM follows f JOIN tenants t ON t.id = f.tenant_id ORDER BY t.subdomain");
  assert.deepEqual(follows.map((r) => r.subdomain), ["alpha", "demo"]);
});

test("unfollowing removes the blog's posts and offers it in Discover again", async () => {
  const { page } = device;
  await page.click('#following button[aria-label="Unfollow alpha blog"]');
  await page.waitForFunction(() => !document.querySelector('#following button[aria-label="Unfollow alpha blog"]'));
  await eventually(async () => !(await items(page)).some((t) => /^Title (p-|breaking)/.test(t)), { what: "alpha's posts gone" });
  await page.waitForSelector('#discover button[aria-label="Follow alpha blog"]');
  const follows = await w.rows("SELECT t.subdomain FROM follows f JOIN tenants t ON t.id = f.tenant_id");
  assert.deepEqual(follows.map((r) => r.subdomain), ["demo"]);
});

test("a blog's #follow= link follows it once the reader is signed in", async () => {
  const { page } = device;
  await page.goto(`${main}/meadow#follow=alpha`);
  await textMatches(page, "#following", /alpha blog/);
  await page.waitForFunction(() => document.querySelector("#feed li.item .post-link")?.textContent === "Title breaking");
  assert.equal(new URL(page.url()).hash, "", "the request is consumed");
  assert.deepEqual(device.problems, []);
});
