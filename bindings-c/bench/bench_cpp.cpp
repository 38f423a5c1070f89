// fastprom's C API and prometheus-cpp 1.0, side by side in one process (`make bench-c`).
//
// Every workload runs ROUNDS times (environment, default 7). Within a round the two
// libraries take turns on the same workload, and the one that goes first alternates from
// round to round, so drift on a shared machine hits both. The table shows each side's
// median over the rounds and the ratio of the medians. Checks afterwards (counter totals,
// the sample lines of both expositions) exit non-zero if either side did not do the work.

#include <fastprom.h>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Operations per timed run of each workload; the same for both libraries.
constexpr size_t kFloorOps = 20'000'000;
constexpr size_t kKeptOps = 20'000'000;
constexpr size_t kLookupChildren = 1000;
constexpr size_t kLookupOps = 2'000'000;  // a multiple of kLookupChildren
constexpr size_t kCounterChildren = 10'000;
constexpr int kCounterEncodes = 10;  // encodes per timed run
constexpr int kHistFamilies = 100;
constexpr int kHistChildren = 100;
constexpr int kHistEncodes = 3;
// Prometheus' default buckets (+Inf is implied on both sides).
const std::vector<double> kBuckets = {.005, .01, .025, .05, .075, .1, .25, .5, .75, 1, 2.5, 5, 7.5, 10};

int failures = 0;

void check(bool ok, const std::string& what) {
  if (!ok) {
    std::fprintf(stderr, "check failed: %s\n", what.c_str());
    ++failures;
  }
}

// Setup calls must succeed; a failure there leaves nothing worth timing.
void must(fastprom_status status, const char* what) {
  if (status != FASTPROM_OK) {
    std::fprintf(stderr, "%s: status %d: %s\n", what, static_cast<int>(status), fastprom_last_error());
    std::exit(2);
  }
}

// Tells the compiler that the memory behind `p` is read, so writes to it stay.
template <class T>
void escape(T* p) {
  asm volatile("" : : "g"(p) : "memory");
}

double ns_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// Nanoseconds per call of `body(i)` over `n` calls.
template <class Body>
double ns_per_op(size_t n, Body body) {
  auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) body(i);
  return ns_since(t0) / static_cast<double>(n);
}

// The label values of child `i`, in the order method, path, code.
std::array<std::string, 3> label_values(size_t i) {
  return {"m" + std::to_string(i % 7), "/api/v" + std::to_string(i % 11), std::to_string(200 + i)};
}

const char* const kLabelNames[3] = {"method", "path", "code"};

// The first `n` children's label values, kept in both libraries' forms: prometheus-cpp's
// label maps and fastprom's arrays of C strings (pointing into `text`).
struct Keys {
  std::vector<std::array<std::string, 3>> text;
  std::vector<std::array<const char*, 3>> c;
  std::vector<prometheus::Labels> maps;

  explicit Keys(size_t n) {
    for (size_t i = 0; i < n; ++i) text.push_back(label_values(i));
    for (const auto& v : text) {
      c.push_back({v[0].c_str(), v[1].c_str(), v[2].c_str()});
      maps.push_back({{kLabelNames[0], v[0]}, {kLabelNames[1], v[1]}, {kLabelNames[2], v[2]}});
    }
  }
};

fastprom_registry* new_registry() {
  fastprom_registry* reg = nullptr;
  must(fastprom_registry_new(&reg), "fastprom_registry_new");
  must(fastprom_registry_set_created(reg, false), "fastprom_registry_set_created");
  return reg;
}

fastprom_counter_family* new_counter_family(fastprom_registry* reg, const char* name) {
  fastprom_counter_family* fam = nullptr;
  must(fastprom_counter_family_new(reg, name, "Requests.", kLabelNames, 3, &fam), "fastprom_counter_family_new");
  return fam;
}

prometheus::Family<prometheus::Counter>& new_counter_family(prometheus::Registry& reg, const char* name) {
  return prometheus::BuildCounter().Name(name).Help("Requests.").Register(reg);
}

