/* The C API end to end: registries, the three family types, kept children, bad input,
 * threads, and both encoders. Prints "N passed, M failed"; exits non-zero on failure. */
#include "fastprom.h"
#include "check.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const METHOD_CODE[] = {"method", "code"};
static const char *const GET_200[] = {"GET", "200"};
static const char *const POST_500[] = {"POST", "500"};

static void test_registry_and_null_handles(void) {
    fastprom_registry *reg = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK && reg != NULL);
    CHECK(strcmp(fastprom_last_error(), "") == 0);
    CHECK_FAILS(fastprom_registry_new(NULL), FASTPROM_NULL_ARGUMENT, "out is NULL");
    CHECK_FAILS(fastprom_registry_set_created(NULL, false), FASTPROM_NULL_ARGUMENT, "registry is NULL");
    CHECK_FAILS(fastprom_counter_inc(NULL), FASTPROM_NULL_ARGUMENT, "counter is NULL");
    /* As with errno, a success leaves the last failure's message in place. */
    CHECK(fastprom_registry_set_created(reg, true) == FASTPROM_OK);
    CHECK(strstr(fastprom_last_error(), "counter is NULL") != NULL);
    CHECK_FAILS(fastprom_counter_add(NULL, 1.0), FASTPROM_NULL_ARGUMENT, "counter is NULL");
    CHECK_FAILS(fastprom_gauge_set(NULL, 1.0), FASTPROM_NULL_ARGUMENT, "gauge is NULL");
    CHECK_FAILS(fastprom_histogram_observe(NULL, 1.0), FASTPROM_NULL_ARGUMENT, "histogram is NULL");
    CHECK_FAILS(fastprom_counter_family_clear(NULL), FASTPROM_NULL_ARGUMENT, "family is NULL");
    /* Every free function accepts NULL. */
    fastprom_registry_free(NULL);
    fastprom_counter_family_free(NULL);
    fastprom_counter_free(NULL);
    fastprom_gauge_family_free(NULL);
    fastprom_gauge_free(NULL);
    fastprom_histogram_family_free(NULL);
    fastprom_histogram_free(NULL);
    fastprom_buffer_free(NULL, 0);
    fastprom_string_free(NULL);
    fastprom_registry_free(reg);
}

static void test_family_errors(void) {
    fastprom_registry *reg = NULL;
    fastprom_counter_family *fam = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK_FAILS(fastprom_counter_family_new(reg, "", "h", NULL, 0, &fam), FASTPROM_INVALID_NAME, "name");
    CHECK_FAILS(fastprom_counter_family_new(reg, "c", NULL, NULL, 0, &fam), FASTPROM_NULL_ARGUMENT, "help is NULL");
    CHECK_FAILS(fastprom_counter_family_new(reg, "c", "h", NULL, 2, &fam), FASTPROM_NULL_ARGUMENT,
                "label_names is NULL");
    const char *reserved[] = {"__x"};
    CHECK_FAILS(fastprom_counter_family_new(reg, "c", "h", reserved, 1, &fam), FASTPROM_INVALID_LABEL, "reserved");
    const char *le[] = {"le"};
    CHECK_FAILS(fastprom_histogram_family_new(reg, "h", "h", le, 1, NULL, 0, (fastprom_histogram_family **)&fam),
                FASTPROM_INVALID_LABEL, "\"le\"");
    const char *not_utf8[] = {"\xff\xfe"};
    CHECK_FAILS(fastprom_counter_family_new(reg, "c", "h", not_utf8, 1, &fam), FASTPROM_INVALID_ARGUMENT,
                "label_names[0] is not UTF-8");
    CHECK_FAILS(fastprom_counter_family_new(reg, "c", "h", NULL, 0, NULL), FASTPROM_NULL_ARGUMENT, "out is NULL");
    CHECK(fam == NULL);
    double unsorted[] = {5.0, 1.0};
    fastprom_histogram_family *hf = NULL;
    CHECK_FAILS(fastprom_histogram_family_new(reg, "h", "h", NULL, 0, unsorted, 2, &hf), FASTPROM_INVALID_BUCKETS,
                "increasing order");
    CHECK(hf == NULL);

    /* Nothing above was registered, so "c" is still free; registering it twice is not. */
    CHECK(fastprom_counter_family_new(reg, "c", "h", METHOD_CODE, 2, &fam) == FASTPROM_OK);
    fastprom_gauge_family *dup = NULL;
    CHECK_FAILS(fastprom_gauge_family_new(reg, "c_total", "h", NULL, 0, &dup), FASTPROM_DUPLICATE,
                "already registered: c_total");
    CHECK(dup == NULL);

    /* Wrong label counts and refused amounts change nothing. */
    fastprom_counter *child = NULL;
    CHECK_FAILS(fastprom_counter_family_labels(fam, GET_200, 1, &child), FASTPROM_LABEL_COUNT,
                "expected 2 label values, got 1");
    const char *three[] = {"GET", "200", "extra"};
    CHECK_FAILS(fastprom_counter_family_add(fam, three, 3, 1.0), FASTPROM_LABEL_COUNT, "got 3");
    CHECK_FAILS(fastprom_counter_family_add(fam, GET_200, 2, -1.0), FASTPROM_NEGATIVE_INCREMENT,
                "counters only go up");
    CHECK_FAILS(fastprom_counter_family_labels(fam, NULL, 2, &child), FASTPROM_NULL_ARGUMENT, "values is NULL");
    const char *half_null[] = {"GET", NULL};
    CHECK_FAILS(fastprom_counter_family_add(fam, half_null, 2, 1.0), FASTPROM_NULL_ARGUMENT, "values[1] is NULL");
    CHECK(child == NULL);
    bool removed = true;
    CHECK(fastprom_counter_family_remove(fam, GET_200, 2, &removed) == FASTPROM_OK && !removed);

    CHECK(fastprom_counter_family_labels(fam, GET_200, 2, &child) == FASTPROM_OK);
    CHECK_FAILS(fastprom_counter_add(child, -0.5), FASTPROM_NEGATIVE_INCREMENT, "got -0.5");
    double v = -1;
    CHECK(fastprom_counter_get(child, &v) == FASTPROM_OK && v == 0.0);
    CHECK_FAILS(fastprom_counter_get(child, NULL), FASTPROM_NULL_ARGUMENT, "value is NULL");
    fastprom_counter_free(child);
    fastprom_counter_family_free(fam);
    fastprom_registry_free(reg);
}

