// Lattice's owner editor: plain JS, no build step, served from the core at /admin.
//
// It talks only to this blog's JSON API with the owner token as a bearer header (no cookies).
// What the author types is never lost: every edit is kept in localStorage at once (per host and
// slug, with the draft revision it was made on), autosaved to the server 3 s after the last
// keystroke and when the page is hidden or left, retried when the browser is back online, and
// restored when the document is opened again. The server's drafts carry a revision; a save based
// on an older one is refused (409 draft.conflict) and the author chooses in a dialog.

const HOST = location.host;
const AUTOSAVE_MS = 3000;
const PREVIEW_MS = 300;
const KEEPALIVE_MAX_BYTES = 60000; // fetch keepalive bodies are capped at 64 KiB per page
const SLUG_RE = /^[a-z0-9-]{1,100}$/;
const KEYS = {
  token: `lattice.token:${HOST}`,
  device: "lattice.device",
  local: (slug) => `lattice.local:${HOST}:${slug}`,
};

const $ = (id) => document.getElementById(id);
const el = {
  blogName: $("blog-name"), viewBlog: $("view-blog"), signOut: $("sign-out"),
  signin: $("signin"), signinForm: $("signin-form"), token: $("token"), signinError: $("signin-error"),
  signinSubmit: $("signin-submit"),
  app: $("app"), newPost: $("new-post"), draftList: $("draft-list"), postList: $("post-list"),
  empty: $("empty-state"), emptyMessage: $("empty-message"), doc: $("doc"), docHeading: $("doc-heading"),
  status: $("status"), resolve: $("resolve"), words: $("words"), viewPost: $("view-post"),
  publish: $("publish"), unpublish: $("unpublish"),
  title: $("title"), slug: $("slug"), postState: $("post-state"), description: $("description"), tags: $("tags"),
  markdown: $("markdown"), preview: $("preview"),
  newDialog: $("new-dialog"), newForm: $("new-form"), newTitle: $("new-title"), newSlug: $("new-slug"),
  newError: $("new-error"), newCancel: $("new-cancel"),
  conflict: $("conflict-dialog"), theirsMeta: $("theirs-meta"), theirsText: $("theirs-text"),
  mineMeta: $("mine-meta"), mineText: $("mine-text"), conflictNote: $("conflict-note"),
  copyMine: $("copy-mine"), keepTheirs: $("keep-theirs"), keepMine: $("keep-mine"),
};

// ---------------------------------------------------------------------------------------------
// Small helpers

function readStore(key) {
  try {
    const s = localStorage.getItem(key);
    return s === null ? null : JSON.parse(s);
  } catch {
    return null;
  }
}
function writeStore(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return true;
  } catch {
    return false; // full or disabled: the server copy is all there is
  }
}
function dropStore(key) {
  try {
    localStorage.removeItem(key);
  } catch {}
}

function randomHex(bytes) {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}

// One id per browser, so the server (and the conflict dialog) can tell devices apart.
const deviceId = (() => {
  let id = readStore(KEYS.device);
  if (typeof id !== "string" || !/^[a-z0-9_-]{8,64}$/.test(id)) {
    id = `web-${randomHex(8)}`;
    writeStore(KEYS.device, id);
  }
  return id;
})();

// "14:03" today, "Nov 24, 14:03" another day (local time).
function clock(when) {
  const d = when === undefined || when === null ? new Date() : new Date(when);
  const t = Number.isNaN(d.getTime()) ? new Date() : d;
  const hm = `${String(t.getHours()).padStart(2, "0")}:${String(t.getMinutes()).padStart(2, "0")}`;
  if (t.toDateString() === new Date().toDateString()) return hm;
  const day = t.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  return `${day}, ${hm}`;
}
function shortDate(when) {
  const d = new Date(when);
  if (Number.isNaN(d.getTime())) return "";
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return clock(d); // "14:03"
  return d.toLocaleDateString(undefined, { year: d.getFullYear() === today.getFullYear() ? undefined : "numeric", month: "short", day: "numeric" });
}

function parseTags(text) {
  return text.split(",").map((t) => t.trim()).filter(Boolean);
}
function node(tag, props = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "class") n.className = v;
    else if (k === "text") n.textContent = v;
    else n.setAttribute(k, v);
  }
  n.append(...children.filter((c) => c !== null && c !== undefined));
  return n;
}

