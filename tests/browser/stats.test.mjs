// The operator dashboard at /admin/stats in real Chromium, against the built worker in Miniflare
// with the demo data. The figures are made through the real paths: the tier migrator's run (bytes
// per tier), public post views (views per day, top posts, cache outcomes and D1 queries, counted
// by each post's PostMetaDO and flushed to D1), reactions by signed-up readers, and reader events
// through POST /api/events. Then the page must draw them as SVG charts with the right number of
// points and bars and the right labels, at 1280 px and 420 px, with no console error; it saves
// screenshots to build/screenshots/ (not committed).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { launchBrowser, newDevice, tenantOrigin } from "../support/browser.mjs";
import { ROOT, World, until } from "../support/world.mjs";

const DEMO = "demo.localhost:8787";
const OPERATOR = "operator-token-for-the-dashboard";
const sha256 = (s) => createHash("sha256").update(s).digest("hex");
const SHOTS = join(ROOT, "build/screenshots");
// Views per post, most viewed first (the first post's last view is a 304).
const VIEWS = [9, 6, 4, 2, 1];
const TOTAL_VIEWS = VIEWS.reduce((a, b) => a + b, 0);
const REACTIONS = { like: 3, love: 2, insightful: 1, laugh: 0 };
const EXPECTED = [/status of 401 \(Unauthorized\)/];

let w, browser, token, origin, posts, api;

before(async () => {
  w = await World.start({
    seed: true,
    vars: {
      VIEWS_FLUSH_SECONDS: "1",
      REACTIONS_FLUSH_SECONDS: "1",
      EVENTS_FLUSH_SECONDS: "1",
      TIER_MIGRATION: "on",
      TIER_GRACE_SECONDS: "0",
      OPERATOR_TOKEN_SHA256: sha256(OPERATOR),
    },
  });
  token = await w.mintToken(await w.tenantId("demo"));
  origin = await tenantOrigin(w, "demo");
  browser = await launchBrowser();
  mkdirSync(SHOTS, { recursive: true });

  // Tiers: one old post read 150 times a day for a month becomes POPULAR; the migrator moves the
  // quiet and the old posts to R2 (WARM, COLD), the recent ones stay HOT.
  const demo = await w.tenantId("demo");
  const DAY = 24 * 60 * 60 * 1000;
  const [popular] = await w.rows(
    `SELECT id FROM posts WHERE tenant_id = ? AND status = 'published' AND published_at < ? AND updated_at < ?
      ORDER BY published_at LIMIT 1`,
    demo, Date.now() - 60 * DAY, Date.now() - 40 * DAY,
  );
  await w.db.prepare("UPDATE posts SET views_30d = 4500, views_30d_at = ?1 WHERE id = ?2").bind(Date.now(), popular.id).run();
  const run = await w.fetch(DEMO, "/api/admin/migrate", { method: "POST", headers: { authorization: `Bearer ${OPERATOR}` } });
  assert.equal(run.status, 200, await run.clone().text());

  // Views: five published posts (HOT ones, so that the picture does not depend on R2).
  posts = await w.rows(
    `SELECT slug, title FROM posts WHERE tenant_id = ? AND status = 'published' AND storage_location = 'd1'
      AND published_at <= ? ORDER BY published_at DESC LIMIT 5`,
    demo,
    Date.now(),
  );
  assert.equal(posts.length, 5);
  for (const [i, post] of posts.entries()) {
    let etag = null;
    for (let n = 0; n < VIEWS[i]; n++) {
      const last = i === 0 && n === VIEWS[i] - 1;
      const headers = { "cf-connecting-ip": `192.0.2.${n + 1}` };
      if (last) headers["if-none-match"] = etag;
      const res = await w.fetch(DEMO, `/blog/${post.slug}`, { headers });
      assert.equal(res.status, last ? 304 : 200);
      etag = res.headers.get("etag");
      await res.arrayBuffer();
      await w.settle(); // the page's cache fill is done: the next view is a hit

    }
  }
  // Reactions by three readers.
  const readers = [];
  for (const name of ["Ada", "Bob", "Cy"]) {
    const res = await w.api("POST", DEMO, "/api/readers", null, { name });
    readers.push((await res.json()).token);
  }
  const toggles = [
    [0, 0, "like"], [1, 0, "like"], [2, 1, "like"],
    [0, 0, "love"], [1, 2, "love"],
    [2, 0, "insightful"],
  ];
  for (const [reader, post, type] of toggles) {
    const res = await w.api("POST", DEMO, `/api/posts/${posts[post].slug}/reactions`, readers[reader], { type });
    assert.equal(res.status, 200);
  }
  // Reader events (what a client may report itself).
  const events = [0, 1, 2, 3].map((i) => ({ kind: "view", slug: posts[0].slug, id: `dash-event-${i}` }));
  events.push({ kind: "read_end", slug: posts[1].slug, id: "dash-event-read" });
  assert.equal((await w.api("POST", DEMO, "/api/events", null, { events })).status, 202);

  // Everything reaches D1 by the objects' alarms (a second here).
  await until("views, reactions and events in D1", async () => {
    const [{ v }] = await w.rows("SELECT coalesce(sum(views), 0) AS v FROM post_day_stats");
    const [{ r }] = await w.rows("SELECT coalesce(sum(count), 0) AS r FROM reaction_counts");
    const [{ e }] = await w.rows("SELECT count(*) AS e FROM analytics_events");
    return v === TOTAL_VIEWS && r === 6 && e === 5;
  });
  api = await (await w.api("GET", DEMO, "/api/stats?days=30", token)).json();
});
after(async () => {
  await browser?.close();
  await w?.dispose();
});

