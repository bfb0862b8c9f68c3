// The live post page (issue 5) in real Chromium, against the built worker in Miniflare with the
// demo data: two readers (browser profiles A and B) on the same published post see each other's
// reactions and comments and "2 reading now" without reloading, over the real API and WebSocket
// (reader sign-up, reactions, comments, the PostMetaDO's live channel); a reader without
// JavaScript sees the article and a note instead of controls; the page's HTML is the same bytes
// for everyone (it is cached and shared); and nothing logs a console error.
//
// The tests run in order and share the two readers.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, newDevice, tenantOrigin, textMatches } from "../support/browser.mjs";
import { World } from "../support/world.mjs";

const NAME = "Ada Lovelace";

let w, browser, origin, host, slug, postUrl, A, B;
const served = {}; // the post HTML each reader's browser received

before(async () => {
  w = await World.start({ seed: true });
  origin = await tenantOrigin(w, "demo");
  host = new URL(origin).host; // requests from node with the browser's Host, so the same canonical links
  slug = (await w.newestPublicPost("demo")).slug;
  postUrl = `${origin}/blog/${slug}`;
  browser = await launchBrowser();
  A = await newDevice(browser);
  B = await newDevice(browser);
});
after(async () => {
  await browser?.close();
  await w?.dispose();
});

const button = (type) => `#live .reactions button[data-type="${type}"]`;
const countOf = (type) => `${button(type)} .count`;
const local = (page) => page.evaluate(() => Object.fromEntries(Object.entries(localStorage)));

// Opens the post and waits until the script has shown the controls and loaded the counts.
async function openPost(device, name) {
  const response = await device.page.goto(postUrl);
  assert.equal(response.status(), 200);
  served[name] = await response.text();
  await device.page.waitForSelector(button("like"), { state: "visible" });
  await textMatches(device.page, countOf("like"), /^\d+$/);
  // A marker that a reload would wipe: what the page shows later arrived without one.
  await device.page.evaluate(() => {
    window.__sameDocument = true;
  });
}
const sameDocument = (page) => page.evaluate(() => window.__sameDocument === true);

async function commentTexts(page) {
  return page.$$eval("#live ol.comments .comment-body", (els) => els.map((e) => e.textContent.trim()));
}

test("without JavaScript: the article and a note, and no live controls", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await context.newPage();
    const response = await page.goto(postUrl);
    assert.equal(response.status(), 200);
    const html = await response.text();
    assert.ok(await page.isVisible("article h1"));
    assert.match(await page.textContent("article h1"), /\S/);
    // (Playwright's text selectors skip <noscript>, hence CSS and innerText.)
    assert.ok(await page.isVisible("#live .noscript"));
    assert.match(await page.innerText("#live"), /^\s*Reactions and comments need JavaScript\.\s*$/, "the note and nothing else");
    for (const type of ["like", "love", "insightful", "laugh"]) assert.equal(await page.isVisible(button(type)), false, type);
    assert.equal(await page.isVisible("#comment-form"), false);
    assert.equal(await page.isVisible("#comment-body"), false);
    assert.equal(await page.isVisible("#reader-form"), false);
    assert.equal(await page.isVisible("#comments-heading"), false);
    assert.equal(await page.textContent("#live .presence"), "");
    // The same cached page as everyone gets, not a variant for script-less readers.
    const again = await w.fetch(host, `/blog/${slug}`);
    assert.equal(await again.text(), html);
  } finally {
    await context.close();
  }
});

test("two readers on one post: the controls appear, unpressed, and both show 2 reading now", async () => {
  await openPost(A, "A");
  await openPost(B, "B");
  for (const { page } of [A, B]) {
    const types = await page.$$eval("#live .reactions button", (els) => els.map((b) => [b.dataset.type, b.hidden]));
    assert.deepEqual(types, [["like", false], ["love", false], ["insightful", false], ["laugh", false]]);
    assert.equal(await page.getAttribute(button("like"), "aria-pressed"), "false");
    assert.ok(await page.isVisible("#comment-form"));
    assert.equal(await page.isVisible("#reader-form"), false, "no name asked for before acting");
    assert.equal(await page.locator("noscript").count(), 1);
  }
  await textMatches(A.page, "#live .presence", /^2 reading now$/);
  await textMatches(B.page, "#live .presence", /^2 reading now$/);
});