// One workload: `fastprom()` and `cpp()` each do one timed run and return its figure.
struct Workload {
  virtual ~Workload() = default;
  virtual double fastprom() = 0;
  virtual double cpp() = 0;
  // Called once after every round: the checks that both sides did the work.
  virtual void verify(int runs) = 0;
};

// The floor: the bare atomics each library's counter is built on. fastprom's whole-number
// increment is a fetch_add; prometheus-cpp's Counter adds to an atomic double in a CAS loop.
struct Floor : Workload {
  std::atomic<uint64_t> u{0};
  std::atomic<double> d{0.0};

  double fastprom() override {
    escape(&u);
    return ns_per_op(kFloorOps, [&](size_t) { u.fetch_add(1, std::memory_order_relaxed); });
  }
  double cpp() override {
    escape(&d);
    return ns_per_op(kFloorOps, [&](size_t) {
      double cur = d.load(std::memory_order_relaxed);
      while (!d.compare_exchange_weak(cur, cur + 1.0, std::memory_order_relaxed)) {
      }
    });
  }
  void verify(int runs) override {
    check(u.load() == kFloorOps * runs, "atomic<uint64_t> floor total");
    check(d.load() == static_cast<double>(kFloorOps * runs), "atomic<double> floor total");
  }
};

// A 3-label counter child kept by the caller, incremented by 1.
struct Kept : Workload {
  fastprom_registry* reg = new_registry();
  fastprom_counter_family* fam = new_counter_family(reg, "kept");
  fastprom_counter* child = nullptr;
  int status = FASTPROM_OK;
  prometheus::Registry preg;
  prometheus::Counter& pchild;

  Kept() : pchild(new_counter_family(preg, "kept_total").Add(Keys(1).maps[0])) {
    Keys keys(1);
    must(fastprom_counter_family_labels(fam, keys.c[0].data(), 3, &child), "fastprom_counter_family_labels");
  }
  ~Kept() override {
    fastprom_counter_free(child);
    fastprom_counter_family_free(fam);
    fastprom_registry_free(reg);
  }
  double fastprom() override {
    return ns_per_op(kKeptOps, [&](size_t) { status |= fastprom_counter_inc(child); });
  }
  double cpp() override {
    return ns_per_op(kKeptOps, [&](size_t) { pchild.Increment(); });
  }
  void verify(int runs) override {
    double fp = -1;
    must(fastprom_counter_get(child, &fp), "fastprom_counter_get");
    const double want = static_cast<double>(kKeptOps * runs);
    check(status == FASTPROM_OK, "fastprom_counter_inc returned a failure");
    check(fp == want, "kept child total, fastprom: " + std::to_string(fp));
    check(pchild.Value() == want, "kept child total, prometheus-cpp: " + std::to_string(pchild.Value()));
  }
};

// Each operation looks up one of 1000 children by its three label values, in turn, and
// adds 1 to it. The keys are built before timing, each side in the form it takes.
struct Lookup : Workload {
  Keys keys{kLookupChildren};
  fastprom_registry* reg = new_registry();
  fastprom_counter_family* fam = new_counter_family(reg, "lookup");
  int status = FASTPROM_OK;
  prometheus::Registry preg;
  prometheus::Family<prometheus::Counter>& pfam = new_counter_family(preg, "lookup_total");

  Lookup() {
    // Every child exists before the first timed run: the runs time lookups only.
    for (size_t i = 0; i < kLookupChildren; ++i) {
      must(fastprom_counter_family_add(fam, keys.c[i].data(), 3, 0.0), "fastprom_counter_family_add");
      pfam.Add(keys.maps[i]);
    }
  }
  ~Lookup() override {
    fastprom_counter_family_free(fam);
    fastprom_registry_free(reg);
  }
  double fastprom() override {
    size_t j = 0;
    return ns_per_op(kLookupOps, [&](size_t) {
      status |= fastprom_counter_family_add(fam, keys.c[j].data(), 3, 1.0);
      if (++j == kLookupChildren) j = 0;
    });
  }
  double cpp() override {
    size_t j = 0;
    return ns_per_op(kLookupOps, [&](size_t) {
      pfam.Add(keys.maps[j]).Increment();
      if (++j == kLookupChildren) j = 0;
    });
  }
  void verify(int runs) override {
    check(status == FASTPROM_OK, "fastprom_counter_family_add returned a failure");
    const double want = static_cast<double>(kLookupOps / kLookupChildren * runs);
    int wrong = 0;
    for (size_t i = 0; i < kLookupChildren; ++i) {
      fastprom_counter* c = nullptr;
      double fp = -1;
      must(fastprom_counter_family_labels(fam, keys.c[i].data(), 3, &c), "fastprom_counter_family_labels");
      must(fastprom_counter_get(c, &fp), "fastprom_counter_get");
      fastprom_counter_free(c);
      wrong += fp != want || pfam.Add(keys.maps[i]).Value() != want;
    }
    check(wrong == 0, std::to_string(wrong) + " lookup children with a total other than " + std::to_string(want));
  }
};