// ---------------------------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `the server answered ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? "";
    this.field = body?.error?.field ?? "";
    this.body = body;
  }
}
// fetch failed before any answer: offline, or the server unreachable.
class NetworkError extends Error {}

const state = {
  token: null,
  tenant: null,
  posts: [],
  drafts: [],
  doc: null, // the open document, see openDoc()
  opening: 0, // the latest openDoc call, so a slower earlier one gives way
};

async function api(method, path, body, { keepalive = false, signingIn = false } = {}) {
  const headers = { authorization: `Bearer ${state.token}`, accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      keepalive,
      cache: "no-store",
      credentials: "omit",
    });
  } catch (err) {
    throw new NetworkError(String(err?.message ?? err));
  }
  let data = null;
  if (res.status !== 204) {
    try {
      data = await res.json();
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const error = new ApiError(res.status, data);
    if (res.status === 401 && state.token && !signingIn) expired();
    throw error;
  }
  return { status: res.status, data };
}

// ---------------------------------------------------------------------------------------------
// Signing in and out

function showSignIn(message = "") {
  el.app.hidden = true;
  el.signOut.hidden = true;
  el.viewBlog.hidden = true;
  el.blogName.textContent = "Lattice";
  el.signin.hidden = false;
  el.signinError.textContent = message;
  el.token.setAttribute("aria-invalid", message ? "true" : "false");
  document.title = "Sign in · Lattice";
  el.token.focus();
}

function showApp() {
  el.signin.hidden = true;
  el.app.hidden = false;
  el.signOut.hidden = false;
  el.viewBlog.hidden = false;
  el.blogName.textContent = state.tenant?.display_name || state.tenant?.subdomain || HOST;
  el.token.value = "";
}

// Checks `token` with GET /api/tenant and, if it is this blog's, keeps it and shows the editor.
// Returns an error message, or "" when signed in.
async function signIn(token) {
  state.token = token;
  try {
    const { data } = await api("GET", "/api/tenant", undefined, { signingIn: true });
    state.tenant = data.tenant;
  } catch (err) {
    state.token = null;
    if (err instanceof NetworkError) return "Could not reach the server. Check the connection and try again.";
    if (err.status === 401 || err.status === 404) dropStore(KEYS.token);
    if (err.status === 401) return "That token is not valid.";
    if (err.status === 404) return "That token does not belong to this blog.";
    return err.message;
  }
  writeStore(KEYS.token, token);
  showApp();
  await refreshLists().catch(listsFailed);
  route();
  return "";
}

function listsFailed(err) {
  if (err instanceof ApiError && err.status === 401) return;
  const message = err instanceof NetworkError ? "Offline: the list could not be loaded" : `The list could not be loaded: ${err.message}`;
  el.postList.replaceChildren(node("li", { class: "none", text: message }));
}

// The token stopped working (revoked, or the blog is gone): back to the sign-in form. Unsaved
// text stays in localStorage and comes back after signing in again.
function expired() {
  state.token = null;
  dropStore(KEYS.token);
  closeDoc();
  showSignIn("The token is no longer valid. Sign in again; unsaved changes are kept in this browser.");
}

async function signOut() {
  if (state.doc) await save().catch(() => {});
  dropStore(KEYS.token);
  state.token = null;
  state.tenant = null;
  state.posts = [];
  state.drafts = [];
  closeDoc();
  el.draftList.replaceChildren();
  el.postList.replaceChildren();
  history.replaceState(null, "", location.pathname);
  showSignIn();
}

// ---------------------------------------------------------------------------------------------
// The sidebar

async function refreshLists() {
  const posts = [];
  let page = 1;
  for (let i = 0; i < 20 && page; i++) {
    const { data } = await api("GET", `/api/posts?limit=100${page > 1 ? `&page=${page}` : ""}`);
    posts.push(...(data.posts ?? []));
    page = data.next_page ?? null;
  }
  // Drafts are a separate list; if it cannot be had, the posts are still worth showing.
  const drafts = await api("GET", "/api/drafts").then((r) => r.data.drafts ?? [], (err) => {
    if (err instanceof NetworkError || err.status === 401) throw err;
    console.warn(`lattice: drafts unavailable: ${err.message}`);
    return [];
  });
  state.posts = posts;
  state.drafts = drafts;
  renderLists();
}