static void test_values(void) {
    fastprom_registry *reg = NULL;
    fastprom_counter_family *cf = NULL;
    fastprom_gauge_family *gf = NULL;
    fastprom_histogram_family *hf = NULL;
    fastprom_counter *c = NULL;
    fastprom_gauge *g = NULL;
    fastprom_histogram *h = NULL;
    double v = 0;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_counter_family_new(reg, "requests", "R.", METHOD_CODE, 2, &cf) == FASTPROM_OK);
    CHECK(fastprom_counter_family_labels(cf, GET_200, 2, &c) == FASTPROM_OK);
    CHECK(fastprom_counter_inc(c) == FASTPROM_OK);
    CHECK(fastprom_counter_add(c, 2.5) == FASTPROM_OK);
    CHECK(fastprom_counter_family_add(cf, GET_200, 2, 1.5) == FASTPROM_OK);
    CHECK(fastprom_counter_get(c, &v) == FASTPROM_OK && v == 5.0);

    /* By name/value pairs, in any order: the same child. */
    const char *names[] = {"code", "method"};
    const char *vals[] = {"200", "GET"};
    fastprom_counter *same = NULL;
    CHECK(fastprom_counter_family_labels_by_name(cf, names, vals, 2, &same) == FASTPROM_OK);
    CHECK(fastprom_counter_inc(same) == FASTPROM_OK);
    CHECK(fastprom_counter_get(c, &v) == FASTPROM_OK && v == 6.0);
    fastprom_counter_free(same);
    const char *wrong[] = {"code", "verb"};
    CHECK_FAILS(fastprom_counter_family_labels_by_name(cf, wrong, vals, 2, &same), FASTPROM_INVALID_LABEL,
                "expected the labels");
    CHECK_FAILS(fastprom_counter_family_labels_by_name(cf, names, vals, 1, &same), FASTPROM_INVALID_LABEL,
                "expected the labels");
    CHECK_FAILS(fastprom_counter_family_labels_by_name(cf, names, NULL, 2, &same), FASTPROM_NULL_ARGUMENT,
                "values is NULL");

    const char *room[] = {"room"};
    const char *kitchen[] = {"kitchen"};
    CHECK(fastprom_gauge_family_new(reg, "temp", "T.", room, 1, &gf) == FASTPROM_OK);
    CHECK(fastprom_gauge_family_labels(gf, kitchen, 1, &g) == FASTPROM_OK);
    CHECK(fastprom_gauge_set(g, 20.0) == FASTPROM_OK);
    CHECK(fastprom_gauge_add(g, 3.0) == FASTPROM_OK);
    CHECK(fastprom_gauge_sub(g, 4.5) == FASTPROM_OK);
    CHECK(fastprom_gauge_family_add(gf, kitchen, 1, -1.0) == FASTPROM_OK);
    CHECK(fastprom_gauge_get(g, &v) == FASTPROM_OK && v == 17.5);
    CHECK(fastprom_gauge_family_set(gf, kitchen, 1, -2.0) == FASTPROM_OK);
    CHECK(fastprom_gauge_get(g, &v) == FASTPROM_OK && v == -2.0);
    fastprom_gauge *g2 = NULL;
    CHECK(fastprom_gauge_family_labels_by_name(gf, room, kitchen, 1, &g2) == FASTPROM_OK);
    CHECK(fastprom_gauge_get(g2, &v) == FASTPROM_OK && v == -2.0);
    fastprom_gauge_free(g2);

    double sum = 0;
    uint64_t count = 0;
    CHECK(fastprom_histogram_family_new(reg, "latency", "L.", NULL, 0, NULL, 0, &hf) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_labels(hf, NULL, 0, &h) == FASTPROM_OK);
    CHECK(fastprom_histogram_observe(h, 0.25) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_observe(hf, NULL, 0, 4.0) == FASTPROM_OK);
    CHECK(fastprom_histogram_get(h, &sum, &count) == FASTPROM_OK && sum == 4.25 && count == 2);
    fastprom_histogram *h2 = NULL;
    /* As with remove: a family without label names is not reached by label pairs. */
    CHECK_FAILS(fastprom_histogram_family_labels_by_name(hf, NULL, NULL, 0, &h2), FASTPROM_LABEL_COUNT,
                "no label names");
    CHECK(h2 == NULL);

    /* Removing and clearing: a kept handle survives, but its series is no longer exposed. */
    bool removed = false;
    CHECK(fastprom_gauge_family_remove(gf, kitchen, 1, &removed) == FASTPROM_OK && removed);
    CHECK(fastprom_gauge_set(g, 1.0) == FASTPROM_OK);
    CHECK(fastprom_counter_family_clear(cf) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_clear(hf) == FASTPROM_OK);
    /* A family without label names has one series, which cannot be removed. */
    CHECK_FAILS(fastprom_histogram_family_remove(hf, NULL, 0, NULL), FASTPROM_LABEL_COUNT, "no label names");
    CHECK(fastprom_gauge_family_clear(gf) == FASTPROM_OK);

    /* Handles are independent: free the registry and families first, children last. */
    fastprom_registry_free(reg);
    fastprom_counter_family_free(cf);
    fastprom_gauge_family_free(gf);
    fastprom_histogram_family_free(hf);
    CHECK(fastprom_counter_inc(c) == FASTPROM_OK);
    CHECK(fastprom_counter_get(c, &v) == FASTPROM_OK && v == 7.0);
    fastprom_counter_free(c);
    fastprom_gauge_free(g);
    fastprom_histogram_free(h);
}

