// scripts/bench-render, native half: the markdown renderer (render/markdown.h, the same code the
// Worker runs as wasm) over the benchmark corpus, natively, in MB/s of markdown input. The corpus
// is written by bench/render.mjs (one file per document); see bench/README.md.
//
// For each round the whole corpus is rendered, document by document, until at least
// --min-seconds of process CPU time have passed; the round's figure is bytes rendered / time. The
// median over --rounds is reported. md4c's own HTML renderer (md4c-html.c) runs over the same
// corpus the same way, for reference: the difference is what our renderer adds (URL checks,
// heading ids, word count and excerpt, UTF-8 checks).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "render/markdown.h"

extern "C" {
#include "md4c-html.h"
}

namespace {

struct Options {
  std::string dir;
  int rounds = 7;
  double minSeconds = 0.5;
  bool json = false;
  bool lattice = true;   // --only lattice|md4c-html: one renderer (for profiling)
  bool md4cHtml = true;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "bench-render: " << why << "\n"
            << "usage: lattice_bench_render --dir CORPUS_DIR [--rounds N] [--min-seconds S] [--only lattice|md4c-html] [--json]\n";
  std::exit(2);
}

Options parseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--dir") o.dir = value();
    else if (arg == "--rounds") o.rounds = std::atoi(value().c_str());
    else if (arg == "--min-seconds") o.minSeconds = std::atof(value().c_str());
    else if (arg == "--json") o.json = true;
    else if (arg == "--only") {
      std::string which = value();
      o.lattice = which == "lattice";
      o.md4cHtml = which == "md4c-html";
      if (!o.lattice && !o.md4cHtml) usage("--only takes lattice or md4c-html");
    }
    else if (arg == "--help" || arg == "-h") usage("help");
    else usage("unknown option " + arg);
  }
  if (o.dir.empty()) usage("--dir is required");
  if (o.rounds < 1 || o.minSeconds <= 0) usage("--rounds and --min-seconds must be positive");
  return o;
}

std::vector<std::string> readCorpus(const std::string& dir) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".md") paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::string> docs;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    docs.push_back(text.str());
  }
  return docs;
}

// Renders every document, returns the total HTML size (kept so nothing is optimised away).
using RenderFn = std::function<size_t(const std::string&)>;

double medianMbps(const std::vector<std::string>& docs, size_t bytes, const RenderFn& render,
                  const Options& o, size_t& sink) {
  // Process CPU time, not wall time: the machine may be shared (the workerd figures are CPU
  // time too).
  struct Clock {
    using time_point = std::chrono::duration<double>;
    static time_point now() {
      timespec ts{};
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
      return time_point(static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9);
    }
  };
  for (const auto& doc : docs) sink += render(doc);  // warm-up
  std::vector<double> rounds;
  for (int r = 0; r < o.rounds; ++r) {
    size_t passes = 0;
    auto start = Clock::now();
    double seconds = 0;
    do {
      for (const auto& doc : docs) sink += render(doc);
      ++passes;
      seconds = (Clock::now() - start).count();
    } while (seconds < o.minSeconds);
    rounds.push_back(static_cast<double>(bytes) * static_cast<double>(passes) / seconds / 1e6);
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parseOptions(argc, argv);
  std::vector<std::string> docs = readCorpus(o.dir);
  if (docs.empty()) usage("no .md files in " + o.dir);
  size_t bytes = 0;
  for (const auto& doc : docs) bytes += doc.size();

  size_t sink = 0;
  double lattice = !o.lattice ? 0 : medianMbps(docs, bytes, [](const std::string& md) {
    auto r = lattice::render::renderMarkdown(md);
    return r.html.size() + r.wordCount;
  }, o, sink);
  double md4cHtml = !o.md4cHtml ? 0 : medianMbps(docs, bytes, [](const std::string& md) {
    std::string out;
    md_html(md.data(), static_cast<MD_SIZE>(md.size()),
            [](const MD_CHAR* text, MD_SIZE size, void* self) { static_cast<std::string*>(self)->append(text, size); },
            &out, MD_DIALECT_GITHUB | MD_FLAG_NOHTML, 0);
    return out.size();
  }, o, sink);

  if (o.json) {
    std::printf("{\"documents\":%zu,\"bytes\":%zu,\"native_mbps\":%.2f,\"md4c_html_native_mbps\":%.2f,\"sink\":%zu}\n",
                docs.size(), bytes, lattice, md4cHtml, sink);
  } else {
    std::printf("corpus: %zu documents, %zu bytes\n", docs.size(), bytes);
    std::printf("lattice renderMarkdown (native): %8.1f MB/s\n", lattice);
    std::printf("md4c-html (native, reference):   %8.1f MB/s\n", md4cHtml);
  }
  return 0;
}
