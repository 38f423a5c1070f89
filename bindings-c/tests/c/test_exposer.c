/* The exposer: a real HTTP scrape of /metrics over loopback, a port in use, clean stop.
 * Prints "N passed, M failed"; exits non-zero on failure. */
#define _POSIX_C_SOURCE 200809L
#include "fastprom.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends `request` to 127.0.0.1:port and reads the whole answer into buf; -1 if no connection. */
static int http(uint16_t port, const char *request, char *buf, size_t cap) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    if (write(fd, request, strlen(request)) != (ssize_t)strlen(request)) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t n;
    while (got + 1 < cap && (n = read(fd, buf + got, cap - 1 - got)) > 0) got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    return (int)got;
}

int main(void) {
    fastprom_registry *reg = NULL;
    fastprom_counter_family *fam = NULL;
    fastprom_exposer *ex = NULL, *clash = NULL;
    uint16_t port = 0;
    static char answer[65536];
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    CHECK(fastprom_counter_family_new(reg, "hits", "Hits.", NULL, 0, &fam) == FASTPROM_OK);
    CHECK(fastprom_counter_family_add(fam, NULL, 0, 3.0) == FASTPROM_OK);

    CHECK(fastprom_exposer_start(NULL, "127.0.0.1", 0, &ex) == FASTPROM_NULL_ARGUMENT);
    CHECK(fastprom_exposer_start(reg, NULL, 0, &ex) == FASTPROM_NULL_ARGUMENT);
    CHECK(fastprom_exposer_start(reg, "127.0.0.1", 0, NULL) == FASTPROM_NULL_ARGUMENT);
    CHECK(ex == NULL);
    CHECK(fastprom_exposer_start(reg, "127.0.0.1", 0, &ex) == FASTPROM_OK && ex != NULL);
    CHECK(fastprom_exposer_port(ex, &port) == FASTPROM_OK && port != 0);
    CHECK(fastprom_exposer_port(ex, NULL) == FASTPROM_NULL_ARGUMENT);

    /* The same port again is refused by the operating system. */
    CHECK(fastprom_exposer_start(reg, "127.0.0.1", port, &clash) == FASTPROM_IO);
    CHECK(strstr(fastprom_last_error(), "cannot listen on") != NULL);
    CHECK(clash == NULL);

    /* Free the registry handle first: the exposer keeps the registry alive. */
    fastprom_registry_free(reg);
    CHECK(fastprom_counter_family_add(fam, NULL, 0, 1.0) == FASTPROM_OK);
    int n = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", answer, sizeof answer);
    CHECK(n > 0);
    CHECK(strncmp(answer, "HTTP/1.1 200 OK", 15) == 0);
    CHECK(strstr(answer, "content-type: text/plain; version=0.0.4; charset=utf-8") != NULL);
    CHECK(strstr(answer, "\nhits_total 4.0\n") != NULL);
    n = http(port,
             "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: application/openmetrics-text\r\nConnection: close\r\n\r\n",
             answer, sizeof answer);
    CHECK(n > 0 && strstr(answer, "# EOF\n") != NULL);

    /* Freeing stops it: the port no longer answers. */
    fastprom_exposer_free(ex);
    fastprom_exposer_free(NULL);
    CHECK(http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", answer, sizeof answer) == -1);

    /* With options: Basic authentication and the limits. */
    CHECK(fastprom_registry_new(&reg) == FASTPROM_OK);
    fastprom_counter_family *seen = NULL;
    CHECK(fastprom_counter_family_new(reg, "seen", "Seen.", NULL, 0, &seen) == FASTPROM_OK);
    fastprom_exposer_opts opts = {0};
    opts.username = "scraper";
    opts.password = "s3cret";
    opts.max_connections = 16;
    opts.header_timeout_ms = 500;
    CHECK(fastprom_exposer_start_with(reg, "127.0.0.1", 0, &opts, &ex) == FASTPROM_OK);
    CHECK(fastprom_exposer_port(ex, &port) == FASTPROM_OK);
    n = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", answer, sizeof answer);
    CHECK(n > 0 && strncmp(answer, "HTTP/1.1 401", 12) == 0);
    /* "scraper:s3cret" in base64. */
    n = http(port,
             "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic c2NyYXBlcjpzM2NyZXQ=\r\nConnection: close\r\n\r\n",
             answer, sizeof answer);
    CHECK(n > 0 && strncmp(answer, "HTTP/1.1 200 OK", 15) == 0 && strstr(answer, "\nseen_total 0.0\n") != NULL);
    /* A client that never finishes its headers is cut by the header timeout (0.5 s). */
    n = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n", answer, sizeof answer);
    CHECK(n >= 0 && strstr(answer, "seen_total") == NULL);
    fastprom_exposer_free(ex);
    ex = NULL;

    /* Bad options are refused, with the reason, and nothing starts. */
    fastprom_exposer_opts bad = {0};
    bad.cert_file = "/nonexistent/cert.pem";
    CHECK(fastprom_exposer_start_with(reg, "127.0.0.1", 0, &bad, &ex) == FASTPROM_INVALID_ARGUMENT);
    CHECK(strstr(fastprom_last_error(), "go together") != NULL);
    bad.key_file = "/nonexistent/key.pem";
    CHECK(fastprom_exposer_start_with(reg, "127.0.0.1", 0, &bad, &ex) == FASTPROM_INVALID_ARGUMENT);
    CHECK(strstr(fastprom_last_error(), "cannot load certificate file /nonexistent/cert.pem") != NULL);
    fastprom_exposer_opts tls_only = {0};
    tls_only.client_auth_required = true;
    CHECK(fastprom_exposer_start_with(reg, "127.0.0.1", 0, &tls_only, &ex) == FASTPROM_INVALID_ARGUMENT);
    CHECK(strstr(fastprom_last_error(), "need opts.cert_file and opts.key_file") != NULL);
    bad.tls_min_version = 11;
    CHECK(fastprom_exposer_start_with(reg, "127.0.0.1", 0, &bad, &ex) == FASTPROM_INVALID_ARGUMENT);
    CHECK(strstr(fastprom_last_error(), "tls_min_version must be 12 or 13") != NULL);
    CHECK(ex == NULL);

    /* HTTPS, with a self-signed certificate made by the openssl CLI when there is one:
     * plain HTTP sent to the HTTPS port gets a plain 400 saying so. */
    char dir[] = "/tmp/fastprom-c-tls-XXXXXX";
    if (mkdtemp(dir) != NULL) {
        char cmd[1024], cert[256], key[256];
        snprintf(cert, sizeof cert, "%s/cert.pem", dir);
        snprintf(key, sizeof key, "%s/key.pem", dir);
        snprintf(cmd, sizeof cmd,
                 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost "
                 "-keyout %s -out %s >/dev/null 2>&1",
                 key, cert);
        if (system(cmd) == 0) {
            fastprom_exposer_opts tls = {0};
            tls.cert_file = cert;
            tls.key_file = key;
            CHECK(fastprom_exposer_start_with(reg, "127.0.0.1", 0, &tls, &ex) == FASTPROM_OK);
            CHECK(fastprom_exposer_port(ex, &port) == FASTPROM_OK);
            n = http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", answer, sizeof answer);
            CHECK(n > 0 && strncmp(answer, "HTTP/1.0 400 Bad Request", 24) == 0);
            CHECK(strstr(answer, "Client sent an HTTP request to an HTTPS server.") != NULL);
            fastprom_exposer_free(ex);
            /* The key of another certificate does not fit. */
            snprintf(cmd, sizeof cmd,
                     "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s >/dev/null 2>&1", key);
            if (system(cmd) == 0) {
                ex = NULL;
                CHECK(fastprom_exposer_start_with(reg, "127.0.0.1", 0, &tls, &ex) == FASTPROM_INVALID_ARGUMENT);
                CHECK(strstr(fastprom_last_error(), "do not fit together") != NULL);
            }
        } else {
            printf("openssl CLI not found: the HTTPS checks are skipped\n");
        }
        remove(cert);
        remove(key);
        rmdir(dir);
    }
    /* Remote write: the requests for a caller's own HTTP client. */
    fastprom_remote_write_request *rw = NULL;
    const char *ext_names[] = {"instance"}, *ext_values[] = {"edge-1"};
    const char *hdr_names[] = {"X-Scope-OrgID"}, *hdr_values[] = {"tenant-a"};
    fastprom_remote_write_opts rw_opts = {0};
    rw_opts.external_label_names = ext_names;
    rw_opts.external_label_values = ext_values;
    rw_opts.n_external_labels = 1;
    rw_opts.header_names = hdr_names;
    rw_opts.header_values = hdr_values;
    rw_opts.n_headers = 1;
    rw_opts.bearer_token = "t0ken";
    rw_opts.no_created = true;
    CHECK(fastprom_remote_write_request_new(reg, &rw_opts, NULL) == FASTPROM_NULL_ARGUMENT);
    CHECK(fastprom_remote_write_request_new(reg, &rw_opts, &rw) == FASTPROM_OK && rw != NULL);
    CHECK(rw->n_bodies == 1 && rw->body_lens[0] > 0 && rw->body_series[0] == 1);
    int found = 0;
    for (size_t i = 0; i < rw->n_headers; i++) {
        if (strcmp(rw->header_names[i], "Content-Encoding") == 0 && strcmp(rw->header_values[i], "snappy") == 0) found++;
        if (strcmp(rw->header_names[i], "X-Scope-OrgID") == 0 && strcmp(rw->header_values[i], "tenant-a") == 0) found++;
        if (strcmp(rw->header_names[i], "Authorization") == 0 && strcmp(rw->header_values[i], "Bearer t0ken") == 0)
            found++;
    }
    CHECK(found == 3);
    fastprom_remote_write_request_free(rw);
    fastprom_remote_write_request_free(NULL);
    /* A receiver that is not there: the reason, and nothing written to out_series. */
    size_t series = 99;
    rw_opts.timeout_ms = 2000;
    CHECK(fastprom_remote_write(reg, "http://127.0.0.1:1/api/v1/write", &rw_opts, &series) == FASTPROM_IO);
    CHECK(strstr(fastprom_last_error(), "cannot connect") != NULL && series == 99);
    CHECK(fastprom_remote_write(reg, NULL, &rw_opts, &series) == FASTPROM_NULL_ARGUMENT);

    fastprom_counter_family_free(seen);
    fastprom_registry_free(reg);
    fastprom_counter_family_free(fam);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
