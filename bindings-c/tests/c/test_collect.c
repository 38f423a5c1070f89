/* The C API's scrape-time and push parts: the default registry, constant labels, collector
 * callbacks (re-entering the registry, failing cleanly), the process collector, push
 * requests built for the caller's own client, and pushes to gateways that are down, hang,
 * or refuse. Prints "N passed, M failed"; exits non-zero on failure. */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The registry's text exposition, copied into a NUL-terminated string the caller frees
 * with free(), or NULL with the status in *status. */
static char *text_of(const fastprom_registry *reg, fastprom_status *status) {
    char *buf = NULL;
    size_t len = 0;
    fastprom_status s = fastprom_registry_encode_text(reg, &buf, &len);
    if (status) *status = s;
    if (s != FASTPROM_OK) return NULL;
    char *text = malloc(len + 1);
    if (text) {
        memcpy(text, buf, len);
        text[len] = '\0';
    }
    fastprom_buffer_free(buf, len);
    return text;
}

static void test_default_registry(void) {
    fastprom_registry *a = NULL, *b = NULL;
    CHECK(fastprom_registry_default(&a) == FASTPROM_OK);
    CHECK(fastprom_registry_default(&b) == FASTPROM_OK);
    CHECK(a != NULL && b != NULL && a != b);
    fastprom_counter_family *f = NULL;
    CHECK(fastprom_counter_family_new(a, "default_hits", "Hits.", NULL, 0, &f) == FASTPROM_OK);
    CHECK(fastprom_counter_family_add(f, NULL, 0, 2.0) == FASTPROM_OK);
    /* The same registry through the other handle: the name is taken, the sample shows. */
    fastprom_counter_family *again = NULL;
    CHECK_FAILS(fastprom_counter_family_new(b, "default_hits", "Hits.", NULL, 0, &again), FASTPROM_DUPLICATE,
                "default_hits");
    char *text = text_of(b, NULL);
    CHECK(text && strstr(text, "default_hits_total 2.0\n"));
    free(text);
    fastprom_counter_family_free(f);
    fastprom_registry_free(a);
    /* Freeing a handle never frees the shared registry. */
    text = text_of(b, NULL);
    CHECK(text && strstr(text, "default_hits_total 2.0\n"));
    free(text);
    fastprom_registry_free(b);
    CHECK_FAILS(fastprom_registry_default(NULL), FASTPROM_NULL_ARGUMENT, "out is NULL");
}