function renderLists() {
  const current = state.doc?.slug;
  const draftSlugs = new Set(state.drafts.map((d) => d.slug));
  const item = (slug, name, ...sub) =>
    node("li", {}, node("a", { href: `#/edit/${slug}`, ...(slug === current ? { "aria-current": "page" } : {}) },
      node("span", { class: "name", text: name }), node("span", { class: "sub" }, ...sub)));

  const time = (d) => new Date(d.saved_at).getTime() || 0;
  const drafts = [...state.drafts].sort((a, b) => time(b) - time(a));
  el.draftList.replaceChildren(...(drafts.length
    ? drafts.map((d) => item(d.slug, d.title || d.slug,
        node("span", { text: `rev ${d.revision}` }),
        node("span", { text: `· ${shortDate(d.saved_at)}` }),
        d.device_id === deviceId ? null : node("span", { text: "· other device" })))
    : [node("li", { class: "none", text: "No drafts" })]));

  el.postList.replaceChildren(...(state.posts.length
    ? state.posts.map((p) => item(p.slug, p.title || p.slug,
        node("span", { class: `badge ${p.status}`, text: p.status }),
        draftSlugs.has(p.slug) ? node("span", { class: "badge edited", text: "edited" }) : null,
        node("span", { text: shortDate(p.updated_at) })))
    : [node("li", { class: "none", text: "No posts yet" })]));
}

// ---------------------------------------------------------------------------------------------
// The open document
//
// doc = { slug, post (the API's post or null), base (the draft revision this device last saw,
// null when there is no draft), saved (the text the server has: {content, metadata}), savedLabel,
// inFlight (the running save), again (save once more after it), conflict, retryMs }

function editorSnapshot() {
  return {
    content: el.markdown.value,
    metadata: { title: el.title.value, description: el.description.value, tags: parseTags(el.tags.value) },
  };
}
function snapshotOfDraft(draft) {
  const m = draft.metadata ?? {};
  return { content: draft.content ?? "", metadata: { title: m.title ?? "", description: m.description ?? "", tags: m.tags ?? [] } };
}
function snapshotOfPost(post) {
  return { content: post.markdown ?? "", metadata: { title: post.title ?? "", description: post.description ?? "", tags: post.tags ?? [] } };
}
const EMPTY = { content: "", metadata: { title: "", description: "", tags: [] } };

function sameSnapshot(a, b) {
  return a.content === b.content && a.metadata.title === b.metadata.title &&
    a.metadata.description === b.metadata.description &&
    JSON.stringify(a.metadata.tags) === JSON.stringify(b.metadata.tags);
}
function isDirty(doc) {
  return !sameSnapshot(editorSnapshot(), doc.saved);
}

function fillEditor(snapshot) {
  el.markdown.value = snapshot.content;
  el.title.value = snapshot.metadata.title;
  el.description.value = snapshot.metadata.description;
  el.tags.value = (snapshot.metadata.tags ?? []).join(", ");
  for (const f of [el.title, el.description, el.tags, el.markdown]) f.removeAttribute("aria-invalid");
}

function setStatus(text, tone = "") {
  el.status.textContent = text;
  el.status.className = `status ${tone}`;
}
function savedStatus(doc) {
  if (doc.base === null) {
    // No draft: the post as it is ("Published · v3 · Nov 24, 17:45", "Draft · v2 · …").
    const label = { published: "Published", draft: "Draft", archived: "Archived" }[doc.post?.status] ?? "Saved";
    if (doc.post) setStatus(`${label} · v${doc.post.version} · ${clock(doc.post.updated_at)}`, "ok");
    else setStatus("New post · not saved yet");
  } else {
    setStatus(`Saved · rev ${doc.base} · ${clock(doc.savedAt)}`, "ok");
  }
}

function updateChrome() {
  const doc = state.doc;
  if (!doc) return;
  const post = doc.post;
  const published = post?.status === "published";
  el.slug.textContent = doc.slug;
  el.postState.textContent = post ? post.status : "new";
  el.postState.className = `badge ${post?.status ?? ""}`;
  el.unpublish.hidden = !published;
  el.viewPost.hidden = !published;
  el.viewPost.href = `/blog/${doc.slug}`;
  el.publish.textContent = published ? "Publish changes" : "Publish";
  // Something to publish: a draft, unsaved edits, or a post that is not public yet.
  el.publish.disabled = !(doc.base !== null || isDirty(doc) || !published);
  el.resolve.hidden = !doc.conflict;
  const title = el.title.value.trim() || doc.slug;
  el.docHeading.textContent = `Editing ${title}`;
  document.title = `${isDirty(doc) ? "• " : ""}${title} · ${state.tenant?.display_name ?? "Lattice"}`;
}

