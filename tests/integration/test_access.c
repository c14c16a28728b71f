/*
 * Access control through the real daemon: HTTP Basic with every hash
 * format the real htpasswd and openssl passwd write, bearer tokens, the
 * 401 challenge, IP allow/deny (403, connection closed), trusted proxies
 * (X-Forwarded-For from a trusted and from an untrusted peer), per-path
 * rules (debuginfod open to the office, PDBs behind credentials), the
 * brute-force lock-out (429) and the user in the access log.
 *
 * The daemon trusts 127.0.0.1 as a proxy, so a request from 127.0.0.1
 * with X-Forwarded-For stands for a client elsewhere; requests from
 * 127.0.0.2 and 127.0.0.3 (CURLOPT_INTERFACE) are other peers.
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

#define PDB "/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.pdb"
#define BUILD_ID "0123456789abcdef0123456789abcdef01234567"
#define DEBUGINFO "/buildid/" BUILD_ID "/debuginfo"
#define TOKEN "abcdefghijklmnopqrstuvwxyz0123456789_ci"
#define OFFICE "198.51.100.5"
#define MAX_USERS 8

static struct daemon srv;

/* One user per hash format that a tool here could make. */
struct user {
    char name[16], pass[16], format[48];
};
static struct user users[MAX_USERS];
static size_t nusers;
static char skipped_formats[256];
/* "name:password" and "name:guess" of the first user made. */
static char good[64], guess[64];

/* Runs cmd (through sh) and returns its first output line in out[outsz],
 * or false when it fails (the tool is missing or refuses the option). */
static bool
run_line(const char *cmd, char *out, size_t outsz)
{
    FILE *p = popen(cmd, "r");
    bool ok;

    if (p == NULL)
        return false;
    ok = fgets(out, (int)outsz, p) != NULL;
    if (pclose(p) != 0)
        ok = false;
    if (ok)
        out[strcspn(out, "\r\n")] = '\0';
    return ok && out[0] != '\0';
}

/* Adds a user whose htpasswd line cmd prints ("name:hash" when
 * with_name, else only the hash). */
static void
add_user(FILE *f, const char *name, const char *pass, const char *format,
         const char *cmd, bool with_name)
{
    char line[512];

    if (!run_line(cmd, line, sizeof(line))) {
        size_t n = strlen(skipped_formats);

        snprintf(skipped_formats + n, sizeof(skipped_formats) - n, " %s",
                 format);
        return;
    }
    if (with_name)
        fprintf(f, "%s\n", line);
    else
        fprintf(f, "%s:%s\n", name, line);
    snprintf(users[nusers].name, sizeof(users[0].name), "%s", name);
    snprintf(users[nusers].pass, sizeof(users[0].pass), "%s", pass);
    snprintf(users[nusers].format, sizeof(users[0].format), "%s", format);
    nusers++;
}

static void
write_htpasswd(const char *path)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fprintf(f, "# made by the real tools at test time\n");
    add_user(f, "bcrypt", "pw-bcrypt", "htpasswd -B",
             "htpasswd -nbB bcrypt pw-bcrypt", true);
    add_user(f, "md5", "pw:md5", "htpasswd -m (APR1)",
             "htpasswd -nbm md5 'pw:md5'", true);
    add_user(f, "sha256h", "pw-sha256h", "htpasswd -2",
             "htpasswd -nb2 sha256h pw-sha256h", true);
    add_user(f, "sha512h", "pw-sha512h", "htpasswd -5",
             "htpasswd -nb5 sha512h pw-sha512h", true);
    add_user(f, "sha256", "pw-sha256", "openssl passwd -5",
             "openssl passwd -5 pw-sha256", false);
    add_user(f, "sha512", "pw-sha512", "openssl passwd -6",
             "openssl passwd -6 pw-sha512", false);
    add_user(f, "apr1", "pw-apr1", "openssl passwd -apr1",
             "openssl passwd -apr1 pw-apr1", false);
    assert_int_equal(fclose(f), 0);
}

static void
write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
    char htpasswd[256], tokens[256], conf[256], text[2048];
    const char *args[] = {"--workers", "1", "-c", conf, NULL};

    (void)state;
    fixture_make(&srv);
    fixture_put(&srv, "_.debug/elf-buildid-sym-" BUILD_ID "/_.debug",
                "debuginfo", 9);
    snprintf(htpasswd, sizeof(htpasswd), "%s/htpasswd", srv.dir);
    snprintf(tokens, sizeof(tokens), "%s/tokens", srv.dir);
    snprintf(conf, sizeof(conf), "%s/symsrvd.conf", srv.dir);
    write_htpasswd(htpasswd);
    assert_true(nusers > 0);
    snprintf(good, sizeof(good), "%s:%s", users[0].name, users[0].pass);
    snprintf(guess, sizeof(guess), "%s:guess", users[0].name);
    write_text(tokens, "# bearer tokens\n" TOKEN " ci-bot\n");
    snprintf(text, sizeof(text),
             "[store]\nroot = %s\n"
             "[auth]\nhtpasswd = %s\ntokens = %s\n"
             "realm = Symbols \"test\"\nmax_failures = 4\n"
             "failure_window = 60\nlockout = 120\n"
             "[access]\ntrusted_proxies = 127.0.0.1\n"
             "allow = 127.0.0.0/8 198.51.100.0/24 2001:db8::/32\n"
             "deny = 203.0.113.66 all\n"
             "[path \"/buildid/\"]\nauth = off\nallow = 198.51.100.0/24\n"
             "deny = all\n",
             srv.root, htpasswd, tokens);
    write_text(conf, text);
    daemon_start(&srv, args);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    daemon_finish(&srv);
    return 0;
}

