#include "blog/pages.h"

#include "render/html-escape.h"

namespace lattice::pages {

namespace {

using render::escapeHtml;

constexpr std::string_view kStyle = R"CSS(
:root{--accent:#2f5d8a;--ink:#1d1f21;--muted:#5f6b76;--line:#e3e6ea;--bg:#fdfdfc;--code:#f4f5f7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:18px/1.65 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
body.serif{font-family:Charter,"Bitstream Charter","Iowan Old Style",Georgia,serif}
a{color:var(--accent)}
.wrap{max-width:44rem;margin:0 auto;padding:0 1.25rem}
header.site{border-bottom:1px solid var(--line);padding:1.25rem 0;margin-bottom:2rem}
header.site a.name{color:var(--ink);text-decoration:none;font-weight:700;font-size:1.3rem}
header.site p{margin:.2rem 0 0;color:var(--muted);font-size:.95rem}
footer.site{border-top:1px solid var(--line);margin-top:3rem;padding:1.5rem 0;color:var(--muted);font-size:.85rem}
h1,h2,h3,h4{line-height:1.25;margin:2rem 0 .75rem}
h1{font-size:2.1rem;margin-top:0}
.meta{color:var(--muted);font-size:.9rem}
.tags{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.4rem}
.tags a{display:inline-block;font-size:.8rem;padding:.05rem .55rem;border:1px solid var(--line);border-radius:1rem;text-decoration:none}
ol.posts{list-style:none;padding:0;margin:0}
ol.posts li{padding:1.1rem 0;border-bottom:1px solid var(--line)}
ol.posts h2{margin:0 0 .3rem;font-size:1.35rem}
ol.posts h2 a{color:var(--ink);text-decoration:none}
ol.posts h2 a:hover{color:var(--accent)}
ol.posts p{margin:.3rem 0}
nav.pager{display:flex;justify-content:space-between;margin:2rem 0}
article img{max-width:100%;height:auto}
pre{background:var(--code);padding:1rem;overflow-x:auto;border-radius:6px;font-size:.85rem;line-height:1.5}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
:not(pre)>code{background:var(--code);padding:.1em .3em;border-radius:3px}
blockquote{margin:1.5rem 0;padding:.1rem 1.2rem;border-left:3px solid var(--accent);color:#3c4650}
table{border-collapse:collapse;width:100%;margin:1.5rem 0;font-size:.95rem}
th,td{border:1px solid var(--line);padding:.4rem .6rem}
th{background:var(--code)}
li.task{list-style:none}
hr{border:0;border-top:1px solid var(--line);margin:2rem 0}
.lead{font-size:1.1rem;color:var(--muted)}
)CSS";

struct Head {
  std::string title;
  std::string description;
  std::string canonical;
  std::string ogType = "website";
  std::string extraMeta;
  std::string assets;  // <link>/<script> tags after the inline style (post pages only)
};

std::string layout(const Tenant* tenant, const Head& head, std::string_view main) {
  std::string h;
  h.reserve(main.size() + 4096);
  h += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">";
  h += "<title>" + escapeHtml(head.title) + "</title>";
  if (!head.description.empty())
    h += "<meta name=\"description\" content=\"" + escapeHtml(head.description) + "\">";
  if (!head.canonical.empty()) {
    h += "<link rel=\"canonical\" href=\"" + escapeHtml(head.canonical) + "\">";
    h += "<meta property=\"og:url\" content=\"" + escapeHtml(head.canonical) + "\">";
  }
  h += "<meta property=\"og:title\" content=\"" + escapeHtml(head.title) + "\">";
  h += "<meta property=\"og:type\" content=\"" + escapeHtml(head.ogType) + "\">";
  if (!head.description.empty())
    h += "<meta property=\"og:description\" content=\"" + escapeHtml(head.description) + "\">";
  if (tenant) h += "<meta property=\"og:site_name\" content=\"" + escapeHtml(tenant->displayName) + "\">";
  if (tenant)
    h += "<link rel=\"alternate\" type=\"application/atom+xml\" href=\"/feed.xml\" title=\"" +
         escapeHtml(tenant->displayName) + "\">";
  h += head.extraMeta;
  h += "<style>";
  h += kStyle;
  if (tenant) h += ":root{--accent:" + tenant->accentColor() + "}";  // validated #hex
  h += "</style>";
  h += head.assets;
  h += "</head>";
  h += (tenant && tenant->serif()) ? "<body class=\"serif\">" : "<body>";
  h += "<header class=\"site\"><div class=\"wrap\">";
  if (tenant) {
    h += "<a class=\"name\" href=\"/blog\">" + escapeHtml(tenant->displayName) + "</a>";
    if (!tenant->description.empty()) h += "<p>" + escapeHtml(tenant->description) + "</p>";
  } else {
    h += "<a class=\"name\" href=\"/\">Lattice</a>";
  }
  h += "</div></header><main class=\"wrap\">";
  h += main;
  h += "</main><footer class=\"site\"><div class=\"wrap\">";
  if (tenant) h += escapeHtml(tenant->displayName) + " &middot; ";
  h += "Published with Lattice</div></footer></body></html>\n";
  return h;
}

std::string tagList(const std::vector<std::string>& tags) {
  if (tags.empty()) return {};
  std::string out = "<ul class=\"tags\">";
  for (const auto& t : tags) out += "<li><a href=\"/tags/" + escapeHtml(t) + "\">#" + escapeHtml(t) + "</a></li>";
  return out + "</ul>";
}

// The live part of a post page (reactions, "N reading now", comments), filled in by
// /assets/live.js (web/live). The page is cached and shared by every reader, so this holds only
// what is the same for all of them: no count, name or comment. The controls stay hidden until
// the script shows them; without it, the noscript note says why there are none.
std::string liveSection(const Post& post) {
  struct Reaction {
    const char* type;
    const char* emoji;
    const char* label;
  };
  // The types and order of kReactionTypes (src/durable/reactions.h).
  static constexpr Reaction kReactions[] = {
      {"like", "👍", "Like"}, {"love", "❤️", "Love"}, {"insightful", "💡", "Insightful"}, {"laugh", "😄", "Funny"}};
  std::string m = "<section class=\"live\" id=\"live\" data-slug=\"" + escapeHtml(post.slug) +
                  "\" aria-label=\"Reactions and comments\">";
  m += "<div class=\"reactions\" role=\"group\" aria-label=\"Reactions\">";
  for (const auto& r : kReactions) {
    m += "<button type=\"button\" data-type=\"";
    m += r.type;
    m += "\" aria-pressed=\"false\" hidden><span class=\"emoji\" aria-hidden=\"true\">";
    m += r.emoji;
    m += "</span> <span class=\"label\">";
    m += r.label;
    m += "</span> <span class=\"count\"></span></button>";
  }
  m += "</div>";
  m += "<p class=\"presence\" aria-live=\"polite\"></p>";
  m += "<p class=\"live-status\" role=\"status\"></p>";
  // Asked for before a reader's first reaction or comment; the script moves it next to the
  // control that needs it.
  m += "<form class=\"reader-form\" id=\"reader-form\" novalidate hidden>"
       "<label for=\"reader-name\">Your name, shown with your comments</label>"
       "<span class=\"row\"><input id=\"reader-name\" name=\"name\" type=\"text\" minlength=\"1\" maxlength=\"50\" "
       "autocomplete=\"nickname\" required aria-describedby=\"reader-error\">"
       "<button type=\"submit\">Continue</button></span>"
       "<span class=\"form-error\" id=\"reader-error\" role=\"alert\"></span></form>";
  m += "<h2 class=\"comments-heading\" id=\"comments-heading\" hidden>Comments</h2>";
  m += "<ol class=\"comments\" aria-labelledby=\"comments-heading\"></ol>";
  m += "<form class=\"comment-form\" id=\"comment-form\" novalidate hidden>"
       "<label for=\"comment-body\">Add a comment</label>"
       "<textarea id=\"comment-body\" name=\"body\" rows=\"4\" maxlength=\"5000\" required "
       "aria-describedby=\"comment-error\"></textarea>"
       "<span class=\"form-error\" id=\"comment-error\" role=\"alert\"></span>"
       "<button type=\"submit\">Post comment</button></form>";
  m += "<noscript><p class=\"noscript\">Reactions and comments need JavaScript.</p></noscript>";
  m += "</section>";
  return m;
}

std::string dateLine(const Post& p) {
  std::string out;
  if (p.publishedAt) {
    out += "<time datetime=\"" + formatIso8601(*p.publishedAt) + "\">" + formatHumanDate(*p.publishedAt) + "</time>";
    out += " &middot; ";
  }
  out += std::to_string(p.readingMinutes()) + " min read";
  return out;
}

}  // namespace

std::string origin(const HttpRequest& request) { return request.scheme + "://" + request.host; }

std::string blogIndex(const Tenant& tenant, const ListPage& list, const HttpRequest& request) {
  const std::string base = list.tag ? "/tags/" + *list.tag : std::string("/blog");
  Head head;
  head.title = list.tag ? "#" + *list.tag + " · " + tenant.displayName : tenant.displayName;
  if (list.page > 1) head.title += " (page " + std::to_string(list.page) + ")";
  head.description = list.tag ? "Posts tagged " + *list.tag + " on " + tenant.displayName : tenant.description;
  head.canonical = origin(request) + base + (list.page > 1 ? "?page=" + std::to_string(list.page) : "");
  std::string m;
  if (list.tag) m += "<h1>Posts tagged <em>#" + escapeHtml(*list.tag) + "</em></h1>";
  if (list.posts.empty()) {
    m += list.page > 1 ? "<p>There are no more posts.</p>" : "<p>Nothing has been published here yet.</p>";
  } else {
    m += "<ol class=\"posts\">";
    for (const auto& p : list.posts) {
      m += "<li><h2><a href=\"/blog/" + escapeHtml(p.slug) + "\">" + escapeHtml(p.title) + "</a></h2>";
      m += "<div class=\"meta\">" + dateLine(p) + "</div>";
      if (!p.description.empty()) m += "<p>" + escapeHtml(p.description) + "</p>";
      m += tagList(p.tags) + "</li>";
    }
    m += "</ol>";
  }
  if (list.page > 1 || list.hasNext) {
    m += "<nav class=\"pager\">";
    m += list.page > 1 ? "<a rel=\"prev\" href=\"" + base + (list.page > 2 ? "?page=" + std::to_string(list.page - 1) : "") +
                             "\">&larr; Newer posts</a>"
                       : "<span></span>";
    m += list.hasNext ? "<a rel=\"next\" href=\"" + base + "?page=" + std::to_string(list.page + 1) + "\">Older posts &rarr;</a>"
                      : "<span></span>";
    m += "</nav>";
  }
  return layout(&tenant, head, m);
}

std::string postPage(const Tenant& tenant, const Post& post, const HttpRequest& request) {
  Head head;
  head.title = post.title + " · " + tenant.displayName;
  head.description = post.description;
  head.canonical = origin(request) + "/blog/" + post.slug;
  head.ogType = "article";
  if (post.publishedAt)
    head.extraMeta += "<meta property=\"article:published_time\" content=\"" + formatIso8601(*post.publishedAt) + "\">";
  head.extraMeta += "<meta property=\"article:modified_time\" content=\"" + formatIso8601(post.updatedAt) + "\">";
  for (const auto& t : post.tags) head.extraMeta += "<meta property=\"article:tag\" content=\"" + escapeHtml(t) + "\">";
  head.assets = "<link rel=\"stylesheet\" href=\"/assets/live.css\"><script src=\"/assets/live.js\" defer></script>";
  std::string m = "<article><header><h1>" + escapeHtml(post.title) + "</h1>";
  m += "<div class=\"meta\">" + dateLine(post) + "</div>" + tagList(post.tags);
  if (!post.description.empty()) m += "<p class=\"lead\">" + escapeHtml(post.description) + "</p>";
  m += "</header>";
  m += post.html;  // rendered and sanitised at write time
  m += "</article>";
  m += liveSection(post);
  m += "<nav class=\"pager\"><a href=\"/blog\">&larr; All posts</a><span></span></nav>";
  return layout(&tenant, head, m);
}

std::string notFound(const Tenant* tenant, std::string_view heading, std::string_view detail) {
  Head head;
  head.title = std::string(heading) + (tenant ? " · " + tenant->displayName : std::string(" · Lattice"));
  std::string m = "<h1>" + escapeHtml(heading) + "</h1><p>" + escapeHtml(detail) + "</p>";
  m += tenant ? "<p><a href=\"/blog\">&larr; Back to the blog</a></p>" : "";
  return layout(tenant, head, m);
}

std::string landing(std::string_view baseDomain) {
  Head head;
  head.title = "Lattice";
  head.description = "Fast blogs on Cloudflare's network.";
  std::string m = "<h1>Lattice</h1><p class=\"lead\">Fast, cache-first blogs. Every blog lives at "
                  "<code>{name}." + escapeHtml(baseDomain) + "</code>.</p>"
                  "<p><a href=\"/meadow\">Meadow</a>: the newest posts of the blogs you follow, in one place.</p>";
  return layout(nullptr, head, m);
}

HttpResponse htmlResponse(int status, std::string body, PageScript script) {
  HttpResponse r;
  r.status = status;
  r.set("content-type", "text/html; charset=utf-8");
  r.set("x-content-type-options", "nosniff");
  r.set("referrer-policy", "strict-origin-when-cross-origin");
  // Post HTML is sanitised, and the CSP is the second fence: no script at all on public pages,
  // except this origin's own files on post pages (never inline script, never another origin's),
  // which talk only to this origin (fetch and the WebSocket: 'self' covers same-host ws/wss).
  r.set("content-security-policy",
        script == PageScript::Live ? "default-src 'none'; script-src 'self'; connect-src 'self'; "
                                     "img-src https: http: data:; style-src 'self' 'unsafe-inline'; "
                                     "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
                                   : "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; "
                                     "base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  r.body = std::move(body);
  return r;
}

}  // namespace lattice::pages