function closeDoc() {
  const doc = state.doc;
  if (doc) {
    clearTimeout(doc.saveTimer);
    clearTimeout(doc.previewTimer);
  }
  state.doc = null;
  el.doc.hidden = true;
  el.doc.inert = false;
  el.empty.hidden = false;
  el.emptyMessage.textContent = "Pick a post or a draft on the left, or start a new one.";
  if (el.conflict.open) el.conflict.close();
  fillEditor(EMPTY);
  el.preview.replaceChildren();
  el.words.textContent = "";
  document.title = `Editor · ${state.tenant?.display_name ?? "Lattice"}`;
}

// Opens `slug`: its draft if there is one, else the post's markdown as the starting point, else
// an empty new post; then any unsaved local copy on top (or the conflict dialog, if that copy was
// made on a revision the server has since moved past).
async function openDoc(slug, { initialTitle = "" } = {}) {
  const ticket = ++state.opening;
  if (state.doc) {
    if (state.doc.slug === slug) return;
    await save().catch(() => {});
    if (ticket !== state.opening) return;
  }
  closeDoc();
  el.empty.hidden = true;
  el.doc.hidden = false;
  el.doc.inert = true; // nothing typed before the text arrives could be kept
  el.slug.textContent = slug;
  setStatus("Opening…");
  let draft = null;
  let post = null;
  try {
    await refreshLists();
    const hasDraft = state.drafts.some((d) => d.slug === slug);
    const hasPost = state.posts.some((p) => p.slug === slug);
    [draft, post] = await Promise.all([
      hasDraft ? api("GET", `/api/drafts/${slug}`).then((r) => r.data.draft, notFoundAsNull) : null,
      hasPost ? api("GET", `/api/posts/${slug}`).then((r) => r.data.post, notFoundAsNull) : null,
    ]);
  } catch (err) {
    if (ticket !== state.opening) return;
    // Offline: the local copy (if any) is still worth editing; it is saved when back online.
    const local = err instanceof NetworkError ? readLocal(slug) : null;
    if (!local) {
      if (err instanceof ApiError && err.status === 401) return;
      closeDoc();
      el.emptyMessage.textContent = err instanceof NetworkError
        ? "Offline: this document could not be opened. Try again when back online."
        : `This document could not be opened: ${err.message}`;
      return;
    }
    state.doc = { slug, post: null, base: local.base ?? null, saved: EMPTY, savedAt: null, retryMs: 0 };
    fillEditor(snapshotOfLocal(local));
    afterOpen();
    setStatus("Offline · editing the copy kept on this device", "warn");
    return;
  }
  if (ticket !== state.opening) return;

  const doc = {
    slug,
    post,
    base: draft ? draft.revision : null,
    saved: draft ? snapshotOfDraft(draft) : post ? snapshotOfPost(post) : EMPTY,
    savedAt: draft?.saved_at ?? null,
    retryMs: 0,
  };
  state.doc = doc;
  fillEditor(doc.saved);
  afterOpen();
  savedStatus(doc);

  const local = readLocal(slug);
  if (local) {
    const mine = snapshotOfLocal(local);
    if (sameSnapshot(mine, doc.saved)) {
      dropStore(KEYS.local(slug)); // the server already has it (e.g. saved on the way out)
    } else if ((local.base ?? null) === doc.base) {
      // Made on the revision the server still has: newer than the server copy. Restore and save.
      fillEditor(mine);
      edited({ restore: true });
      setStatus("Restored unsaved changes from this device", "warn");
      scheduleSave(500);
    } else {
      // Made on a revision the server has moved past: the author decides.
      fillEditor(mine);
      edited({ restore: true });
      openConflict(doc, draft ? { ...snapshotOfDraft(draft), revision: draft.revision, device_id: draft.device_id, saved_at: draft.saved_at } : null);
    }
  } else if (initialTitle) {
    el.title.value = initialTitle;
    edited();
  }
}

// This browser's unsaved copy of `slug`, if it has a usable one.
function readLocal(slug) {
  const local = readStore(KEYS.local(slug));
  return local && typeof local.content === "string" && typeof local.metadata === "object" && local.metadata ? local : null;
}
function snapshotOfLocal(local) {
  const m = local.metadata;
  return {
    content: local.content,
    metadata: { title: String(m.title ?? ""), description: String(m.description ?? ""), tags: Array.isArray(m.tags) ? m.tags.map(String) : [] },
  };
}