// What a predicate picked from an exposition: how many sample lines, and their values' sum.
struct Tally {
  size_t lines = 0;
  double sum = 0;
};

// Goes over the exposition's sample lines (not the # lines); `pick` sees each line's
// series name (what comes before `{` or the first space).
Tally tally(const std::string& text, const std::function<bool(std::string_view)>& pick) {
  Tally t;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + at, end - at);
    at = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (!pick(line.substr(0, line.find_first_of("{ ")))) continue;
    ++t.lines;
    t.sum += std::strtod(std::string(line.substr(line.rfind(' ') + 1)).c_str(), nullptr);
  }
  return t;
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// Encoding a whole registry to the text format. Each timed run encodes `reps` times and
// gives milliseconds per encode; `fastprom_bytes` and `cpp_bytes` add up the output.
struct Encode : Workload {
  fastprom_registry* reg = new_registry();
  prometheus::Registry preg;
  int reps;
  int status = FASTPROM_OK;
  size_t fastprom_bytes = 0;
  size_t cpp_bytes = 0;
  int fastprom_runs = 0;
  int cpp_runs = 0;

  explicit Encode(int reps) : reps(reps) {}
  ~Encode() override { fastprom_registry_free(reg); }

  double fastprom() override {
    auto t0 = Clock::now();
    for (int k = 0; k < reps; ++k) {
      char* buf = nullptr;
      size_t len = 0;
      status |= fastprom_registry_encode_text(reg, &buf, &len);
      fastprom_bytes += len;
      fastprom_buffer_free(buf, len);
    }
    ++fastprom_runs;
    return ns_since(t0) / reps / 1e6;
  }
  double cpp() override {
    auto t0 = Clock::now();
    for (int k = 0; k < reps; ++k) {
      std::string text = prometheus::TextSerializer().Serialize(preg.Collect());
      cpp_bytes += text.size();
    }
    ++cpp_runs;
    return ns_since(t0) / reps / 1e6;
  }
  // One more encode on each side, untimed, for the checks.
  std::string fastprom_text() {
    char* buf = nullptr;
    size_t len = 0;
    must(fastprom_registry_encode_text(reg, &buf, &len), "fastprom_registry_encode_text");
    std::string text(buf, len);
    fastprom_buffer_free(buf, len);
    return text;
  }
  // Every timed encode gave as many bytes as the checked one (the registry stands still).
  void verify_sizes(const std::string& fp, const std::string& cpp, const char* what) {
    check(status == FASTPROM_OK, std::string(what) + ": fastprom_registry_encode_text failed");
    check(fastprom_bytes == fp.size() * reps * fastprom_runs, std::string(what) + ": fastprom's timed output");
    check(cpp_bytes == cpp.size() * reps * cpp_runs, std::string(what) + ": prometheus-cpp's timed output");
    check(fp.find("_created") == std::string::npos, std::string(what) + ": fastprom wrote _created");
  }
};

