/* Remote write from C: the background sender against a loopback receiver (a thread of this
 * program answering from a script: 503, 400, then 204), a closed port, bad arguments and
 * CA files. Prints "N passed, M failed"; exits non-zero on failure. */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"
#include "check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A receiver: answers the i-th connection's request with script[i] (204 after the script),
 * one request per connection, counting the requests and those that looked right. */
typedef struct {
    int fd;
    uint16_t port;
    pthread_t thread;
    const int *script;
    size_t n_script;
    pthread_mutex_t lock;
    int requests;
    int well_formed; /* POST /api/v1/write, snappy, protobuf, a body */
    int stop;
} receiver;

/* Reads one request into buf (head and Content-Length body); its length, or -1. */
static int read_request(int conn, char *buf, size_t cap) {
    size_t got = 0;
    char *end = NULL;
    while (end == NULL) {
        if (got + 1 >= cap) return -1;
        ssize_t n = read(conn, buf + got, cap - 1 - got);
        if (n <= 0) return -1;
        got += (size_t)n;
        buf[got] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    for (char *p = buf; p < end; p++) *p = (char)tolower((unsigned char)*p);
    const char *length = strstr(buf, "content-length:");
    size_t want = (size_t)(end + 4 - buf) + (length ? strtoul(length + 15, NULL, 10) : 0);
    while (got < want && got + 1 < cap) {
        ssize_t n = read(conn, buf + got, cap - 1 - got);
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return (int)got;
}

static void *serve(void *arg) {
    receiver *r = arg;
    static char buf[1 << 20];
    for (int i = 0;; i++) {
        int conn = accept(r->fd, NULL, NULL);
        if (conn < 0) continue;
        pthread_mutex_lock(&r->lock);
        int stop = r->stop;
        pthread_mutex_unlock(&r->lock);
        if (stop) {
            close(conn);
            return NULL;
        }
        int status = (size_t)i < r->n_script ? r->script[i] : 204;
        int n = read_request(conn, buf, sizeof buf);
        int ok = n > 0 && strncmp(buf, "post /api/v1/write http/1.1\r\n", 29) == 0 &&
                 strstr(buf, "\r\ncontent-encoding: snappy\r\n") != NULL &&
                 strstr(buf, "\r\ncontent-type: application/x-protobuf\r\n") != NULL &&
                 strstr(buf, "\r\ncontent-length: 0\r\n") == NULL;
        pthread_mutex_lock(&r->lock);
        r->requests++;
        r->well_formed += ok;
        pthread_mutex_unlock(&r->lock);
        char answer[256];
        const char *body = status >= 300 ? "refused by the test\n" : "";
        int len = snprintf(answer, sizeof answer,
                           "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", status,
                           strlen(body), body);
        if (write(conn, answer, (size_t)len) != len) { /* the client gave up: nothing to do */
        }
        close(conn);
    }
}

static struct sockaddr_in loopback(uint16_t port) {
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

/* A loopback port nothing listens on. */
static uint16_t closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = loopback(0);
    socklen_t size = sizeof addr;
    bind(fd, (struct sockaddr *)&addr, sizeof addr);
    getsockname(fd, (struct sockaddr *)&addr, &size);
    close(fd);
    return ntohs(addr.sin_port);
}

static void receiver_start(receiver *r, const int *script, size_t n_script) {
    memset(r, 0, sizeof *r);
    r->script = script;
    r->n_script = n_script;
    pthread_mutex_init(&r->lock, NULL);
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = loopback(0);
    socklen_t size = sizeof addr;
    int bound = bind(r->fd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(r->fd, 16) == 0 &&
                getsockname(r->fd, (struct sockaddr *)&addr, &size) == 0;
    CHECK(bound);
    r->port = ntohs(addr.sin_port);
    CHECK(pthread_create(&r->thread, NULL, serve, r) == 0);
}

static int receiver_requests(receiver *r, int *well_formed) {
    pthread_mutex_lock(&r->lock);
    int n = r->requests;
    if (well_formed) *well_formed = r->well_formed;
    pthread_mutex_unlock(&r->lock);
    return n;
}

static void receiver_stop(receiver *r) {
    pthread_mutex_lock(&r->lock);
    r->stop = 1;
    pthread_mutex_unlock(&r->lock);
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* wakes the accept */
    struct sockaddr_in addr = loopback(r->port);
    connect(fd, (struct sockaddr *)&addr, sizeof addr);
    pthread_join(r->thread, NULL);
    close(fd);
    close(r->fd);
    pthread_mutex_destroy(&r->lock);
}

/* Whether the registry's text exposition holds `line` (a whole line). */
static int exposes(fastprom_registry *reg, const char *line) {
    char *text = NULL;
    size_t len = 0;
    if (fastprom_registry_encode_text(reg, &text, &len) != FASTPROM_OK) return 0;
    char want[512];
    snprintf(want, sizeof want, "\n%s\n", line);
    int found = strstr(text, want) != NULL;
    if (!found) fprintf(stderr, "not exposed: %s\n", line);
    fastprom_buffer_free(text, len);
    return found;
}

/* Waits up to `ms` milliseconds for the registry to expose `line`. */
static int wait_exposes(fastprom_registry *reg, const char *line, int ms) {
    for (int waited = 0; waited < ms; waited += 20) {
        char *text = NULL;
        size_t len = 0;
        if (fastprom_registry_encode_text(reg, &text, &len) != FASTPROM_OK) return 0;
        int found = strstr(text, line) != NULL;
        fastprom_buffer_free(text, len);
        if (found) return 1;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return exposes(reg, line);
}

/* The sender's last error copied into buf (empty when there is none). */
static void last_error(fastprom_remote_write_sender *s, char *buf, size_t cap) {
    char *message = NULL;
    buf[0] = '\0';
    if (fastprom_remote_write_sender_last_error(s, &message) == FASTPROM_OK && message != NULL) {
        snprintf(buf, cap, "%s", message);
        fastprom_string_free(message);
    }
}

/* The sender's last error contains `text`. */
static int last_error_has(fastprom_remote_write_sender *s, const char *text) {
    char message[1024];
    last_error(s, message, sizeof message);
    int found = strstr(message, text) != NULL;
    if (!found) fprintf(stderr, "last error: %s\n", message);
    return found;
}

static void test_arguments(fastprom_registry *reg) {
    fastprom_remote_write_sender *s = NULL;
    const char *url = "http://127.0.0.1:1/api/v1/write";
    CHECK_FAILS(fastprom_remote_write_sender_new(NULL, url, NULL, 0, 0, &s), FASTPROM_NULL_ARGUMENT, "registry");
    CHECK_FAILS(fastprom_remote_write_sender_new(reg, NULL, NULL, 0, 0, &s), FASTPROM_NULL_ARGUMENT, "url");
    CHECK_FAILS(fastprom_remote_write_sender_new(reg, url, NULL, 0, 0, NULL), FASTPROM_NULL_ARGUMENT, "out_sender");
    CHECK_FAILS(fastprom_remote_write_sender_new(reg, "ftp://host/x", NULL, 0, 0, &s), FASTPROM_INVALID_ARGUMENT,
                "the scheme must be http or https");
    CHECK(s == NULL);
    CHECK_FAILS(fastprom_remote_write_sender_flush(NULL, 0), FASTPROM_NULL_ARGUMENT, "sender");
    char *message = (char *)"untouched";
    CHECK_FAILS(fastprom_remote_write_sender_last_error(NULL, &message), FASTPROM_NULL_ARGUMENT, "sender");
    CHECK(strcmp(message, "untouched") == 0);
    fastprom_remote_write_sender_free(NULL, 0);

    /* CA files that cannot be used: missing, and one without a certificate. */
    char path[] = "/tmp/fastprom-test-ca-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "not a certificate\n", 18) == 18);
    close(fd);
    fastprom_remote_write_opts opts = {0};
    opts.ca_file = "/nonexistent/ca.pem";
    CHECK_FAILS(fastprom_remote_write_sender_new(reg, url, &opts, 0, 0, &s), FASTPROM_INVALID_ARGUMENT,
                "cannot load CA certificate file /nonexistent/ca.pem");
    CHECK_FAILS(fastprom_remote_write(reg, url, &opts, NULL), FASTPROM_INVALID_ARGUMENT,
                "cannot load CA certificate file");
    opts.ca_file = path;
    CHECK_FAILS(fastprom_remote_write_sender_new(reg, url, &opts, 0, 0, &s), FASTPROM_INVALID_ARGUMENT,
                "no certificate in the CA file");
    CHECK(s == NULL);
    unlink(path);

    /* A registry that already has one of the sender's names. */
    fastprom_registry *taken = NULL;
    fastprom_counter_family *mine = NULL;
    CHECK(fastprom_registry_new(&taken) == FASTPROM_OK);
    CHECK(fastprom_counter_family_new(taken, "fastprom_remote_write_requests", "Mine.", NULL, 0, &mine) ==
          FASTPROM_OK);
    CHECK_FAILS(fastprom_remote_write_sender_new(taken, url, NULL, 0, 0, &s), FASTPROM_DUPLICATE,
                "fastprom_remote_write_requests_total");
    fastprom_counter_family_free(mine);
    fastprom_registry_free(taken);
}

/* A 503 is retried, a 400 drops its batch; the metrics and the last error say so. */
static void test_retry_and_reject(fastprom_registry *reg) {
    static const int script[] = {503, 200, 400};
    receiver r;
    receiver_start(&r, script, 3);
    char url[64], line[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/write", (unsigned)r.port);
    fastprom_remote_write_sender *s = NULL;
    /* An hour between collections: only the first one, the flushes' and the free's. */
    CHECK(fastprom_remote_write_sender_new(reg, url, NULL, 3600000, 0, &s) == FASTPROM_OK && s != NULL);
    /* The first batch: 503, retried after about half a second, then taken (200); the
     * flush's batch right after it (400, dropped). The flush waits for the first request,
     * so that its collection is a batch of its own (a flush asked for before the thread's
     * first collection is served by that one). */
    for (int i = 0; i < 1500 && receiver_requests(&r, NULL) < 1; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK(fastprom_remote_write_sender_flush(s, 30000) == FASTPROM_OK);
    int well_formed = 0;
    CHECK(receiver_requests(&r, &well_formed) == 3 && well_formed == 3);
    snprintf(line, sizeof line, "fastprom_remote_write_requests_total{outcome=\"retried\",url=\"%s\"} 1.0", url);
    CHECK(exposes(reg, line));
    snprintf(line, sizeof line, "fastprom_remote_write_requests_total{outcome=\"sent\",url=\"%s\"} 1.0", url);
    CHECK(exposes(reg, line));
    snprintf(line, sizeof line, "fastprom_remote_write_requests_total{outcome=\"rejected\",url=\"%s\"} 1.0", url);
    CHECK(exposes(reg, line));
    snprintf(line, sizeof line, "fastprom_remote_write_batches_dropped_total{reason=\"rejected\",url=\"%s\"} 1.0",
             url);
    CHECK(exposes(reg, line));
    snprintf(line, sizeof line, "fastprom_remote_write_queue_batches{url=\"%s\"} 0.0", url);
    CHECK(exposes(reg, line));
    CHECK(last_error_has(s, "answered 400: refused by the test"));
    CHECK(last_error_has(s, "the batch was dropped"));
    CHECK(fastprom_remote_write_sender_last_error(s, NULL) == FASTPROM_NULL_ARGUMENT);
    /* The next flush is taken (204). */
    CHECK(fastprom_remote_write_sender_flush(s, 30000) == FASTPROM_OK);
    CHECK(receiver_requests(&r, NULL) == 4);
    /* Free: one last collection, sent. */
    fastprom_remote_write_sender_free(s, 10000);
    CHECK(receiver_requests(&r, NULL) == 5);
    snprintf(line, sizeof line, "fastprom_remote_write_requests_total{outcome=\"sent\",url=\"%s\"} 3.0", url);
    CHECK(exposes(reg, line));
    snprintf(line, sizeof line, "fastprom_remote_write_batches_dropped_total{reason=\"shutdown\",url=\"%s\"} 0.0",
             url);
    CHECK(exposes(reg, line));
    receiver_stop(&r);
}

/* Nothing listens: the queue fills (the oldest batch goes), a flush times out, and free
 * gives up at its deadline, counting what was left. */
static void test_unreachable(void) {
    fastprom_registry *reg = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    char url[64], line[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/write", (unsigned)closed_port());
    fastprom_remote_write_sender *s = NULL;
    CHECK(fastprom_remote_write_sender_new(reg, url, NULL, 3600000, 1, &s) == FASTPROM_OK);
    /* The thread's first collection was tried, and refused. */
    snprintf(line, sizeof line, "fastprom_remote_write_requests_total{outcome=\"retried\",url=\"%s\"} 1.0", url);
    CHECK(wait_exposes(reg, line, 20000));
    CHECK_FAILS(fastprom_remote_write_sender_flush(s, 200), FASTPROM_TIMEOUT, "batch(es) still queued after 200 ms");
    /* Which came last, the refused connection or the full queue, depends on timing. */
    char message[1024];
    last_error(s, message, sizeof message);
    CHECK(strstr(message, "cannot connect") != NULL || strstr(message, "queue was full") != NULL);
    fastprom_remote_write_sender_free(s, 300);
    /* Three collections (start, flush, free) into a queue of one: two dropped as it was
     * full, the last one left at the deadline. */
    snprintf(line, sizeof line, "fastprom_remote_write_batches_dropped_total{reason=\"queue_full\",url=\"%s\"} 2.0",
             url);
    CHECK(exposes(reg, line));
    snprintf(line, sizeof line, "fastprom_remote_write_batches_dropped_total{reason=\"shutdown\",url=\"%s\"} 1.0",
             url);
    CHECK(exposes(reg, line));
    snprintf(line, sizeof line, "fastprom_remote_write_requests_total{outcome=\"sent\",url=\"%s\"} 0.0", url);
    CHECK(exposes(reg, line));
    fastprom_registry_free(reg);
}

/* The sender keeps its registry alive: the registry handle may be freed first. */
static void test_registry_freed_first(void) {
    fastprom_registry *reg = NULL;
    fastprom_gauge_family *g = NULL;
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_gauge_family_new(reg, "temperature", "Degrees.", NULL, 0, &g) == FASTPROM_OK);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/api/v1/write", (unsigned)closed_port());
    fastprom_remote_write_sender *s = NULL;
    fastprom_remote_write_opts opts = {0};
    opts.timeout_ms = 2000;
    CHECK(fastprom_remote_write_sender_new(reg, url, &opts, 50, 0, &s) == FASTPROM_OK);
    fastprom_registry_free(reg);
    CHECK(fastprom_gauge_family_set(g, NULL, 0, 21.5) == FASTPROM_OK);
    CHECK(fastprom_remote_write_sender_flush(s, 100) == FASTPROM_TIMEOUT);
    fastprom_remote_write_sender_free(s, 100);
    fastprom_gauge_family_free(g);
}

int main(void) {
    fastprom_registry *reg = NULL;
    fastprom_counter_family *jobs = NULL;
    static const char *const outcome[] = {"outcome"}, *const done[] = {"done"};
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_counter_family_new(reg, "jobs", "Jobs run.", outcome, 1, &jobs) == FASTPROM_OK);
    CHECK(fastprom_counter_family_add(jobs, done, 1, 3) == FASTPROM_OK);

    test_arguments(reg);
    test_retry_and_reject(reg);
    test_unreachable();
    test_registry_freed_first();

    fastprom_counter_family_free(jobs);
    fastprom_registry_free(reg);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