function notFoundAsNull(err) {
  if (err instanceof ApiError && err.status === 404) return null;
  throw err;
}

function afterOpen() {
  el.doc.inert = false;
  renderLists();
  updateChrome();
  refreshPreview(true);
  el.markdown.scrollTop = 0;
}

// Every edit: remember it locally at once, refresh the preview soon, save in a while.
function edited({ restore = false } = {}) {
  const doc = state.doc;
  if (!doc) return;
  if (!restore) keepLocal(doc);
  updateChrome();
  if (doc.conflict) return; // saving waits for the author's decision
  if (isDirty(doc)) {
    setStatus(navigator.onLine === false ? "Offline · changes kept on this device" : "Unsaved changes", navigator.onLine === false ? "warn" : "");
    scheduleSave(AUTOSAVE_MS);
  } else {
    clearTimeout(doc.saveTimer);
    dropStore(KEYS.local(doc.slug));
    savedStatus(doc);
  }
}

function keepLocal(doc) {
  if (!isDirty(doc)) {
    dropStore(KEYS.local(doc.slug));
    return;
  }
  const ok = writeStore(KEYS.local(doc.slug), { ...editorSnapshot(), base: doc.base, editedAt: Date.now() });
  if (!ok) console.warn("lattice: could not keep a local copy (storage full?)");
}

function scheduleSave(ms) {
  const doc = state.doc;
  if (!doc) return;
  clearTimeout(doc.saveTimer);
  doc.saveTimer = setTimeout(() => save().catch(() => {}), ms);
}

// Saves the open document if it has unsaved edits. One save runs at a time; edits made while it
// runs are saved right after it.
function save({ keepalive = false } = {}) {
  const doc = state.doc;
  if (!doc || doc.conflict || !state.token) return Promise.resolve();
  if (doc.inFlight) {
    doc.again = true;
    return doc.inFlight;
  }
  if (!isDirty(doc)) return Promise.resolve();
  clearTimeout(doc.saveTimer);
  doc.inFlight = saveOnce(doc, keepalive).finally(() => {
    doc.inFlight = null;
    if (doc.again && state.doc === doc) {
      doc.again = false;
      if (isDirty(doc) && !doc.conflict) return save();
    }
    updateChrome();
  });
  return doc.inFlight;
}

async function saveOnce(doc, keepalive) {
  const sent = editorSnapshot();
  const body = { content: sent.content, metadata: sent.metadata, deviceId };
  if (doc.base !== null) body.baseRevision = doc.base;
  setStatus("Saving…");
  try {
    const { data } = await api("PUT", `/api/drafts/${doc.slug}`, body, { keepalive });
    const draft = data.draft;
    doc.base = draft.revision;
    doc.saved = sent;
    doc.savedAt = draft.saved_at ?? Date.now();
    doc.retryMs = 0;
    clearTimeout(doc.retryTimer);
    keepLocal(doc); // gone if nothing changed meanwhile, else re-kept on the new revision
    const listed = state.drafts.find((d) => d.slug === doc.slug);
    const summary = { slug: doc.slug, title: sent.metadata.title, revision: draft.revision, device_id: deviceId, saved_at: doc.savedAt };
    if (listed) Object.assign(listed, summary);
    else state.drafts.push(summary);
    renderLists();
    if (state.doc === doc) {
      if (isDirty(doc)) setStatus("Unsaved changes");
      else savedStatus(doc);
    }
  } catch (err) {
    if (state.doc !== doc) return;
    if (err instanceof NetworkError) {
      // Kept locally already; try again later, and at once when the browser is back online.
      doc.retryMs = Math.min(Math.max(doc.retryMs * 2, 5000), 60000);
      setStatus("Offline · changes kept on this device", "warn");
      clearTimeout(doc.retryTimer);
      doc.retryTimer = setTimeout(() => save().catch(() => {}), doc.retryMs);
      return;
    }
    if (err.status === 409 && err.code === "draft.conflict") {
      const server = err.body?.draft ?? null;
      openConflict(doc, server ? { ...snapshotOfDraft(server), revision: server.revision, device_id: server.device_id, saved_at: server.saved_at } : null);
      return;
    }
    if (err.status === 401) return;
    markInvalid(err.field);
    setStatus(`Not saved: ${err.message}`, "error");
  }
}

