// scripts/bench-tiers: the tier migrator (src/tiers/migrator.h) on a synthetic catalog of
// 100,000 posts, through the native driver (tests/native/test-driver.h): the same engine, the
// same migrator, the same PostContentDO move protocol the Worker runs, with real SQLite for D1
// and for every Durable Object and in-memory maps for KV and R2. See bench/README.md.
//
// 1. Catalog (seeded, deterministic): posts over a few hundred tenants, written into D1 exactly
//    as the API writes them (parsePostInput + applyPostInput + post_sql::insert: rendered html,
//    word count, description, content_hash), then aged and given their view counts the way the
//    PostMetaDO's flush writes them (views_30d, views_30d_at).
// 2. Runs the cron event (`scheduled`) until steady state: a whole pass over the posts in which
//    nothing moves, followed by an empty clear queue. After each run the clock moves one day
//    (the grace period passes, old copies are cleared). By default the catalog is stationary:
//    the dates of every post whose tier can still depend on time move with the clock (its age
//    and its traffic stay what they were), so the steady state is that of this catalog, not of
//    a catalog that aged for months.
// 3. Checks every post: readable from storage with the hash it was generated with; no orphans.
// 4. Prints a table and writes bench/results/tiers.json.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <malloc.h>
#include <map>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "blog/post-input.h"
#include "blog/post.h"
#include "core/sha256.h"
#include "durable/post-content.h"
#include "test-driver.h"
#include "tiers/policy.h"

using lattice::HttpResponse;
using lattice::Json;
using lattice::jsonInt;
using lattice::jsonString;
using lattice::sha256Hex;
using lattice::testing::TestWorld;

namespace {

constexpr long long kDay = 24LL * 60 * 60 * 1000;
const std::string kOperator = "bench-operator-token";

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  long long posts = 100000;
  int tenants = 0;  // 0: posts / 250, at least 1 (400 at 100,000)
  unsigned long long seed = 1;
  std::string out = "bench/results/tiers.json";
  std::string prices = "bench/prices.json";
  bool check = false;
  int maxRuns = 1000;
  long long maxMoves = 0;  // --max-moves: TIER_MAX_MOVES for the run (0: the shipped default)
  bool stationary = true;  // --aging stationary|real
  bool quiet = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "bench-tiers: " << why << "\n"
            << "usage: lattice_bench_tiers [--posts N] [--tenants N] [--seed N] [--out FILE] [--prices FILE]\n"
            << "                           [--max-runs N] [--max-moves N] [--aging stationary|real] [--check]\n"
            << "                           [--quiet]\n";
  std::exit(2);
}

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (auto eq = a.find('='); eq != std::string::npos) {
        std::string v = a.substr(eq + 1);
        a = a.substr(0, eq);
        return v;
      }
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    auto number = [&](const std::string& v) {
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end || n < 0) usage("not a number: " + v);
      return n;
    };
    const std::string name = a.substr(0, a.find('='));
    if (name == "--check") o.check = true;
    else if (name == "--quiet") o.quiet = true;
    else if (name == "--posts") o.posts = number(value());
    else if (name == "--tenants") o.tenants = int(number(value()));
    else if (name == "--seed") o.seed = static_cast<unsigned long long>(number(value()));
    else if (name == "--out") o.out = value();
    else if (name == "--prices") o.prices = value();
    else if (name == "--max-runs") o.maxRuns = int(number(value()));
    else if (name == "--max-moves") o.maxMoves = number(value());
    else if (name == "--aging") {
      std::string v = value();
      if (v != "stationary" && v != "real") usage("--aging is stationary or real");
      o.stationary = v == "stationary";
    } else if (name == "--help" || name == "-h") usage("help");
    else usage("unknown option " + a);
  }
  if (o.posts < 1) usage("--posts must be at least 1");
  if (o.tenants <= 0) o.tenants = int(std::max<long long>(1, o.posts / 250));
  return o;
}

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (xoshiro256**, seeded by splitmix64)

