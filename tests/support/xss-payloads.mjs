// A corpus of hostile input for tests/browser/xss.test.mjs (kept outside tests/browser so that
// `node --test` does not run it). Every payload that ever executes calls xss("<its id>"), which
// the test's init script defines to record the id (and alert/confirm/prompt are trapped the same
// way), so a hit names the payload. A `javascript:`-style link does not run by itself: the test's
// DOM audit also checks every URL-bearing attribute's scheme and every on* attribute.
//
//   TEXT      plain-text fields: post titles and descriptions, a tenant's display name and
//             description, reader names (≤ 50 characters) and comments. Each must stay text.
//   MARKDOWN  post bodies (and comments, through the comment subset): markdown-level vectors —
//             links and images with javascript:/vbscript:/data: URLs in every encoding, autolinks,
//             reference links, raw HTML blocks and inline HTML, SVG/MathML, event handlers,
//             broken and unclosed tags, title/alt attribute breakouts, code fence info strings,
//             headings that produce ids, tables, task lists.
//   TAGS      strings offered as tags: the API must refuse every one (tags are [a-z0-9-]).
//
// Keep a payload here when it finds a bug, with a comment naming the fix.

const x = (id) => `xss('${id}')`;

export const TEXT = [
  ["t-script", `<script>${x("t-script")}</script>`],
  ["t-img", `<img src=x onerror="${x("t-img")}">`],
  ["t-attr-dq", `"><img src=x onerror=${x("t-attr-dq")}>`],
  ["t-attr-sq", `'><svg onload=${x("t-attr-sq")}>`],
  ["t-attr-handler", `" autofocus onfocus="${x("t-attr-handler")}" x="`],
  ["t-attr-handler-sq", `' autofocus onfocus='${x("t-attr-handler-sq")}' x='`],
  ["t-title-close", `</title><script>${x("t-title-close")}</script>`],
  ["t-textarea-close", `</textarea><script>${x("t-textarea-close")}</script>`],
  ["t-style-close", `</style><script>${x("t-style-close")}</script>`],
  ["t-noscript-close", `</noscript><img src=x onerror=${x("t-noscript-close")}>`],
  ["t-comment", `<!--><img src=x onerror=${x("t-comment")}>-->`],
  ["t-cdata", `]]><script>${x("t-cdata")}</script><![CDATA[`],
  ["t-xml-entity", `&lt;script&gt;${x("t-xml-entity")}&lt;/script&gt;`],
  ["t-num-entity", `&#60;img src=x onerror=${x("t-num-entity")}&#62;`],
  ["t-svg", `<svg><script>${x("t-svg")}</script></svg>`],
  ["t-iframe", `<iframe srcdoc="<script>parent.${x("t-iframe")}</script>">`],
  ["t-js-url", `javascript:${x("t-js-url")}`],
  ["t-template", `{{constructor.constructor("${x("t-template")}")()}}`],
  ["t-meta-refresh", `<meta http-equiv=refresh content="0;url=javascript:${x("t-meta-refresh")}">`],
  ["t-details", `<details open ontoggle=${x("t-details")}>`],
  ["t-unclosed", `<img src=x onerror=${x("t-unclosed")} `],
  ["t-backtick", "`${" + x("t-backtick") + "}`"],
  ["t-json-close", `"}]}</script><script>${x("t-json-close")}</script>`],
  ["t-u2028", `\u2028\u2029<script>${x("t-u2028")}</script>`],
];

