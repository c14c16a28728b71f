/* Unit tests for include/daemon/config.h: every directive, by flag and file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "daemon/config.h"

#define DEMO_ROOT "/demo/store"
#define MAX_ARGS 40
#define TEXT_MAX 2048

/* Stands for the temporary INI file's name in argv, want and err. */
#define FILE_MARK "@FILE"
#define TEMP_NAME "/tmp/symsrvd-unit-config-XXXXXX"

struct config_case {
    const char *name;
    const char *ini;            /* written to a temporary file, or NULL */
    const char *args[MAX_ARGS]; /* after argv[0]; NULL ends them */
    enum config_rc rc;
    /*
     * CONFIG_OK: describe() of the result, the settings that differ from
     * the defaults. CONFIG_ERROR: err, exactly. CONFIG_EXIT: unused.
     */
    const char *want;
};

/* A comment, blank lines, every key once; line numbers matter below. */
#define FULL_INI                                                               \
    "; symsrvd\n"                                                              \
    "\n"                                                                       \
    "[store]\n"                                                                \
    "root = /srv/file\n"                                                       \
    "[server]\n"                                                               \
    "listen = 127.0.0.1:1 127.0.0.1:2\n"                                       \
    "tls_listen = [::1]:3\n"                                                   \
    "tls_cert = /etc/c.pem\n"                                                  \
    "tls_key = /etc/k.pem\n"                                                   \
    "workers = 2\n"                                                            \
    "addr_file = /run/a\n"                                                     \
    "shutdown_timeout = 5\n"                                                   \
    "# log\n"                                                                  \
    "[log]\n"                                                                  \
    "access_log = off\n"                                                       \
    "[http]\n"                                                                 \
    "timeout = 10\n"                                                           \
    "max_header_size = 16384\n"                                                \
    "max_ranges = 8\n"                                                         \
    "cache_control = no-cache\n"                                               \
    "miss_max_age = 60\n"                                                      \
    "[store]\n"                                                                \
    "serve_admin = on\n"                                                       \
    "pointer_roots = /p1 /p2\n"                                                \
    "expand_compressed = yes\n"                                                \
    "cache_dir = /var/cache/s\n"

/* What FULL_INI sets beyond FULL_WANT's older keys. */
#define FULL_NEW                                                               \
    " serve_admin pointer_roots=/p1,/p2 expand_compressed "                    \
    "cache_dir=/var/cache/s max_ranges=8 cache_control=no-cache "              \
    "miss_max_age=60"

#define FULL_WANT                                                              \
    "file=" FILE_MARK " root=/srv/file listen=127.0.0.1:1,127.0.0.1:2 "        \
    "tls_listen=[::1]:3 tls_cert=/etc/c.pem tls_key=/etc/k.pem "               \
    "access_log=off addr_file=/run/a workers=2 timeout=10 "                    \
    "shutdown_timeout=5 max_header_size=16384" FULL_NEW

#define ROOT_INI "[store]\nroot = /srv/file\n"

#define DEFAULT_CACHE_CONTROL "public, max-age=31536000, immutable"

/* An INI file of store.root and one more key, [section] key = value. */
#define ONE_KEY(section, kv) ROOT_INI "[" section "]\n" kv "\n"

/* The err of a bad number, from the flag and from line 4 of ONE_KEY. */
#define NUM_FLAG(flag, v, range) flag ": '" v "' is not a number from " range
#define NUM_FILE(key, v, range)                                                \
    FILE_MARK ":4: " key ": '" v "' is not a number from " range
#define BOOL_FLAG(flag, v) flag ": '" v "' is not on or off"
#define BOOL_FILE(key, v) FILE_MARK ":4: " key ": '" v "' is not on or off"

#define TLS_NEEDS                                                              \
    "server.tls_listen: needs tls_cert and tls_key (--tls-cert, --tls-key)"

#define EXPAND_NEEDS "store.expand_compressed: needs store.cache_dir"

/* 16 roots, CONFIG_MAX_ADDRS. */
#define ROOTS16                                                                \
    "/r1,/r2,/r3,/r4,/r5,/r6,/r7,/r8,/r9,/r10,/r11,/r12,/r13,/r14,/r15,/r16"

#define BAD_ADDR(flag, a)                                                      \
    flag ": '" a "' is not PORT, *:PORT, HOST:PORT, IPv4:PORT or [IPv6]:PORT"

/* 17 addresses, one more than CONFIG_MAX_ADDRS. */
#define SEVENTEEN                                                              \
    "127.0.0.1:1,127.0.0.1:2,127.0.0.1:3,127.0.0.1:4,127.0.0.1:5,"             \
    "127.0.0.1:6,127.0.0.1:7,127.0.0.1:8,127.0.0.1:9,127.0.0.1:10,"            \
    "127.0.0.1:11,127.0.0.1:12,127.0.0.1:13,127.0.0.1:14,127.0.0.1:15,"        \
    "127.0.0.1:16,127.0.0.1:17"