class Rng {
 public:
  explicit Rng(unsigned long long seed) {
    for (auto& s : s_) {
      seed += 0x9e3779b97f4a7c15ULL;
      unsigned long long z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  unsigned long long next() {
    const unsigned long long result = rotl(s_[1] * 5, 7) * 9;
    const unsigned long long t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  long long below(long long n) { return static_cast<long long>(uniform() * double(n)); }
  bool chance(double p) { return uniform() < p; }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
  double lognormal(double median, double sigma) { return median * std::exp(sigma * normal()); }

 private:
  static unsigned long long rotl(unsigned long long x, int k) { return (x << k) | (x >> (64 - k)); }
  unsigned long long s_[4];
};

// ---------------------------------------------------------------------------------------------
// Synthetic markdown: headings, paragraphs with emphasis, links and inline code, lists, fenced
// code and quotes, some non-ASCII words; about `target` bytes.

const char* const kWords[] = {
    "the", "of", "and", "a", "to", "in", "is", "it", "that", "for", "on", "with", "as", "was", "at", "by",
    "this", "from", "we", "be", "or", "an", "are", "not", "but", "which", "when", "what", "there", "can",
    "cache", "worker", "edge", "request", "latency", "storage", "object", "database", "query", "index",
    "garden", "river", "morning", "coffee", "bicycle", "mountain", "winter", "letter", "window", "harbour",
    "migration", "version", "content", "reader", "author", "draft", "review", "history", "pattern",
    "simple", "careful", "quiet", "bright", "slow", "honest", "small", "useful", "strange", "gentle",
    "build", "write", "measure", "compare", "remember", "explain", "wonder", "return", "follow", "keep",
    "café", "naïve", "façade", "Zürich", "crème", "smörgåsbord", "año", "déjà", "über", "Ångström",
    "because", "although", "however", "meanwhile", "perhaps", "usually", "finally", "probably", "again",
    "system", "network", "protocol", "function", "compiler", "thread", "memory", "buffer", "stream",
};
constexpr size_t kWordCount = sizeof(kWords) / sizeof(kWords[0]);
const char* const kTags[] = {"notes", "travel", "code", "cooking", "books", "photography", "music",
                             "cloudflare", "rust", "cpp", "gardening", "essays", "running", "design"};

std::string sentence(Rng& r, int words) {
  std::string s;
  for (int i = 0; i < words; ++i) {
    if (i) s += ' ';
    std::string w = kWords[r.below(kWordCount)];
    if (i == 0 && w[0] >= 'a' && w[0] <= 'z') w[0] = char(w[0] - 'a' + 'A');
    const double d = r.uniform();
    if (d < 0.02) s += "**" + w + "**";
    else if (d < 0.04) s += "*" + w + "*";
    else if (d < 0.05) s += "`" + w + "()`";
    else if (d < 0.058) s += "[" + w + "](https://example.com/" + std::to_string(r.below(100000)) + ")";
    else s += w;
  }
  return s + ".";
}

std::string synthMarkdown(Rng& r, size_t target, const std::string& title) {
  std::string md = "# " + title + "\n\n";
  int section = 0;
  while (md.size() < target) {
    const double kind = r.uniform();
    if (kind < 0.10) {
      md += "## " + sentence(r, 2 + int(r.below(5))) + " " + std::to_string(++section) + "\n\n";
    } else if (kind < 0.18) {
      const int items = 3 + int(r.below(4));
      for (int i = 0; i < items; ++i) md += "- " + sentence(r, 4 + int(r.below(10))) + "\n";
      md += "\n";
    } else if (kind < 0.24) {
      md += "```cpp\n";
      const int lines = 3 + int(r.below(12));
      for (int i = 0; i < lines; ++i)
        md += "auto " + std::string(kWords[30 + r.below(20)]) + std::to_string(i) + " = load(\"" +
              kWords[r.below(kWordCount)] + "\", " + std::to_string(r.below(1000)) + ");\n";
      md += "```\n\n";
    } else if (kind < 0.28) {
      md += "> " + sentence(r, 10 + int(r.below(25))) + "\n\n";
    } else {
      const int sentences = 2 + int(r.below(6));
      for (int i = 0; i < sentences; ++i) md += (i ? " " : "") + sentence(r, 6 + int(r.below(18)));
      md += "\n\n";
    }
  }
  return md;
}

// ---------------------------------------------------------------------------------------------
// The catalog

struct Generated {
  std::string id, tenantId, slug, hash;
  std::string status;
  double viewsPerDay = 0;
};

struct CatalogStats {
  long long posts = 0, drafts = 0, archived = 0, published = 0, recent30 = 0, older1y = 0, editedRecently = 0;
  long long over10Views = 0, over100Views = 0, under1View = 0;
  long long markdownBytes = 0, htmlBytes = 0;
  std::vector<long long> markdownSizes;
  double seconds = 0;
};

std::string padded(long long n, int width) {
  std::string s = std::to_string(n);
  return std::string(width > int(s.size()) ? width - s.size() : 0, '0') + s;
}

std::vector<Generated> buildCatalog(TestWorld& w, const Options& o, Rng& r, std::vector<std::string>& tenantIds,
                                    CatalogStats& st) {
  const auto started = std::chrono::steady_clock::now();
  for (int t = 0; t < o.tenants; ++t) tenantIds.push_back(w.addTenant("blog-" + padded(t + 1, 4)));
  std::vector<Generated> out;
  out.reserve(size_t(o.posts));
  w.execScript("BEGIN");
  const long long now = w.now;
  for (long long i = 0; i < o.posts; ++i) {
    Generated g;
    // Tenants of very different sizes: a few large blogs, many small ones.
    const double u = r.uniform();
    g.tenantId = tenantIds[size_t(std::min<long long>(o.tenants - 1, (long long)(u * u * o.tenants)))];
    g.slug = "post-" + padded(i + 1, 6);

    // Status: ~3% drafts, ~1% archived, the rest published.
    const double s = r.uniform();
    g.status = s < 0.03 ? "draft" : s < 0.04 ? "archived" : "published";

    // Age: ~1.5% published in the last 30 days; the rest spread over 30 days - 5 years, skewed
    // old (P(age > 1 year) ~ 88% of those).
    double ageDays = r.chance(0.015) ? r.uniform() * 30 : 30 + 1795 * std::pow(r.uniform(), 0.8);
    std::optional<long long> publishedAt;
    long long updatedAt;
    if (g.status == "draft") {
      updatedAt = now - (long long)(r.uniform() * 120 * kDay);
    } else {
      publishedAt = now - (long long)(ageDays * kDay);
      updatedAt = *publishedAt;
      const double e = r.uniform();
      if (e < 0.03) {
        updatedAt = now - (long long)(r.uniform() * 7 * kDay);  // edited this week
        ++st.editedRecently;
      } else if (e < 0.15) {
        updatedAt = *publishedAt + (long long)(r.uniform() * (ageDays * kDay - 8 * kDay > 0 ? ageDays * kDay - 8 * kDay : 0));
      }
      if (g.status == "archived" && updatedAt > now - 8 * kDay) updatedAt = now - 8 * kDay - kDay;
      if (updatedAt < *publishedAt) updatedAt = *publishedAt;
      if (ageDays < 30) ++st.recent30;
      if (ageDays > 365) ++st.older1y;
    }

    // Views per day (30-day average): heavy-tailed, lognormal (median 0.3/day); new posts read
    // more; archived and drafts hardly at all.
    double views = r.lognormal(0.3, 1.8);
    if (publishedAt && ageDays < 30) views *= 5;
    if (g.status != "published") views *= 0.05;
    long long views30d = (long long)std::llround(views * 30);
    g.viewsPerDay = double(views30d) / 30;
    if (g.status == "published") {
      if (g.viewsPerDay < 1) ++st.under1View;
      if (g.viewsPerDay >= 10) ++st.over10Views;
      if (g.viewsPerDay >= 100) ++st.over100Views;
    }

    // Size: markdown lognormal, median 3,000 B, clamped to 500 B - 200 KB.
    const size_t target = size_t(std::clamp(r.lognormal(3000, 0.9), 500.0, 200000.0));
    const std::string title = sentence(r, 3 + int(r.below(6)));
    std::string md = synthMarkdown(r, target, title.substr(0, title.size() - 1));
    // At most 200 KB, cut at a UTF-8 boundary.
    if (md.size() > 200000) md.resize(200000);
    while (!md.empty() && (static_cast<unsigned char>(md.back()) & 0xC0) == 0x80) md.pop_back();
    if (!md.empty() && static_cast<unsigned char>(md.back()) >= 0xC0) md.pop_back();

    Json tags = Json::array();
    for (int k = 0, n = int(r.below(4)); k < n; ++k) {
      std::string tag = kTags[r.below(sizeof(kTags) / sizeof(kTags[0]))];
      if (std::find(tags.begin(), tags.end(), Json(tag)) == tags.end()) tags.push_back(tag);
    }
    // Exactly what the API writes for this post: the same validation, renderer and insert.
    Json body = {{"slug", g.slug}, {"title", title}, {"tags", tags}, {"status", g.status}, {"markdown", md}};
    if (publishedAt) body["published_at"] = lattice::formatIso8601(*publishedAt);
    auto input = lattice::parsePostInput(body, /*creating=*/true, w.engine.config().maxMarkdownBytes);
    if (auto* e = std::get_if<lattice::ApiError>(&input)) {
      std::cerr << "bench-tiers: generated post " << g.slug << " refused: " << e->code << " " << e->message << "\n";
      std::exit(2);
    }
    lattice::Post post;
    post.id = "p_" + sha256Hex("bench-post-" + std::to_string(o.seed) + "-" + std::to_string(i)).substr(0, 20);
    post.tenantId = g.tenantId;
    lattice::applyPostInput(post, std::get<lattice::PostInput>(input), updatedAt);
    post.createdAt = post.publishedAt ? std::min<long long>(*post.publishedAt, updatedAt) : updatedAt;
    const lattice::SqlStatement insert = lattice::post_sql::insert(post);
    w.sql(insert.sql, insert.params);
    // What the PostMetaDO's hourly flush writes (src/durable/views.h).
    w.sql("UPDATE posts SET views_30d = ?2, views_30d_at = ?3 WHERE id = ?1", {post.id, views30d, now});
    g.id = post.id;
    g.hash = post.contentHash;
    st.markdownBytes += (long long)post.markdown.size();
    st.htmlBytes += (long long)post.html.size();
    st.markdownSizes.push_back((long long)post.markdown.size());
    if (g.status == "draft") ++st.drafts;
    else if (g.status == "archived") ++st.archived;
    else ++st.published;
    out.push_back(std::move(g));
  }
  w.execScript("COMMIT");
  st.posts = o.posts;
  st.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Measurements

long long peakRssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  return 0;
}
// CPU time of this process (the machine may be shared: wall time includes waiting for a core).
double cpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}
long long rssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  return 0;
}

struct Totals {
  long long d1Bytes = 0, r2Bytes = 0, d1Posts = 0, r2Posts = 0;  // posts.content_bytes by location
  double share() const { return d1Bytes + r2Bytes ? double(d1Bytes) / double(d1Bytes + r2Bytes) : 0; }
};

Totals contentTotals(TestWorld& w) {
  Totals t;
  for (const Json& row : w.sql("SELECT storage_location, count(*) AS n, coalesce(sum(content_bytes), 0) AS b FROM posts GROUP BY storage_location")) {
    if (jsonString(row, "storage_location") == "d1") {
      t.d1Bytes += jsonInt(row, "b");
      t.d1Posts += jsonInt(row, "n");
    } else {
      t.r2Bytes += jsonInt(row, "b");
      t.r2Posts += jsonInt(row, "n");
    }
  }
  return t;
}

// Bytes of content D1 actually holds (markdown + html of every row that has them).
long long d1ActualBytes(TestWorld& w) {
  return jsonInt(w.sql("SELECT coalesce(sum(length(CAST(markdown AS BLOB)) + length(CAST(coalesce(html, '') AS BLOB))), 0) AS b "
                       "FROM posts WHERE markdown IS NOT NULL")[0],
                 "b");
}

long long r2ObjectBytes(const TestWorld& w) {
  long long n = 0;
  for (const auto& [k, v] : w.r2) n += (long long)v.size();
  return n;
}

struct RunRecord {
  Json summary;
  double ms = 0;
  long long moves = 0;
};

long long movesOf(const Json& s) {
  return jsonInt(s, "moved_to_r2") + jsonInt(s, "moved_to_d1") + jsonInt(s, "archived") + jsonInt(s, "retiered");
}

double round3(double v) { return std::round(v * 1000) / 1000; }
double round6(double v) { return std::round(v * 1e6) / 1e6; }

std::string today() {
  std::time_t t = std::time(nullptr);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", std::gmtime(&t));
  return buf;
}

std::string mb(long long bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / 1e6);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parseOptions(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  // Keep freed memory in the process: SQLite (D1 and ~100,000 object databases) allocates and
  // frees page-sized blocks all the time, and glibc's default trimming makes each reuse a page fault.
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_MMAP_THRESHOLD, 64 << 20);  // progress (stderr) and the table stay in order
  // The driver asserts with doctest macros; outside a test they land here.
  doctest::Context doctestContext;
  doctestContext.setAsDefaultForAssertsOutOfTestCases();
  doctestContext.setAssertHandler([](const doctest::AssertData& ad) {
    std::cerr << "bench-tiers: driver assertion failed at " << ad.m_file << ":" << ad.m_line << ": "
              << ad.m_expr << " " << ad.m_decomp.c_str() << "\n";
    std::exit(3);
  });
  const auto wallStart = std::chrono::steady_clock::now();