#define THREADS 4
#define PER_THREAD 20000

struct work {
    fastprom_counter *kept;
    fastprom_counter_family *family;
    int bad;
};

static void *hammer(void *arg) {
    struct work *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        if (fastprom_counter_inc(w->kept) != FASTPROM_OK) w->bad++;
        if (fastprom_counter_family_add(w->family, POST_500, 2, 0.5) != FASTPROM_OK) w->bad++;
    }
    return NULL;
}

static void test_family_opts(void) {
    fastprom_registry *reg = NULL;
    fastprom_histogram_family *hf = NULL;
    fastprom_counter_family *cf = NULL;
    fastprom_gauge_family *gf = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    fastprom_family_opts opts = {.metric_namespace = "app", .subsystem = "http", .unit = "seconds"};
    CHECK(fastprom_histogram_family_new_with(reg, "latency", "L.", NULL, 0, NULL, 0, &opts, &hf) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_observe(hf, NULL, 0, 0.1) == FASTPROM_OK);
    fastprom_family_opts none = {0};
    CHECK(fastprom_counter_family_new_with(reg, "jobs_total", "J.", NULL, 0, &none, &cf) == FASTPROM_OK);
    fastprom_family_opts bad = {.unit = "\xff"};
    fastprom_gauge_family *no = NULL;
    CHECK_FAILS(fastprom_gauge_family_new_with(reg, "g", "G.", NULL, 0, &bad, &no), FASTPROM_INVALID_ARGUMENT,
                "opts.unit is not UTF-8");
    fastprom_family_opts unit_only = {.unit = "bytes"};
    CHECK(fastprom_gauge_family_new_with(reg, "memory_bytes", "M.", NULL, 0, &unit_only, &gf) == FASTPROM_OK);
    CHECK(no == NULL);
    char *text = NULL;
    size_t len = 0;
    CHECK(fastprom_registry_encode_text(reg, &text, &len) == FASTPROM_OK);
    CHECK(text && strstr(text, "# TYPE app_http_latency_seconds histogram\n"));
    CHECK(text && strstr(text, "\napp_http_latency_seconds_count 1.0\n"));
    CHECK(text && strstr(text, "# TYPE jobs_total counter\njobs_total 0.0\n"));
    CHECK(text && strstr(text, "# TYPE memory_bytes gauge\nmemory_bytes 0.0\n"));
    fastprom_buffer_free(text, len);
    fastprom_histogram_family_free(hf);
    fastprom_counter_family_free(cf);
    fastprom_gauge_family_free(gf);
    fastprom_registry_free(reg);
}