static void test_const_labels(void) {
    fastprom_registry *reg = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_registry_set_created(reg, false) == FASTPROM_OK);
    static const char *const names[] = {"region", "app"};
    static const char *const values[] = {"eu-1", "shop"};
    static const char *const queue[] = {"queue"};
    static const char *const mail[] = {"mail"};
    fastprom_family_opts opts = {.const_label_names = names, .const_label_values = values, .n_const_labels = 2};
    fastprom_counter_family *jobs = NULL;
    CHECK(fastprom_counter_family_new_with(reg, "jobs", "Jobs.", queue, 1, &opts, &jobs) == FASTPROM_OK);
    CHECK(fastprom_counter_family_add(jobs, mail, 1, 3.0) == FASTPROM_OK);
    /* Lookups take the variable labels only. */
    static const char *const two[] = {"eu-1", "mail"};
    CHECK_FAILS(fastprom_counter_family_add(jobs, two, 2, 1.0), FASTPROM_LABEL_COUNT, "");
    char *text = text_of(reg, NULL);
    CHECK(text && strstr(text, "jobs_total{app=\"shop\",queue=\"mail\",region=\"eu-1\"} 3.0\n"));
    free(text);
    /* The same families as JSON data. */
    char *json = NULL;
    size_t json_len = 0;
    CHECK(fastprom_registry_encode_json(reg, &json, &json_len) == FASTPROM_OK);
    CHECK(json && json[0] == '[' && json[json_len - 1] == ']' && json[json_len] == '\0');
    CHECK(json && strstr(json, "\"name\":\"jobs\",\"help\":\"Jobs.\",\"metric_type\":\"counter\""));
    CHECK(json && strstr(json, "\"name\":\"jobs_total\",\"labels\":[[\"region\",\"eu-1\"],[\"app\",\"shop\"],"
                               "[\"queue\",\"mail\"]],\"value\":3.0"));
    fastprom_buffer_free(json, json_len);
    CHECK_FAILS(fastprom_registry_encode_json(NULL, &json, &json_len), FASTPROM_NULL_ARGUMENT, "registry is NULL");

    /* A constant name that repeats a variable one, or is reserved, registers nothing. */
    fastprom_gauge_family *g = NULL;
    static const char *const q[] = {"queue"};
    fastprom_family_opts clash = {.const_label_names = q, .const_label_values = values, .n_const_labels = 1};
    CHECK_FAILS(fastprom_gauge_family_new_with(reg, "depth", "D.", queue, 1, &clash, &g), FASTPROM_INVALID_LABEL,
                "queue");
    static const char *const le[] = {"le"};
    fastprom_family_opts reserved = {.const_label_names = le, .const_label_values = values, .n_const_labels = 1};
    fastprom_histogram_family *h = NULL;
    CHECK_FAILS(fastprom_histogram_family_new_with(reg, "lat", "L.", NULL, 0, NULL, 0, &reserved, &h),
                FASTPROM_INVALID_LABEL, "le");
    fastprom_family_opts missing = {.const_label_names = names, .n_const_labels = 2};
    CHECK_FAILS(fastprom_gauge_family_new_with(reg, "depth", "D.", queue, 1, &missing, &g), FASTPROM_NULL_ARGUMENT,
                "opts.const_label_values is NULL");
    CHECK(g == NULL && h == NULL);
    /* "depth" is still free. */
    CHECK(fastprom_gauge_family_new_with(reg, "depth", "D.", queue, 1, &opts, &g) == FASTPROM_OK);
    fastprom_gauge_family_free(g);
    fastprom_counter_family_free(jobs);
    fastprom_registry_free(reg);
}

/* A collector's state: the registry it re-enters, a counter it keeps, how often it ran,
 * and whether its data was freed. */
struct bridge {
    fastprom_registry *reg;
    fastprom_counter_family *scrapes;
    fastprom_gauge *temperature;
    int calls;
    int freed;
    int fail_with; /* 0: succeed; 1: return an error status; 2: add a bad sample; 3: say why */
};

static fastprom_status collect_bridge(void *user_data, fastprom_collection *c) {
    struct bridge *b = user_data;
    b->calls++;
    /* Re-enter the registry: create and register a family on the first scrape, then
     * update it; read a gauge the application keeps. */
    if (!b->scrapes &&
        fastprom_counter_family_new(b->reg, "bridge_scrapes", "Scrapes.", NULL, 0, &b->scrapes) != FASTPROM_OK)
        return FASTPROM_ERROR;
    fastprom_counter_family_add(b->scrapes, NULL, 0, 1.0);
    double celsius = 0;
    fastprom_gauge_get(b->temperature, &celsius);

    static const char *const host[] = {"host"};
    static const char *const db1[] = {"db1"};
    fastprom_collection_family(c, "mysql_global_status_queries", "Queries.", FASTPROM_TYPE_COUNTER, NULL);
    fastprom_collection_sample(c, "_total", host, db1, 1, 1234.0, -1);
    fastprom_collection_family(c, "mysql_temperature", "Temperature.", FASTPROM_TYPE_GAUGE, "celsius");
    fastprom_collection_sample(c, "", NULL, NULL, 0, celsius, 1700000000123);
    static const char *const le[] = {"le"};
    static const char *const one[] = {"1.0"};
    static const char *const inf[] = {"+Inf"};
    fastprom_collection_family(c, "mysql_latency_seconds", "Latency.", FASTPROM_TYPE_HISTOGRAM, NULL);
    fastprom_collection_sample(c, "_bucket", le, one, 1, 2, -1);
    fastprom_collection_sample(c, "_bucket", le, inf, 1, 3, -1);
    fastprom_collection_sample(c, "_count", NULL, NULL, 0, 3, -1);
    fastprom_collection_sample(c, "_sum", NULL, NULL, 0, 4.5, -1);
    if (b->fail_with == 1) return FASTPROM_INVALID_ARGUMENT;
    if (b->fail_with == 3) {
        fastprom_collection_fail(c, "mysql at 127.0.0.1:3306 refused the connection");
        return FASTPROM_ERROR;
    }
    if (b->fail_with == 2) {
        static const char *const bad[] = {"__reserved"};
        fastprom_status s = fastprom_collection_sample(c, "", bad, db1, 1, 1, -1);
        (void)s; /* ignored on purpose: the scrape must fail anyway */
    }
    return FASTPROM_OK;
}