  // Prices, read at run time from the same table as the caching benchmark.
  std::ifstream pricesFile(o.prices);
  if (!pricesFile) usage("cannot read " + o.prices);
  std::stringstream pricesText;
  pricesText << pricesFile.rdbuf();
  auto pricesJson = lattice::parseJson(pricesText.str());
  if (!pricesJson || !(*pricesJson)["items"].is_object()) usage(o.prices + " is not a price table");
  const Json& items = (*pricesJson)["items"];
  auto price = [&](const char* name) {
    if (!items.contains(name) || !items[name]["usd_per_gb_month"].is_number()) usage(o.prices + " lacks " + name + ".usd_per_gb_month");
    return items[name]["usd_per_gb_month"].get<double>();
  };
  const double d1Price = price("d1_storage_gb_month"), r2Price = price("r2_storage_gb_month");
  constexpr double kGb = 1e9;  // Cloudflare bills decimal gigabytes (bench/prices.json notes)

  // The Worker's configuration: the shipped defaults (200 posts a batch, 50 batches, 250 moves
  // and 250 clears a run, one day's grace), with the migrator on; --max-moves N sets
  // TIER_MAX_MOVES, as an operator draining a backlog with POST /api/admin/migrate might.
  Json vars = {{"BASE_DOMAIN", "blog.example.com"},
               {"TIER_MIGRATION", "on"},
               {"OPERATOR_TOKEN_SHA256", sha256Hex(kOperator)}};
  if (o.maxMoves > 0) vars["TIER_MAX_MOVES"] = std::to_string(o.maxMoves);
  TestWorld w(vars);
  const auto& cfg = w.engine.config();
  Rng rng(o.seed);
  std::vector<std::string> tenantIds;
  CatalogStats cat;
  if (!o.quiet) std::cerr << "bench-tiers: building a catalog of " << o.posts << " posts over " << o.tenants << " tenants\n";
  std::vector<Generated> posts = buildCatalog(w, o, rng, tenantIds, cat);
  std::map<std::string, size_t> byId;
  for (size_t i = 0; i < posts.size(); ++i) byId[posts[i].id] = i;
  const Totals before = contentTotals(w);
  const long long d1ActualBefore = d1ActualBytes(w);
  const long long rssAfterCatalog = rssKb();
  if (!o.quiet)
    std::cerr << "bench-tiers: catalog in " << round3(cat.seconds) << " s: " << mb(before.d1Bytes)
              << " of content in D1; RSS " << rssAfterCatalog / 1024 << " MiB\n";