static void test_summary(void) {
    fastprom_registry *reg = NULL;
    fastprom_summary_family *sf = NULL;
    fastprom_summary *a = NULL, *again = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_registry_set_created(reg, false) == FASTPROM_OK);
    const char *quantile[] = {"quantile"};
    CHECK_FAILS(fastprom_summary_family_new(reg, "rpc_seconds", "R.", quantile, 1, &sf), FASTPROM_INVALID_LABEL,
                "\"quantile\"");
    const char *service[] = {"service"};
    const char *svc_a[] = {"a"};
    CHECK(fastprom_summary_family_new(reg, "rpc_seconds", "R.", service, 1, &sf) == FASTPROM_OK);
    CHECK(fastprom_summary_family_labels(sf, svc_a, 1, &a) == FASTPROM_OK);
    CHECK(fastprom_summary_observe(a, 0.5) == FASTPROM_OK);
    CHECK(fastprom_summary_family_observe(sf, svc_a, 1, 1.5) == FASTPROM_OK);
    CHECK(fastprom_summary_family_labels_by_name(sf, service, svc_a, 1, &again) == FASTPROM_OK);
    double sum = 0;
    uint64_t count = 0;
    CHECK(fastprom_summary_get(again, &sum, &count) == FASTPROM_OK && sum == 2.0 && count == 2);
    CHECK_FAILS(fastprom_summary_get(again, &sum, NULL), FASTPROM_NULL_ARGUMENT, "count is NULL");
    CHECK_FAILS(fastprom_summary_family_observe(sf, NULL, 0, 1.0), FASTPROM_LABEL_COUNT,
                "expected 1 label values, got 0");
    char *text = NULL;
    size_t len = 0;
    CHECK(fastprom_registry_encode_text(reg, &text, &len) == FASTPROM_OK);
    CHECK(text && strcmp(text, "# HELP rpc_seconds R.\n"
                               "# TYPE rpc_seconds summary\n"
                               "rpc_seconds_count{service=\"a\"} 2.0\n"
                               "rpc_seconds_sum{service=\"a\"} 2.0\n") == 0);
    fastprom_buffer_free(text, len);
    bool removed = false;
    CHECK(fastprom_summary_family_remove(sf, svc_a, 1, &removed) == FASTPROM_OK && removed);
    CHECK(fastprom_summary_family_clear(sf) == FASTPROM_OK);
    CHECK_FAILS(fastprom_summary_observe(NULL, 1.0), FASTPROM_NULL_ARGUMENT, "summary is NULL");
    fastprom_summary_free(a);
    fastprom_summary_free(again);
    fastprom_summary_free(NULL);
    fastprom_summary_family_free(sf);
    fastprom_summary_family_free(NULL);
    fastprom_registry_free(reg);
}