static void free_bridge(void *user_data) {
    ((struct bridge *)user_data)->freed++;
}

static void test_collector(void) {
    fastprom_registry *reg = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_registry_set_created(reg, false) == FASTPROM_OK);
    fastprom_gauge_family *temps = NULL;
    CHECK(fastprom_gauge_family_new(reg, "app_temperature", "T.", NULL, 0, &temps) == FASTPROM_OK);
    struct bridge b = {.reg = reg};
    CHECK(fastprom_gauge_family_labels(temps, NULL, 0, &b.temperature) == FASTPROM_OK);
    CHECK(fastprom_gauge_set(b.temperature, 21.5) == FASTPROM_OK);
    uint64_t id = 0;
    CHECK(fastprom_registry_register_collector(reg, collect_bridge, &b, free_bridge, &id) == FASTPROM_OK);

    char *text = text_of(reg, NULL);
    CHECK(text && strstr(text, "# TYPE mysql_global_status_queries_total counter\n"
                               "mysql_global_status_queries_total{host=\"db1\"} 1234.0\n"));
    CHECK(text && strstr(text, "mysql_temperature_celsius 21.5 1700000000123\n"));
    CHECK(text && strstr(text, "mysql_latency_seconds_bucket{le=\"+Inf\"} 3.0\n"));
    CHECK(text && strstr(text, "mysql_latency_seconds_sum 4.5\n"));
    free(text);
    /* The family the callback registered shows from the next scrape on. */
    text = text_of(reg, NULL);
    CHECK(text && strstr(text, "bridge_scrapes_total 2.0\n"));
    free(text);
    CHECK(b.calls == 2);

    /* A failing callback fails the scrape with its status in the message, and so does a
     * bad sample the callback ignored. */
    fastprom_status s;
    b.fail_with = 1;
    CHECK(text_of(reg, &s) == NULL && s == FASTPROM_ERROR);
    CHECK(strstr(fastprom_last_error(), "collector failed: the callback returned status 8") != NULL);
    b.fail_with = 2;
    CHECK(text_of(reg, &s) == NULL && s == FASTPROM_ERROR);
    CHECK(strstr(fastprom_last_error(), "__reserved") != NULL);
    b.fail_with = 3;
    CHECK(text_of(reg, &s) == NULL && s == FASTPROM_ERROR);
    CHECK(strstr(fastprom_last_error(), "collector failed: mysql at 127.0.0.1:3306 refused") != NULL);
    b.fail_with = 0;

    /* Unregistering frees the data once; the families go, the others stay. */
    CHECK(b.freed == 0);
    CHECK(fastprom_registry_unregister(reg, id) == FASTPROM_OK);
    CHECK(b.freed == 1);
    CHECK_FAILS(fastprom_registry_unregister(reg, id), FASTPROM_ERROR, "");
    text = text_of(reg, NULL);
    CHECK(text && !strstr(text, "mysql_") && strstr(text, "app_temperature 21.5\n"));
    free(text);

    /* A NULL callback is refused and its data freed at once; so is freeing the registry. */
    struct bridge other = {.reg = reg};
    CHECK_FAILS(fastprom_registry_register_collector(reg, NULL, &other, free_bridge, NULL), FASTPROM_NULL_ARGUMENT,
                "collect is NULL");
    CHECK(other.freed == 1);
    other.freed = 0;
    CHECK(fastprom_registry_register_collector(reg, collect_bridge, &other, free_bridge, NULL) == FASTPROM_OK);
    /* Outside a callback, the collection calls refuse a NULL collection. */
    CHECK_FAILS(fastprom_collection_sample(NULL, "", NULL, NULL, 0, 1, -1), FASTPROM_NULL_ARGUMENT, "collection");

    fastprom_gauge_free(b.temperature);
    fastprom_gauge_family_free(temps);
    fastprom_counter_family_free(b.scrapes);
    fastprom_counter_family_free(other.scrapes);
    fastprom_registry_free(reg);
    CHECK(other.freed == 1);
}

