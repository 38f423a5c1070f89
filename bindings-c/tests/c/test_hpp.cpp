// The C++ wrapper (fastprom.hpp) on its own: families of every kind, kept children and
// lookups, the encoders, errors as fastprom::Error, moves, and an exposer.
// Prints "N passed, M failed"; exits non-zero on failure.
#include "fastprom.hpp"

#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

int passed = 0, failed = 0;

void check(bool ok, const char *what, int line) {
    if (ok) {
        passed++;
    } else {
        failed++;
        std::fprintf(stderr, "test_hpp.cpp:%d: failed: %s\n", line, what);
    }
}
#define CHECK(cond) check((cond), #cond, __LINE__)

// `body` throws fastprom::Error with status `want` and a message containing `text`.
template <class F>
void check_throws(F &&body, fastprom_status want, std::string_view text, int line) {
    try {
        body();
        check(false, "no exception", line);
    } catch (const fastprom::Error &e) {
        check(e.status() == want, "status", line);
        check(std::string_view(e.what()).find(text) != std::string_view::npos, e.what(), line);
    } catch (...) {
        check(false, "an exception other than fastprom::Error", line);
    }
}
#define CHECK_THROWS(body, want, text) check_throws([&] { body; }, (want), (text), __LINE__)

bool has(const std::string &text, std::string_view piece) {
    return text.find(piece) != std::string::npos;
}

// Every wrapper class is move-only.
template <class T>
constexpr bool move_only = !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T> &&
                           std::is_nothrow_move_constructible_v<T> &&
                           std::is_nothrow_move_assignable_v<T>;
static_assert(move_only<fastprom::Registry> && move_only<fastprom::Exposer>);
static_assert(move_only<fastprom::CounterFamily> && move_only<fastprom::Counter>);
static_assert(move_only<fastprom::GaugeFamily> && move_only<fastprom::Gauge>);
static_assert(move_only<fastprom::HistogramFamily> && move_only<fastprom::Histogram>);
static_assert(move_only<fastprom::SummaryFamily> && move_only<fastprom::Summary>);
static_assert(move_only<fastprom::InfoFamily> && move_only<fastprom::Info>);
static_assert(move_only<fastprom::EnumFamily> && move_only<fastprom::Enum>);
static_assert(std::is_base_of_v<std::runtime_error, fastprom::Error>);

void test_counter_and_gauge() {
    fastprom::Registry reg;
    reg.set_created(false);
    auto requests = reg.counter("http_requests", "Requests.", {"method", "code"});
    fastprom::Counter get = requests.labels({"GET", "200"});
    get.inc();
    get.add(2.5);
    // Label values from runtime strings and views, not literals.
    std::string method = "POST";
    std::vector<std::string_view> post_500 = {method, std::string_view("500x", 3)};
    requests.add(post_500, 4);
    CHECK(requests.labels({"GET", "200"}).value() == 3.5);
    CHECK(requests.labels_by_name({"code", "method"}, {"500", "POST"}).value() == 4);
    CHECK(get.value() == 3.5);

    auto temp = reg.gauge("temperature", "T.", {}, {"room", "", "celsius"});
    fastprom::Gauge g = temp.labels({});
    g.set(21);
    g.add(1.5);
    g.sub(0.5);
    temp.add({}, 1);
    CHECK(g.value() == 23);

    std::string text = reg.encode_text();
    CHECK(has(text, "# TYPE http_requests_total counter\n"));
    CHECK(has(text, "\nhttp_requests_total{code=\"200\",method=\"GET\"} 3.5\n"));
    CHECK(has(text, "\nhttp_requests_total{code=\"500\",method=\"POST\"} 4.0\n"));
    CHECK(has(text, "# TYPE room_temperature_celsius gauge\nroom_temperature_celsius 23.0\n"));
    CHECK(!has(text, "_created"));

    std::string om = reg.encode_openmetrics();
    CHECK(has(om, "# TYPE http_requests counter\n"));
    CHECK(om.size() >= 6 && om.compare(om.size() - 6, 6, "# EOF\n") == 0);

    fastprom::Exposition ex = reg.encode("application/openmetrics-text; version=1.0.0");
    CHECK(ex.body == om);
    CHECK(has(ex.content_type, "application/openmetrics-text"));
    CHECK(has(reg.encode("").content_type, "text/plain"));

    CHECK(requests.remove({"POST", "500"}));
    CHECK(!requests.remove({"POST", "500"}));
    CHECK(!has(reg.encode_text(), "POST"));
    requests.clear();
    CHECK(!has(reg.encode_text(), "GET"));
    get.inc();  // a kept child stays usable after removal
    CHECK(get.value() == 4.5);
}

