/*
 * libFuzzer target for config_load() (include/daemon/config.h): the INI
 * file and the command line. The input is the INI text, then optionally a
 * line "%%" and the arguments, one per line. The INI text (when there is
 * any) is written to a temporary file and "-c <file>" goes first; in an
 * argument, a trailing "@" stands for that file's name. Inputs that would
 * load any other file are skipped (it could be a FIFO or /dev/zero).
 *
 * Invariants: err is one non-empty line inside its buffer on
 * CONFIG_ERROR; on CONFIG_OK every setting is inside its range, every
 * string has no control byte, every list holds at most CONFIG_MAX_ADDRS
 * non-empty values with no separator, listen addresses split (addr_split),
 * and the cross-setting rules hold; config_free() frees all (LeakSanitizer)
 * and zeroes cfg; the same input gives the same answer twice.
 */
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/addr.h"
#include "daemon/config.h"
#include "fuzz.h"
#include "http/range.h"

#define MAX_ARGS 32
#define ERR_LEN 160

static const char demo_root[] = "/demo/store";
static char ini_path[64];
static int ini_fd = -1;

static void
remove_ini(void)
{
    if (ini_path[0] != '\0')
        unlink(ini_path);
}

static void
write_ini(const uint8_t *p, size_t n)
{
    if (ini_fd == -1) {
        const char *dir = getenv("TMPDIR");

        snprintf(ini_path, sizeof(ini_path), "%s/fuzz_config.XXXXXX",
                 dir != NULL && strlen(dir) < 32 ? dir : "/tmp");
        ini_fd = mkstemp(ini_path);
        CHECK(ini_fd != -1);
        atexit(remove_ini);
    }
    CHECK(ftruncate(ini_fd, 0) == 0);
    CHECK(pwrite(ini_fd, p, n, 0) == (ssize_t)n);
}

/* Would argv make config_load() open a file other than ours? */
static bool
foreign_file(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;

        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0)
            v = i + 1 < argc ? argv[i + 1] : "";
        else if (strncmp(a, "--config=", 9) == 0)
            v = a + 9;
        else if (strncmp(a, "-c", 2) == 0)
            v = a + 2;
        if (v != NULL && *v != '\0' && strcmp(v, ini_path) != 0)
            return true;
    }
    return false;
}