  // Runs to steady state.
  std::vector<RunRecord> runs;
  long long examined = 0, movedToR2 = 0, movedToD1 = 0, archived = 0, retiered = 0, conflicts = 0, errors = 0;
  long long bytesMoved = 0, clearedD1 = 0, deletedObjects = 0, maxMoves = 0, runsWithMoves = 0;
  double migratorMs = 0, migratorCpuMs = 0, quietMs = 0, maxRunMs = 0, shiftMs = 0;
  long long quietExamined = 0;
  // A stationary catalog: when the clock moves a day, so does every post's dates: each keeps its
  // age and its traffic (the views flush keeps coming, as it would with steady readers).
  auto shiftDay = [&] {
    const auto s0 = std::chrono::steady_clock::now();
    // Only rows whose tier can still depend on time are rewritten (rewriting a row copies its
    // content): posts read at least once a day (their 30-day average would otherwise age out
    // across a threshold), published under a year ago, or edited in the last month. Every other
    // post is already aged and idle by every rule, and stays so as time passes.
    w.sql("UPDATE posts SET published_at = published_at + ?1, updated_at = updated_at + ?1, "
          "views_30d_at = views_30d_at + ?1 "
          "WHERE views_30d >= 30 OR published_at > ?2 OR updated_at > ?3",
          {kDay, w.now - kDay - 366 * kDay, w.now - kDay - 31 * kDay});
    shiftMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s0).count();
  };
  bool steady = false, passQuiet = false, inPass = false;
  int steadyAt = 0, passes = 0;
  long long maxLogs = 0;
  for (int run = 1; run <= o.maxRuns && !steady; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpuMs();
    HttpResponse r = w.scheduled();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    migratorCpuMs += cpuMs() - c0;
    auto body = lattice::parseJson(r.body);
    if (r.status != 200 || !body || !(*body)["summary"].is_object()) {
      std::cerr << "bench-tiers: run " << run << " answered " << r.status << ": " << r.body.substr(0, 500) << "\n";
      return 2;
    }
    const Json s = (*body)["summary"];
    maxLogs = std::max<long long>(maxLogs, (long long)w.logs.size());
    w.logs = Json::array();  // one line per move and clear: dropped after each run
    const long long moves = movesOf(s);
    runs.push_back({s, ms, moves});
    migratorMs += ms;
    maxRunMs = std::max(maxRunMs, ms);
    examined += jsonInt(s, "examined");
    movedToR2 += jsonInt(s, "moved_to_r2");
    movedToD1 += jsonInt(s, "moved_to_d1");
    archived += jsonInt(s, "archived");
    retiered += jsonInt(s, "retiered");
    conflicts += jsonInt(s, "conflicts");
    errors += jsonInt(s, "errors");
    bytesMoved += jsonInt(s, "bytes_moved");
    clearedD1 += jsonInt(s, "cleared_d1_copies");
    deletedObjects += jsonInt(s, "deleted_objects");
    maxMoves = std::max(maxMoves, moves);
    if (moves) ++runsWithMoves;
    if (moves == 0 && jsonInt(s, "clears_due") == 0) {
      quietMs += ms;
      quietExamined += jsonInt(s, "examined");
    }

    // Steady state: a pass (from the first post to the last) in which no post moved, nothing
    // conflicted or failed, and after which nothing waits to be cleared.
    if (jsonString(s, "cursor_from").empty()) {
      inPass = true;
      passQuiet = true;
    }
    if (moves || jsonInt(s, "conflicts") || jsonInt(s, "errors") || !s["stopped"].is_null()) passQuiet = false;
    const bool passDone = s["pass_complete"] == true;
    if (passDone) ++passes;
    if (!o.quiet && (run <= 3 || run % 10 == 0 || passDone))
      std::cerr << "  run " << run << ": examined " << jsonInt(s, "examined") << ", moves " << moves
                << ", clears " << jsonInt(s, "clears_due") << ", d1 " << mb(jsonInt(s, "bytes_in_d1")) << ", "
                << std::lround(ms) << " ms" << (passDone ? ", pass complete" : "") << ", RSS "
                << rssKb() / 1024 << " MiB, shift total " << std::lround(shiftMs) << " ms\n";

    if (passDone && inPass && passQuiet && w.count("tier_clears") == 0) {
      steady = true;
      steadyAt = run;
      break;
    }
    if (passDone) inPass = false;
    // A day passes: the grace period of this run's moves ends before the next run.
    w.now += kDay;
    if (o.stationary) shiftDay();
  }

  // One more pass at steady state, measured on its own: what a daily run costs once the catalog
  // has settled (examining only). It must move nothing either.
  long long steadyPassRuns = 0, steadyPassExamined = 0, steadyPassMoves = 0, steadyPassClears = 0;
  double steadyPassMs = 0, steadyPassCpuMs = 0;
  if (steady) {
    for (int guard = 0; guard < 1000; ++guard) {
      w.now += kDay;
      if (o.stationary) shiftDay();
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = cpuMs();
      HttpResponse r = w.scheduled();
      steadyPassCpuMs += cpuMs() - c0;
      steadyPassMs += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      w.logs = Json::array();
      auto body = lattice::parseJson(r.body);
      if (r.status != 200 || !body) {
        std::cerr << "bench-tiers: steady-state run answered " << r.status << "\n";
        return 2;
      }
      const Json s = (*body)["summary"];
      ++steadyPassRuns;
      steadyPassExamined += jsonInt(s, "examined");
      steadyPassMoves += movesOf(s) + jsonInt(s, "conflicts") + jsonInt(s, "errors");
      steadyPassClears += jsonInt(s, "clears_due");
      if (s["pass_complete"] == true) break;
    }
  }

  // Every post, checked against storage.
  const auto checkStart = std::chrono::steady_clock::now();
  long long lost = 0, d1Copies = 0, wrongHashRows = 0, missingRows = 0, extraRows = 0, misplaced = 0;
  std::map<std::string, long long> tierCounts = {{"hot", 0}, {"warm", 0}, {"cold", 0}, {"popular", 0}};
  std::map<std::string, long long> locationCounts;
  std::map<std::string, std::string> pointedKey;  // post id -> the r2_key D1 points at ("" in D1)
  std::vector<std::string> lostExamples;
  long long seen = 0;
  std::string cursor;
  for (;;) {
    Json rows = w.sql(
        "SELECT id, tenant_id, status, published_at, updated_at, views_30d, views_30d_at, version, storage_location, "
        "r2_key, content_hash, tier, markdown, html IS NOT NULL AS has_html FROM posts WHERE id > ?1 ORDER BY id LIMIT 2000",
        {cursor});
    if (rows.empty()) break;
    for (const Json& row : rows) {
      cursor = jsonString(row, "id");
      ++seen;
      auto at = byId.find(cursor);
      if (at == byId.end()) {
        ++extraRows;
        continue;
      }
      const Generated& g = posts[at->second];
      const std::string hash = jsonString(row, "content_hash");
      const std::string location = jsonString(row, "storage_location");
      ++locationCounts[location];
      bool ok = hash == g.hash;
      if (!ok) ++wrongHashRows;
      const bool d1Holds = row["markdown"].is_string();
      if (ok && location == "d1") {
        ok = d1Holds && sha256Hex(jsonString(row, "markdown")) == hash && jsonInt(row, "has_html") == 1;
        pointedKey[cursor] = "";
      } else if (ok) {
        if (d1Holds) ++d1Copies;
        const std::string key = jsonString(row, "r2_key");
        pointedKey[cursor] = key;
        auto obj = w.r2.find(key);
        ok = obj != w.r2.end();
        if (ok) {
          auto o2 = lattice::parseJson(obj->second);
          ok = o2 && o2->is_object() && jsonString(*o2, "sha256") == hash &&
               sha256Hex(jsonString(*o2, "markdown")) == hash && jsonInt(*o2, "version") == jsonInt(row, "version") &&
               (*o2)["html"].is_string();
        }
      }
      if (!ok) {
        ++lost;
        if (lostExamples.size() < 10) lostExamples.push_back(cursor + " (" + location + ")");
      }
      const lattice::tiers::Tier current = lattice::tiers::currentTier(location, jsonString(row, "tier"));
      ++tierCounts[std::string(lattice::tiers::tierName(current))];
      // Where the policy wants it now (the steady state must agree with it).
      lattice::tiers::PostStats stats;
      stats.status = jsonString(row, "status");
      if (row["published_at"].is_number()) stats.publishedAt = jsonInt(row, "published_at");
      stats.updatedAt = jsonInt(row, "updated_at");
      std::optional<long long> at30;
      if (row["views_30d_at"].is_number()) at30 = jsonInt(row, "views_30d_at");
      stats.viewsPerDay = lattice::tiers::viewsPerDayAt(jsonInt(row, "views_30d"), at30, w.now);
      stats.current = current;
      if (lattice::tiers::decideTier(stats, w.now, cfg.tiers).tier != current) ++misplaced;
    }
  }
  // A generated post D1 no longer has is lost too.
  const long long absent = (long long)posts.size() - (seen - extraRows);
  lost += absent;
  missingRows += absent;
  // Orphans: R2 objects under a post's prefix other than the one D1 points at.
  long long orphanObjects = 0, foreignObjects = 0;
  for (const auto& [key, value] : w.r2) {
    // t/{tenant}/p/{post}/v{version}-{sha}.json
    const size_t p = key.find("/p/");
    const size_t slash = p == std::string::npos ? std::string::npos : key.find('/', p + 3);
    if (key.rfind("t/", 0) != 0 || slash == std::string::npos) {
      ++foreignObjects;
      continue;
    }
    const std::string postId = key.substr(p + 3, slash - p - 3);
    auto it = pointedKey.find(postId);
    if (it == pointedKey.end()) ++foreignObjects;
    else if (it->second != key) ++orphanObjects;
  }
  const double checkSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - checkStart).count();

  const Totals after = contentTotals(w);
  const long long d1ActualAfter = d1ActualBytes(w);
  const long long r2Bytes = r2ObjectBytes(w);
  const long long clearsLeft = w.count("tier_clears");
  const double costBefore = double(before.d1Bytes) / kGb * d1Price + double(before.r2Bytes) / kGb * r2Price;
  const double costAfter = double(d1ActualAfter) / kGb * d1Price + double(r2Bytes) / kGb * r2Price;
  const double wallSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  const long long peakKb = peakRssKb();
  std::sort(cat.markdownSizes.begin(), cat.markdownSizes.end());
  const long long medianMd = cat.markdownSizes.empty() ? 0 : cat.markdownSizes[cat.markdownSizes.size() / 2];
  const long long p99Md = cat.markdownSizes.empty() ? 0 : cat.markdownSizes[cat.markdownSizes.size() * 99 / 100];
  const double movesMean = runs.empty() ? 0 : double(movedToR2 + movedToD1 + archived + retiered) / double(runs.size());
  const double msPer1k = examined ? migratorMs / double(examined) * 1000 : 0;
  const double quietMsPer1k = steadyPassExamined ? steadyPassMs / double(steadyPassExamined) * 1000 : 0;
  const long long totalMoves = movedToR2 + movedToD1 + archived + retiered;
  const double msPerMove = totalMoves ? (migratorMs - quietMs) / double(totalMoves) : 0;

  // Table.
  auto row = [](const std::string& k, const std::string& v) { std::printf("  %-38s %s\n", k.c_str(), v.c_str()); };
  auto fmt = [](const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return std::string(buf);
  };
  std::printf("\nTier migrator benchmark (seed %llu, %s catalog, as of %s)\n", o.seed,
              o.stationary ? "stationary" : "ageing", today().c_str());
  row("posts / tenants", std::to_string(o.posts) + " / " + std::to_string(o.tenants));
  row("  published / drafts / archived", std::to_string(cat.published) + " / " + std::to_string(cat.drafts) + " / " + std::to_string(cat.archived));
  row("  published < 30 days / > 1 year", std::to_string(cat.recent30) + " / " + std::to_string(cat.older1y));
  row("  edited in the last 7 days", std::to_string(cat.editedRecently));
  row("  views/day < 1 / >= 10 / >= 100", std::to_string(cat.under1View) + " / " + std::to_string(cat.over10Views) + " / " + std::to_string(cat.over100Views));
  row("  markdown median / p99", std::to_string(medianMd) + " B / " + std::to_string(p99Md) + " B");
  row("  content (markdown + html)", mb(cat.markdownBytes + cat.htmlBytes) + " (html/markdown " + fmt("%.2f", cat.markdownBytes ? double(cat.htmlBytes) / double(cat.markdownBytes) : 0) + ")");
  row("runs to steady state", steady ? std::to_string(steadyAt) + " (" + std::to_string(passes) + " passes)" : "NOT REACHED in " + std::to_string(runs.size()) + " runs (--max-runs)");
  row("moves per run: mean / max", fmt("%.1f", movesMean) + " / " + std::to_string(maxMoves) + " (" + std::to_string(runsWithMoves) + " runs moved posts)");
  row("moves: to R2 / archived / to D1 / retiered", std::to_string(movedToR2) + " / " + std::to_string(archived) + " / " + std::to_string(movedToD1) + " / " + std::to_string(retiered));
  row("conflicts / errors", std::to_string(conflicts) + " / " + std::to_string(errors));
  row("bytes moved", mb(bytesMoved));
  row("D1 copies cleared / R2 objects deleted", std::to_string(clearedD1) + " / " + std::to_string(deletedObjects));
  row("posts examined", std::to_string(examined));
  row("migrator time per 1,000 examined", fmt("%.1f ms", msPer1k) + " (runs to steady state, moves included)");
  row("  at steady state (examine only)", fmt("%.1f ms", quietMsPer1k) + " (one more pass: " + std::to_string(steadyPassRuns) + " runs, " + std::to_string(steadyPassExamined) + " posts, " + std::to_string(steadyPassMoves) + " moves, " + std::to_string(steadyPassClears) + " clears)");
  row("migrator time per move (incl. clear)", fmt("%.2f ms", msPerMove));
  row("migrator time: total / slowest run", fmt("%.1f s", migratorMs / 1000) + " / " + fmt("%.0f ms", maxRunMs) + " (CPU " + fmt("%.1f s", migratorCpuMs / 1000) + ")");
  row("  CPU per 1,000 examined: all / steady", fmt("%.1f ms", examined ? migratorCpuMs / double(examined) * 1000 : 0) + " / " + fmt("%.1f ms", steadyPassExamined ? steadyPassCpuMs / double(steadyPassExamined) * 1000 : 0));
  row("D1 content share before -> after", fmt("%.1f%%", before.share() * 100) + " -> " + fmt("%.1f%%", after.share() * 100) + " (target < 15%)");
  row("content in D1 before -> after", mb(before.d1Bytes) + " -> " + mb(after.d1Bytes) + " (actual D1 bytes after: " + mb(d1ActualAfter) + ")");
  row("content in R2 after", mb(after.r2Bytes) + " (objects: " + mb(r2Bytes) + ", " + std::to_string(w.r2.size()) + ")");
  row("storage cost / month before -> after", fmt("$%.4f", costBefore) + " -> " + fmt("$%.4f", costAfter) + " (D1 $" + fmt("%.3g", d1Price) + ", R2 $" + fmt("%.3g", r2Price) + " per GB-month)");
  row("tiers after: hot / warm / cold / popular", std::to_string(tierCounts["hot"]) + " / " + std::to_string(tierCounts["warm"]) + " / " + std::to_string(tierCounts["cold"]) + " / " + std::to_string(tierCounts["popular"]));
  row("misplaced (policy disagrees)", std::to_string(misplaced));
  row("lost posts (must be 0)", std::to_string(lost) + (lostExamples.empty() ? "" : " e.g. " + lostExamples[0]));
  row("orphan R2 objects / D1 copies left", std::to_string(orphanObjects) + " / " + std::to_string(d1Copies) + " (clears queued: " + std::to_string(clearsLeft) + ")");
  row("peak RSS", std::to_string(peakKb / 1024) + " MiB");
  row("wall time (catalog / runs / check)", fmt("%.1f s", wallSeconds) + " (" + fmt("%.1f", cat.seconds) + " / " + fmt("%.1f", (migratorMs + shiftMs + steadyPassMs) / 1000) + " / " + fmt("%.1f", checkSeconds) + ")");

  // JSON.
  Json j = Json::object();
  j["benchmark"] = "tiers";
  j["as_of"] = today();
  j["seed"] = o.seed;
  j["posts"] = o.posts;
  j["tenants"] = o.tenants;
  j["aging"] = o.stationary ? "stationary" : "real";
  j["catalog"] = {{"published", cat.published}, {"drafts", cat.drafts}, {"archived", cat.archived},
                  {"published_last_30_days", cat.recent30}, {"published_over_1_year", cat.older1y},
                  {"edited_last_7_days", cat.editedRecently}, {"views_per_day_under_1", cat.under1View},
                  {"views_per_day_10_plus", cat.over10Views}, {"views_per_day_100_plus", cat.over100Views},
                  {"markdown_bytes", cat.markdownBytes}, {"html_bytes", cat.htmlBytes},
                  {"markdown_median_bytes", medianMd}, {"markdown_p99_bytes", p99Md}, {"build_seconds", round3(cat.seconds)}};
  j["config"] = {{"TIER_MIGRATION", "on"}, {"TIER_BATCH_SIZE", cfg.tierBatchSize}, {"TIER_MAX_BATCHES", cfg.tierMaxBatches},
                 {"TIER_MAX_MOVES", cfg.tierMaxMoves}, {"TIER_GRACE_SECONDS", cfg.tierGraceSeconds},
                 {"thresholds", "defaults (src/tiers/policy.h)"}, {"run_every_simulated_days", 1}, {"max_runs", o.maxRuns}};
  j["steady_state"] = steady;
  j["runs"] = (long long)runs.size();
  j["runs_to_steady_state"] = steady ? Json(steadyAt) : Json(nullptr);
  j["passes"] = passes;
  j["moves"] = {{"total", totalMoves}, {"moved_to_r2", movedToR2}, {"archived", archived}, {"moved_to_d1", movedToD1},
                {"retiered", retiered}, {"per_run_mean", round3(movesMean)}, {"per_run_max", maxMoves},
                {"runs_with_moves", runsWithMoves}, {"conflicts", conflicts}, {"errors", errors}, {"bytes_moved", bytesMoved},
                {"cleared_d1_copies", clearedD1}, {"deleted_objects", deletedObjects}};
  j["posts_examined"] = examined;
  j["migrator_ms_total"] = round3(migratorMs);
  j["migrator_ms_per_1k_examined"] = round3(msPer1k);
  j["steady_pass"] = {{"runs", steadyPassRuns}, {"examined", steadyPassExamined}, {"moves", steadyPassMoves},
                      {"clears", steadyPassClears}, {"ms", round3(steadyPassMs)}, {"ms_per_1k_examined", round3(quietMsPer1k)},
                      {"cpu_ms_per_1k_examined", round3(steadyPassExamined ? steadyPassCpuMs / double(steadyPassExamined) * 1000 : 0)}};
  j["migrator_ms_per_move"] = round3(msPerMove);
  j["migrator_cpu_ms_total"] = round3(migratorCpuMs);
  j["migrator_cpu_ms_per_1k_examined"] = round3(examined ? migratorCpuMs / double(examined) * 1000 : 0);
  j["migrator_ms_slowest_run"] = round3(maxRunMs);
  j["d1_content_share_before"] = round6(before.share());
  j["d1_content_share_after"] = round6(after.share());
  j["bytes"] = {{"d1_content_before", before.d1Bytes}, {"r2_content_before", before.r2Bytes},
                {"d1_actual_before", d1ActualBefore}, {"d1_content_after", after.d1Bytes}, {"r2_content_after", after.r2Bytes},
                {"d1_actual_after", d1ActualAfter}, {"r2_object_bytes_after", r2Bytes},
                {"r2_objects_after", (long long)w.r2.size()}, {"posts_in_d1_after", after.d1Posts}, {"posts_in_r2_after", after.r2Posts}};
  j["storage_cost_usd_per_month"] = {{"before", round6(costBefore)}, {"after", round6(costAfter)},
                                     {"gb", "1e9 bytes"}, {"d1_usd_per_gb_month", d1Price}, {"r2_usd_per_gb_month", r2Price},
                                     {"prices_as_of", jsonString(*pricesJson, "as_of")},
                                     {"counted", "content only: D1 markdown+html bytes, R2 object bytes; metadata, indexes and free allowances excluded"}};
  j["tiers_after"] = {{"hot", tierCounts["hot"]}, {"warm", tierCounts["warm"]}, {"cold", tierCounts["cold"]}, {"popular", tierCounts["popular"]}};
  Json loc = Json::object();
  for (const auto& [k, v] : locationCounts) loc[k] = v;
  j["locations_after"] = loc;
  j["misplaced_posts"] = misplaced;
  j["lost_posts"] = lost;
  j["lost_examples"] = lostExamples;
  j["wrong_hash_rows"] = wrongHashRows;
  j["missing_rows"] = missingRows;
  j["extra_rows"] = extraRows;
  j["orphan_r2_objects"] = orphanObjects;
  j["foreign_r2_objects"] = foreignObjects;
  j["d1_copies_left"] = d1Copies;
  j["clears_queued_after"] = clearsLeft;
  j["peak_rss_mib"] = peakKb / 1024;
  j["max_log_lines_per_run"] = maxLogs;
  j["wall_seconds"] = round3(wallSeconds);
  j["timing_seconds"] = {{"catalog", round3(cat.seconds)}, {"migrator", round3(migratorMs / 1000)},
                         {"stationary_shift", round3(shiftMs / 1000)}, {"check", round3(checkSeconds)}};
  Json perRun = Json::array();
  for (const auto& rr : runs) {
    const Json& s = rr.summary;
    perRun.push_back({{"examined", s["examined"]}, {"moved_to_r2", s["moved_to_r2"]}, {"archived", s["archived"]},
                      {"moved_to_d1", s["moved_to_d1"]}, {"retiered", s["retiered"]}, {"cleared_d1_copies", s["cleared_d1_copies"]},
                      {"deleted_objects", s["deleted_objects"]}, {"bytes_in_d1", s["bytes_in_d1"]},
                      {"pass_complete", s["pass_complete"]}, {"stopped", s["stopped"]}, {"ms", round3(rr.ms)}});
  }
  j["per_run"] = perRun;
  const bool missed = !steady || steadyPassMoves > 0 || after.share() >= 0.15;
  j["targets"] = {{"d1_content_share_after_lt", 0.15}, {"lost_posts_eq", 0}, {"met", !missed && lost == 0}};

  std::filesystem::path outPath(o.out);
  if (outPath.has_parent_path()) std::filesystem::create_directories(outPath.parent_path());
  std::ofstream outFile(o.out);
  outFile << j.dump(2) << "\n";
  if (!outFile) {
    std::cerr << "bench-tiers: cannot write " << o.out << "\n";
    return 2;
  }
  std::printf("\nwrote %s\n", o.out.c_str());

  if (lost > 0 || wrongHashRows > 0 || missingRows > 0) {
    std::fprintf(stderr, "bench-tiers: FAIL: %lld posts not readable with their hash\n", lost);
    return 1;
  }
  if (missed) {
    std::fprintf(stderr, "bench-tiers: target missed: %s\n",
                 !steady ? "no steady state within --max-runs" : steadyPassMoves ? "the steady-state pass moved posts" : "D1 content share after >= 15%");
    return o.check ? 1 : 0;
  }
  return 0;
}