static const struct config_case config_cases[] = {
    /* Defaults and single flags. */
    {"defaults", NULL, {NULL}, CONFIG_OK, ""},
    {"-r", NULL, {"-r", "/srv/symbols"}, CONFIG_OK, "root=/srv/symbols"},
    {"-r inline", NULL, {"-r/srv/s"}, CONFIG_OK, "root=/srv/s"},
    {"--root=", NULL, {"--root=/srv/s"}, CONFIG_OK, "root=/srv/s"},
    {"--root value", NULL, {"--root", "/srv/s"}, CONFIG_OK, "root=/srv/s"},
    {"-l", NULL, {"-l", "[::1]:8081"}, CONFIG_OK, "listen=[::1]:8081"},
    {"-l inline", NULL, {"-l127.0.0.1:9"}, CONFIG_OK, "listen=127.0.0.1:9"},
    {"--listen=",
     NULL,
     {"--listen=0.0.0.0:80"},
     CONFIG_OK,
     "listen=0.0.0.0:80"},
    {"repeated -l",
     NULL,
     {"-l", "127.0.0.1:1", "-l", "[::]:2"},
     CONFIG_OK,
     "listen=127.0.0.1:1,[::]:2"},
    {"-l with a list",
     NULL,
     {"-l", "127.0.0.1:1,127.0.0.1:2 \t[::1]:3,"},
     CONFIG_OK,
     "listen=127.0.0.1:1,127.0.0.1:2,[::1]:3"},
    {"-w", NULL, {"-w", "4"}, CONFIG_OK, "workers=4"},
    {"-w4", NULL, {"-w4"}, CONFIG_OK, "workers=4"},
    {"--workers=4", NULL, {"--workers=4"}, CONFIG_OK, "workers=4"},
    {"--workers value", NULL, {"--workers", "4"}, CONFIG_OK, "workers=4"},
    {"-w 256, the most", NULL, {"-w", "256"}, CONFIG_OK, "workers=256"},
    {"-w 0 after -w 4", NULL, {"-w", "4", "-w", "0"}, CONFIG_OK, ""},
    {"-a",
     NULL,
     {"-a", "/var/log/symsrvd.log"},
     CONFIG_OK,
     "access_log=/var/log/symsrvd.log"},
    {"-a -", NULL, {"-a", "-"}, CONFIG_OK, ""},
    {"--access-log=X", NULL, {"--access-log=off"}, CONFIG_OK, "access_log=off"},
    {"--addr-file",
     NULL,
     {"--addr-file", "/run/symsrvd.addr"},
     CONFIG_OK,
     "addr_file=/run/symsrvd.addr"},
    {"number limits",
     NULL,
     {"--timeout=1", "--shutdown-timeout=0", "--max-header-size=1048576"},
     CONFIG_OK,
     "timeout=1 shutdown_timeout=0 max_header_size=1048576"},
    {"other number limits",
     NULL,
     {"--timeout=3600", "--shutdown-timeout=3600", "--max-header-size=1024"},
     CONFIG_OK,
     "timeout=3600 shutdown_timeout=3600 max_header_size=1024"},
    {"--check-config", NULL, {"--check-config"}, CONFIG_OK, "check_only"},
    {"TLS only: no default listen",
     NULL,
     {"--tls-listen", "[::1]:8443", "--tls-cert", "/c.pem", "--tls-key",
      "/k.pem"},
     CONFIG_OK,
     "listen= tls_listen=[::1]:8443 tls_cert=/c.pem tls_key=/k.pem"},
    {"metrics listener: the default listen stays",
     NULL,
     {"--metrics-listen", "127.0.0.1:9180"},
     CONFIG_OK,
     "metrics_listen=127.0.0.1:9180"},
    {"metrics listener twice, attached value",
     NULL,
     {"--metrics-listen=127.0.0.1:9180", "--metrics-listen", "[::1]:9180"},
     CONFIG_OK,
     "metrics_listen=127.0.0.1:9180,[::1]:9180"},
    {"metrics listener from the file, the flag wins",
     ONE_KEY("server", "metrics_listen = 127.0.0.1:1 127.0.0.1:2"),
     {"-c", FILE_MARK, "--metrics-listen", "127.0.0.1:3"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file metrics_listen=127.0.0.1:3"},
    {"metrics listener without a port",
     NULL,
     {"--metrics-listen", "127.0.0.1"},
     CONFIG_ERROR,
     BAD_ADDR("--metrics-listen", "127.0.0.1")},
    {"TLS and plain",
     NULL,
     {"--tls-listen=[::1]:8443", "--tls-cert=/c.pem", "--tls-key=/k.pem", "-l",
      "127.0.0.1:80"},
     CONFIG_OK,
     "listen=127.0.0.1:80 tls_listen=[::1]:8443 tls_cert=/c.pem "
     "tls_key=/k.pem"},
    {"every flag",
     NULL,
     {"-r",
      "/s",
      "-l",
      "127.0.0.1:1",
      "--tls-listen",
      "127.0.0.1:2",
      "--tls-cert",
      "/c",
      "--tls-key",
      "/k",
      "-w",
      "8",
      "--addr-file",
      "/a",
      "--shutdown-timeout",
      "9",
      "-a",
      "/l",
      "--timeout",
      "7",
      "--max-header-size",
      "4096",
      "--check-config"},
     CONFIG_OK,
     "root=/s listen=127.0.0.1:1 tls_listen=127.0.0.1:2 tls_cert=/c "
     "tls_key=/k access_log=/l addr_file=/a workers=8 timeout=7 "
     "shutdown_timeout=9 max_header_size=4096 check_only"},

    /* The file, and flags over it. */
    {"file: store.root only",
     ROOT_INI,
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: every key", FULL_INI, {"-c", FILE_MARK}, CONFIG_OK, FULL_WANT},
    {"file: --config=",
     ROOT_INI,
     {"--config=" FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: --config value",
     ROOT_INI,
     {"--config", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: -cFILE",
     ROOT_INI,
     {"-c" FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: -l replaces the list",
     FULL_INI,
     {"-c", FILE_MARK, "-l", "127.0.0.1:9"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file listen=127.0.0.1:9 "
     "tls_listen=[::1]:3 tls_cert=/etc/c.pem tls_key=/etc/k.pem "
     "access_log=off addr_file=/run/a workers=2 timeout=10 "
     "shutdown_timeout=5 max_header_size=16384" FULL_NEW},
    {"file: repeated -l replaces the list once",
     FULL_INI,
     {"-c", FILE_MARK, "-l", "127.0.0.1:8", "-l", "127.0.0.1:9"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file listen=127.0.0.1:8,127.0.0.1:9 "
     "tls_listen=[::1]:3 tls_cert=/etc/c.pem tls_key=/etc/k.pem "
     "access_log=off addr_file=/run/a workers=2 timeout=10 "
     "shutdown_timeout=5 max_header_size=16384" FULL_NEW},
    {"file: --tls-listen replaces only its list",
     FULL_INI,
     {"-c", FILE_MARK, "--tls-listen", "[::1]:4"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file listen=127.0.0.1:1,127.0.0.1:2 "
     "tls_listen=[::1]:4 tls_cert=/etc/c.pem tls_key=/etc/k.pem "
     "access_log=off addr_file=/run/a workers=2 timeout=10 "
     "shutdown_timeout=5 max_header_size=16384" FULL_NEW},
    {"file: flags win",
     FULL_INI,
     {"-c",
      FILE_MARK,
      "-r",
      "/flag",
      "-w",
      "8",
      "-a",
      "-",
      "--timeout=60",
      "--tls-cert=/c2",
      "--addr-file=/run/b",
      "--shutdown-timeout=30",
      "--max-header-size=8192",
      "--max-ranges=16",
      "--cache-control=" DEFAULT_CACHE_CONTROL,
      "--miss-max-age",
      "300",
      "--serve-admin=off",
      "--expand-compressed",
      "off",
      "--cache-dir=/c3",
      "--pointer-roots",
      "/q"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/flag listen=127.0.0.1:1,127.0.0.1:2 "
     "tls_listen=[::1]:3 tls_cert=/c2 tls_key=/etc/k.pem addr_file=/run/b "
     "workers=8 pointer_roots=/q cache_dir=/c3"},
    {"file: flags before -c still win",
     FULL_INI,
     {"-w", "8", "-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file listen=127.0.0.1:1,127.0.0.1:2 "
     "tls_listen=[::1]:3 tls_cert=/etc/c.pem tls_key=/etc/k.pem "
     "access_log=off addr_file=/run/a workers=8 timeout=10 "
     "shutdown_timeout=5 max_header_size=16384" FULL_NEW},
    {"file: -r supplies store.root",
     "[server]\nworkers = 3\n",
     {"-c", FILE_MARK, "-r", "/flag"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/flag workers=3"},
    {"file: listen twice appends",
     "[store]\nroot=/r\n[server]\nlisten=127.0.0.1:1\nlisten=127.0.0.1:2\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r listen=127.0.0.1:1,127.0.0.1:2"},
    {"file: continuation line appends",
     "[store]\nroot=/r\n[server]\nlisten = 127.0.0.1:1\n  [::1]:2\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r listen=127.0.0.1:1,[::1]:2"},
    {"file: names are case-blind",
     "[Store]\nROOT = /r\n[SERVER]\nWorkers=3\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r workers=3"},
    {"file: inline comment",
     "[store]\nroot = /r ; the store\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r"},
    {"file: # inline comment after a blank",
     "[store] # the store\nroot = /r\t# tab before\n[server]\n"
     "workers = 3 # three\n  # indented whole-line comment\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r workers=3"},
    {"file: # inside a value stays",
     "[store]\nroot = /r#1\n[http]\ncache_control = no-cache#x ; y\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r#1 cache_control=no-cache#x"},
    {"file: # comment cuts a list",
     "[store]\nroot = /r\n[server]\nlisten = 127.0.0.1:1 # [::1]:2\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r listen=127.0.0.1:1"},
    {"file: # comment on a continuation line",
     "[store]\nroot = /r\n[server]\nlisten = 127.0.0.1:1\n  [::1]:2 # x\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r listen=127.0.0.1:1,[::1]:2"},
    {"file: a value of only a # comment is empty",
     "[store]\nroot = # none\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":2: store.root: empty value"},
    {"file: CRLF",
     "[store]\r\nroot = /r\r\n[server]\r\nworkers = 5\r\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r workers=5"},
    {"file: no newline at the end",
     "[store]\nroot = /r",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/r"},

    /* --help and --version. */
    {"--help", NULL, {"--help"}, CONFIG_EXIT, NULL},
    {"-h", NULL, {"-w", "3", "-h"}, CONFIG_EXIT, NULL},
    {"--version", NULL, {"--version"}, CONFIG_EXIT, NULL},
    {"-V", NULL, {"-V"}, CONFIG_EXIT, NULL},

    /* Flag errors. */
    {"unknown flag",
     NULL,
     {"--bogus"},
     CONFIG_ERROR,
     "--bogus: unknown flag (see --help)"},
    {"unknown short flag",
     NULL,
     {"-x"},
     CONFIG_ERROR,
     "-x: unknown flag (see --help)"},
    {"operand",
     NULL,
     {"serve"},
     CONFIG_ERROR,
     "serve: unknown flag (see --help)"},
    {"long flag prefix",
     NULL,
     {"--work=4"},
     CONFIG_ERROR,
     "--work=4: unknown flag (see --help)"},
    {"-r without value", NULL, {"-r"}, CONFIG_ERROR, "-r: needs a value"},
    {"-l without value", NULL, {"-l"}, CONFIG_ERROR, "-l: needs a value"},
    {"--tls-cert without value",
     NULL,
     {"-w", "2", "--tls-cert"},
     CONFIG_ERROR,
     "--tls-cert: needs a value"},
    {"-w x",
     NULL,
     {"-w", "x"},
     CONFIG_ERROR,
     "--workers: 'x' is not a number from 0 to 256"},
    {"-w 257",
     NULL,
     {"-w", "257"},
     CONFIG_ERROR,
     "--workers: '257' is not a number from 0 to 256"},
    {"-w -1",
     NULL,
     {"-w", "-1"},
     CONFIG_ERROR,
     "--workers: '-1' is not a number from 0 to 256"},
    {"-w +1",
     NULL,
     {"-w+1"},
     CONFIG_ERROR,
     "--workers: '+1' is not a number from 0 to 256"},
    {"-w 4x",
     NULL,
     {"-w", "4x"},
     CONFIG_ERROR,
     "--workers: '4x' is not a number from 0 to 256"},
    {"--workers= empty",
     NULL,
     {"--workers="},
     CONFIG_ERROR,
     "--workers: '' is not a number from 0 to 256"},
    {"-w overflows",
     NULL,
     {"-w", "99999999999999999999999"},
     CONFIG_ERROR,
     "--workers: '99999999999999999999999' is not a number from 0 to 256"},
    {"-w 2^32 + 4",
     NULL,
     {"-w", "4294967300"},
     CONFIG_ERROR,
     "--workers: '4294967300' is not a number from 0 to 256"},
    {"--timeout=0",
     NULL,
     {"--timeout=0"},
     CONFIG_ERROR,
     "--timeout: '0' is not a number from 1 to 3600"},
    {"--shutdown-timeout=3601",
     NULL,
     {"--shutdown-timeout=3601"},
     CONFIG_ERROR,
     "--shutdown-timeout: '3601' is not a number from 0 to 3600"},
    {"--max-header-size=1023",
     NULL,
     {"--max-header-size=1023"},
     CONFIG_ERROR,
     "--max-header-size: '1023' is not a number from 1024 to 1048576"},
    {"-l host name: looked up at start, not here",
     NULL,
     {"-l", "localhost:80"},
     CONFIG_OK,
     "listen=localhost:80"},
    {"-l the forms users write",
     NULL,
     {"-l", "8080", "-l", ":8081", "-l", "*:8082", "-l", "sym-1.example.:80"},
     CONFIG_OK,
     "listen=8080,:8081,*:8082,sym-1.example.:80"},
    {"-l host name with a bad label",
     NULL,
     {"-l", "-bad.example:80"},
     CONFIG_ERROR,
     BAD_ADDR("--listen", "-bad.example:80")},
    {"-l loose IPv4",
     NULL,
     {"-l", "127.1:80"},
     CONFIG_ERROR,
     BAD_ADDR("--listen", "127.1:80")},
    {"-l name without port",
     NULL,
     {"-l", "localhost"},
     CONFIG_ERROR,
     BAD_ADDR("--listen", "localhost")},
    {"-l bad in a list",
     NULL,
     {"-l", "127.0.0.1:1,bad"},
     CONFIG_ERROR,
     BAD_ADDR("--listen", "bad")},
    {"--tls-listen without port",
     NULL,
     {"--tls-listen", "[::1]"},
     CONFIG_ERROR,
     BAD_ADDR("--tls-listen", "[::1]")},
    {"too many addresses",
     NULL,
     {"-l", SEVENTEEN},
     CONFIG_ERROR,
     "--listen: too long or too many values"},
    {"address not IPv6",
     NULL,
     {"-l", "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:1"},
     CONFIG_ERROR,
     BAD_ADDR("--listen",
              "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:1")},
    {"TLS without cert and key",
     NULL,
     {"--tls-listen", "[::1]:8443"},
     CONFIG_ERROR,
     TLS_NEEDS},
    {"TLS without key",
     NULL,
     {"--tls-listen", "[::1]:8443", "--tls-cert", "/c.pem"},
     CONFIG_ERROR,
     TLS_NEEDS},
    {"TLS without cert",
     NULL,
     {"--tls-listen", "[::1]:8443", "--tls-key", "/k.pem", "-l",
      "127.0.0.1:80"},
     CONFIG_ERROR,
     TLS_NEEDS},

    /* File errors. */
    {"-c without value", NULL, {"-c"}, CONFIG_ERROR, "-c: needs a file"},
    {"-c twice",
     ROOT_INI,
     {"-c", FILE_MARK, "-c", FILE_MARK},
     CONFIG_ERROR,
     "-c: only one config file"},
    {"a flag value that looks like -c",
     NULL,
     {"-a", "-cfoo"},
     CONFIG_OK,
     "access_log=-cfoo"},
    {"--root= empty", NULL, {"--root="}, CONFIG_ERROR, "--root: empty value"},
    {"--config= empty",
     NULL,
     {"--config="},
     CONFIG_ERROR,
     "--config=: needs a file"},
    {"missing file",
     NULL,
     {"-c", "/nonexistent/symsrvd.conf"},
     CONFIG_ERROR,
     "/nonexistent/symsrvd.conf: No such file or directory"},
    {"a directory",
     NULL,
     {"-c", "/", "-r", "/r"},
     CONFIG_ERROR,
     "/: cannot be read"},
    {"unknown key on line 3",
     "[server]\nlisten = 127.0.0.1:1\nbogus = 1\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":3: server.bogus: unknown key"},
    {"unknown section",
     "[store]\nroot = /r\n\n[nosuch]\nkey = 1\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":5: nosuch.key: unknown key"},
    {"key before any section",
     "root = /r\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":1: .root: unknown key"},
    {"flag name as key",
     "[server]\ntls-cert = /c\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":2: server.tls-cert: unknown key"},
    {"syntax error on line 3",
     "[store]\nroot = /r\nno equals sign here\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":3: syntax error"},
    {"unclosed section",
     "[store]\nroot = /r\n[server\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":3: syntax error"},
    {"bad number in file",
     "[store]\nroot = /r\n[server]\nworkers = many\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: server.workers: 'many' is not a number from 0 to 256"},
    {"bad address in file",
     "[store]\nroot = /r\n[server]\nlisten = nowhere:http\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: " BAD_ADDR("server.listen", "nowhere:http")},
    {"first of two key errors",
     "[server]\nbogus = 1\nworkers = x\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":2: server.bogus: unknown key"},
    {"syntax error before key error",
     "[server]\nnonsense\nbogus = 1\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":2: syntax error"},
    {"key error before syntax error",
     "[server]\nbogus = 1\nnonsense\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":2: server.bogus: unknown key"},
    {"file without store.root",
     "[server]\nworkers = 2\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ": store.root: required"},
    {"empty file",
     "",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ": store.root: required"},
    {"file TLS without cert",
     "[store]\nroot = /r\n[server]\ntls_listen = [::1]:1\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     TLS_NEEDS},
    {"file fine, flag bad",
     ROOT_INI,
     {"-c", FILE_MARK, "-w", "x"},
     CONFIG_ERROR,
     "--workers: 'x' is not a number from 0 to 256"},

    /* Empty values of the string settings, and file errors of each key. */
    {"--tls-key= empty",
     NULL,
     {"--tls-key="},
     CONFIG_ERROR,
     "--tls-key: empty value"},
    {"--access-log= empty",
     NULL,
     {"--access-log="},
     CONFIG_ERROR,
     "--access-log: empty value"},
    {"-a without value", NULL, {"-a"}, CONFIG_ERROR, "-a: needs a value"},
    {"--addr-file= empty",
     NULL,
     {"--addr-file="},
     CONFIG_ERROR,
     "--addr-file: empty value"},
    {"file: root empty",
     "[store]\nroot =\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":2: store.root: empty value"},
    {"file: tls_listen without port",
     ONE_KEY("server", "tls_listen = [::1]"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: " BAD_ADDR("server.tls_listen", "[::1]")},
    {"file: metrics_listen without port",
     ONE_KEY("server", "metrics_listen = 127.0.0.1"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: " BAD_ADDR("server.metrics_listen", "127.0.0.1")},
    {"file: tls_cert empty",
     ONE_KEY("server", "tls_cert ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: server.tls_cert: empty value"},
    {"file: tls_key empty",
     ONE_KEY("server", "tls_key ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: server.tls_key: empty value"},
    {"file: addr_file empty",
     ONE_KEY("server", "addr_file ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: server.addr_file: empty value"},
    {"file: shutdown_timeout 3601",
     ONE_KEY("server", "shutdown_timeout = 3601"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("server.shutdown_timeout", "3601", "0 to 3600")},
    {"file: access_log empty",
     ONE_KEY("log", "access_log ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: log.access_log: empty value"},
    {"file: timeout 0",
     ONE_KEY("http", "timeout = 0"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.timeout", "0", "1 to 3600")},
    {"file: max_header_size 1048577",
     ONE_KEY("http", "max_header_size = 1048577"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.max_header_size", "1048577", "1024 to 1048576")},

    /* store.serve_admin, --serve-admin: on/yes/true/1, off/no/false/0. */
    {"--serve-admin on",
     NULL,
     {"--serve-admin", "on"},
     CONFIG_OK,
     "serve_admin"},
    {"--serve-admin=YES",
     NULL,
     {"--serve-admin=YES"},
     CONFIG_OK,
     "serve_admin"},
    {"--serve-admin=true",
     NULL,
     {"--serve-admin=true"},
     CONFIG_OK,
     "serve_admin"},
    {"--serve-admin=1", NULL, {"--serve-admin=1"}, CONFIG_OK, "serve_admin"},
    {"--serve-admin=off after on",
     NULL,
     {"--serve-admin=on", "--serve-admin=off"},
     CONFIG_OK,
     ""},
    {"--serve-admin=No after on",
     NULL,
     {"--serve-admin=on", "--serve-admin=No"},
     CONFIG_OK,
     ""},
    {"--serve-admin=FALSE after on",
     NULL,
     {"--serve-admin=on", "--serve-admin=FALSE"},
     CONFIG_OK,
     ""},
    {"--serve-admin=0 after on",
     NULL,
     {"--serve-admin=on", "--serve-admin=0"},
     CONFIG_OK,
     ""},
    {"--serve-admin=maybe",
     NULL,
     {"--serve-admin=maybe"},
     CONFIG_ERROR,
     BOOL_FLAG("--serve-admin", "maybe")},
    {"--serve-admin= empty",
     NULL,
     {"--serve-admin="},
     CONFIG_ERROR,
     BOOL_FLAG("--serve-admin", "")},
    {"--serve-admin=2",
     NULL,
     {"--serve-admin=2"},
     CONFIG_ERROR,
     BOOL_FLAG("--serve-admin", "2")},
    {"--serve-admin=onn",
     NULL,
     {"--serve-admin=onn"},
     CONFIG_ERROR,
     BOOL_FLAG("--serve-admin", "onn")},
    {"--serve-admin -1",
     NULL,
     {"--serve-admin", "-1"},
     CONFIG_ERROR,
     BOOL_FLAG("--serve-admin", "-1")},
    {"--serve-admin without value",
     NULL,
     {"--serve-admin"},
     CONFIG_ERROR,
     "--serve-admin: needs a value"},
    {"file: serve_admin on",
     ONE_KEY("store", "serve_admin = on"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file serve_admin"},
    {"file: serve_admin Off",
     ONE_KEY("store", "serve_admin = Off"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: --serve-admin=off wins",
     ONE_KEY("store", "serve_admin = on"),
     {"-c", FILE_MARK, "--serve-admin=off"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: serve_admin enabled",
     ONE_KEY("store", "serve_admin = enabled"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     BOOL_FILE("store.serve_admin", "enabled")},
    {"file: serve_admin empty",
     ONE_KEY("store", "serve_admin ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     BOOL_FILE("store.serve_admin", "")},

    /* store.pointer_roots, --pointer-roots: a list of up to 16. */
    {"--pointer-roots",
     NULL,
     {"--pointer-roots", "/a"},
     CONFIG_OK,
     "pointer_roots=/a"},
    {"--pointer-roots= a list",
     NULL,
     {"--pointer-roots=/a,/b \t/c,"},
     CONFIG_OK,
     "pointer_roots=/a,/b,/c"},
    {"repeated --pointer-roots",
     NULL,
     {"--pointer-roots=/a", "--pointer-roots", "/b"},
     CONFIG_OK,
     "pointer_roots=/a,/b"},
    {"16 pointer roots",
     NULL,
     {"--pointer-roots=" ROOTS16},
     CONFIG_OK,
     "pointer_roots=" ROOTS16},
    {"17 pointer roots",
     NULL,
     {"--pointer-roots=" ROOTS16 ",/r17"},
     CONFIG_ERROR,
     "--pointer-roots: too long or too many values"},
    {"16 and 1 more pointer roots",
     NULL,
     {"--pointer-roots=" ROOTS16, "--pointer-roots=/r17"},
     CONFIG_ERROR,
     "--pointer-roots: too long or too many values"},
    {"--pointer-roots= empty: none", NULL, {"--pointer-roots="}, CONFIG_OK, ""},
    {"--pointer-roots of separators: none",
     NULL,
     {"--pointer-roots= ,\t,"},
     CONFIG_OK,
     ""},
    {"--pointer-roots without value",
     NULL,
     {"--pointer-roots"},
     CONFIG_ERROR,
     "--pointer-roots: needs a value"},
    {"file: pointer_roots",
     ONE_KEY("store", "pointer_roots = /a /b"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file pointer_roots=/a,/b"},
    {"file: pointer_roots twice appends",
     ONE_KEY("store", "pointer_roots = /a\npointer_roots = /b"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file pointer_roots=/a,/b"},
    {"file: --pointer-roots replaces the list",
     ONE_KEY("store", "pointer_roots = /a /b"),
     {"-c", FILE_MARK, "--pointer-roots=/c"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file pointer_roots=/c"},
    {"file: --pointer-roots= empties the list",
     ONE_KEY("store", "pointer_roots = /a /b"),
     {"-c", FILE_MARK, "--pointer-roots="},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: 17 pointer roots",
     ONE_KEY("store", "pointer_roots = " ROOTS16 " /r17"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: store.pointer_roots: too long or too many values"},

    /* store.expand_compressed and store.cache_dir, which it needs. */
    {"--expand-compressed with --cache-dir",
     NULL,
     {"--expand-compressed=on", "--cache-dir", "/var/cache/x"},
     CONFIG_OK,
     "expand_compressed cache_dir=/var/cache/x"},
    {"--expand-compressed without a cache dir",
     NULL,
     {"--expand-compressed", "yes"},
     CONFIG_ERROR,
     EXPAND_NEEDS},
    {"--expand-compressed=off needs no cache dir",
     NULL,
     {"--expand-compressed=off"},
     CONFIG_OK,
     ""},
    {"--cache-dir alone", NULL, {"--cache-dir=/c"}, CONFIG_OK, "cache_dir=/c"},
    {"--expand-compressed=sometimes",
     NULL,
     {"--expand-compressed=sometimes"},
     CONFIG_ERROR,
     BOOL_FLAG("--expand-compressed", "sometimes")},
    {"--expand-compressed= empty",
     NULL,
     {"--expand-compressed="},
     CONFIG_ERROR,
     BOOL_FLAG("--expand-compressed", "")},
    {"--expand-compressed without value",
     NULL,
     {"--expand-compressed"},
     CONFIG_ERROR,
     "--expand-compressed: needs a value"},
    {"--cache-dir= empty",
     NULL,
     {"--cache-dir="},
     CONFIG_ERROR,
     "--cache-dir: empty value"},
    {"--cache-dir without value",
     NULL,
     {"--cache-dir"},
     CONFIG_ERROR,
     "--cache-dir: needs a value"},
    {"file: expand_compressed and cache_dir",
     ONE_KEY("store", "expand_compressed = true\ncache_dir = /c"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file expand_compressed cache_dir=/c"},
    {"file: expand_compressed without cache_dir",
     ONE_KEY("store", "expand_compressed = on"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     EXPAND_NEEDS},
    {"file: --cache-dir supplies the cache dir",
     ONE_KEY("store", "expand_compressed = on"),
     {"-c", FILE_MARK, "--cache-dir=/c"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file expand_compressed cache_dir=/c"},
    {"file: --expand-compressed=off wins",
     ONE_KEY("store", "expand_compressed = on"),
     {"-c", FILE_MARK, "--expand-compressed=off"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file"},
    {"file: expand_compressed 2",
     ONE_KEY("store", "expand_compressed = 2"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     BOOL_FILE("store.expand_compressed", "2")},
    {"file: cache_dir empty",
     ONE_KEY("store", "cache_dir ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: store.cache_dir: empty value"},

    /* server.max_connections, --max-connections: 1 to 1000000. */
    {"--max-connections=1",
     NULL,
     {"--max-connections=1"},
     CONFIG_OK,
     "max_connections=1"},
    {"--max-connections 1000000",
     NULL,
     {"--max-connections", "1000000"},
     CONFIG_OK,
     "max_connections=1000000"},
    {"--max-connections=0",
     NULL,
     {"--max-connections=0"},
     CONFIG_ERROR,
     NUM_FLAG("--max-connections", "0", "1 to 1000000")},
    {"--max-connections=1000001",
     NULL,
     {"--max-connections=1000001"},
     CONFIG_ERROR,
     NUM_FLAG("--max-connections", "1000001", "1 to 1000000")},
    {"--max-connections 2^32 + 1",
     NULL,
     {"--max-connections=4294967297"},
     CONFIG_ERROR,
     NUM_FLAG("--max-connections", "4294967297", "1 to 1000000")},
    {"--max-connections=-5",
     NULL,
     {"--max-connections=-5"},
     CONFIG_ERROR,
     NUM_FLAG("--max-connections", "-5", "1 to 1000000")},
    {"--max-connections= empty",
     NULL,
     {"--max-connections="},
     CONFIG_ERROR,
     NUM_FLAG("--max-connections", "", "1 to 1000000")},
    {"file: max_connections 500",
     ONE_KEY("server", "max_connections = 500"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file max_connections=500"},
    {"file: max_connections 10k",
     ONE_KEY("server", "max_connections = 10k"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("server.max_connections", "10k", "1 to 1000000")},

    /* server.max_connections_per_client: 0 (no cap) to 1000000. */
    {"--max-connections-per-client=0",
     NULL,
     {"--max-connections-per-client=0"},
     CONFIG_OK,
     "max_connections_per_client=0"},
    {"--max-connections-per-client 8",
     NULL,
     {"--max-connections-per-client", "8"},
     CONFIG_OK,
     "max_connections_per_client=8"},
    {"--max-connections-per-client=1000001",
     NULL,
     {"--max-connections-per-client=1000001"},
     CONFIG_ERROR,
     NUM_FLAG("--max-connections-per-client", "1000001", "0 to 1000000")},
    {"--max-connections-per-client=-1",
     NULL,
     {"--max-connections-per-client=-1"},
     CONFIG_ERROR,
     NUM_FLAG("--max-connections-per-client", "-1", "0 to 1000000")},
    {"file: max_connections_per_client 64",
     ONE_KEY("server", "max_connections_per_client = 64"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file max_connections_per_client=64"},
    {"file: max_connections_per_client x",
     ONE_KEY("server", "max_connections_per_client = x"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("server.max_connections_per_client", "x", "0 to 1000000")},

    /* store.max_expanded_mib: 1 to 1048576 (1 TiB). */
    {"--max-expanded-mib=1",
     NULL,
     {"--max-expanded-mib=1"},
     CONFIG_OK,
     "max_expanded_mib=1"},
    {"--max-expanded-mib 1048576",
     NULL,
     {"--max-expanded-mib", "1048576"},
     CONFIG_OK,
     "max_expanded_mib=1048576"},
    {"--max-expanded-mib=0",
     NULL,
     {"--max-expanded-mib=0"},
     CONFIG_ERROR,
     NUM_FLAG("--max-expanded-mib", "0", "1 to 1048576")},
    {"--max-expanded-mib=2G",
     NULL,
     {"--max-expanded-mib=2G"},
     CONFIG_ERROR,
     NUM_FLAG("--max-expanded-mib", "2G", "1 to 1048576")},
    {"file: max_expanded_mib 512",
     ONE_KEY("store", "max_expanded_mib = 512"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file max_expanded_mib=512"},
    {"file: max_expanded_mib 1048577",
     ONE_KEY("store", "max_expanded_mib = 1048577"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("store.max_expanded_mib", "1048577", "1 to 1048576")},

    /* store.cache_max_mib: 0 to 16777216. */
    {"--cache-max-mib=0",
     NULL,
     {"--cache-max-mib=0"},
     CONFIG_OK,
     "cache_max_mib=0"},
    {"--cache-max-mib=16777217",
     NULL,
     {"--cache-max-mib=16777217"},
     CONFIG_ERROR,
     NUM_FLAG("--cache-max-mib", "16777217", "0 to 16777216")},
    {"file: cache_max_mib 512",
     ONE_KEY("store", "cache_max_mib = 512"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file cache_max_mib=512"},
    {"file: cache_max_mib x",
     ONE_KEY("store", "cache_max_mib = x"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("store.cache_max_mib", "x", "0 to 16777216")},

    /* store.upstream (--upstream): URLs in order, sections by url. */
    {"--upstream twice, in order",
     NULL,
     {"--cache-dir=/c", "--upstream=http://a/", "--upstream", "https://b/s"},
     CONFIG_OK,
     "cache_dir=/c upstreams=http://a[http://a],https://b/s[https://b/s]"},
    {"--upstream without cache_dir",
     NULL,
     {"--upstream=http://a"},
     CONFIG_ERROR,
     "store.upstream: needs store.cache_dir (--cache-dir), where fetched "
     "files are kept"},
    {"--upstream ftp",
     NULL,
     {"--cache-dir=/c", "--upstream=ftp://a"},
     CONFIG_ERROR,
     "store.upstream: 'ftp://a' is not an http:// or https:// URL"},
    {"17 upstreams",
     NULL,
     {"--cache-dir=/c", "--upstream=" ROOTS16 ",/r17"},
     CONFIG_ERROR,
     "--upstream: too long or too many values"},
    {"file: upstream",
     ROOT_INI "cache_dir = /c\nupstream = http://a http://b\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file cache_dir=/c "
     "upstreams=http://a[http://a],http://b[http://b]"},
    {"file: upstream 17",
     ROOT_INI "cache_dir = /c\nupstream = " ROOTS16 ",/r17\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: store.upstream: too long or too many values"},
    {"file: upstream sections in file order",
     ROOT_INI "cache_dir = /c\n[upstream \"ms\"]\nurl = https://m/d/\n"
              "paths = *.pdb *.pd_\ntimeout = 60\n"
              "[upstream \"moz\"]\nurl = http://z\nuser = u\n"
              "password = p\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file cache_dir=/c "
     "upstreams=ms[https://m/d],moz[http://z]"},
    {"--upstream picks and orders sections by url",
     ROOT_INI "cache_dir = /c\n[upstream \"ms\"]\nurl = https://m/d\n"
              "[upstream \"moz\"]\nurl = http://z\n",
     {"-c", FILE_MARK, "--upstream=http://z/", "--upstream=http://new"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file cache_dir=/c "
     "upstreams=moz[http://z],http://new[http://new]"},
    {"file: upstream section without url",
     ROOT_INI "cache_dir = /c\n[upstream \"ms\"]\npaths = *.pdb\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     "upstream \"ms\".url: required"},
    {"file: upstream section unquoted",
     ROOT_INI "[upstream ms]\nurl = http://a\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: upstream ms.url: unknown section (an upstream section is "
               "[upstream \"NAME\"], NAME of letters, digits, - _ .)"},
    {"file: upstream section unknown key",
     ROOT_INI "[upstream \"a\"]\nurl = http://a\nretries = 3\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":5: upstream \"a\".retries: unknown key (url, user, "
               "password, token, proxy, paths, connect_timeout, timeout, "
               "low_speed_time)"},
    {"file: upstream bad pattern",
     ROOT_INI "[upstream \"a\"]\npaths = a/b\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: upstream \"a\".paths: 'a/b' is not a file name pattern"},
    {"file: upstream bad timeout",
     ROOT_INI "[upstream \"a\"]\ntimeout = 0\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: upstream \"a\".timeout: '0' is not a number from 1 to "
               "86400"},
    {"file: upstream token with a line break is impossible, control byte "
     "refused",
     ROOT_INI "[upstream \"a\"]\ntoken = a\tb\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: upstream \"a\".token: control byte in the value"},

    /* A bucket store: store.root s3://BUCKET/PREFIX and [s3]. */
    {"-r s3:// with --cache-dir",
     NULL,
     {"-r", "s3://my-bkt/sym/store", "--cache-dir", "/c"},
     CONFIG_OK,
     "root=/c/bucket-root cache_dir=/c bucket=s3://my-bkt/sym/store"},
    {"-r s3:// without cache_dir",
     NULL,
     {"-r", "s3://my-bkt/p"},
     CONFIG_ERROR,
     "store.root s3://my-bkt/p: a bucket store needs store.cache_dir "
     "(--cache-dir), where its files are kept"},
    {"-r s3:// bad bucket name",
     NULL,
     {"-r", "s3://B_kt/p", "--cache-dir", "/c"},
     CONFIG_ERROR,
     "--root: 'B_kt' is not a bucket name (3 to 63 of a-z 0-9 . -, a letter "
     "or digit at each end)"},
    {"-r s3:// prefix with ..",
     NULL,
     {"-r", "s3://bkt/a/../b", "--cache-dir", "/c"},
     CONFIG_ERROR,
     "--root: the prefix has an empty, '.' or '..' segment, or a control byte "
     "or backslash"},
    {"--s3-endpoint, --s3-region, --s3-addressing path",
     NULL,
     {"-r", "s3://bkt", "--cache-dir", "/c", "--s3-endpoint",
      "http://127.0.0.1:9000", "--s3-region", "eu-west-1", "--s3-addressing",
      "path"},
     CONFIG_OK,
     "root=/c/bucket-root cache_dir=/c bucket=s3://bkt "
     "s3_endpoint=http://127.0.0.1:9000 s3_region=eu-west-1 "
     "s3_addressing=path"},
    {"--s3-endpoint with a path",
     NULL,
     {"--s3-endpoint", "http://h/x"},
     CONFIG_ERROR,
     "--s3-endpoint: the endpoint is only http[s]://HOST[:PORT] (no path, "
     "query or user)"},
    {"file: [s3] endpoint ftp",
     ONE_KEY("s3", "endpoint = ftp://h"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: s3.endpoint: the endpoint must start with http:// or "
               "https://"},
    {"--s3-region EU_West",
     NULL,
     {"--s3-region", "EU_West"},
     CONFIG_ERROR,
     "--s3-region: 'EU_West' is not a region name (a-z 0-9 -)"},
    {"file: [s3] region",
     ONE_KEY("s3", "region = auto"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file s3_region=auto"},
    {"file: [s3] region with a slash",
     ONE_KEY("s3", "region = us/east"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: s3.region: 'us/east' is not a region name (a-z 0-9 -)"},
    {"file: [s3] addressing virtual",
     ONE_KEY("s3", "addressing = virtual"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file s3_addressing=virtual"},
    {"file: [s3] addressing Path",
     ONE_KEY("s3", "addressing = Path"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: s3.addressing: 'Path' is not auto, path or virtual"},
    {"file: [s3] index_refresh 86401",
     ONE_KEY("s3", "index_refresh = 86401"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("s3.index_refresh", "86401", "1 to 86400")},
    {"--s3-negative-ttl -1",
     NULL,
     {"--s3-negative-ttl", "-1"},
     CONFIG_ERROR,
     NUM_FLAG("--s3-negative-ttl", "-1", "0 to 86400")},
    {"file: [s3] negative_ttl x",
     ONE_KEY("s3", "negative_ttl = x"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("s3.negative_ttl", "x", "0 to 86400")},
    {"--s3-addressing dns",
     NULL,
     {"--s3-addressing", "dns"},
     CONFIG_ERROR,
     "--s3-addressing: 'dns' is not auto, path or virtual"},
    {"--s3-index-refresh 0",
     NULL,
     {"--s3-index-refresh", "0"},
     CONFIG_ERROR,
     NUM_FLAG("--s3-index-refresh", "0", "1 to 86400")},
    {"--s3-negative-ttl 0, --s3-index-refresh 1",
     NULL,
     {"--s3-negative-ttl", "0", "--s3-index-refresh", "1"},
     CONFIG_OK,
     "s3_index_refresh=1 s3_negative_ttl=0"},
    {"file: [s3] keys and root",
     "[store]\nroot = s3://bkt/p\ncache_dir = /c\n[s3]\n"
     "endpoint = https://minio:9000\naccess_key = AK\nsecret_key = SK/x+y\n"
     "index_refresh = 5\nnegative_ttl = 600\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/c/bucket-root cache_dir=/c bucket=s3://bkt/p "
     "s3_endpoint=https://minio:9000 s3_access_key=AK s3_secret_key=set "
     "s3_index_refresh=5 s3_negative_ttl=600"},
    {"--s3-secret-key: no such flag, a secret stays off the command line",
     NULL,
     {"--s3-secret-key", "SK"},
     CONFIG_ERROR,
     "--s3-secret-key: unknown flag (see --help)"},
    {"file: [s3] secret_key with a space",
     ONE_KEY("s3", "secret_key = a b"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: s3.secret_key: space or control byte in the value"},
    {"file: [s3] unknown key",
     ONE_KEY("s3", "bucket = b"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: s3.bucket: unknown key (endpoint, region, addressing, "
               "index_refresh, negative_ttl, access_key, secret_key)"},

    /* store.upstream_negative_ttl: 0 to 86400. */
    {"--upstream-negative-ttl=0",
     NULL,
     {"--upstream-negative-ttl=0"},
     CONFIG_OK,
     "upstream_negative_ttl=0"},
    {"--upstream-negative-ttl=86401",
     NULL,
     {"--upstream-negative-ttl=86401"},
     CONFIG_ERROR,
     NUM_FLAG("--upstream-negative-ttl", "86401", "0 to 86400")},
    {"file: upstream_negative_ttl 60",
     ONE_KEY("store", "upstream_negative_ttl = 60"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file upstream_negative_ttl=60"},
    {"file: upstream_negative_ttl x",
     ONE_KEY("store", "upstream_negative_ttl = x"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("store.upstream_negative_ttl", "x", "0 to 86400")},

    /* store.upstream_backoff: 1 to 3600. */
    {"--upstream-backoff=1",
     NULL,
     {"--upstream-backoff=1"},
     CONFIG_OK,
     "upstream_backoff=1"},
    {"--upstream-backoff=0",
     NULL,
     {"--upstream-backoff=0"},
     CONFIG_ERROR,
     NUM_FLAG("--upstream-backoff", "0", "1 to 3600")},
    {"file: upstream_backoff 60",
     ONE_KEY("store", "upstream_backoff = 60"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file upstream_backoff=60"},
    {"file: upstream_backoff 3601",
     ONE_KEY("store", "upstream_backoff = 3601"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("store.upstream_backoff", "3601", "1 to 3600")},

    /* store.upstream_failures: 1 to 1000. */
    {"--upstream-failures=1",
     NULL,
     {"--upstream-failures=1"},
     CONFIG_OK,
     "upstream_failures=1"},
    {"--upstream-failures=0",
     NULL,
     {"--upstream-failures=0"},
     CONFIG_ERROR,
     NUM_FLAG("--upstream-failures", "0", "1 to 1000")},
    {"file: upstream_failures 10",
     ONE_KEY("store", "upstream_failures = 10"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file upstream_failures=10"},
    {"file: upstream_failures 1001",
     ONE_KEY("store", "upstream_failures = 1001"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("store.upstream_failures", "1001", "1 to 1000")},

    /* store.upstream_max_mib: 1 to 1048576. */
    {"--upstream-max-mib=1",
     NULL,
     {"--upstream-max-mib=1"},
     CONFIG_OK,
     "upstream_max_mib=1"},
    {"--upstream-max-mib=0",
     NULL,
     {"--upstream-max-mib=0"},
     CONFIG_ERROR,
     NUM_FLAG("--upstream-max-mib", "0", "1 to 1048576")},
    {"file: upstream_max_mib 100",
     ONE_KEY("store", "upstream_max_mib = 100"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file upstream_max_mib=100"},
    {"file: upstream_max_mib x",
     ONE_KEY("store", "upstream_max_mib = x"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("store.upstream_max_mib", "x", "1 to 1048576")},

    /* server.job_threads: 1 to 64. */
    {"--job-threads=64",
     NULL,
     {"--job-threads=64"},
     CONFIG_OK,
     "job_threads=64"},
    {"--job-threads=0",
     NULL,
     {"--job-threads=0"},
     CONFIG_ERROR,
     NUM_FLAG("--job-threads", "0", "1 to 64")},
    {"file: job_threads 3",
     ONE_KEY("server", "job_threads = 3"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file job_threads=3"},
    {"file: job_threads 65",
     ONE_KEY("server", "job_threads = 65"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("server.job_threads", "65", "1 to 64")},

    /* server.job_queue: 1 to 65536. */
    {"--job-queue=1", NULL, {"--job-queue=1"}, CONFIG_OK, "job_queue=1"},
    {"--job-queue=0",
     NULL,
     {"--job-queue=0"},
     CONFIG_ERROR,
     NUM_FLAG("--job-queue", "0", "1 to 65536")},
    {"file: job_queue 1000",
     ONE_KEY("server", "job_queue = 1000"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file job_queue=1000"},
    {"file: job_queue 65537",
     ONE_KEY("server", "job_queue = 65537"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("server.job_queue", "65537", "1 to 65536")},

    /* server.job_timeout: 1 to 3600. */
    {"--job-timeout=3600",
     NULL,
     {"--job-timeout=3600"},
     CONFIG_OK,
     "job_timeout=3600"},
    {"--job-timeout=0",
     NULL,
     {"--job-timeout=0"},
     CONFIG_ERROR,
     NUM_FLAG("--job-timeout", "0", "1 to 3600")},
    {"file: job_timeout 30",
     ONE_KEY("server", "job_timeout = 30"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file job_timeout=30"},
    {"file: job_timeout 3601",
     ONE_KEY("server", "job_timeout = 3601"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("server.job_timeout", "3601", "1 to 3600")},

    /* http.max_ranges, --max-ranges: 1 to RANGE_MAX (64). */
    {"--max-ranges=1", NULL, {"--max-ranges=1"}, CONFIG_OK, "max_ranges=1"},
    {"--max-ranges 64",
     NULL,
     {"--max-ranges", "64"},
     CONFIG_OK,
     "max_ranges=64"},
    {"--max-ranges=0064",
     NULL,
     {"--max-ranges=0064"},
     CONFIG_OK,
     "max_ranges=64"},
    {"--max-ranges=0",
     NULL,
     {"--max-ranges=0"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "0", "1 to 64")},
    {"--max-ranges=65",
     NULL,
     {"--max-ranges=65"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "65", "1 to 64")},
    {"--max-ranges=-1",
     NULL,
     {"--max-ranges=-1"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "-1", "1 to 64")},
    {"--max-ranges overflows",
     NULL,
     {"--max-ranges=99999999999999999999999"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "99999999999999999999999", "1 to 64")},
    {"--max-ranges 2^32 + 16",
     NULL,
     {"--max-ranges=4294967312"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "4294967312", "1 to 64")},
    {"--max-ranges=8k",
     NULL,
     {"--max-ranges=8k"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "8k", "1 to 64")},
    {"--max-ranges=0x10",
     NULL,
     {"--max-ranges=0x10"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "0x10", "1 to 64")},
    {"--max-ranges= 8",
     NULL,
     {"--max-ranges= 8"},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", " 8", "1 to 64")},
    {"--max-ranges= empty",
     NULL,
     {"--max-ranges="},
     CONFIG_ERROR,
     NUM_FLAG("--max-ranges", "", "1 to 64")},
    {"file: max_ranges 64",
     ONE_KEY("http", "max_ranges = 64"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file max_ranges=64"},
    {"file: --max-ranges wins",
     ONE_KEY("http", "max_ranges = 64"),
     {"-c", FILE_MARK, "--max-ranges=2"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file max_ranges=2"},
    {"file: max_ranges 65",
     ONE_KEY("http", "max_ranges = 65"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.max_ranges", "65", "1 to 64")},
    {"file: max_ranges -3",
     ONE_KEY("http", "max_ranges = -3"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.max_ranges", "-3", "1 to 64")},
    {"file: max_ranges empty",
     ONE_KEY("http", "max_ranges ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.max_ranges", "", "1 to 64")},

    /* http.cache_control, --cache-control: any text but none. */
    {"--cache-control",
     NULL,
     {"--cache-control", "no-store"},
     CONFIG_OK,
     "cache_control=no-store"},
    {"--cache-control= with commas",
     NULL,
     {"--cache-control=public, max-age=60"},
     CONFIG_OK,
     "cache_control=public, max-age=60"},
    {"--cache-control with CR LF (header injection)",
     NULL,
     {"--cache-control=no-store\r\nX-Evil: 1"},
     CONFIG_ERROR,
     "--cache-control: control byte 0x0d in the value"},
    {"--cache-control with a tab",
     NULL,
     {"--cache-control=no-store\tx"},
     CONFIG_ERROR,
     "--cache-control: control byte 0x09 in the value"},
    {"--cache-control with DEL",
     NULL,
     {"--cache-control=no\x7fstore"},
     CONFIG_ERROR,
     "--cache-control: control byte 0x7f in the value"},
    {"--access-log with LF",
     NULL,
     {"--access-log=/var/log/a\nb"},
     CONFIG_ERROR,
     "--access-log: control byte 0x0a in the value"},
    {"--cache-control= empty",
     NULL,
     {"--cache-control="},
     CONFIG_ERROR,
     "--cache-control: empty value"},
    {"--cache-control without value",
     NULL,
     {"--cache-control"},
     CONFIG_ERROR,
     "--cache-control: needs a value"},
    {"file: cache_control",
     ONE_KEY("http", "cache_control = private, max-age=0"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file cache_control=private, max-age=0"},
    {"file: cache_control inline comment",
     ONE_KEY("http", "cache_control = no-cache ; revalidate"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file cache_control=no-cache"},
    {"file: --cache-control wins",
     ONE_KEY("http", "cache_control = no-cache"),
     {"-c", FILE_MARK, "--cache-control=no-store"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file cache_control=no-store"},
    {"file: cache_control empty",
     ONE_KEY("http", "cache_control ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: http.cache_control: empty value"},

    /* http.miss_max_age, --miss-max-age: 0 to 31536000 seconds. */
    {"--miss-max-age=0",
     NULL,
     {"--miss-max-age=0"},
     CONFIG_OK,
     "miss_max_age=0"},
    {"--miss-max-age 31536000",
     NULL,
     {"--miss-max-age", "31536000"},
     CONFIG_OK,
     "miss_max_age=31536000"},
    {"--miss-max-age=31536001",
     NULL,
     {"--miss-max-age=31536001"},
     CONFIG_ERROR,
     NUM_FLAG("--miss-max-age", "31536001", "0 to 31536000")},
    {"--miss-max-age=-1",
     NULL,
     {"--miss-max-age=-1"},
     CONFIG_ERROR,
     NUM_FLAG("--miss-max-age", "-1", "0 to 31536000")},
    {"--miss-max-age overflows",
     NULL,
     {"--miss-max-age=99999999999999999999999"},
     CONFIG_ERROR,
     NUM_FLAG("--miss-max-age", "99999999999999999999999", "0 to 31536000")},
    {"--miss-max-age 2^32 + 300",
     NULL,
     {"--miss-max-age=4294967596"},
     CONFIG_ERROR,
     NUM_FLAG("--miss-max-age", "4294967596", "0 to 31536000")},
    {"--miss-max-age=5m",
     NULL,
     {"--miss-max-age=5m"},
     CONFIG_ERROR,
     NUM_FLAG("--miss-max-age", "5m", "0 to 31536000")},
    {"--miss-max-age= empty",
     NULL,
     {"--miss-max-age="},
     CONFIG_ERROR,
     NUM_FLAG("--miss-max-age", "", "0 to 31536000")},
    {"file: miss_max_age 31536000",
     ONE_KEY("http", "miss_max_age = 31536000"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file miss_max_age=31536000"},
    {"file: --miss-max-age wins",
     ONE_KEY("http", "miss_max_age = 0"),
     {"-c", FILE_MARK, "--miss-max-age=7"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file miss_max_age=7"},
    {"file: miss_max_age 31536001",
     ONE_KEY("http", "miss_max_age = 31536001"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.miss_max_age", "31536001", "0 to 31536000")},
    {"file: miss_max_age garbage",
     ONE_KEY("http", "miss_max_age = soon"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.miss_max_age", "soon", "0 to 31536000")},
    {"file: miss_max_age empty",
     ONE_KEY("http", "miss_max_age ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.miss_max_age", "", "0 to 31536000")},
    /* auth.htpasswd, auth.tokens: file names, checked by access_new(). */
    {"--htpasswd",
     NULL,
     {"--htpasswd", "/etc/h"},
     CONFIG_OK,
     "htpasswd=/etc/h"},
    {"--htpasswd empty",
     NULL,
     {"--htpasswd="},
     CONFIG_ERROR,
     "--htpasswd: empty value"},
    {"file: htpasswd",
     ONE_KEY("auth", "htpasswd = /etc/h"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file htpasswd=/etc/h"},
    {"file: htpasswd control byte",
     ONE_KEY("auth", "htpasswd = /a\x01"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: auth.htpasswd: control byte 0x01 in the value"},
    {"--tokens", NULL, {"--tokens=/etc/t"}, CONFIG_OK, "tokens=/etc/t"},
    {"--tokens empty",
     NULL,
     {"--tokens", ""},
     CONFIG_ERROR,
     "--tokens: empty value"},
    {"file: tokens",
     ONE_KEY("auth", "tokens = /etc/t"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file tokens=/etc/t"},
    {"file: tokens control byte",
     ONE_KEY("auth", "tokens = /t\x7f"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: auth.tokens: control byte 0x7f in the value"},
    /* auth.realm: any text but control bytes (quoted when sent). */
    {"--auth-realm",
     NULL,
     {"--auth-realm", "My \"symbols\""},
     CONFIG_OK,
     "realm=My \"symbols\""},
    {"--auth-realm control",
     NULL,
     {"--auth-realm=a\tb"},
     CONFIG_ERROR,
     "--auth-realm: control byte 0x09 in the value"},
    {"file: realm",
     ONE_KEY("auth", "realm = Symbols"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file realm=Symbols"},
    {"file: realm empty",
     ONE_KEY("auth", "realm ="),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: auth.realm: empty value"},
    /* auth.max_failures 0..1000000, failure_window and lockout 1..86400. */
    {"--auth-max-failures 0",
     NULL,
     {"--auth-max-failures", "0"},
     CONFIG_OK,
     "max_failures=0"},
    {"--auth-max-failures x",
     NULL,
     {"--auth-max-failures=x"},
     CONFIG_ERROR,
     NUM_FLAG("--auth-max-failures", "x", "0 to 1000000")},
    {"file: max_failures",
     ONE_KEY("auth", "max_failures = 5"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file max_failures=5"},
    {"file: max_failures big",
     ONE_KEY("auth", "max_failures = 1000001"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("auth.max_failures", "1000001", "0 to 1000000")},
    {"--auth-failure-window",
     NULL,
     {"--auth-failure-window=600"},
     CONFIG_OK,
     "failure_window=600"},
    {"--auth-failure-window 0",
     NULL,
     {"--auth-failure-window=0"},
     CONFIG_ERROR,
     NUM_FLAG("--auth-failure-window", "0", "1 to 86400")},
    {"file: failure_window",
     ONE_KEY("auth", "failure_window = 1"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file failure_window=1"},
    {"file: failure_window big",
     ONE_KEY("auth", "failure_window = 86401"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("auth.failure_window", "86401", "1 to 86400")},
    {"--auth-lockout",
     NULL,
     {"--auth-lockout", "86400"},
     CONFIG_OK,
     "lockout=86400"},
    {"--auth-lockout 0",
     NULL,
     {"--auth-lockout", "0"},
     CONFIG_ERROR,
     NUM_FLAG("--auth-lockout", "0", "1 to 86400")},
    {"file: lockout",
     ONE_KEY("auth", "lockout = 30"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file lockout=30"},
    {"file: lockout neg",
     ONE_KEY("auth", "lockout = -1"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("auth.lockout", "-1", "1 to 86400")},
    /* access.allow, access.deny: one ordered list; flags replace it. */
    {"--allow --deny in order",
     NULL,
     {"--allow", "10.0.0.0/8", "--deny=all", "--allow", "::1"},
     CONFIG_OK,
     "acl=+10.0.0.0/8,-all,+::1"},
    {"--allow /33",
     NULL,
     {"--allow", "10.0.0.0/33"},
     CONFIG_ERROR,
     "--allow: '10.0.0.0/33': the prefix length is not 0 to 32"},
    {"--deny host bits",
     NULL,
     {"--deny", "10.0.0.1/8"},
     CONFIG_ERROR,
     "--deny: '10.0.0.1/8' has bits set past its prefix length"},
    {"--deny v6 /129",
     NULL,
     {"--deny=2001:db8::/129"},
     CONFIG_ERROR,
     "--deny: '2001:db8::/129': the prefix length is not 0 to 128"},
    {"file: allow and deny lists",
     ROOT_INI "[access]\nallow = 192.0.2.0/24, 2001:db8::/32\ndeny = all\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file acl=+192.0.2.0/24,+2001:db8::/32,-all"},
    {"flag replaces the file's list",
     ROOT_INI "[access]\nallow = 192.0.2.0/24\ndeny = all\n",
     {"-c", FILE_MARK, "--deny", "192.0.2.9"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file acl=-192.0.2.9"},
    {"file: allow garbage",
     ONE_KEY("access", "allow = office"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: access.allow: 'office' is not an IPv4 or IPv6 "
               "address/prefix"},
    {"file: deny garbage",
     ONE_KEY("access", "deny = 1.2.3.4/x"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: access.deny: '1.2.3.4/x': the prefix length is not 0 to "
               "32"},
    /* access.trusted_proxies. */
    {"--trusted-proxy twice",
     NULL,
     {"--trusted-proxy", "127.0.0.1", "--trusted-proxy=::1"},
     CONFIG_OK,
     "trusted_proxies=127.0.0.1,::1"},
    {"--trusted-proxy bad",
     NULL,
     {"--trusted-proxy", "proxy.example"},
     CONFIG_ERROR,
     "--trusted-proxy: 'proxy.example' is not an IPv4 or IPv6 address/prefix"},
    {"file: trusted_proxies",
     ONE_KEY("access", "trusted_proxies = 10.0.0.0/8"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file trusted_proxies=10.0.0.0/8"},
    {"file: trusted_proxies v4-mapped /97+",
     ONE_KEY("access", "trusted_proxies = ::ffff:10.0.0.0/104"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file trusted_proxies=::ffff:10.0.0.0/104"},
    {"file: trusted_proxies bad",
     ONE_KEY("access", "trusted_proxies = 1.2.3"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: access.trusted_proxies: '1.2.3' is not an IPv4 or IPv6 "
               "address/prefix"},
    /* [path "PREFIX"] sections. */
    {"path sections",
     ROOT_INI "[auth]\nhtpasswd = /h\n[path \"/buildid/\"]\nauth = off\n"
              "allow = 10.0.0.0/8\ndeny = all\n[path \"/a.pdb/\"]\nauth = on\n"
              "[path \"/buildid/\"]\nallow = ::1\n",
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file htpasswd=/h "
     "path:/buildid/=+10.0.0.0/8,-all,+::1;auth=0 path:/a.pdb/=;auth=1"},
    {"path section unquoted",
     ROOT_INI "[path /x/]\nauth = off\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: path /x/.auth: unknown section (a path section is "
               "[path \"/PREFIX\"])"},
    {"path section relative",
     ROOT_INI "[path \"x/\"]\nauth = off\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: path \"x/\".auth: unknown section (a path section is "
               "[path \"/PREFIX\"])"},
    {"path section space",
     ROOT_INI "[path \"/a b/\"]\nauth = off\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: path \"/a b/\".auth: space or control byte in the "
               "prefix"},
    {"path section unknown key",
     ROOT_INI "[path \"/x/\"]\nroot = /y\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: path \"/x/\".root: unknown key (allow, deny, auth)"},
    {"path section bad auth",
     ROOT_INI "[path \"/x/\"]\nauth = maybe\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: path \"/x/\".auth: 'maybe' is not on or off"},
    {"path section bad cidr",
     ROOT_INI "[path \"/x/\"]\ndeny = 300.1.1.1\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     FILE_MARK ":4: path \"/x/\".deny: '300.1.1.1' is not an IPv4 or IPv6 "
               "address/prefix"},
    {"path auth on needs credentials",
     ROOT_INI "[path \"/x/\"]\nauth = on\n",
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     "path \"/x/\".auth: needs auth.htpasswd or auth.tokens"},
    /* http.compress, compress_min_bytes, compress_max_mib. */
    {"--compress=off", NULL, {"--compress=off"}, CONFIG_OK, "compress=off"},
    {"--compress=maybe",
     NULL,
     {"--compress=maybe"},
     CONFIG_ERROR,
     BOOL_FLAG("--compress", "maybe")},
    {"file: compress off",
     ONE_KEY("http", "compress = off"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file compress=off"},
    {"file: compress sometimes",
     ONE_KEY("http", "compress = sometimes"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     BOOL_FILE("http.compress", "sometimes")},
    {"--compress-min-bytes 1",
     NULL,
     {"--compress-min-bytes", "1"},
     CONFIG_OK,
     "compress_min_bytes=1"},
    {"--compress-min-bytes=0",
     NULL,
     {"--compress-min-bytes=0"},
     CONFIG_ERROR,
     NUM_FLAG("--compress-min-bytes", "0", "1 to 4294967295")},
    {"--compress-min-bytes 2^32",
     NULL,
     {"--compress-min-bytes=4294967296"},
     CONFIG_ERROR,
     NUM_FLAG("--compress-min-bytes", "4294967296", "1 to 4294967295")},
    {"file: compress_min_bytes 4294967295",
     ONE_KEY("http", "compress_min_bytes = 4294967295"),
     {"-c", FILE_MARK},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file compress_min_bytes=4294967295"},
    {"file: compress_min_bytes 1k",
     ONE_KEY("http", "compress_min_bytes = 1k"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.compress_min_bytes", "1k", "1 to 4294967295")},
    {"--compress-max-mib 1048576",
     NULL,
     {"--compress-max-mib=1048576"},
     CONFIG_OK,
     "compress_max_mib=1048576"},
    {"--compress-max-mib 1048577",
     NULL,
     {"--compress-max-mib=1048577"},
     CONFIG_ERROR,
     NUM_FLAG("--compress-max-mib", "1048577", "1 to 1048576")},
    {"file: compress_max_mib 1, flag wins",
     ONE_KEY("http", "compress_max_mib = 1"),
     {"-c", FILE_MARK, "--compress-max-mib=2"},
     CONFIG_OK,
     "file=" FILE_MARK " root=/srv/file compress_max_mib=2"},
    {"file: compress_max_mib 0",
     ONE_KEY("http", "compress_max_mib = 0"),
     {"-c", FILE_MARK},
     CONFIG_ERROR,
     NUM_FILE("http.compress_max_mib", "0", "1 to 1048576")},
};

/* Copies tmpl into out, with each FILE_MARK replaced by path. */
static void
expand(const char *tmpl, const char *path, char *out, size_t outsz)
{
    size_t mark = strlen(FILE_MARK), plen = strlen(path), n = 0;

    while (*tmpl != '\0') {
        const char *piece = tmpl;
        size_t len = 1;

        if (strncmp(tmpl, FILE_MARK, mark) == 0) {
            piece = path;
            len = plen;
            tmpl += mark;
        } else {
            tmpl++;
        }
        assert_true(n + len < outsz);
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = '\0';
}

static void
append(char *buf, size_t bufsz, const char *key, const char *value)
{
    size_t n = strlen(buf);
    int w =
        snprintf(buf + n, bufsz - n, "%s%s%s", n > 0 ? " " : "", key, value);

    assert_true(w >= 0 && (size_t)w < bufsz - n);
}

static void
append_uint(char *buf, size_t bufsz, const char *key, unsigned v)
{
    char num[16];

    snprintf(num, sizeof(num), "%u", v);
    append(buf, bufsz, key, num);
}

static void
append_list(char *buf, size_t bufsz, const char *key, char *const list[],
            unsigned n)
{
    char joined[TEXT_MAX] = "";

    for (unsigned i = 0; i < n; i++) {
        if (i > 0)
            strncat(joined, ",", sizeof(joined) - strlen(joined) - 1);
        strncat(joined, list[i], sizeof(joined) - strlen(joined) - 1);
    }
    append(buf, bufsz, key, joined);
}

static bool
same(const char *a, const char *b)
{
    return a != NULL && strcmp(a, b) == 0;
}

/* The [auth] and [access] settings and the path sections. */
static void
describe_access(const struct config *cfg, char *buf, size_t bufsz)
{
    if (cfg->htpasswd != NULL)
        append(buf, bufsz, "htpasswd=", cfg->htpasswd);
    if (!same(cfg->auth_realm, "symsrvd"))
        append(buf, bufsz,
               "realm=", cfg->auth_realm != NULL ? cfg->auth_realm : "(null)");
    if (cfg->tokens != NULL)
        append(buf, bufsz, "tokens=", cfg->tokens);
    if (cfg->auth_max_failures != 10)
        append_uint(buf, bufsz, "max_failures=", cfg->auth_max_failures);
    if (cfg->auth_window != 60)
        append_uint(buf, bufsz, "failure_window=", cfg->auth_window);
    if (cfg->auth_lockout != 300)
        append_uint(buf, bufsz, "lockout=", cfg->auth_lockout);
    if (cfg->nacl != 0)
        append_list(buf, bufsz, "acl=", cfg->acl, cfg->nacl);
    if (cfg->ntrusted_proxies != 0)
        append_list(buf, bufsz, "trusted_proxies=", cfg->trusted_proxies,
                    cfg->ntrusted_proxies);
    for (unsigned i = 0; i < cfg->npaths; i++) {
        const struct config_path *p = &cfg->paths[i];
        char key[300], auth[16];

        snprintf(key, sizeof(key), "path:%s=", p->prefix);
        append_list(buf, bufsz, key, p->acl, p->nacl);
        snprintf(auth, sizeof(auth), ";auth=%d", p->auth);
        strncat(buf, auth, bufsz - strlen(buf) - 1);
    }
}

/*
 * The settings of cfg that differ from the defaults, in a fixed order, so
 * that one string states every field of the result.
 */
/* The upstream settings: "upstreams=NAME[URL],..." in the order asked. */
static void
describe_upstreams(const struct config *cfg, char *buf, size_t bufsz)
{
    if (cfg->upstream_negative_ttl != 300)
        append_uint(buf, bufsz,
                    "upstream_negative_ttl=", cfg->upstream_negative_ttl);
    if (cfg->upstream_backoff != 30)
        append_uint(buf, bufsz, "upstream_backoff=", cfg->upstream_backoff);
    if (cfg->upstream_failures != 3)
        append_uint(buf, bufsz, "upstream_failures=", cfg->upstream_failures);
    if (cfg->upstream_max_mib != 4096)
        append_uint(buf, bufsz, "upstream_max_mib=", cfg->upstream_max_mib);
    for (unsigned i = 0; i < cfg->nupstreams; i++) {
        const struct config_upstream *u =
            &cfg->upstream_defs[cfg->upstream_order[i]];
        size_t n = strlen(buf);

        snprintf(buf + n, bufsz - n, "%s%s[%s]",
                 i == 0 ? (n > 0 ? " upstreams=" : "upstreams=") : ",", u->name,
                 u->url);
    }
}

/* The bucket store's settings; a secret shows as "set", never itself. */
static void
describe_s3(const struct config *cfg, char *buf, size_t bufsz)
{
    if (cfg->bucket != NULL)
        append(buf, bufsz, "bucket=", cfg->bucket);
    if (cfg->s3_endpoint != NULL)
        append(buf, bufsz, "s3_endpoint=", cfg->s3_endpoint);
    if (cfg->s3_region != NULL)
        append(buf, bufsz, "s3_region=", cfg->s3_region);
    if (!same(cfg->s3_addressing, "auto"))
        append(buf, bufsz, "s3_addressing=",
               cfg->s3_addressing != NULL ? cfg->s3_addressing : "(null)");
    if (cfg->s3_access_key != NULL)
        append(buf, bufsz, "s3_access_key=", cfg->s3_access_key);
    if (cfg->s3_secret_key != NULL)
        append(buf, bufsz, "s3_secret_key=set", "");
    if (cfg->s3_index_refresh != 30)
        append_uint(buf, bufsz, "s3_index_refresh=", cfg->s3_index_refresh);
    if (cfg->s3_negative_ttl != 60)
        append_uint(buf, bufsz, "s3_negative_ttl=", cfg->s3_negative_ttl);
}

static void
describe(const struct config *cfg, char *buf, size_t bufsz)
{
    buf[0] = '\0';
    if (cfg->file != NULL)
        append(buf, bufsz, "file=", cfg->file);
    if (!same(cfg->root, DEMO_ROOT))
        append(buf, bufsz, "root=", cfg->root != NULL ? cfg->root : "(null)");
    if (cfg->nlisten != 1 || !same(cfg->listen[0], "127.0.0.1:8080"))
        append_list(buf, bufsz, "listen=", cfg->listen, cfg->nlisten);
    if (cfg->ntls_listen != 0)
        append_list(buf, bufsz, "tls_listen=", cfg->tls_listen,
                    cfg->ntls_listen);
    if (cfg->nmetrics_listen != 0)
        append_list(buf, bufsz, "metrics_listen=", cfg->metrics_listen,
                    cfg->nmetrics_listen);
    if (cfg->tls_cert != NULL)
        append(buf, bufsz, "tls_cert=", cfg->tls_cert);
    if (cfg->tls_key != NULL)
        append(buf, bufsz, "tls_key=", cfg->tls_key);
    if (!same(cfg->access_log, "-"))
        append(buf, bufsz, "access_log=",
               cfg->access_log != NULL ? cfg->access_log : "(null)");
    if (cfg->addr_file != NULL)
        append(buf, bufsz, "addr_file=", cfg->addr_file);
    if (cfg->workers != 0)
        append_uint(buf, bufsz, "workers=", cfg->workers);
    if (cfg->timeout != 60)
        append_uint(buf, bufsz, "timeout=", cfg->timeout);
    if (cfg->shutdown_timeout != 30)
        append_uint(buf, bufsz, "shutdown_timeout=", cfg->shutdown_timeout);
    if (cfg->max_header_size != 8192)
        append_uint(buf, bufsz, "max_header_size=", cfg->max_header_size);
    if (cfg->serve_admin)
        append(buf, bufsz, "serve_admin", "");
    if (cfg->npointer_roots != 0)
        append_list(buf, bufsz, "pointer_roots=", cfg->pointer_roots,
                    cfg->npointer_roots);
    if (cfg->expand_compressed)
        append(buf, bufsz, "expand_compressed", "");
    if (cfg->cache_dir != NULL)
        append(buf, bufsz, "cache_dir=", cfg->cache_dir);
    if (cfg->max_ranges != 16)
        append_uint(buf, bufsz, "max_ranges=", cfg->max_ranges);
    if (!same(cfg->cache_control, DEFAULT_CACHE_CONTROL))
        append(buf, bufsz, "cache_control=",
               cfg->cache_control != NULL ? cfg->cache_control : "(null)");
    if (cfg->miss_max_age != 300)
        append_uint(buf, bufsz, "miss_max_age=", cfg->miss_max_age);
    if (cfg->max_connections != 16384)
        append_uint(buf, bufsz, "max_connections=", cfg->max_connections);
    if (cfg->max_expanded_mib != 4096)
        append_uint(buf, bufsz, "max_expanded_mib=", cfg->max_expanded_mib);
    if (cfg->max_connections_per_client != 1024)
        append_uint(buf, bufsz, "max_connections_per_client=",
                    cfg->max_connections_per_client);
    if (cfg->cache_max_mib != 10240)
        append_uint(buf, bufsz, "cache_max_mib=", cfg->cache_max_mib);
    if (cfg->job_threads != 2)
        append_uint(buf, bufsz, "job_threads=", cfg->job_threads);
    if (cfg->job_queue != 64)
        append_uint(buf, bufsz, "job_queue=", cfg->job_queue);
    if (cfg->job_timeout != 300)
        append_uint(buf, bufsz, "job_timeout=", cfg->job_timeout);
    if (!cfg->compress)
        append(buf, bufsz, "compress=off", "");
    if (cfg->compress_min != 1024)
        append_uint(buf, bufsz, "compress_min_bytes=", cfg->compress_min);
    if (cfg->compress_max_mib != 1024)
        append_uint(buf, bufsz, "compress_max_mib=", cfg->compress_max_mib);
    describe_upstreams(cfg, buf, bufsz);
    describe_s3(cfg, buf, bufsz);
    describe_access(cfg, buf, bufsz);
    if (cfg->check_only)
        append(buf, bufsz, "check_only", "");
}

/* Writes text to a new file under /tmp; its name goes into path. */
static void
write_temp(const char *text, char *path, size_t pathsz)
{
    size_t len = strlen(text);
    int fd;

    assert_true(pathsz > sizeof(TEMP_NAME));
    memcpy(path, TEMP_NAME, sizeof(TEMP_NAME));
    fd = mkstemp(path);
    assert_true(fd != -1);
    assert_true(write(fd, text, len) == (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

struct argv_copy {
    int argc;
    char *argv[MAX_ARGS + 2];
};

static void
argv_make(struct argv_copy *a, const char *const args[], const char *path)
{
    char buf[TEXT_MAX];

    a->argc = 0;
    a->argv[a->argc++] = strdup("symsrvd");
    for (size_t i = 0; i < MAX_ARGS && args[i] != NULL; i++) {
        expand(args[i], path, buf, sizeof(buf));
        a->argv[a->argc++] = strdup(buf);
    }
    a->argv[a->argc] = NULL;
    for (int i = 0; i < a->argc; i++)
        assert_non_null(a->argv[i]);
}

static void
argv_free(struct argv_copy *a)
{
    for (int i = 0; i < a->argc; i++)
        free(a->argv[i]);
}

/* Runs one case; returns 1 and says why if it fails. */
static unsigned
run_case(const struct config_case *c)
{
    char path[64] = "(no file)";
    char want[TEXT_MAX], got[TEXT_MAX], err[512];
    struct argv_copy a;
    struct config cfg;
    enum config_rc rc;
    unsigned failed = 0;

    if (c->ini != NULL)
        write_temp(c->ini, path, sizeof(path));
    argv_make(&a, c->args, path);
    memset(&cfg, 0, sizeof(cfg));
    memset(err, 0, sizeof(err));
    rc = config_load(&cfg, a.argc, a.argv, DEMO_ROOT, err, sizeof(err));
    if (rc != c->rc) {
        print_error("%s: rc %d, want %d (err \"%s\")\n", c->name, (int)rc,
                    (int)c->rc, err);
        failed = 1;
    } else if (rc != CONFIG_EXIT) {
        expand(c->want, path, want, sizeof(want));
        if (rc == CONFIG_OK)
            describe(&cfg, got, sizeof(got));
        else
            snprintf(got, sizeof(got), "%s", err);
        if (strcmp(got, want) != 0) {
            print_error("%s:\n got  \"%s\"\n want \"%s\"\n", c->name, got,
                        want);
            failed = 1;
        }
    }
    config_free(&cfg);
    argv_free(&a);
    if (c->ini != NULL)
        assert_int_equal(unlink(path), 0);
    return failed;
}

static void
test_config_table(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(config_cases) / sizeof(config_cases[0]); i++)
        failures += run_case(&config_cases[i]);
    assert_int_equal(failures, 0);
}

/* The defaults, field by field, without describe(). */
static void
test_defaults(void **state)
{
    char a0[] = "symsrvd";
    char *argv[] = {a0, NULL};
    struct config cfg;
    char err[256] = "";

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(config_load(&cfg, 1, argv, DEMO_ROOT, err, sizeof(err)),
                     CONFIG_OK);
    assert_null(cfg.file);
    assert_string_equal(cfg.root, DEMO_ROOT);
    assert_int_equal(cfg.nlisten, 1);
    assert_string_equal(cfg.listen[0], "127.0.0.1:8080");
    assert_true(cfg.listen_default); /* systemd's sockets replace it */
    assert_null(cfg.listen[1]);
    assert_int_equal(cfg.ntls_listen, 0);
    assert_null(cfg.tls_listen[0]);
    assert_null(cfg.tls_cert);
    assert_null(cfg.tls_key);
    assert_string_equal(cfg.access_log, "-");
    assert_null(cfg.addr_file);
    assert_int_equal(cfg.workers, 0);
    assert_int_equal(cfg.timeout, 60);
    assert_int_equal(cfg.shutdown_timeout, 30);
    assert_int_equal(cfg.max_header_size, 8192);
    assert_false(cfg.serve_admin);
    assert_int_equal(cfg.npointer_roots, 0);
    assert_null(cfg.pointer_roots[0]);
    assert_false(cfg.expand_compressed);
    assert_null(cfg.cache_dir);
    assert_int_equal(cfg.max_ranges, 16);
    assert_string_equal(cfg.cache_control, DEFAULT_CACHE_CONTROL);
    assert_int_equal(cfg.miss_max_age, 300);
    assert_false(cfg.check_only);
    config_free(&cfg);
    assert_null(cfg.root);
    assert_int_equal(cfg.nlisten, 0);
}

/* Without a default store (what symsrvd passes), neither -r nor -c is an
 * error that names both; either one is enough. */
static void
test_no_default_root(void **state)
{
    char a0[] = "symsrvd", a1[] = "-r", a2[] = "/srv/s";
    char *bare[] = {a0, NULL};
    char *with_r[] = {a0, a1, a2, NULL};
    struct config cfg;
    char err[256] = "";

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(config_load(&cfg, 1, bare, NULL, err, sizeof(err)),
                     CONFIG_ERROR);
    assert_string_equal(err, "no store: give -r DIR (the store) or -c FILE "
                             "(a config file, e.g. /etc/symsrvd/symsrvd.conf)");
    config_free(&cfg);
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(config_load(&cfg, 3, with_r, NULL, err, sizeof(err)),
                     CONFIG_OK);
    assert_string_equal(cfg.root, "/srv/s");
    config_free(&cfg);
}

/* 16 addresses is the most a list holds. */
static void
test_sixteen_addresses(void **state)
{
    char list[TEXT_MAX] = "";
    char a0[] = "symsrvd", a1[] = "-l";
    char *argv[] = {a0, a1, list, NULL};
    struct config cfg;
    char err[256] = "";

    (void)state;
    for (unsigned i = 1; i <= CONFIG_MAX_ADDRS; i++) {
        size_t n = strlen(list);

        snprintf(list + n, sizeof(list) - n, "%s[::1]:%u", i > 1 ? " " : "", i);
    }
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(config_load(&cfg, 3, argv, DEMO_ROOT, err, sizeof(err)),
                     CONFIG_OK);
    assert_int_equal(cfg.nlisten, CONFIG_MAX_ADDRS);
    assert_false(cfg.listen_default);
    assert_string_equal(cfg.listen[0], "[::1]:1");
    assert_string_equal(cfg.listen[CONFIG_MAX_ADDRS - 1], "[::1]:16");
    config_free(&cfg);
}

/*
 * A line longer than inih's buffer is an error on its own line, never
 * parsed in pieces (the rest of this one would read as a section header).
 */
static void
test_long_line(void **state)
{
    char text[TEXT_MAX] = "[store]\nroot = /r\n[server]\nlisten =";
    char path[64], a0[] = "symsrvd", a1[] = "-c";
    char want[TEXT_MAX], err[512] = "";
    char *argv[] = {a0, a1, path, NULL};
    struct config cfg;
    enum config_rc rc;

    (void)state;
    for (unsigned i = 1; i <= CONFIG_MAX_ADDRS; i++) {
        size_t n = strlen(text);

        snprintf(text + n, sizeof(text) - n, " [2001:db8::%u]:443", i);
    }
    strncat(text, "\nworkers = 2\n", sizeof(text) - strlen(text) - 1);
    write_temp(text, path, sizeof(path));
    memset(&cfg, 0, sizeof(cfg));
    rc = config_load(&cfg, 3, argv, DEMO_ROOT, err, sizeof(err));
    config_free(&cfg);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rc, CONFIG_ERROR);
    snprintf(want, sizeof(want), "%s:4: line longer than ", path);
    if (strncmp(err, want, strlen(want)) != 0 ||
        strcmp(err + strlen(err) - strlen(" bytes"), " bytes") != 0)
        fail_msg("err \"%s\", want \"%s...bytes\"", err, want);
}

/* One directive as config_usage() lists it. */
struct directive_doc {
    char section[32], key[48], flag[48];
    char short_flag; /* 0: none */
};

/*
 * The directive table, read back from config_usage() (the table itself
 * is static in config.c): lines "  -r, --root DIR  help [store] root".
 */
static size_t
read_directives(struct directive_doc *d, size_t max)
{
    char *text = NULL, *line, *save = NULL;
    size_t len = 0, n = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    config_usage(f);
    assert_int_equal(fclose(f), 0);
    for (line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        const char *open = strrchr(line, '['), *flag = strstr(line, "--");
        const char *close = open != NULL ? strstr(open, "] ") : NULL;
        struct directive_doc *e = &d[n];

        if (close == NULL || flag == NULL || flag > open)
            continue; /* the usage line, -c, --check-config, -h, -V */
        assert_true(n < max);
        snprintf(e->section, sizeof(e->section), "%.*s",
                 (int)(close - open - 1), open + 1);
        snprintf(e->key, sizeof(e->key), "%s", close + 2);
        snprintf(e->flag, sizeof(e->flag), "%.*s", (int)strcspn(flag + 2, " "),
                 flag + 2);
        e->short_flag = line[2] == '-' && line[3] != '-' ? line[3] : 0;
        assert_true(e->section[0] != '\0' && e->key[0] != '\0' &&
                    e->flag[0] != '\0');
        n++;
    }
    free(text);
    return n;
}

/* Does an argument of c name the directive's flag? */
static bool
names_flag(const struct config_case *c, const struct directive_doc *d)
{
    size_t n = strlen(d->flag);

    for (size_t i = 0; i < MAX_ARGS && c->args[i] != NULL; i++) {
        const char *a = c->args[i];

        if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, d->flag, n) == 0 &&
            (a[2 + n] == '\0' || a[2 + n] == '='))
            return true;
        if (d->short_flag != 0 && a[0] == '-' && a[1] == d->short_flag)
            return true;
    }
    return false;
}

/* Has c's INI text a line "key =" or "key=" (any case)? */
static bool
names_key(const struct config_case *c, const struct directive_doc *d)
{
    size_t n = strlen(d->key);

    for (const char *p = c->ini; p != NULL && *p != '\0';
         p = strchr(p, '\n') != NULL ? strchr(p, '\n') + 1 : NULL) {
        p += strspn(p, " \t");
        if (strncasecmp(p, d->key, n) == 0 &&
            p[n + strspn(p + n, " \t")] == '=')
            return true;
    }
    return false;
}

/*
 * Every directive of the table has cases in config_cases: set by its flag
 * and refused through its flag, set from the file and refused there (an
 * error naming section.key). A directive added without cases fails here.
 */
static void
test_every_directive_has_cases(void **state)
{
    struct directive_doc d[64];
    size_t nd = read_directives(d, sizeof(d) / sizeof(d[0]));
    unsigned missing = 0;

    (void)state;
    assert_true(nd > 0);
    for (size_t i = 0; i < nd; i++) {
        char dotted[96], dashed[64];
        bool flag_ok = false, flag_bad = false, file_ok = false;
        bool file_bad = false;

        snprintf(dotted, sizeof(dotted), "%.31s.%.47s:", d[i].section,
                 d[i].key);
        snprintf(dashed, sizeof(dashed), "--%.47s", d[i].flag);
        for (size_t j = 0; j < sizeof(config_cases) / sizeof(config_cases[0]);
             j++) {
            const struct config_case *c = &config_cases[j];
            bool ok = c->rc == CONFIG_OK, bad = c->rc == CONFIG_ERROR;

            if (names_flag(c, &d[i])) {
                flag_ok |= ok;
                flag_bad |=
                    bad && (strstr(c->want, dashed) != NULL ||
                            (d[i].short_flag != 0 && c->want[0] == '-' &&
                             c->want[1] == d[i].short_flag));
            }
            if (names_key(c, &d[i])) {
                file_ok |= ok;
                file_bad |= bad && strstr(c->want, dotted) != NULL;
            }
        }
        if (!flag_ok || !flag_bad || !file_ok || !file_bad) {
            print_error("[%s] %s (--%s) lacks cases:%s%s%s%s\n", d[i].section,
                        d[i].key, d[i].flag, flag_ok ? "" : " flag valid",
                        flag_bad ? "" : " flag refused",
                        file_ok ? "" : " file valid",
                        file_bad ? "" : " file refused");
            missing++;
        }
    }
    print_message("%zu directives read from config_usage()\n", nd);
    assert_int_equal(missing, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_no_default_root),
        cmocka_unit_test(test_config_table),
        cmocka_unit_test(test_sixteen_addresses),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_every_directive_has_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