function markInvalid(field) {
  const target = { title: el.title, description: el.description, tags: el.tags, markdown: el.markdown, content: el.markdown }[
    String(field).replace(/^metadata\./, "")];
  if (target) target.setAttribute("aria-invalid", "true");
}

// ---------------------------------------------------------------------------------------------
// Conflicts

// `server`: {content, metadata, revision, device_id, saved_at} as the server has it, or null when
// the draft is gone there (published or deleted elsewhere).
function openConflict(doc, server) {
  clearTimeout(doc.saveTimer);
  doc.conflict = { server };
  const mine = editorSnapshot();
  if (server) {
    el.theirsText.value = server.content;
    const where = server.device_id === deviceId ? "this browser" : "another device";
    el.theirsMeta.textContent = `· rev ${server.revision} · ${where} · ${clock(server.saved_at)}`;
  } else {
    const fallback = doc.post ? snapshotOfPost(doc.post) : EMPTY;
    el.theirsText.value = fallback.content;
    el.theirsMeta.textContent = "· the draft was published or deleted elsewhere";
  }
  el.mineText.value = mine.content;
  el.mineMeta.textContent = `· this browser · based on rev ${doc.base ?? "none"}`;
  el.conflictNote.textContent = "";
  setStatus("Conflict: this draft changed elsewhere", "error");
  updateChrome();
  if (!el.conflict.open) el.conflict.showModal();
  el.keepMine.focus();
}

async function keepMine() {
  const doc = state.doc;
  if (!doc?.conflict) return;
  const { server } = doc.conflict;
  doc.conflict = null;
  el.conflict.close();
  // Save again on top of what the server has now (no base when the draft is gone).
  doc.base = server ? server.revision : null;
  doc.saved = server ? { content: server.content, metadata: server.metadata } : doc.post ? snapshotOfPost(doc.post) : EMPTY;
  keepLocal(doc);
  updateChrome();
  if (isDirty(doc)) await save().catch(() => {});
  else savedStatus(doc);
  el.markdown.focus();
}

async function keepTheirs() {
  const doc = state.doc;
  if (!doc?.conflict) return;
  const { server } = doc.conflict;
  doc.conflict = null;
  el.conflict.close();
  dropStore(KEYS.local(doc.slug));
  if (!server) {
    // The draft is gone: start again from what the server has (the post, if it was published).
    state.doc = null;
    await openDoc(doc.slug);
    el.markdown.focus();
    return;
  }
  doc.base = server.revision;
  doc.saved = { content: server.content, metadata: server.metadata };
  doc.savedAt = server.saved_at;
  fillEditor(doc.saved);
  refreshPreview(true);
  updateChrome();
  savedStatus(doc);
  el.markdown.focus();
}

async function copyMine() {
  const text = el.mineText.value;
  try {
    await navigator.clipboard.writeText(text);
    el.conflictNote.textContent = "Your text is on the clipboard.";
  } catch {
    el.mineText.focus();
    el.mineText.select();
    el.conflictNote.textContent = "Your text is selected: press Ctrl+C (⌘C) to copy it.";
  }
}

// ---------------------------------------------------------------------------------------------
// Publishing

async function publish() {
  const doc = state.doc;
  if (!doc || doc.conflict) return;
  el.publish.disabled = true;
  try {
    if (doc.inFlight) await doc.inFlight; // publish the revision that save creates, not the one before
    if (isDirty(doc)) await save();
    if (state.doc !== doc || doc.conflict || isDirty(doc)) return; // the save did not go through
    const published = editorSnapshot();
    setStatus("Publishing…");
    let post;
    if (doc.base !== null) {
      ({ data: { post } } = await api("POST", `/api/drafts/${doc.slug}/publish`, { baseRevision: doc.base }));
    } else if (doc.post) {
      ({ data: { post } } = await api("PUT", `/api/posts/${doc.slug}`, { status: "published", version: doc.post.version }));
    } else {
      setStatus("Write something first", "warn");
      return;
    }
    doc.post = post;
    doc.base = null;
    doc.saved = published;
    keepLocal(doc); // gone, unless the author typed on while it was being published
    state.drafts = state.drafts.filter((d) => d.slug !== doc.slug);
    setStatus(`Published · v${post.version} · ${clock()}`, "ok");
    refreshLists().catch(() => {});
  } catch (err) {
    if (state.doc !== doc) return;
    if (err instanceof NetworkError) setStatus("Offline: not published (your text is kept)", "warn");
    else if (err.status === 409 && err.code === "draft.conflict") {
      const server = err.body?.draft ?? null;
      openConflict(doc, server ? { ...snapshotOfDraft(server), revision: server.revision, device_id: server.device_id, saved_at: server.saved_at } : null);
    } else if (err.status !== 401) {
      markInvalid(err.field);
      setStatus(`Not published: ${err.message}`, "error");
    }
  } finally {
    updateChrome();
  }
}

