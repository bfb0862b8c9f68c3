#!/usr/bin/env python3
"""Writes the seed corpus under fuzz/corpus/<target>/ (run from the repository root; idempotent).

Seeds are small, readable inputs a fuzzer could not easily invent: demo posts and hostile
markdown, valid and invalid JSON bodies, cursors the server would issue (sealed like
src/core/sealed-token.cpp), live-channel frames. scripts/fuzz --merge adds minimised finds next
to them under names that are content hashes.
"""
import base64, hashlib, json, os, struct, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = os.path.join(root, "fuzz", "corpus")

def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

# --- markdown: a few demo posts (the smaller ones) and hostile snippets ---------------------
posts = []
for tenant in sorted(os.listdir(os.path.join(root, "demo", "posts"))):
    for f in sorted(os.listdir(os.path.join(root, "demo", "posts", tenant))):
        p = os.path.join(root, "demo", "posts", tenant, f)
        posts.append((os.path.getsize(p), tenant, f, p))
for size, tenant, f, p in sorted(posts)[:8] + [x for x in posts if "xss" in x[2]]:
    put("markdown", f"demo-{tenant}-{f}", open(p, "rb").read()[:16384])

hostile = {
    "script-tag": "<script>alert(1)</script>\n\n<SCRIPT SRC=//x></SCRIPT>",
    "js-link": "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](  javascript:x)",
    "entity-link": "[a](&#106;avascript:alert(1)) [b](java&#x09;script:x) [c](&#x6A;&#x61;vascript:x)",
    "escaped-link": "[a](java\\script:x) [b](<javascript:x>) <javascript:alert(1)>",
    "data-image": "![x](data:text/html;base64,PHNjcmlwdD4=) ![y](vbscript:x \"t\")",
    "onerror": "<img src=x onerror=alert(1)>\n\n[x](/a \"\\\" onmouseover=alert(1)\")",
    "ref-link": "[a][r]\n\n[r]: javascript:alert(1) \"title\"\n",
    "autolinks": "www.example.com http://a.b/c?d=e&f=g user@example.com <mailto:x@y.z> https://x.y/'\"<>",
    "table": "| a | b |\n|:-|-:|\n| `c` | *d* |\n| [e](/f) | ~~g~~ |\n",
    "tasks": "- [ ] one\n- [x] two\n  1. nested\n  2) more\n\n> quote\n> > deeper\n",
    "headings": "# Same\n## Same\n### Same-2\nSame\n===\n\n#### &amp; &lt;script&gt; &#0; &#x110000;\n",
    "code": "```js\"><script>\nalert(1)\n```\n\n    indented <b>\n\n`inline <i>`",
    "nested-image": "![a ![b](javascript:x) c](/ok.png \"t\")  [![img](/i.png)](http://x)",
    "list-number": "1",
    "bad-utf8": b"\xff\xfe# h\xc3\n\n[x](/\xe2\x82)",
    "nul": "a\x00b [x](\x00javascript:y)",
}
for name, text in hostile.items():
    put("markdown", name, text)

# --- comment-markdown: comments (and the hostile snippets, which apply too) ---------------------
comments = {
    "plain": "Nice post!\nSecond line.",
    "emphasis": "*yes* **really** `code` and a [link](https://example.com)",
    "relative-link": "[home](/) [proto](//evil.com) [js](javascript:alert(1))",
    "blocks": "# not a heading\n> not a quote\n- not a list\n1. nor this\n---\n===",
    "fence": "```\n<script>alert(1)</script>\n```\n~~~~\n# kept\n~~~~",
    "image": "![alt](https://x/y.png) and <b>raw</b> www.example.com a@b.co",
    "crlf": "line one\r\nline two\rline three",
}
for name, text in comments.items():
    put("comment_markdown", name, text)
for name in ("script-tag", "js-link", "entity-link", "autolinks", "bad-utf8"):
    put("comment_markdown", name, hostile[name])

# --- json_bodies: the request bodies each parser takes, valid and not ---------------------------
preview = {"post_id": "p1", "tenant_id": "t1", "subdomain": "demo", "author": "Ada", "slug": "hello",
           "title": "Hello", "description": "", "tags": ["c", "wasm"], "published_at": 1795000000000,
           "url": "https://demo.example.com/hello", "reactions": 3, "comments": 0}