static void test_process_collector(void) {
    fastprom_registry *reg = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_registry_register_process_collector(reg, NULL, NULL) == FASTPROM_OK);
    uint64_t id = 0;
    CHECK(fastprom_registry_register_process_collector(reg, "app", &id) == FASTPROM_OK);
    char *text = text_of(reg, NULL);
    CHECK(text && strstr(text, "# TYPE process_cpu_seconds_total counter\n"));
    CHECK(text && strstr(text, "# HELP process_open_fds Number of open file descriptors.\n"));
    CHECK(text && strstr(text, "\nprocess_start_time_seconds "));
    CHECK(text && strstr(text, "\napp_process_resident_memory_bytes "));
    free(text);
    CHECK(fastprom_registry_unregister(reg, id) == FASTPROM_OK);
    text = text_of(reg, NULL);
    CHECK(text && !strstr(text, "app_process_"));
    free(text);
    fastprom_registry_free(reg);
}

static const char *header(const fastprom_push_request *r, const char *name) {
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcmp(r->header_names[i], name) == 0) return r->header_values[i];
    return NULL;
}

static void test_push_request(void) {
    fastprom_registry *reg = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    fastprom_gauge_family *last = NULL;
    CHECK(fastprom_gauge_family_new(reg, "job_last_success_unixtime", "Last success.", NULL, 0, &last) ==
          FASTPROM_OK);
    CHECK(fastprom_gauge_family_set(last, NULL, 0, 1700000000) == FASTPROM_OK);

    static const char *const gnames[] = {"instance"};
    static const char *const gvalues[] = {"worker 1"};
    fastprom_push_opts opts = {.grouping_names = gnames, .grouping_values = gvalues, .n_grouping = 1,
                               .username = "alice", .password = "s3cret"};
    fastprom_push_request *req = NULL;
    CHECK(fastprom_push_request_new(FASTPROM_PUSH_PUT, reg, "localhost:9091", "batchA", &opts, &req) ==
          FASTPROM_OK);
    CHECK(req && strcmp(req->method, "PUT") == 0);
    CHECK(req && strcmp(req->url, "http://localhost:9091/metrics/job/batchA/instance@base64/d29ya2VyIDE=") == 0);
    CHECK(req && strcmp(header(req, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8") == 0);
    CHECK(req && strcmp(header(req, "Authorization"), "Basic YWxpY2U6czNjcmV0") == 0);
    const char *want = "job_last_success_unixtime 1.7e+09\n";
    CHECK(req && req->body_len > strlen(want) &&
          memcmp(req->body + req->body_len - strlen(want), want, strlen(want)) == 0);
    fastprom_push_request_free(req);

    fastprom_push_opts gz = {.gzip = true};
    CHECK(fastprom_push_request_new(FASTPROM_PUSH_POST, reg, "http://gw:9091/", "batchA", &gz, &req) == FASTPROM_OK);
    CHECK(req && strcmp(req->method, "POST") == 0 && strcmp(req->url, "http://gw:9091/metrics/job/batchA") == 0);
    CHECK(req && strcmp(header(req, "Content-Encoding"), "gzip") == 0);
    CHECK(req && req->body_len > 2 && req->body[0] == 0x1f && req->body[1] == 0x8b);
    fastprom_push_request_free(req);

    /* DELETE needs no registry and has no body. */
    CHECK(fastprom_push_request_new(FASTPROM_PUSH_DELETE, NULL, "gw:9091", "batchA", NULL, &req) == FASTPROM_OK);
    CHECK(req && strcmp(req->method, "DELETE") == 0 && req->body_len == 0 && req->n_headers == 1);
    fastprom_push_request_free(req);
    fastprom_push_request_free(NULL);

    req = NULL;
    CHECK_FAILS(fastprom_push_request_new(FASTPROM_PUSH_PUT, reg, "", "batchA", NULL, &req),
                FASTPROM_INVALID_ARGUMENT, "Pushgateway address must not be empty");
    CHECK_FAILS(fastprom_push_request_new(FASTPROM_PUSH_PUT, NULL, "gw", "batchA", NULL, &req),
                FASTPROM_NULL_ARGUMENT, "registry is NULL");
    CHECK_FAILS(fastprom_push_request_new(FASTPROM_PUSH_DELETE, NULL, "gw", "batchA", &gz, &req),
                FASTPROM_INVALID_ARGUMENT, "Compression is not supported for DELETE requests.");
    CHECK(req == NULL);
    fastprom_gauge_family_free(last);
    fastprom_registry_free(reg);
}

/* A loopback socket that listens; `port` gets its port. */
static int listener(uint16_t *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        perror("listener");
        exit(2);
    }
    *port = ntohs(a.sin_port);
    return fd;
}

/* Answers one connection with a 400 and the gateway's kind of text. */
static void *refuse_once(void *arg) {
    int fd = *(int *)arg;
    int c = accept(fd, NULL, NULL);
    if (c >= 0) {
        char buf[4096];
        ssize_t got = read(c, buf, sizeof buf);
        (void)got;
        const char *answer = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 23\r\n"
                             "Connection: close\r\n\r\ninvalid metric: bad one";
        ssize_t put = write(c, answer, strlen(answer));
        (void)put;
        close(c);
    }
    return NULL;
}

static void test_push_failures(void) {
    fastprom_registry *reg = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    char gateway[64];

    /* Down: nothing listens on the port any more. */
    uint16_t port = 0;
    close(listener(&port));
    snprintf(gateway, sizeof gateway, "127.0.0.1:%u", (unsigned)port);
    CHECK_FAILS(fastprom_push(FASTPROM_PUSH_PUT, reg, gateway, "batchA", NULL), FASTPROM_IO, "cannot connect");

    /* Hangs: the connection is accepted by the kernel, nothing ever answers. */
    int hang = listener(&port);
    snprintf(gateway, sizeof gateway, "127.0.0.1:%u", (unsigned)port);
    fastprom_push_opts quick = {.timeout_ms = 300};
    CHECK_FAILS(fastprom_push(FASTPROM_PUSH_POST, reg, gateway, "batchA", &quick), FASTPROM_TIMEOUT,
                "no answer within");
    close(hang);

    /* Refuses: the answer's status and text reach the message. */
    int fd = listener(&port);
    pthread_t t;
    pthread_create(&t, NULL, refuse_once, &fd);
    snprintf(gateway, sizeof gateway, "127.0.0.1:%u", (unsigned)port);
    fastprom_push_opts five = {.timeout_ms = 5000};
    CHECK_FAILS(fastprom_push(FASTPROM_PUSH_DELETE, NULL, gateway, "batchA", &five), FASTPROM_HTTP_STATUS,
                "400");
    CHECK(strstr(fastprom_last_error(), "invalid metric: bad one") != NULL);
    pthread_join(t, NULL);
    close(fd);

    CHECK_FAILS(fastprom_push(FASTPROM_PUSH_PUT, reg, NULL, "batchA", NULL), FASTPROM_NULL_ARGUMENT,
                "gateway is NULL");
    static const char *const job_key[] = {"job"};
    fastprom_push_opts bad = {.grouping_names = job_key, .grouping_values = job_key, .n_grouping = 1};
    CHECK_FAILS(fastprom_push(FASTPROM_PUSH_PUT, reg, "127.0.0.1:1", "batchA", &bad), FASTPROM_INVALID_ARGUMENT,
                "Grouping key must not contain 'job'");
    fastprom_registry_free(reg);
}

int main(void) {
    test_default_registry();
    test_const_labels();
    test_collector();
    test_process_collector();
    test_push_request();
    test_push_failures();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