async function unpublish() {
  const doc = state.doc;
  if (!doc?.post) return;
  el.unpublish.disabled = true;
  try {
    const { data } = await api("PUT", `/api/posts/${doc.slug}`, { status: "draft", version: doc.post.version });
    doc.post = data.post;
    setStatus(`Unpublished · v${data.post.version} · ${clock()}`, "ok");
    refreshLists().catch(() => {});
  } catch (err) {
    if (err instanceof NetworkError) setStatus("Offline: not unpublished", "warn");
    else if (err.code === "post.version_conflict") setStatus("The post changed elsewhere; reopen it and try again", "error");
    else if (err.status !== 401) setStatus(`Not unpublished: ${err.message}`, "error");
  } finally {
    el.unpublish.disabled = false;
    updateChrome();
  }
}

// ---------------------------------------------------------------------------------------------
// Live preview: rendered by the server with the same sanitising renderer as published posts.

let previewSeq = 0;
function refreshPreview(now = false) {
  const doc = state.doc;
  if (!doc) return;
  clearTimeout(doc.previewTimer);
  doc.previewTimer = setTimeout(renderPreview, now ? 0 : PREVIEW_MS);
}

// The HTML is sanitised server-side (src/render/markdown.cpp writes it, attributes escaped). Two
// things this page's CSP would refuse, and log, are rewritten before it is parsed: table alignment
// (inline style attributes) becomes a class, and images hosted elsewhere become a placeholder
// naming them (the editor loads nothing from other sites; the published page shows them).
function previewHtml(html) {
  return html
    .replace(/ style="text-align:(left|center|right)"/g, ' class="align-$1"')
    .replace(/<img src="((?:https?:)?\/\/[^"]*)" alt="([^"]*)"[^>]*>/gi,
      '<span class="external-image" title="$1">Image: $2 <span class="external-src">$1</span></span>');
}

async function renderPreview() {
  const seq = ++previewSeq;
  const markdown = el.markdown.value;
  try {
    const { data } = await api("POST", "/api/preview", { markdown });
    if (seq !== previewSeq || !state.doc) return;
    el.preview.innerHTML = previewHtml(String(data.html ?? ""));
    el.words.textContent = `${data.word_count ?? 0} words`;
  } catch (err) {
    if (seq !== previewSeq || !state.doc) return;
    if (err instanceof NetworkError) return; // keep the last preview while offline
    el.preview.replaceChildren(node("p", { class: "preview-error", text: `Preview unavailable: ${err.message}` }));
  }
}

// ---------------------------------------------------------------------------------------------
// New post

function openNewDialog() {
  el.newForm.reset();
  el.newError.textContent = "";
  el.newSlug.dataset.touched = "";
  el.newSlug.removeAttribute("aria-invalid");
  el.newDialog.showModal();
  el.newTitle.focus();
}

function slugify(title) {
  return title.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100).replace(/-+$/, "");
}

function submitNew(event) {
  event.preventDefault(); // never a real form submission (the CSP forbids them anyway)
  const slug = el.newSlug.value.trim();
  if (!SLUG_RE.test(slug)) {
    el.newError.textContent = "The address takes 1–100 lower-case letters, digits and hyphens.";
    el.newSlug.setAttribute("aria-invalid", "true");
    el.newSlug.focus();
    return;
  }
  const title = el.newTitle.value.trim();
  el.newDialog.close();
  const exists = state.posts.some((p) => p.slug === slug) || state.drafts.some((d) => d.slug === slug);
  pendingNew = exists ? null : { slug, title };
  navigate(slug);
}

// ---------------------------------------------------------------------------------------------
// Routing: #/edit/{slug}