void test_histogram_summary_info_enum() {
    fastprom::Registry reg;
    reg.set_created(false);
    auto latency = reg.histogram("latency_seconds", "L.", {"path"}, {0.1, 1});
    fastprom::Histogram root = latency.labels({"/"});
    root.observe(0.05);
    latency.observe({"/"}, 0.5);
    fastprom::Totals t = latency.labels_by_name({"path"}, {"/"}).totals();
    CHECK(t.count == 2 && t.sum == 0.55);

    auto rpc = reg.summary("rpc_seconds", "R.", {"service"});
    rpc.labels({"a"}).observe(0.5);
    rpc.observe({"a"}, 1.5);
    CHECK(rpc.labels({"a"}).totals().sum == 2.0);

    auto build = reg.info("build", "B.", {}, {"app", "", ""});
    std::vector<std::string> keys = {"version", "commit"};
    build.labels({}).set(keys, {"1.2.3", "abc"});

    auto phase = reg.enumeration("phase", "P.", {"queued", "running", "done"}, {"job"});
    fastprom::Enum job = phase.labels({"a"});
    CHECK(job.index() == 0);
    job.state("running");
    CHECK(job.index() == 1);
    phase.state({"b"}, "done");
    CHECK(phase.labels({"b"}).index() == 2);

    std::string text = reg.encode_text();
    CHECK(has(text, "\nlatency_seconds_bucket{le=\"0.1\",path=\"/\"} 1.0\n"));
    CHECK(has(text, "\nlatency_seconds_bucket{le=\"+Inf\",path=\"/\"} 2.0\n"));
    CHECK(has(text, "\nlatency_seconds_count{path=\"/\"} 2.0\n"));
    CHECK(has(text, "# TYPE rpc_seconds summary\nrpc_seconds_count{service=\"a\"} 2.0\n"
                    "rpc_seconds_sum{service=\"a\"} 2.0\n"));
    CHECK(has(text, "\napp_build_info{commit=\"abc\",version=\"1.2.3\"} 1.0\n"));
    CHECK(has(text, "\nphase{job=\"a\",phase=\"running\"} 1.0\n"));
    CHECK(has(text, "\nphase{job=\"b\",phase=\"done\"} 1.0\n"));
}