static bool
str_ok(const char *s)
{
    if (s == NULL)
        return true;
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

static void
check_list(char *const *v, unsigned n, bool addrs)
{
    CHECK(n <= CONFIG_MAX_ADDRS);
    for (unsigned i = 0; i < n; i++) {
        CHECK(v[i] != NULL && v[i][0] != '\0');
        CHECK(strpbrk(v[i], " \t,") == NULL);
        if (addrs) {
            char host[ADDR_HOST_MAX + 1];
            uint16_t port;

            CHECK(strlen(v[i]) < ADDR_INPUT_LEN);
            CHECK(addr_split(v[i], host, &port) != -1);
        }
    }
    for (unsigned i = n; i < CONFIG_MAX_ADDRS; i++)
        CHECK(v[i] == NULL);
}

static void
check_ok(const struct config *c, bool has_r, bool has_file)
{
    CHECK(c->root != NULL);
    if (!has_r && !has_file)
        CHECK(strcmp(c->root, demo_root) == 0);
    CHECK(str_ok(c->root) && str_ok(c->cache_dir) && str_ok(c->tls_cert) &&
          str_ok(c->tls_key) && str_ok(c->access_log) && str_ok(c->addr_file) &&
          str_ok(c->cache_control));
    CHECK(c->access_log != NULL && c->cache_control != NULL);
    check_list(c->pointer_roots, c->npointer_roots, false);
    check_list(c->listen, c->nlisten, true);
    check_list(c->tls_listen, c->ntls_listen, true);
    check_list(c->metrics_listen, c->nmetrics_listen, true);
    CHECK(c->nlisten + c->ntls_listen > 0);
    CHECK(!c->expand_compressed || c->cache_dir != NULL);
    CHECK(c->ntls_listen == 0 || (c->tls_cert != NULL && c->tls_key != NULL));
    CHECK(c->workers <= 256);
    CHECK(c->max_connections >= 1 && c->max_connections <= 1000000);
    CHECK(c->max_connections_per_client <= 1000000);
    CHECK(c->max_expanded_mib >= 1 && c->max_expanded_mib <= 1048576);
    CHECK(c->cache_max_mib <= 16777216);
    CHECK(c->job_threads >= 1 && c->job_threads <= 64);
    CHECK(c->job_queue >= 1 && c->job_queue <= 65536);
    CHECK(c->job_timeout >= 1 && c->job_timeout <= 3600);
    CHECK(c->timeout >= 1 && c->timeout <= 3600);
    CHECK(c->shutdown_timeout <= 3600);
    CHECK(c->max_header_size >= 1024 && c->max_header_size <= 1048576);
    CHECK(c->max_ranges >= 1 && c->max_ranges <= RANGE_MAX);
    CHECK(c->miss_max_age <= 31536000);
}

static enum config_rc
load(int argc, char **argv, char *err, bool has_r, bool has_file)
{
    struct config cfg, zero;
    enum config_rc rc;

    memset(&cfg, 0, sizeof(cfg));
    memset(&zero, 0, sizeof(zero));
    memset(err, 'x', ERR_LEN);
    rc = config_load(&cfg, argc, argv, demo_root, err, ERR_LEN);
    CHECK(rc == CONFIG_OK || rc == CONFIG_EXIT || rc == CONFIG_ERROR);
    if (rc == CONFIG_ERROR) {
        size_t n = strnlen(err, ERR_LEN);

        CHECK(n > 0 && n < ERR_LEN && memchr(err, '\n', n) == NULL);
    }
    if (rc == CONFIG_OK)
        check_ok(&cfg, has_r, has_file);
    config_free(&cfg);
    CHECK(memcmp(&cfg, &zero, sizeof(cfg)) == 0);
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = NULL, *args;
    char *argv[MAX_ARGS + 4], *err, *err2;
    size_t ini_len, alen;
    int argc = 0;
    bool has_r = false, has_file;
    enum config_rc rc;

    if (size > 16384)
        return 0;
    for (size_t i = 0; i + 3 <= size; i++)
        if ((i == 0 || data[i - 1] == '\n') && memcmp(data + i, "%%", 2) == 0 &&
            data[i + 2] == '\n') {
            sep = data + i;
            break;
        }
    ini_len = sep != NULL ? (size_t)(sep - data) : size;
    args = sep != NULL ? sep + 3 : data + size;
    alen = (size_t)(data + size - args);
    if (ini_path[0] == '\0' || ini_len > 0)
        write_ini(data, ini_len);
    has_file = ini_len > 0;
    argv[argc++] = fuzz_strdup("symsrvd", 7);
    if (ini_len > 0) {
        argv[argc++] = fuzz_strdup("-c", 2);
        argv[argc++] = fuzz_strdup(ini_path, strlen(ini_path));
    }
    while (alen > 0 && argc < MAX_ARGS) {
        const uint8_t *nl = memchr(args, '\n', alen);
        size_t n = nl != NULL ? (size_t)(nl - args) : alen;
        size_t plen = strlen(ini_path);
        char *a;

        if (n > 0 && args[n - 1] == '@') {
            a = malloc(n - 1 + plen + 1);
            CHECK(a != NULL);
            memcpy(a, args, n - 1);
            memcpy(a + n - 1, ini_path, plen + 1);
        } else {
            a = fuzz_strdup(args, n);
        }
        if (strncmp(a, "-r", 2) == 0 || strncmp(a, "--root", 6) == 0)
            has_r = true; /* or a value that looks like it: not checked */
        if (strstr(a, ini_path) != NULL)
            has_file = true;
        argv[argc++] = a;
        args += n + (nl != NULL);
        alen -= n + (nl != NULL);
    }
    argv[argc] = NULL;
    if (!foreign_file(argc, argv)) {
        err = malloc(ERR_LEN);
        err2 = malloc(ERR_LEN);
        CHECK(err != NULL && err2 != NULL);
        rc = load(argc, argv, err, has_r, has_file);
        CHECK(load(argc, argv, err2, has_r, has_file) == rc);
        if (rc == CONFIG_ERROR)
            CHECK(strcmp(err, err2) == 0);
        free(err2);
        free(err);
    }
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    return 0;
}