static size_t
on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

static size_t
on_head(char *data, size_t size, size_t nmemb, void *arg)
{
    struct resp *r = arg;
    size_t n = size * nmemb;

    if (r->hlen + n < sizeof(r->headers)) {
        memcpy(r->headers + r->hlen, data, n);
        r->hlen += n;
        r->headers[r->hlen] = '\0';
    }
    return n;
}

/*
 * GET path as `curl -u userpwd` would (NULL: no credentials), from the
 * local address iface (NULL: 127.0.0.1), with one extra header line hdr
 * (or NULL). Returns the status; r gets the header lines.
 */
static long
get(const char *path, const char *userpwd, const char *iface, const char *hdr,
    struct resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *list = NULL;
    char url[512], ca[256];

    memset(r, 0, sizeof(*r));
    assert_non_null(c);
    snprintf(ca, sizeof(ca), "%s/ca.pem", harness_tls_dir());
    curl_easy_setopt(c, CURLOPT_URL, url_for(&srv, path, url));
    curl_easy_setopt(c, CURLOPT_CAINFO, ca);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (userpwd != NULL) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
    }
    if (iface != NULL)
        curl_easy_setopt(c, CURLOPT_INTERFACE, iface);
    if (hdr != NULL) {
        list = curl_slist_append(list, hdr);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    }
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return r->code;
}

static long
status(const char *path, const char *userpwd, const char *iface,
       const char *hdr)
{
    struct resp r;

    return get(path, userpwd, iface, hdr, &r);
}

/* Does the access log hold a line with both texts, within 5 s? */
static bool
logged(const char *a, const char *b)
{
    long long end = now_ms() + 5000;

    do {
        size_t len;
        char *text = slurp(srv.access_log, &len);
        bool found = false;

        for (char *line = text; line != NULL && *line != '\0';) {
            char *nl = strchr(line, '\n');

            if (nl == NULL)
                break;
            *nl = '\0';
            if (strstr(line, a) != NULL && strstr(line, b) != NULL)
                found = true;
            line = nl + 1;
        }
        free(text);
        if (found)
            return true;
        sleep_ms(50);
    } while (now_ms() < end);
    return false;
}

/* Every hash format: 200 and the user in the log; a wrong password 401. */
static void
test_every_format(void **state)
{
    (void)state;
    assert_true(nusers > 0);
    for (size_t i = 0; i < nusers; i++) {
        char up[64], bad[64], want[64], from[64];

        snprintf(up, sizeof(up), "%s:%s", users[i].name, users[i].pass);
        snprintf(bad, sizeof(bad), "%s:%sx", users[i].name, users[i].pass);
        snprintf(from, sizeof(from), "X-Forwarded-For: 127.0.1.%zu", 10 + i);
        if (status(PDB, up, NULL, NULL) != 200)
            fail_msg("%s (%s): not 200", users[i].name, users[i].format);
        snprintf(want, sizeof(want), "127.0.0.1 - %s [", users[i].name);
        assert_true(logged(want, "\" 200 4000 "));
        /* From another address each, so these failures lock no one out. */
        if (status(PDB, bad, NULL, from) != 401)
            fail_msg("%s (%s): a wrong password not 401", users[i].name,
                     users[i].format);
    }
    /* The formats that were tested passed; say which could not be. */
    if (skipped_formats[0] != '\0')
        harness_skip("no tool here could make:%s (apt-get install "
                     "apache2-utils openssl)",
                     skipped_formats);
}

static void
test_challenge(void **state)
{
    struct resp r;
    char v[256];

    (void)state;
    assert_int_equal(get(PDB, NULL, NULL, NULL, &r), 401);
    assert_string_equal(
        resp_header(&r, "WWW-Authenticate", v),
        "Basic realm=\"Symbols \\\"test\\\"\", charset=\"UTF-8\"");
    assert_string_equal(resp_header(&r, "Cache-Control", v), "no-store");
    assert_int_equal(
        get(PDB, "nobody:x", NULL, "X-Forwarded-For: 127.0.1.2", &r), 401);
    assert_non_null(resp_header(&r, "WWW-Authenticate", v));
    assert_true(logged("127.0.1.2 - - [", "\" 401 "));
}