void test_errors() {
    fastprom::Registry reg;
    auto c = reg.counter("jobs", "J.", {"queue"});
    CHECK_THROWS(c.labels({}), FASTPROM_LABEL_COUNT, "expected 1 label values, got 0");
    CHECK_THROWS(c.labels({"a", "b"}), FASTPROM_LABEL_COUNT, "got 2");
    CHECK_THROWS(c.labels({"a"}).add(-1), FASTPROM_NEGATIVE_INCREMENT, "");
    CHECK_THROWS(c.add({"a"}, -0.5), FASTPROM_NEGATIVE_INCREMENT, "");
    CHECK(c.labels({"a"}).value() == 0);  // the failed adds changed nothing
    // Names are UTF-8 (a space is allowed, and escaped when exposed); empty ones and a unit
    // on a kind that takes none are invalid.
    CHECK_THROWS(reg.counter("", "E."), FASTPROM_INVALID_NAME, "name");
    CHECK_THROWS(reg.info("build", "B.", {}, {"", "", "bytes"}), FASTPROM_INVALID_NAME, "unit");
    CHECK_THROWS(reg.gauge("g", "G.", {"__reserved"}), FASTPROM_INVALID_LABEL, "reserved");
    CHECK_THROWS(reg.counter("jobs", "Again."), FASTPROM_DUPLICATE, "");
    CHECK_THROWS(reg.histogram("h", "H.", {}, {2, 1}), FASTPROM_INVALID_BUCKETS, "");
    CHECK_THROWS(reg.enumeration("e", "E.", {"x"}).labels({}).state("y"),
                 FASTPROM_INVALID_ARGUMENT, "unknown state \"y\"");
    CHECK_THROWS(c.labels_by_name({"queue"}, {}), FASTPROM_INVALID_ARGUMENT, "differ");
    CHECK_THROWS(c.labels({std::string_view("a\0b", 3)}), FASTPROM_INVALID_ARGUMENT, "NUL");
    // The families that failed were not registered.
    std::string text = reg.encode_text();
    CHECK(!has(text, "# TYPE h ") && !has(text, "build") && has(text, "# TYPE e gauge"));
}

void test_moves() {
    fastprom::Registry reg;
    reg.set_created(false);
    fastprom::CounterFamily fam = reg.counter("moved", "M.");
    fastprom::Counter a = fam.labels({});
    fastprom::Counter b = std::move(a);
    b.inc();
    CHECK(a.native() == nullptr && b.native() != nullptr);
    CHECK_THROWS(a.inc(), FASTPROM_NULL_ARGUMENT, "counter is NULL");
    a = fam.labels({});  // assigning into a moved-from object makes it usable again
    a.inc();
    CHECK(b.value() == 2);
    b = std::move(a);  // frees b's old handle
    fastprom::CounterFamily fam2 = std::move(fam);
    CHECK_THROWS(fam.labels({}), FASTPROM_NULL_ARGUMENT, "family is NULL");
    fastprom::Registry reg2 = std::move(reg);
    CHECK_THROWS(reg.encode_text(), FASTPROM_NULL_ARGUMENT, "registry is NULL");
    CHECK(has(reg2.encode_text(), "\nmoved_total 2.0\n"));
    // Children and families outlive their registry.
    { fastprom::Registry gone = std::move(reg2); }
    b.inc();
    fam2.add({}, 1);
    CHECK(b.value() == 4);
    // Moved-from objects of every kind (and default-constructed ones) are destroyed below.
    fastprom::Gauge g;
    fastprom::GaugeFamily gf;
    fastprom::Histogram h;
    fastprom::HistogramFamily hf;
    fastprom::Summary s;
    fastprom::SummaryFamily sf;
    fastprom::Info i;
    fastprom::InfoFamily inf;
    fastprom::Enum e;
    fastprom::EnumFamily ef;
    fastprom::Exposer x;
    fastprom::Exposer x2 = std::move(x);
    fastprom::Gauge g2 = std::move(g);
    fastprom::EnumFamily ef2 = std::move(ef);
    CHECK_THROWS(x2.port(), FASTPROM_NULL_ARGUMENT, "");
}

void test_exposer_and_threads() {
    fastprom::Registry reg;
    auto hits = reg.counter("hits", "H.", {"worker"});
    fastprom::Counter kept = hits.labels({"0"});
    std::vector<std::thread> threads;
    for (int w = 0; w < 4; w++) {
        threads.emplace_back([&kept, &hits, w] {
            std::string name = std::to_string(w % 2);
            for (int i = 0; i < 1000; i++) {
                kept.inc();
                hits.add({name}, 1);
            }
        });
    }
    for (std::thread &t : threads) t.join();
    CHECK(kept.value() == 6000);
    CHECK(hits.labels({"1"}).value() == 2000);

    fastprom::Exposer exposer(reg, "127.0.0.1", 0);
    CHECK(exposer.port() != 0);
    CHECK_THROWS(fastprom::Exposer(reg, "127.0.0.1", exposer.port()), FASTPROM_IO, "");
    fastprom::Exposer moved = std::move(exposer);
    CHECK(moved.port() != 0);
}