export const MARKDOWN = [
  // Links: the scheme in every encoding a browser would still honour.
  ["m-link-js", `[a](javascript:${x("m-link-js")})`],
  ["m-link-case", `[a](JaVaScRiPt:${x("m-link-case")})`],
  ["m-link-dec", `[a](&#106;avascript:${x("m-link-dec")})`],
  ["m-link-dec-zeros", `[a](&#0000106;avascript:${x("m-link-dec-zeros")})`],
  ["m-link-hex", `[a](&#x6A;avascript:${x("m-link-hex")})`],
  ["m-link-hex-upper", `[a](&#X6a;&#X61;vascript:${x("m-link-hex-upper")})`],
  ["m-link-named-colon", `[a](javascript&colon;${x("m-link-named-colon")})`],
  ["m-link-tab-entity", `[a](java&#x09;script:${x("m-link-tab-entity")})`],
  ["m-link-tab-named", `[a](java&Tab;script:${x("m-link-tab-named")})`],
  ["m-link-newline-named", `[a](java&NewLine;script:${x("m-link-newline-named")})`],
  ["m-link-cr-entity", `[a](java&#13;script:${x("m-link-cr-entity")})`],
  ["m-link-tab-raw", `[a](<java\tscript:${x("m-link-tab-raw")}>)`],
  ["m-link-leading-space", `[a](< javascript:${x("m-link-leading-space")}>)`],
  ["m-link-leading-ctrl", `[a](&#1;javascript:${x("m-link-leading-ctrl")})`],
  ["m-link-leading-nbsp-entity", `[a](&#x20;javascript:${x("m-link-leading-nbsp-entity")})`],
  ["m-link-escaped-colon", `[a](javascript\\:${x("m-link-escaped-colon")})`],
  ["m-link-percent", `[a](javascript%3A${x("m-link-percent")})`],
  ["m-link-percent-scheme", `[a](%6Aavascript:${x("m-link-percent-scheme")})`],
  ["m-link-pointy", `[a](<javascript:${x("m-link-pointy")}>)`],
  ["m-link-vbscript", `[a](vbscript:msgbox(1)) [b](VbScRiPt:${x("m-link-vbscript")})`],
  ["m-link-data-html", `[a](<data:text/html,<script>${x("m-link-data-html")}</script>>)`],
  ["m-link-data-b64", `[a](data:text/html;base64,PHNjcmlwdD54c3MoJ20tbGluay1kYXRhLWI2NCcpPC9zY3JpcHQ+)`],
  ["m-link-data-case", `[a](DaTa:text/html,%3Cscript%3E${x("m-link-data-case")}%3C/script%3E)`],
  ["m-link-livescript", `[a](livescript:${x("m-link-livescript")}) [b](mocha:${x("m-link-livescript")})`],
  ["m-link-nested", `[[a](javascript:${x("m-link-nested")})](https://example.com)`],
  // Images.
  ["m-img-js", `![x](javascript:${x("m-img-js")})`],
  ["m-img-data-svg", `![x](<data:image/svg+xml,<svg xmlns="http://www.w3.org/2000/svg" onload="${x("m-img-data-svg")}"/>>)`],
  ["m-img-alt-dq", `![x" onerror="${x("m-img-alt-dq")}](http://127.0.0.1:9/a.png)`],
  ["m-img-alt-gt", `![x"><img src=x onerror=${x("m-img-alt-gt")}>](http://127.0.0.1:9/a.png)`],
  ["m-img-title", `![x](http://127.0.0.1:9/a.png "t\\" onerror=\\"${x("m-img-title")}")`],
  ["m-img-title-tag", `![x](http://127.0.0.1:9/a.png "\\"><img src=x onerror=${x("m-img-title-tag")}>")`],
  ["m-img-src-breakout", `![x](http://127.0.0.1:9/a.png"onerror="${x("m-img-src-breakout")})`],
  ["m-img-bad-src-onerror", `![x" onerror="${x("m-img-bad-src-onerror")}](x)`],
  // Titles of links: attribute breakouts with ", ' and >.
  ["m-title-dq", `[x](https://example.com "a\\" onmouseover=\\"${x("m-title-dq")}")`],
  ["m-title-sq", `[x](https://example.com 'a\\' autofocus onfocus=\\'${x("m-title-sq")}')`],
  ["m-title-paren", `[x](https://example.com (a" tabindex=1 autofocus onfocus="${x("m-title-paren")}))`],
  ["m-title-gt", `[x](https://example.com "\\"><script>${x("m-title-gt")}</script>")`],
  ["m-title-entity", `[x](https://example.com "&quot; autofocus onfocus=&quot;${x("m-title-entity")}")`],
  ["m-href-quote", `[x](https://example.com/"onmouseover="${x("m-href-quote")})`],
  ["m-href-sq", `[x](https://example.com/'onmouseover='${x("m-href-sq")})`],
  // Reference links.
  ["m-ref-js", `[ref-js]\n\n[ref-js]: javascript:${x("m-ref-js")}`],
  ["m-ref-pointy", `[ref-pointy]\n\n[ref-pointy]: <java&#x73;cript:${x("m-ref-pointy")}> "t"`],
  ["m-ref-title", `[ref-title]\n\n[ref-title]: https://example.com "\\" autofocus onfocus=\\"${x("m-ref-title")}"`],
  ["m-ref-img", `![ref-img]\n\n[ref-img]: javascript:${x("m-ref-img")}`],
  // Autolinks.
  ["m-auto-js", `<javascript:${x("m-auto-js")}>`],
  ["m-auto-js-case", `<JAVASCRIPT:${x("m-auto-js-case")}>`],
  ["m-auto-vb", `<vbscript:${x("m-auto-vb")}>`],
  ["m-auto-data", `<data:text/html,%3Cscript%3E${x("m-auto-data")}%3C/script%3E>`],
  ["m-auto-mail", `<mailto:"onmouseover="${x("m-auto-mail")}@x.invalid>`],
  ["m-auto-email", `<a"onmouseover="${x("m-auto-email")}"@x.invalid>`],
  ["m-auto-permissive", `https://example.com/"><script>${x("m-auto-permissive")}</script>`],
  ["m-auto-www", `www.example.com/"onmouseover="${x("m-auto-www")}"`],
  ["m-auto-www-lt", `www.example.com/<img/src=x/onerror=${x("m-auto-www-lt")}>`],
  // Raw HTML, blocks and inline.
  ["m-html-script", `<script>${x("m-html-script")}</script>`],
  ["m-html-script-src", `<script src="data:text/javascript,${x("m-html-script-src")}"></script>`],
  ["m-html-div", `<div onmouseover="${x("m-html-div")}" style="position:fixed;inset:0">cover</div>`],
  ["m-html-img", `<img src=x onerror=${x("m-html-img")}>`],
  ["m-html-inline", `Some text <img src=x onerror=${x("m-html-inline")}> more text.`],
  ["m-html-inline-b", `a <b onclick="${x("m-html-inline-b")}">b</b> c`],
  ["m-html-svg", `<svg onload=${x("m-html-svg")}>`],
  ["m-html-svg-script", `<svg><script>${x("m-html-svg-script")}</script></svg>`],
  ["m-html-svg-anim", `<svg><animate onbegin=${x("m-html-svg-anim")} attributeName=x dur=1s>`],
  ["m-html-svg-use", `<svg><a xlink:href="javascript:${x("m-html-svg-use")}"><text x=20 y=20>XSS</text></a></svg>`],
  ["m-html-math", `<math><mtext><table><mglyph><style><img src=x onerror=${x("m-html-math")}>`],
  ["m-html-math-href", `<math href="javascript:${x("m-html-math-href")}">CLICKME</math>`],
  ["m-html-iframe", `<iframe src="javascript:${x("m-html-iframe")}"></iframe>`],
  ["m-html-iframe-srcdoc", `<iframe srcdoc="&lt;script&gt;parent.${x("m-html-iframe-srcdoc")}&lt;/script&gt;"></iframe>`],
  ["m-html-object", `<object data="javascript:${x("m-html-object")}"></object>`],
  ["m-html-embed", `<embed src="data:text/html,<script>${x("m-html-embed")}</script>">`],
  ["m-html-form", `<form><button formaction="javascript:${x("m-html-form")}">go</button></form>`],
  ["m-html-details", `<details open ontoggle=${x("m-html-details")}><summary>s</summary></details>`],
  ["m-html-body", `<body onload=${x("m-html-body")}>`],
  ["m-html-meta", `<meta http-equiv="refresh" content="0;url=javascript:${x("m-html-meta")}">`],
  ["m-html-base", `<base href="javascript:${x("m-html-base")}//">`],
  ["m-html-style", `<style>*{background:url("javascript:${x("m-html-style")}")}</style>`],
  ["m-html-noscript", `<noscript><p title="</noscript><img src=x onerror=${x("m-html-noscript")}>"></noscript>`],
  ["m-html-comment", `<!--><img src=x onerror=${x("m-html-comment")}>-->`],
  ["m-html-cdata", `<![CDATA[><img src=x onerror=${x("m-html-cdata")}>]]>`],
  ["m-html-pi", `<?xml version="1.0"?><img src=x onerror=${x("m-html-pi")}>`],
  ["m-html-input", `<input autofocus onfocus=${x("m-html-input")}>`],
  ["m-html-video", `<video><source onerror="${x("m-html-video")}"></video>`],
  ["m-html-marquee", `<marquee onstart=${x("m-html-marquee")}>m</marquee>`],
  ["m-html-a", `<a href="javascript:${x("m-html-a")}">click</a>`],
  ["m-html-template", `<template><img src=x onerror=${x("m-html-template")}></template>`],
  ["m-html-xmp", `<xmp></xmp><img src=x onerror=${x("m-html-xmp")}></xmp>`],
  // Broken and unclosed tags.
  ["m-broken-open", `<img src=x onerror=${x("m-broken-open")} `],
  ["m-broken-dq", `<img src="x" onerror="${x("m-broken-dq")}"\nnext line`],
  ["m-broken-nested", `<scr<script>ipt>${x("m-broken-nested")}</scr</script>ipt>`],
  ["m-broken-double-lt", `<<script>script>${x("m-broken-double-lt")}<</script>/script>`],
  ["m-broken-slashes", `<img/src=x/onerror=${x("m-broken-slashes")}>`],
  ["m-broken-comment-end", `<img src=x onerror=${x("m-broken-comment-end")}//`],
  ["m-broken-p-close", `</p><script>${x("m-broken-p-close")}</script><p>`],
  ["m-broken-a", `<a href="javascript:${x("m-broken-a")}"`],
  ["m-broken-attr-newline", `<img\nsrc=x\nonerror=${x("m-broken-attr-newline")}>`],
  ["m-broken-nul", `<img src=x o\u0000nerror=${x("m-broken-nul")}>`],
  // Code: fence info strings and code spans.
  ["m-fence-tag", "```\"><script>" + x("m-fence-tag") + "</script>\ncode\n```"],
  ["m-fence-attr", "```js\" onmouseover=\"" + x("m-fence-attr") + "\" x=\"\ncode\n```"],
  ["m-fence-img", "```<img src=x onerror=" + x("m-fence-img") + ">\ncode\n```"],
  ["m-fence-tilde-sq", "~~~ x' onclick='" + x("m-fence-tilde-sq") + "\ncode\n~~~"],
  ["m-fence-entity", "```&quot;&gt;&lt;script&gt;" + x("m-fence-entity") + "&lt;/script&gt;\ncode\n```"],
  ["m-fence-body", "```html\n<script>" + x("m-fence-body") + "</script>\n```"],
  ["m-code-span", "`<script>" + x("m-code-span") + "</script>` and `</code><script>" + x("m-code-span") + "</script>`"],
  // Headings (they produce ids).
  ["m-h-img", `# "><img src=x onerror=${x("m-h-img")}>`],
  ["m-h-script", `## <script>${x("m-h-script")}</script>`],
  ["m-h-attr", `### x" autofocus tabindex=1 onfocus="${x("m-h-attr")}`],
  ["m-h-setext", `"><svg onload=${x("m-h-setext")}>\n===`],
  ["m-h-link", `#### [x](javascript:${x("m-h-link")})`],
  // Tables, lists, emphasis, entities.
  ["m-table", `| <img src=x onerror=${x("m-table")}> | b |\n|:--|--:|\n| [x](javascript:${x("m-table")}) | <script>${x("m-table")}</script> |`],
  ["m-table-align", `| a |\n|:-:" onmouseover="${x("m-table-align")}|\n| b |`],
  ["m-task", `- [ ] <img src=x onerror=${x("m-task")}>\n- [x] [y](javascript:${x("m-task")})`],
  ["m-emphasis", `*<script>${x("m-emphasis")}</script>* **<img src=x onerror=${x("m-emphasis")}>**`],
  ["m-strike", `~~<svg onload=${x("m-strike")}>~~`],
  ["m-entity-double", `&amp;lt;script&amp;gt;${x("m-entity-double")}&amp;lt;/script&amp;gt; &#60;script&#62;${x("m-entity-double")}&#60;/script&#62;`],
  ["m-quote", `> <img src=x onerror=${x("m-quote")}>\n> [q](javascript:${x("m-quote")})`],
];

// Offered as tags: every one must be refused (400 post.tags_invalid).
export const TAGS = [
  `<script>${x("tag")}</script>`,
  `"><img src=x onerror=${x("tag")}>`,
  `javascript:${x("tag")}`,
  "a b",
  "UPPER",
  "../x",
];

// Reader names are 1-50 characters: the TEXT payloads that fit.
export const NAMES = TEXT.filter(([, p]) => [...p].length <= 50);