test("the API's figures are what the readers did", () => {
  assert.equal(api.totals.views, TOTAL_VIEWS);
  assert.deepEqual(api.top_posts.map((p) => p.views), VIEWS);
  assert.deepEqual(api.top_posts.map((p) => p.slug), posts.map((p) => p.slug));
  assert.deepEqual(api.reactions, REACTIONS);
  assert.equal(api.totals.events, 5);
  assert.equal(api.totals.cache_miss, 5); // each post's first view
  assert.equal(api.totals.cache_not_modified, 1);
  assert.equal(api.totals.cache_hit, TOTAL_VIEWS - 6);
  assert.ok(api.totals.d1_queries > 0);
  for (const tier of ["hot", "warm", "cold", "popular"]) {
    const t = api.tiers.find((x) => x.tier === tier);
    assert.ok(t.posts > 0 && t.bytes > 0, `${tier} has posts`);
  }
});

async function signIn(page) {
  await page.goto(`${origin}/admin/stats`);
  await page.waitForSelector("#signin-form", { state: "visible" });
  await page.getByLabel("Owner token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("body[data-state=ready]");
}

test("the dashboard draws every figure as an SVG chart, with labels and tooltips", async () => {
  const A = await newDevice(browser, { viewport: { width: 1280, height: 900 }, allow: EXPECTED });
  const { page } = A;
  // A wrong token first: refused, nothing drawn.
  await page.goto(`${origin}/admin/stats`);
  await page.getByLabel("Owner token").fill(`lat_${"0".repeat(64)}`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForFunction(() => document.getElementById("signin-error").textContent.length > 0);
  assert.equal(await page.locator("#dashboard").isVisible(), false);

  await signIn(page);
  assert.equal(await page.textContent("#blog-name"), "Notes from the Workbench");

  // Views per day: one point per day of the window, the newest with today's views.
  const points = page.locator('svg[data-chart="views"] circle.point');
  assert.equal(await points.count(), 30);
  assert.equal(await points.last().getAttribute("data-views"), String(TOTAL_VIEWS));
  assert.match(await points.last().locator("title").textContent(), new RegExp(`: ${TOTAL_VIEWS} views, 5 reader events$`));
  assert.ok((await page.locator('svg[data-chart="views"] text.x-label').count()) >= 5, "dates along the x axis");
  assert.equal(await page.locator('svg[data-chart="views"] path.events-line').count(), 1);

  // Top posts: one bar per post, in order, labelled with the titles.
  const top = page.locator('svg[data-chart="top"] rect.bar');
  assert.equal(await top.count(), 5);
  assert.deepEqual(await top.evaluateAll((bars) => bars.map((b) => Number(b.dataset.value))), VIEWS);
  const labels = await page.locator('svg[data-chart="top"] text.bar-label').allTextContents();
  labels.forEach((label, i) => {
    const title = posts[i].title;
    assert.ok(label === title || (label.endsWith("…") && title.startsWith(label.slice(0, -1).trimEnd())), `${label} ~ ${title}`);
  });
  assert.match(await top.first().locator("title").textContent(), new RegExp(`/blog/${posts[0].slug}\\): 9 views$`));

  // Reactions: four types, zero included.
  const reactions = page.locator('svg[data-chart="reactions"] rect.bar');
  assert.equal(await reactions.count(), 4);
  assert.deepEqual(
    await reactions.evaluateAll((bars) => Object.fromEntries(bars.map((b) => [b.dataset.label, Number(b.dataset.value)]))),
    REACTIONS,
  );
  assert.deepEqual(await page.locator('svg[data-chart="reactions"] text.bar-label').allTextContents(), [
    "Like", "Love", "Insightful", "Funny",
  ]);

  // Cache: the ring's ratio is the API's; the day's bars stack hit, 304 and miss.
  const ratio = `${Math.round(api.totals.hit_ratio * 100)}%`;
  assert.equal(await page.textContent('svg[data-chart="cache-ring"] text.ratio'), ratio);
  assert.equal(await page.textContent('[data-kpi="hit_ratio"] .value'), ratio);
  const today = page.locator('svg[data-chart="cache"] g.day').last();
  assert.deepEqual(
    await today.locator("rect.bar").evaluateAll((bars) => bars.map((b) => b.dataset.outcome)),
    ["cache_hit", "cache_not_modified", "cache_miss"],
  );
  assert.equal(await page.locator('svg[data-chart="cache-ring"] circle.segment').count(), 3);

  // D1 queries: a bar per day; today's is the API's count.
  const d1 = page.locator('svg[data-chart="d1"] rect.bar');
  assert.equal(await d1.count(), 30);
  assert.equal(await d1.last().getAttribute("data-value"), String(api.totals.d1_queries));

  // Tiers: a segment per tier holding content, and a legend with all four.
  const tiers = page.locator('svg[data-chart="tiers"] rect.bar');
  assert.deepEqual(await tiers.evaluateAll((bars) => bars.map((b) => b.dataset.tier)), ["hot", "warm", "cold", "popular"]);
  const legend = await page.locator("#chart-tiers .legend li").allTextContents();
  assert.deepEqual(legend.map((t) => t.split(" ")[0]), ["HOT", "WARM", "COLD", "POPULAR"]);

  assert.equal(await page.textContent('[data-kpi="views"] .value'), String(TOTAL_VIEWS));
  await page.screenshot({ path: join(SHOTS, "stats.png"), fullPage: true });

  // Another period redraws: 7 days, 7 points.
  await page.getByRole("button", { name: "7 days" }).click();
  await page.waitForFunction(() => document.querySelectorAll('svg[data-chart="views"] circle.point').length === 7);
  assert.equal(await page.locator('svg[data-chart="d1"] rect.bar').count(), 7);

  // The token is the editor's: /admin opens signed in.
  await page.goto(`${origin}/admin`);
  await page.waitForSelector("#app", { state: "visible" });
  assert.deepEqual(await A.context.cookies(), []);
  assert.deepEqual(A.problems, []);
  await A.context.close();
});

test("at 420 px: one column, nothing wider than the window", async () => {
  const B = await newDevice(browser, { viewport: { width: 420, height: 900 } });
  const { page } = B;
  await signIn(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(overflow <= 420, `page is ${overflow}px wide`);
  for (const chart of ["views", "top", "reactions", "cache", "d1", "tiers"]) {
    const box = await page.locator(`svg[data-chart="${chart}"]`).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 420, `${chart} fits (${JSON.stringify(box)})`);
  }
  assert.equal(await page.locator('svg[data-chart="views"] circle.point').count(), 30);
  await page.screenshot({ path: join(SHOTS, "stats-420.png"), fullPage: true });
  assert.deepEqual(B.problems, []);
  await B.context.close();
});

test("a blog without views shows empty states, not broken charts", async () => {
  const autumn = await w.tenantId("autumn");
  const autumnToken = await w.mintToken(autumn);
  const C = await newDevice(browser, { viewport: { width: 1280, height: 900 } });
  const { page } = C;
  await page.goto(`${await tenantOrigin(w, "autumn")}/admin/stats`);
  await page.getByLabel("Owner token").fill(autumnToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForSelector("body[data-state=ready]");
  assert.match(await page.textContent("#chart-views"), /No views in the last 30 days yet/);
  assert.match(await page.textContent("#chart-top"), /No post has been viewed/);
  assert.match(await page.textContent("#chart-reactions"), /No reactions yet/);
  assert.equal(await page.locator('svg[data-chart="views"]').count(), 0);
  // Storage is there whatever the views.
  assert.ok((await page.locator('svg[data-chart="tiers"] rect.bar').count()) >= 1);
  assert.equal(await page.textContent('[data-kpi="hit_ratio"] .value'), "—");
  await page.screenshot({ path: join(SHOTS, "stats-empty.png"), fullPage: true });
  assert.deepEqual(C.problems, []);
  await C.context.close();
});