static void test_enum(void) {
    fastprom_registry *reg = NULL;
    fastprom_enum_family *ef = NULL;
    fastprom_enum *e = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_registry_set_created(reg, false) == FASTPROM_OK);
    const char *states[] = {"queued", "running", "done"};
    const char *job[] = {"job"};
    const char *phase[] = {"phase"};
    const char *job_a[] = {"a"};
    fastprom_family_opts unit = {.unit = "seconds"};
    CHECK_FAILS(fastprom_enum_family_new(reg, "phase", "P.", job, 1, states, 3, &unit, &ef), FASTPROM_INVALID_NAME,
                "cannot have a unit");
    CHECK_FAILS(fastprom_enum_family_new(reg, "phase", "P.", phase, 1, states, 3, NULL, &ef), FASTPROM_INVALID_LABEL,
                "reserved");
    CHECK_FAILS(fastprom_enum_family_new(reg, "phase", "P.", job, 1, NULL, 0, NULL, &ef), FASTPROM_INVALID_ARGUMENT,
                "no states");
    CHECK_FAILS(fastprom_enum_family_new(reg, "phase", "P.", job, 1, NULL, 3, NULL, &ef), FASTPROM_NULL_ARGUMENT,
                "states is NULL");
    CHECK(ef == NULL);
    CHECK(fastprom_enum_family_new(reg, "phase", "P.", job, 1, states, 3, NULL, &ef) == FASTPROM_OK);

    /* An unknown state is refused and creates no series. */
    CHECK_FAILS(fastprom_enum_family_state(ef, job_a, 1, "lost"), FASTPROM_INVALID_ARGUMENT, "unknown state");
    bool removed = true;
    CHECK(fastprom_enum_family_remove(ef, job_a, 1, &removed) == FASTPROM_OK && !removed);

    size_t index = 99;
    CHECK(fastprom_enum_family_labels(ef, job_a, 1, &e) == FASTPROM_OK);
    CHECK(fastprom_enum_get(e, &index) == FASTPROM_OK && index == 0);
    CHECK(fastprom_enum_family_state(ef, job_a, 1, "done") == FASTPROM_OK);
    CHECK(fastprom_enum_get(e, &index) == FASTPROM_OK && index == 2);
    CHECK(fastprom_enum_state(e, "running") == FASTPROM_OK);
    CHECK_FAILS(fastprom_enum_state(e, "lost"), FASTPROM_INVALID_ARGUMENT, "unknown state \"lost\"");
    CHECK_FAILS(fastprom_enum_state(e, NULL), FASTPROM_NULL_ARGUMENT, "state is NULL");
    CHECK(fastprom_enum_get(e, &index) == FASTPROM_OK && index == 1);
    CHECK_FAILS(fastprom_enum_get(NULL, &index), FASTPROM_NULL_ARGUMENT, "enum is NULL");

    char *text = NULL;
    size_t len = 0;
    CHECK(fastprom_registry_encode_text(reg, &text, &len) == FASTPROM_OK);
    CHECK(text && strcmp(text, "# HELP phase P.\n"
                               "# TYPE phase gauge\n"
                               "phase{job=\"a\",phase=\"queued\"} 0.0\n"
                               "phase{job=\"a\",phase=\"running\"} 1.0\n"
                               "phase{job=\"a\",phase=\"done\"} 0.0\n") == 0);
    fastprom_buffer_free(text, len);
    CHECK(fastprom_enum_family_clear(ef) == FASTPROM_OK);
    fastprom_enum_free(e);
    fastprom_enum_free(NULL);
    fastprom_enum_family_free(ef);
    fastprom_enum_family_free(NULL);
    fastprom_registry_free(reg);
}