// One counter family `req` of 10,000 children, child i at i.
struct EncodeCounters : Encode {
  EncodeCounters() : Encode(kCounterEncodes) {
    Keys keys(kCounterChildren);
    fastprom_counter_family* fam = new_counter_family(reg, "req");
    auto& pfam = new_counter_family(preg, "req_total");
    for (size_t i = 0; i < kCounterChildren; ++i) {
      must(fastprom_counter_family_add(fam, keys.c[i].data(), 3, static_cast<double>(i)), "counter add");
      pfam.Add(keys.maps[i]).Increment(static_cast<double>(i));
    }
    fastprom_counter_family_free(fam);
  }
  void verify(int) override {
    const std::string fp = fastprom_text();
    const std::string cpp = prometheus::TextSerializer().Serialize(preg.Collect());
    verify_sizes(fp, cpp, "10,000 counters");
    const double want = kCounterChildren * (kCounterChildren - 1) / 2.0;
    auto req = [](std::string_view name) { return name == "req_total"; };
    for (const auto& [who, text] : {std::pair{"fastprom", &fp}, std::pair{"prometheus-cpp", &cpp}}) {
      Tally t = tally(*text, req);
      check(t.lines == kCounterChildren, std::string(who) + ": req_total lines: " + std::to_string(t.lines));
      check(t.sum == want, std::string(who) + ": sum of req_total: " + std::to_string(t.sum));
    }
  }
};

// 100 histogram families lat_0..lat_99, label route, 100 children each, one observation.
struct EncodeHistograms : Encode {
  EncodeHistograms() : Encode(kHistEncodes) {
    const char* route = "route";
    for (int f = 0; f < kHistFamilies; ++f) {
      const std::string name = "lat_" + std::to_string(f);
      fastprom_histogram_family* fam = nullptr;
      must(fastprom_histogram_family_new(reg, name.c_str(), "Latency.", &route, 1, kBuckets.data(),
                                         kBuckets.size(), &fam),
           "fastprom_histogram_family_new");
      auto& pfam = prometheus::BuildHistogram().Name(name).Help("Latency.").Register(preg);
      for (int ch = 0; ch < kHistChildren; ++ch) {
        const std::string value = "/r/" + std::to_string(ch);
        const char* values[1] = {value.c_str()};
        must(fastprom_histogram_family_observe(fam, values, 1, ch / 37.0), "histogram observe");
        pfam.Add({{"route", value}}, kBuckets).Observe(ch / 37.0);
      }
      fastprom_histogram_family_free(fam);
    }
  }
  void verify(int) override {
    const std::string fp = fastprom_text();
    const std::string cpp = prometheus::TextSerializer().Serialize(preg.Collect());
    verify_sizes(fp, cpp, "100 x 100 histograms");
    const size_t series = kHistFamilies * kHistChildren;
    double want_sum = 0;
    for (int ch = 0; ch < kHistChildren; ++ch) want_sum += ch / 37.0 * kHistFamilies;
    for (const auto& [who, text] : {std::pair{"fastprom", &fp}, std::pair{"prometheus-cpp", &cpp}}) {
      const std::string w = who;
      Tally b = tally(*text, [](std::string_view n) { return ends_with(n, "_bucket"); });
      Tally c = tally(*text, [](std::string_view n) { return ends_with(n, "_count"); });
      Tally s = tally(*text, [](std::string_view n) { return ends_with(n, "_sum"); });
      check(b.lines == series * (kBuckets.size() + 1), w + ": _bucket lines: " + std::to_string(b.lines));
      check(c.lines == series && c.sum == series, w + ": _count lines and total");
      check(s.lines == series && std::abs(s.sum - want_sum) < 1e-6 * want_sum, w + ": _sum lines and total");
    }
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int rounds_from_env() {
  const char* s = std::getenv("ROUNDS");
  const int rounds = s ? std::atoi(s) : 7;
  if (rounds < 1) {
    std::fprintf(stderr, "ROUNDS must be a whole number of at least 1, not %s\n", s);
    std::exit(2);
  }
  return rounds;
}

// One row of the table: a workload, its unit, and each side's figure per round.
struct Row {
  const char* name;
  const char* unit;
  Workload* work;
  std::vector<double> fastprom{};
  std::vector<double> cpp{};
};

std::string figure(double v, const char* unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::string_view(unit) == "ms" ? "%.2f %s" : "%.1f %s", v, unit);
  return buf;
}

// Prints the medians (rows[0] is the floor, rows[1] the kept child) and the ranges.
void print_table(const std::vector<Row>& rows, int rounds) {
  std::printf("\nMedians of %d rounds (the libraries alternate within each round).\n\n", rounds);
  std::printf("| workload | fastprom (median) | prometheus-cpp (median) | ratio (prometheus-cpp / fastprom) |\n");
  std::printf("| --- | ---: | ---: | ---: |\n");
  for (const Row& r : rows) {
    const double fp = median(r.fastprom), cpp = median(r.cpp);
    if (r.work == rows[0].work) {
      std::printf("| floor: `atomic<uint64_t>::fetch_add` / `atomic<double>` CAS-add | %s | %s | - |\n",
                  figure(fp, r.unit).c_str(), figure(cpp, r.unit).c_str());
    } else {
      std::printf("| %s | %s | %s | %.2fx |\n", r.name, figure(fp, r.unit).c_str(), figure(cpp, r.unit).c_str(),
                  cpp / fp);
    }
  }
  std::printf("\nThe floor row is no library: fastprom's column is the u64 fetch_add its counters use, "
              "prometheus-cpp's the double CAS-add its Counter uses.\n");
  const double u64 = median(rows[0].fastprom), dbl = median(rows[0].cpp);
  const double kfp = median(rows[1].fastprom), kcpp = median(rows[1].cpp);
  std::printf("Kept child over the u64 fetch_add: fastprom %.2fx, prometheus-cpp %.2fx; "
              "over the double CAS-add: fastprom %.2fx, prometheus-cpp %.2fx.\n",
              kfp / u64, kcpp / u64, kfp / dbl, kcpp / dbl);
  std::printf("\nRange over the rounds (min..max):\n\n");
  std::printf("| workload | fastprom | prometheus-cpp |\n| --- | ---: | ---: |\n");
  for (const Row& r : rows) {
    auto [fmin, fmax] = std::minmax_element(r.fastprom.begin(), r.fastprom.end());
    auto [cmin, cmax] = std::minmax_element(r.cpp.begin(), r.cpp.end());
    std::printf("| %s | %s..%s | %s..%s |\n", r.name, figure(*fmin, r.unit).c_str(), figure(*fmax, r.unit).c_str(),
                figure(*cmin, r.unit).c_str(), figure(*cmax, r.unit).c_str());
  }
}

}  // namespace