static void
test_bearer(void **state)
{
    (void)state;
    assert_int_equal(status(PDB, NULL, NULL, "Authorization: Bearer " TOKEN),
                     200);
    assert_true(logged("127.0.0.1 - ci-bot [", "\" 200 4000 "));
    assert_int_equal(status(PDB, NULL, NULL,
                            "Authorization: Bearer abcdefghijklmnopqrstuvwxyz"),
                     401);
}

/* A denied client: 403 and the connection closed, a pipelined second
 * request unanswered. */
static void
test_deny_closes(void **state)
{
    char out[8192];
    const char *req =
        "GET " PDB " HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.66\r\n"
        "\r\nGET " PDB " HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *second;

    (void)state;
    assert_int_equal(raw_exchange(&srv, req, out, sizeof(out)), 0);
    assert_int_equal(strncmp(out, "HTTP/1.1 403 Forbidden\r\n", 24), 0);
    assert_non_null(strstr(out, "\r\nConnection: close\r\n"));
    second = strstr(out + 1, "HTTP/1.1 ");
    assert_null(second);
    /* Matching no allow rule: the final deny = all. */
    assert_int_equal(status(PDB, good, NULL, "X-Forwarded-For: 192.0.2.1"),
                     403);
    assert_true(logged("203.0.113.66 - - [", "\" 403 "));
}

/* The allow list lets the office in (with credentials for a PDB). */
static void
test_allow(void **state)
{
    (void)state;
    assert_int_equal(status(PDB, good, NULL, "X-Forwarded-For: " OFFICE), 200);
    assert_int_equal(
        status(PDB, good, NULL, "X-Forwarded-For: [2001:db8::5]:4711"), 200);
    {
        char want[64];

        snprintf(want, sizeof(want), "2001:db8::5 - %s [", users[0].name);
        assert_true(logged(want, "\" 200 "));
    }
}

/* X-Forwarded-For counts only from a trusted proxy. */
static void
test_trusted_proxy(void **state)
{
    (void)state;
    /* From 127.0.0.1 (trusted): the client is the office. */
    assert_int_equal(status(DEBUGINFO, NULL, NULL, "X-Forwarded-For: " OFFICE),
                     200);
    /* The rightmost untrusted address, not a spoofed one to its left. */
    assert_int_equal(
        status(DEBUGINFO, NULL, NULL, "X-Forwarded-For: " OFFICE ", 127.0.0.9"),
        403);
    assert_int_equal(
        status(DEBUGINFO, NULL, NULL, "Forwarded: for=\"" OFFICE ":80\""), 200);
    /* From 127.0.0.2 (not trusted): the header is ignored. */
    assert_int_equal(
        status(DEBUGINFO, NULL, "127.0.0.2", "X-Forwarded-For: " OFFICE), 403);
    assert_true(logged("127.0.0.2 - - [", "\" 403 "));
}

/* debuginfod open on the office network; PDBs only with credentials. */
static void
test_per_path(void **state)
{
    (void)state;
    assert_int_equal(status(DEBUGINFO, NULL, NULL, "X-Forwarded-For: " OFFICE),
                     200);
    assert_int_equal(status("/BUILDID/" BUILD_ID "/debuginfo", NULL, NULL,
                            "X-Forwarded-For: 127.0.0.5"),
                     403);
    assert_int_equal(status(PDB, NULL, NULL, "X-Forwarded-For: " OFFICE), 401);
    assert_int_equal(
        status("/APP.PDB/0123456789ABCDEF0123456789ABCDEF1/app.pdb", NULL, NULL,
               "X-Forwarded-For: " OFFICE),
        401);
}

/* Four failures lock the client out: 429 with Retry-After, even with the
 * right password; other clients go on. */
static void
test_brute_force(void **state)
{
    const char *from = "X-Forwarded-For: 198.51.100.77";
    struct resp r;
    char v[64];

    (void)state;
    for (int i = 0; i < 3; i++)
        assert_int_equal(status(PDB, guess, NULL, from), 401);
    assert_int_equal(get(PDB, guess, NULL, from, &r), 429);
    assert_int_equal(get(PDB, good, NULL, from, &r), 429);
    resp_header(&r, "Retry-After", v);
    assert_true(atoi(v) >= 100 && atoi(v) <= 120);
    assert_int_equal(status(PDB, good, NULL, "X-Forwarded-For: 198.51.100.78"),
                     200);
    assert_true(logged("198.51.100.77 - - [", "\" 429 "));
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_format),
        cmocka_unit_test(test_challenge),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_deny_closes),
        cmocka_unit_test(test_allow),
        cmocka_unit_test(test_trusted_proxy),
        cmocka_unit_test(test_per_path),
        cmocka_unit_test(test_brute_force),
    };

    harness_init(argc, argv);
    return harness_run(tests, setup, teardown);
}