static void test_info(void) {
    fastprom_registry *reg = NULL;
    fastprom_info_family *inf = NULL;
    fastprom_info *i = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    const char *host[] = {"host"};
    const char *h1[] = {"h1"};
    fastprom_family_opts unit = {.unit = "bytes"};
    CHECK_FAILS(fastprom_info_family_new(reg, "build", "B.", host, 1, &unit, &inf), FASTPROM_INVALID_NAME,
                "cannot have a unit");
    CHECK(inf == NULL);
    fastprom_family_opts ns = {.metric_namespace = "app"};
    CHECK(fastprom_info_family_new(reg, "build", "B.", host, 1, &ns, &inf) == FASTPROM_OK);
    CHECK(fastprom_info_family_labels(inf, h1, 1, &i) == FASTPROM_OK);
    const char *keys[] = {"version", "commit", "version"};
    const char *vals[] = {"1.2.2", "abc", "1.2.3"};
    CHECK(fastprom_info_set(i, keys, vals, 3) == FASTPROM_OK);
    const char *overlap[] = {"host"};
    CHECK_FAILS(fastprom_info_set(i, overlap, vals, 1), FASTPROM_INVALID_LABEL, "overlap");
    CHECK_FAILS(fastprom_info_set(i, keys, NULL, 1), FASTPROM_NULL_ARGUMENT, "values is NULL");
    CHECK_FAILS(fastprom_info_set(NULL, keys, vals, 1), FASTPROM_NULL_ARGUMENT, "info is NULL");
    char *text = NULL;
    size_t len = 0;
    CHECK(fastprom_registry_encode_text(reg, &text, &len) == FASTPROM_OK);
    CHECK(text && strcmp(text, "# HELP app_build_info B.\n"
                               "# TYPE app_build_info gauge\n"
                               "app_build_info{commit=\"abc\",host=\"h1\",version=\"1.2.3\"} 1.0\n") == 0);
    fastprom_buffer_free(text, len);
    bool removed = false;
    CHECK(fastprom_info_family_remove(inf, h1, 1, &removed) == FASTPROM_OK && removed);
    CHECK(fastprom_info_family_clear(inf) == FASTPROM_OK);
    fastprom_info_free(i);
    fastprom_info_free(NULL);
    fastprom_info_family_free(inf);
    fastprom_info_family_free(NULL);
    fastprom_registry_free(reg);
}

static void test_threads(void) {
    fastprom_registry *reg = NULL;
    fastprom_counter_family *fam = NULL;
    fastprom_counter *kept = NULL, *post = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_counter_family_new(reg, "hits", "H.", METHOD_CODE, 2, &fam) == FASTPROM_OK);
    CHECK(fastprom_counter_family_labels(fam, GET_200, 2, &kept) == FASTPROM_OK);
    pthread_t t[THREADS];
    struct work w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct work){kept, fam, 0};
        CHECK(pthread_create(&t[i], NULL, hammer, &w[i]) == 0);
    }
    int bad = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        bad += w[i].bad;
    }
    CHECK(bad == 0);
    double v = 0;
    CHECK(fastprom_counter_get(kept, &v) == FASTPROM_OK && v == THREADS * PER_THREAD);
    CHECK(fastprom_counter_family_labels(fam, POST_500, 2, &post) == FASTPROM_OK);
    CHECK(fastprom_counter_get(post, &v) == FASTPROM_OK && v == THREADS * PER_THREAD * 0.5);
    fastprom_counter_free(post);
    fastprom_counter_free(kept);
    fastprom_counter_family_free(fam);
    fastprom_registry_free(reg);
}

static const char EXPECTED_TEXT[] =
    "# HELP http_requests_total Requests served.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{code=\"200\",method=\"GET\"} 3.0\n"
    "# HELP temp_celsius Temperature.\n"
    "# TYPE temp_celsius gauge\n"
    "temp_celsius -1.5\n"
    "# HELP latency_seconds Latency.\n"
    "# TYPE latency_seconds histogram\n"
    "latency_seconds_bucket{le=\"1.0\"} 1.0\n"
    "latency_seconds_bucket{le=\"5.0\"} 2.0\n"
    "latency_seconds_bucket{le=\"+Inf\"} 3.0\n"
    "latency_seconds_count 3.0\n"
    "latency_seconds_sum 10.5\n";