// The default registry, constant labels, collectors (a lambda, one that throws), the process
// collector, and a push to a port nothing listens on.
void test_default_registry() {
    auto a = fastprom::Registry::default_registry();
    auto hits = a.counter("hpp_default_hits", "Hits.");
    hits.labels({}).inc();
    auto b = fastprom::Registry::default_registry();
    CHECK(has(b.encode_text(), "hpp_default_hits_total 1.0\n"));
}

void test_collectors_and_push() {
    fastprom::Registry reg;
    reg.set_created(false);
    fastprom::FamilyOpts opts;
    opts.const_labels = {{"region", "eu"}};
    auto jobs = reg.counter("jobs", "Jobs.", {"queue"}, opts);
    jobs.labels({"mail"}).add(2);
    CHECK(has(reg.encode_text(), "jobs_total{queue=\"mail\",region=\"eu\"} 2.0\n"));
    CHECK(has(reg.encode_json(), "\"labels\":[[\"region\",\"eu\"],[\"queue\",\"mail\"]],\"value\":2.0"));

    int scrapes = 0;
    bool fail = false;
    std::uint64_t id = reg.add_collector([&](fastprom::Collection &c) {
        scrapes++;
        if (fail) throw fastprom::Error(FASTPROM_INVALID_ARGUMENT, "source down");
        c.family("db_rows", "Rows.", FASTPROM_TYPE_GAUGE).sample("", {"table"}, {"users"}, 42);
        jobs.labels({"collector"}).inc();
    });
    std::string text = reg.encode_text();
    CHECK(has(text, "db_rows{table=\"users\"} 42.0\n"));
    CHECK(has(reg.encode_text(), "jobs_total{queue=\"collector\",region=\"eu\"} 1.0\n"));
    fail = true;
    CHECK_THROWS(reg.encode_text(), FASTPROM_ERROR, "collector failed: source down");
    fail = false;
    CHECK(scrapes == 3);
    reg.unregister(id);
    CHECK(!has(reg.encode_text(), "db_rows"));
    CHECK(scrapes == 3);
    CHECK_THROWS(reg.unregister(id), FASTPROM_ERROR, "");
    // A wrong number of label values is refused inside the callback, and fails the scrape.
    reg.add_collector([](fastprom::Collection &c) {
        c.family("bad", "B.", FASTPROM_TYPE_GAUGE).sample("", {"a", "b"}, {"1"}, 1);
    });
    CHECK_THROWS(reg.encode_text(), FASTPROM_ERROR, "names and values differ in number");

    fastprom::Registry proc;
    proc.add_process_collector("hpp");
    CHECK(has(proc.encode_text(), "# TYPE hpp_process_cpu_seconds_total counter\n"));

    // Nothing listens on port 1 of loopback (it is privileged and unused here).
    fastprom::PushOpts quick;
    quick.timeout_ms = 2000;
    quick.grouping_key = {{"instance", "a b"}};
    CHECK_THROWS(fastprom::push_to_gateway("127.0.0.1:1", "batchA", proc, quick), FASTPROM_IO,
                 "/metrics/job/batchA/instance@base64/YSBi");
    CHECK_THROWS(fastprom::delete_from_gateway("", "batchA"), FASTPROM_INVALID_ARGUMENT,
                 "Pushgateway address must not be empty");
}

}  // namespace

int main() {
    test_counter_and_gauge();
    test_histogram_summary_info_enum();
    test_errors();
    test_moves();
    test_exposer_and_threads();
    test_default_registry();
    test_collectors_and_push();
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