test("a reaction: A gives a name, likes the post, and B sees the count move without a reload", async () => {
  const before = Number(await B.page.textContent(countOf("like")));
  assert.equal(Number(await A.page.textContent(countOf("like"))), before);

  // No reader token yet: the click asks for a name first (keyboard only, as a reader might).
  await A.page.focus(button("like"));
  await A.page.keyboard.press("Enter");
  await A.page.waitForSelector("#reader-form", { state: "visible" });
  assert.equal(await A.page.evaluate(() => document.activeElement?.id), "reader-name");
  await A.page.keyboard.type(NAME);
  await A.page.keyboard.press("Enter");
  await A.page.waitForSelector("#reader-form", { state: "hidden" });

  await textMatches(A.page, countOf("like"), new RegExp(`^${before + 1}$`));
  assert.equal(await A.page.getAttribute(button("like"), "aria-pressed"), "true");
  await textMatches(B.page, countOf("like"), new RegExp(`^${before + 1}$`));
  assert.equal(await B.page.getAttribute(button("like"), "aria-pressed"), "false", "B did not react");
  assert.ok(await sameDocument(B.page), "B was not reloaded");

  // The reader is kept as {token, name}, sent as a bearer header only: no cookie.
  const kept = JSON.parse((await local(A.page))["lattice.reader"]);
  assert.match(kept.token, /^rdr_/);
  assert.equal(kept.name, NAME);
  assert.equal((await local(B.page))["lattice.reader"], undefined);
  assert.deepEqual(await A.context.cookies(), []);

  // Pressed again, it is taken back, for both.
  await A.page.click(button("like"));
  await textMatches(A.page, countOf("like"), new RegExp(`^${before}$`));
  assert.equal(await A.page.getAttribute(button("like"), "aria-pressed"), "false");
  await textMatches(B.page, countOf("like"), new RegExp(`^${before}$`));

  // And a second type, to leave something for the reload below.
  await A.page.click(button("insightful"));
  await A.page.waitForSelector(`${button("insightful")}[aria-pressed="true"]`);
  const insightful = await A.page.textContent(countOf("insightful"));
  await textMatches(B.page, countOf("insightful"), new RegExp(`^${insightful}$`));
});

test("a comment: A posts one and B sees it appear without a reload, once", async () => {
  const text = `Live from A, ${Date.now()}.`;
  await A.page.getByLabel(`Add a comment as ${NAME}`).fill(`${text}\n\nWith *emphasis*.`);
  await A.page.getByRole("button", { name: "Post comment" }).click();

  const appeared = (page) =>
    page.waitForFunction(
      (t) => [...document.querySelectorAll("#live ol.comments .comment-body")].some((e) => e.textContent.includes(t)),
      text,
      { timeout: 10000 },
    );
  await appeared(A.page);
  await appeared(B.page);
  assert.ok(await sameDocument(B.page), "B was not reloaded");
  assert.equal(await A.page.inputValue("#comment-body"), "", "the form is cleared");

  for (const { page } of [A, B]) {
    const item = page.locator("#live ol.comments .comment", { hasText: text });
    assert.equal(await item.count(), 1, "shown once (the POST answer and the socket's event are one comment)");
    assert.equal(await item.locator(".author").textContent(), NAME);
    assert.equal(await item.locator(".comment-body em").textContent(), "emphasis");
    assert.match(await item.locator("time").getAttribute("datetime"), /^\d{4}-\d\d-\d\dT/);
  }
  // The socket's copy arrived too by now (B has it), and A still shows one.
  await A.page.waitForTimeout(300);
  assert.equal((await commentTexts(A.page)).filter((t) => t.includes(text)).length, 1);

  // A reload reads the same state over HTTP: the comment, the counts, A's own reaction.
  const insightful = await A.page.textContent(countOf("insightful"));
  await A.page.reload();
  await textMatches(A.page, countOf("insightful"), new RegExp(`^${insightful}$`));
  assert.equal(await A.page.getAttribute(button("insightful"), "aria-pressed"), "true");
  await A.page.waitForFunction(
    (t) => [...document.querySelectorAll("#live ol.comments .comment-body")].some((e) => e.textContent.includes(t)),
    text,
  );
  await textMatches(A.page, "#live .presence", /^2 reading now$/);
});

test("the page is the same bytes for every reader, and works at 420 px", async () => {
  assert.ok(served.A && served.B);
  assert.equal(served.A, served.B);
  // Nothing of the readers in it: their name and comment live only in the API's answers.
  assert.ok(!served.A.includes(NAME));
  assert.match(served.A, /<section class="live" id="live" data-slug="/);
  const now = await (await w.fetch(host, `/blog/${slug}`)).text();
  assert.equal(now, served.A, "reactions and comments did not change the cached page");

  await B.page.setViewportSize({ width: 420, height: 800 });
  assert.equal(await B.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, "no sideways scrolling");
  for (const type of ["like", "love", "insightful", "laugh"]) {
    const box = await B.page.locator(button(type)).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 420, `${type} within the window`);
  }
  const form = await B.page.locator("#comment-body").boundingBox();
  assert.ok(form.width > 300 && form.x + form.width <= 420);
  await B.page.setViewportSize({ width: 1280, height: 800 });
});

test("a reader who leaves is no longer counted", async () => {
  await B.page.close();
  await textMatches(A.page, "#live .presence", /^1 reading now$/, 15000);
});

test("no cookies were set and no console errors were logged, for either reader", async () => {
  assert.deepEqual(await A.context.cookies(), []);
  assert.deepEqual(await B.context.cookies(), []);
  assert.deepEqual(A.problems, []);
  assert.deepEqual(B.problems, []);
});