bodies = {
    "post-create": {"slug": "hello-world", "title": "Hello", "description": "d", "tags": ["a", "b-c"],
                    "markdown": "# Hi\n\n[x](/y)", "status": "published", "published_at": "2026-11-18T10:00:00Z",
                    "gutter": [{"kind": "note", "text": "n"}]},
    "post-update": {"title": "New", "version": 3, "published_at": None},
    "post-bad": {"slug": "Bad Slug!", "title": 7, "tags": "x"},
    "preview": {"markdown": "*hi* <script>"},
    "tenant": {"display_name": " Demo ", "description": "d", "theme": {"accent": "#a1b2c3", "font": "sans"},
               "limits": {"max_draft_bytes": 65536}},
    "tenant-null": {"theme": {"accent": None, "font": None}, "limits": {"max_draft_bytes": None}},
    "draft": {"content": "draft *text*", "metadata": {"title": "T", "description": "D", "tags": ["a"]},
              "deviceId": "dev_1234", "baseRevision": 2},
    "comment": {"body": "  A comment\r\nwith lines  ", "parentId": "c_abc", "requestId": "req_12345678"},
    "reaction": {"type": "like", "requestId": "req_12345678"},
    "events": {"events": [{"kind": "view", "slug": "hello", "id": "evt_12345678", "at": 1795000000000},
                          {"kind": "read_end", "slug": "hello", "data": {"ms": 1200}},
                          {"kind": "reaction", "at": 1.5e300}]},
    "version": {"version": 2, "created_at": 1795000000000, "title": "T", "description": "d", "markdown": "abc",
                "sha256": hashlib.sha256(b"abc").hexdigest()},
    "feed-item": {"item": preview},
    "feed-follow": {"subdomain": "demo", "display_name": "Demo", "posts": [preview, dict(preview, url="javascript:x")]},
    "numbers": {"limit": 1e308, "windowMs": -9223372036854775809, "big": 18446744073709551615, "f": -0.0},
}
for name, body in bodies.items():
    put("json_bodies", name + ".json", json.dumps(body))
put("json_bodies", "deep.json", "[" * 70 + "]" * 70)
put("json_bodies", "not-json", "{\"a\": 1,}")
put("json_bodies", "bad-utf8.json", b'{"body": "\xff\xfe"}')
put("json_bodies", "escapes.json", r'{"title": "\ud800 \u0000 \"\\", "slug": "a\u002db"}')

# --- cursor: issued cursors (feed: recent and relevance; comments) and broken ones ------------
def seal(salt, payload):
    digest = hashlib.sha256(salt + payload).digest()[:4]
    return base64.urlsafe_b64encode(payload + digest).rstrip(b"=")

feed_salt = b"lattice.feed-cursor:"
comment_salt = b"lattice.comment-cursor:"
cursors = {
    "recent": seal(feed_salt, b"\x01\x01" + struct.pack(">q", 1795000000000) + b"post_1"),
    "recent-negative": seal(feed_salt, b"\x01\x01" + struct.pack(">q", -1) + b"A" * 64),
    "relevance": seal(feed_salt, b"\x01\x02" + bytes.fromhex("00112233445566ff") + struct.pack(">I", 20)),
    "relevance-rank0": seal(feed_salt, b"\x01\x02" + bytes(8) + struct.pack(">I", 0)),
    "comment": seal(comment_salt, struct.pack(">q", 42)),
    "comment-max": seal(comment_salt, struct.pack(">q", 2**63 - 1)),
    "comment-negative": seal(comment_salt, struct.pack(">q", -5)),
    "padded": seal(comment_salt, struct.pack(">q", 1)) + b"==",
    "wrong-alphabet": b"abc+/def",
}
for name, c in cursors.items():
    put("cursor", name, c)

# --- websocket: frames, then an Origin/Host pair, then an attachment -------------------------
frames = {
    "ping": '{"type":"ping"}',
    "hello": '{"type":"hello"}',
    "hello-since": '{"type":"hello","since":42}',
    "hello-big": '{"type":"hello","since":9223372036854775808}',
    "react": '{"type":"react","reaction":"love","requestId":"req_12345678"}',
    "react-bad": '{"type":"react","reaction":"LOVE","requestId":"x","extra":1}',
    "unknown": '{"type":"pong"}',
    "array": '[{"type":"ping"}]',
    "origin": "https://demo.example.com\ndemo.example.com",
    "origin-port": "http://[::1]:8787\n[::1]:8787",
    "origin-evil": "https://demo.example.com.evil.com\ndemo.example.com",
    "attachment": '{"readerId":"r_1","lastSeq":5,"tokens":20,"refilledAt":1795000000000,"strikes":0}',
    "attachment-edge": '{"readerId":"","lastSeq":0,"tokens":0,"refilledAt":-9223372036854775808,"strikes":5}',
}
for name, f in frames.items():
    put("websocket", name, f)

print("seed corpus written to", out)
