/*
 * A 1 GiB file streams whole in constant memory (the daemon's peak RSS
 * stays under 64 MiB), and a download the client aborts is logged with the
 * bytes that actually left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define BIG "/big.pdb/0123456789ABCDEF0123456789ABCDEF1/big.pdb"
#define BIG_SIZE (1024LL * 1024 * 1024)
#define RSS_LIMIT_KIB (64 * 1024)

static struct daemon srv;

static int
setup(void **state)
{
    (void)state;
    fixture_make(&srv);
    fixture_sparse(&srv, &BIG[1], BIG_SIZE);
    daemon_start(&srv, NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

struct sink {
    long long got;
    long long stop_after; /* abort once this much came; 0: never */
    int nonzero;          /* a byte of the sparse file was not 0 */
};

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    static const char zeros[65536];
    struct sink *s = arg;
    size_t n = size * nmemb;

    for (size_t off = 0; off < n; off += sizeof(zeros)) {
        size_t len = n - off < sizeof(zeros) ? n - off : sizeof(zeros);

        if (memcmp(data + off, zeros, len) != 0)
            s->nonzero = 1;
    }
    s->got += (long long)n;
    if (s->stop_after > 0 && s->got >= s->stop_after)
        return 0; /* curl aborts the transfer */
    return n;
}

static CURLcode
fetch(struct sink *s, long *code)
{
    CURL *c = curl_easy_init();
    char url[512], ca[256];
    CURLcode rc;

    snprintf(ca, sizeof(ca), "%s/ca.pem", harness_tls_dir());
    curl_easy_setopt(c, CURLOPT_URL, url_for(&srv, BIG, url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 240L);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    curl_easy_cleanup(c);
    return rc;
}

static void
test_1gib_constant_memory(void **state)
{
    struct sink s = {0, 0, 0};
    long code = 0, rss;

    (void)state;
    assert_int_equal(fetch(&s, &code), CURLE_OK);
    assert_int_equal(code, 200);
    assert_true(s.got == BIG_SIZE);
    assert_int_equal(s.nonzero, 0);
    rss = daemon_peak_rss_kib(&srv);
    print_message("daemon peak RSS after 1 GiB: %ld KiB\n", rss);
    assert_true(rss > 0);
    assert_true(rss < RSS_LIMIT_KIB);
}

/* The log line of an aborted download counts what left, not the size. */
static void
test_abort_logs_partial_bytes(void **state)
{
    struct sink s = {0, 4 * 1024 * 1024, 0};
    long code = 0;
    long long bytes = -1;
    char *text, *line;
    struct resp r;

    (void)state;
    assert_int_equal(fetch(&s, &code), CURLE_WRITE_ERROR);
    text = access_log_lines(srv.access_log, 2);
    line = strrchr(text, '"');
    while (line > text && line[-1] != '\n')
        line--;
    assert_non_null(strstr(line, "\"GET " BIG " HTTP/1.1\" 200 "));
    assert_int_equal(sscanf(strstr(line, "\" 200 ") + 6, "%lld", &bytes), 1);
    print_message("aborted download logged %lld bytes\n", bytes);
    assert_true(bytes >= s.stop_after);
    assert_true(bytes < BIG_SIZE);
    free(text);
    /* and the daemon goes on answering */
    assert_int_equal(http_request(&srv, "HEAD", BIG, NULL, false, &r), 0);
    assert_int_equal(r.code, 200);
    resp_free(&r);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_1gib_constant_memory),
        cmocka_unit_test(test_abort_logs_partial_bytes),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