let pendingNew = null;
function navigate(slug) {
  const hash = `#/edit/${slug}`;
  if (location.hash === hash) route();
  else location.hash = hash;
}
function route() {
  if (!state.token) return;
  const m = /^#\/edit\/([a-z0-9-]{1,100})$/.exec(location.hash);
  if (!m) {
    if (state.doc) save().catch(() => {});
    closeDoc();
    renderLists();
    return;
  }
  const initialTitle = pendingNew?.slug === m[1] ? pendingNew.title : "";
  pendingNew = null;
  openDoc(m[1], { initialTitle }).then(() => {
    if (state.doc?.slug === m[1] && !state.doc.conflict) (initialTitle || !el.title.value ? el.title : el.markdown).focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Leaving the page: save what is unsaved with a keepalive fetch (sendBeacon cannot send the
// Authorization header). Bodies over the keepalive limit rely on the local copy.

function flushOnExit() {
  const doc = state.doc;
  if (!doc || !state.token || doc.conflict || doc.inFlight || !isDirty(doc)) return;
  keepLocal(doc);
  const size = new Blob([JSON.stringify(editorSnapshot())]).size;
  if (size > KEEPALIVE_MAX_BYTES) return;
  save({ keepalive: true }).catch(() => {});
}

// ---------------------------------------------------------------------------------------------
// Wiring

el.signinForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const token = el.token.value.trim();
  if (!token) {
    el.signinError.textContent = "Paste the owner token.";
    el.token.setAttribute("aria-invalid", "true");
    return;
  }
  el.signinSubmit.disabled = true;
  el.signinError.textContent = "";
  const error = await signIn(token).finally(() => (el.signinSubmit.disabled = false));
  if (error) showSignIn(error);
});
el.signOut.addEventListener("click", () => signOut());
el.newPost.addEventListener("click", openNewDialog);
el.newForm.addEventListener("submit", submitNew);
el.newCancel.addEventListener("click", () => el.newDialog.close());
el.newTitle.addEventListener("input", () => {
  if (!el.newSlug.dataset.touched) el.newSlug.value = slugify(el.newTitle.value);
});
el.newSlug.addEventListener("input", () => {
  el.newSlug.dataset.touched = "1";
  el.newSlug.removeAttribute("aria-invalid");
  el.newError.textContent = "";
});

for (const field of [el.title, el.description, el.tags]) {
  field.addEventListener("input", () => {
    field.removeAttribute("aria-invalid");
    edited();
  });
}
el.markdown.addEventListener("input", () => {
  el.markdown.removeAttribute("aria-invalid");
  edited();
  refreshPreview();
});
// Keep the preview roughly level with the text being written.
el.markdown.addEventListener("scroll", () => {
  const src = el.markdown;
  const ratio = src.scrollTop / Math.max(1, src.scrollHeight - src.clientHeight);
  el.preview.scrollTop = ratio * (el.preview.scrollHeight - el.preview.clientHeight);
});
// Links in the preview open in a new tab (leaving the editor by accident helps nobody); links
// to a heading scroll the preview.
el.preview.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!link) return;
  event.preventDefault();
  const href = link.getAttribute("href");
  if (href.startsWith("#")) {
    const id = decodeURIComponent(href.slice(1));
    el.preview.querySelector(`[id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: "start", behavior: "smooth" });
  } else {
    window.open(link.href, "_blank", "noopener,noreferrer");
  }
});
el.publish.addEventListener("click", publish);
el.unpublish.addEventListener("click", unpublish);
el.resolve.addEventListener("click", () => state.doc?.conflict && openConflict(state.doc, state.doc.conflict.server));
el.keepMine.addEventListener("click", keepMine);
el.keepTheirs.addEventListener("click", keepTheirs);
el.copyMine.addEventListener("click", copyMine);
el.conflict.addEventListener("cancel", () => {
  // Escape: decide later. Saving stays paused; "Resolve conflict…" reopens the choice.
  setStatus("Conflict: choose a version to keep saving", "error");
});

document.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
    event.preventDefault();
    if (state.doc) save().catch(() => {});
  }
});
window.addEventListener("hashchange", route);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden") flushOnExit();
});
window.addEventListener("pagehide", flushOnExit);
window.addEventListener("online", () => {
  if (state.doc && isDirty(state.doc)) save().catch(() => {});
});
window.addEventListener("offline", () => {
  if (state.doc && isDirty(state.doc)) setStatus("Offline · changes kept on this device", "warn");
});

// Start: signed in already (token in this browser), or the sign-in form.
(async () => {
  const token = readStore(KEYS.token);
  if (typeof token !== "string" || !token) {
    showSignIn();
    return;
  }
  const error = await signIn(token);
  if (error) showSignIn(error);
})();
