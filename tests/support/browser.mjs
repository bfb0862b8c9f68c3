// Real-browser support for tests/browser (kept outside it so `node --test` does not run it):
// Debian's Chromium driven by playwright-core (no browser download is possible or wanted), pages
// opened on a tenant's own host against a World's Miniflare server.
//
// Chromium resolves every *.localhost name to loopback by itself, so a page at
// http://demo.localhost:<port>/admin reaches Miniflare with `Host: demo.localhost:<port>`, which
// is how the worker picks the tenant (BASE_DOMAIN is "localhost" in a World).
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.LATTICE_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (scripts/test does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

// http://{subdomain}.localhost:{port}, the World's Miniflare server as a browser reaches it.
export async function tenantOrigin(world, subdomain) {
  const url = new URL(await world.mf.ready); // resolves to the server's URL once listening
  return `http://${subdomain}.localhost:${url.port}`;
}

// A browser profile of its own (its own localStorage, hence its own deviceId): one "device".
// `problems` collects console errors and uncaught page errors from every page it opens, except
// messages matching `allow` (e.g. the network error Chromium logs for an expected 409).
// `dialogs` records every alert/confirm/prompt, each dismissed (as Playwright does anyway when
// nobody listens). `bypassCSP` switches pages' CSP off; `initScript` runs before any page script.
export async function newDevice(browser, { viewport = { width: 1280, height: 800 }, allow = [], bypassCSP = false, initScript = null } = {}) {
  const context = await browser.newContext({ viewport, bypassCSP });
  if (initScript) await context.addInitScript(initScript);
  const problems = [];
  const dialogs = [];
  context.on("page", (page) => {
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const text = msg.text();
      if (!allow.some((re) => re.test(text))) problems.push(`console: ${text}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    page.on("dialog", async (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      await d.dismiss().catch(() => {});
    });
  });
  const page = await context.newPage();
  return { context, page, problems, dialogs };
}

// Waits until `fn` (run in node) returns a truthy value; returns it. For server-side state.
export async function eventually(fn, { timeout = 10000, interval = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last?.stack ?? JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

// Waits until the element's text matches `re`; returns the text.
export async function textMatches(page, selector, re, timeout = 10000) {
  await page.waitForFunction(
    ([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ""),
    [selector, re.source, re.flags],
    { timeout },
  ).catch(async (err) => {
    const now = await page.textContent(selector).catch(() => "(missing)");
    throw new Error(`${selector} never matched ${re} (it says ${JSON.stringify(now)}): ${err.message}`);
  });
  return page.textContent(selector);
}