int main() {
  const int rounds = rounds_from_env();
  std::printf("fastprom C API vs prometheus-cpp: %d rounds; per timed run %zu floor ops, %zu kept-child incs, "
              "%zu lookups, %d + %d encodes\n",
              rounds, kFloorOps, kKeptOps, kLookupOps, kCounterEncodes, kHistEncodes);
  std::fflush(stdout);
  Floor floor;
  Kept kept;
  Lookup lookup;
  EncodeCounters counters;
  EncodeHistograms histograms;
  std::vector<Row> rows = {
      {"floor", "ns", &floor},
      {"kept child: inc (3 labels)", "ns", &kept},
      {"lookup + inc (3 labels, 1000 children cycled)", "ns", &lookup},
      {"serialize 10,000 counters", "ms", &counters},
      {"serialize 100 histograms x 100 children", "ms", &histograms},
  };
  // Round -1 warms up (caches, allocator, branch predictors) and is not recorded.
  for (int round = -1; round < rounds; ++round) {
    for (Row& r : rows) {
      double fp, cpp;
      if (round % 2 == 0) {
        fp = r.work->fastprom();
        cpp = r.work->cpp();
      } else {
        cpp = r.work->cpp();
        fp = r.work->fastprom();
      }
      if (round < 0) continue;
      r.fastprom.push_back(fp);
      r.cpp.push_back(cpp);
    }
    if (round >= 0) std::fprintf(stderr, "round %d of %d done\n", round + 1, rounds);
  }
  for (Row& r : rows) r.work->verify(rounds + 1);
  print_table(rows, rounds);
  if (failures) {
    std::fprintf(stderr, "%d check(s) failed: the figures above are not to be trusted\n", failures);
    return 1;
  }
  std::printf("\nChecks passed: counter totals equal on both sides, both expositions hold every series.\n");
  return 0;
}