static void test_encode(void) {
    fastprom_registry *reg = NULL;
    fastprom_counter_family *cf = NULL;
    fastprom_gauge_family *gf = NULL;
    fastprom_histogram_family *hf = NULL;
    double bounds[] = {1.0, 5.0};
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_registry_set_created(reg, false) == FASTPROM_OK);
    CHECK(fastprom_counter_family_new(reg, "http_requests", "Requests served.", METHOD_CODE, 2, &cf) == FASTPROM_OK);
    CHECK(fastprom_counter_family_add(cf, GET_200, 2, 3.0) == FASTPROM_OK);
    CHECK(fastprom_gauge_family_new(reg, "temp_celsius", "Temperature.", NULL, 0, &gf) == FASTPROM_OK);
    CHECK(fastprom_gauge_family_set(gf, NULL, 0, -1.5) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_new(reg, "latency_seconds", "Latency.", NULL, 0, bounds, 2, &hf) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_observe(hf, NULL, 0, 0.5) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_observe(hf, NULL, 0, 2.0) == FASTPROM_OK);
    CHECK(fastprom_histogram_family_observe(hf, NULL, 0, 8.0) == FASTPROM_OK);

    char *text = NULL;
    size_t len = 0;
    CHECK(fastprom_registry_encode_text(reg, &text, &len) == FASTPROM_OK);
    CHECK(len == strlen(EXPECTED_TEXT) && memcmp(text, EXPECTED_TEXT, len) == 0 && text[len] == '\0');
    if (text && strcmp(text, EXPECTED_TEXT) != 0) fprintf(stderr, "got:\n%s", text);
    fastprom_buffer_free(text, len);
    CHECK_FAILS(fastprom_registry_encode_text(reg, NULL, &len), FASTPROM_NULL_ARGUMENT, "out is NULL");
    CHECK_FAILS(fastprom_registry_encode_text(NULL, &text, &len), FASTPROM_NULL_ARGUMENT, "registry is NULL");

    /* snprintf-style: ask for the size, then fill a buffer of exactly that size. */
    size_t needed = 0;
    CHECK_FAILS(fastprom_registry_encode_text_into(reg, NULL, 0, &needed), FASTPROM_BUFFER_TOO_SMALL, "needs");
    CHECK(needed == sizeof EXPECTED_TEXT);
    char small[16] = "untouched";
    CHECK(fastprom_registry_encode_text_into(reg, small, sizeof small, &needed) == FASTPROM_BUFFER_TOO_SMALL);
    CHECK(strcmp(small, "untouched") == 0);
    char *buf = malloc(needed);
    CHECK(buf && fastprom_registry_encode_text_into(reg, buf, needed, &needed) == FASTPROM_OK);
    CHECK(buf && strcmp(buf, EXPECTED_TEXT) == 0);
    free(buf);
    CHECK_FAILS(fastprom_registry_encode_text_into(reg, NULL, 8, &needed), FASTPROM_NULL_ARGUMENT, "buf is NULL");
    CHECK_FAILS(fastprom_registry_encode_text_into(reg, small, sizeof small, NULL), FASTPROM_NULL_ARGUMENT,
                "needed is NULL");

    /* OpenMetrics: counters keep their family name, and the body ends in # EOF. */
    CHECK(fastprom_registry_encode_openmetrics(reg, &text, &len) == FASTPROM_OK);
    CHECK(strstr(text, "# TYPE http_requests counter\nhttp_requests_total{code=\"200\",method=\"GET\"} 3.0\n"));
    CHECK(len >= 6 && strcmp(text + len - 6, "# EOF\n") == 0);
    CHECK(fastprom_registry_encode_openmetrics_into(reg, NULL, 0, &needed) == FASTPROM_BUFFER_TOO_SMALL);
    CHECK(needed == len + 1);
    fastprom_buffer_free(text, len);

    /* Negotiated from an Accept header: OpenMetrics when asked for, else text 0.0.4. */
    char *ctype = NULL;
    CHECK(fastprom_registry_encode(reg, NULL, &text, &len, &ctype) == FASTPROM_OK);
    CHECK(ctype && strcmp(ctype, "text/plain; version=0.0.4; charset=utf-8") == 0);
    CHECK(text && strcmp(text, EXPECTED_TEXT) == 0);
    fastprom_buffer_free(text, len);
    fastprom_string_free(ctype);
    CHECK(fastprom_registry_encode(reg, "application/openmetrics-text", &text, &len, &ctype) == FASTPROM_OK);
    CHECK(ctype && strcmp(ctype, "application/openmetrics-text; version=1.0.0; charset=utf-8") == 0);
    CHECK(text && len >= 6 && strcmp(text + len - 6, "# EOF\n") == 0);
    fastprom_buffer_free(text, len);
    fastprom_string_free(ctype);
    CHECK_FAILS(fastprom_registry_encode(reg, NULL, &text, &len, NULL), FASTPROM_NULL_ARGUMENT,
                "content_type is NULL");

    fastprom_counter_family_free(cf);
    fastprom_gauge_family_free(gf);
    fastprom_histogram_family_free(hf);
    fastprom_registry_free(reg);
}

int main(void) {
    test_registry_and_null_handles();
    test_family_errors();
    test_values();
    test_family_opts();
    test_summary();
    test_enum();
    test_info();
    test_threads();
    test_encode();
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
