/* Unit tests for include/http/head.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/head.h"

#include "../common/unit.h"

/* A literal and its length, so that an input may hold a raw NUL. */
#define IN(s) .in = s, .len = sizeof(s) - 1

/* An OK row: method, target, minor, keep_alive, nfields. */
#define OK(m_, t_, minor_, ka_, nf_)                                           \
    .rc = HEAD_OK, .m = m_, .target = t_, .minor = minor_, .keep_alive = ka_,  \
    .nfields = nf_
/* head_get(id) must return v (NULL: no such field). */
#define GETS(id_, v_) .check_get = true, .get_id = id_, .get_value = v_
/* fields[i] must be name: value. */
#define FIELD(i_, n_, v_)                                                      \
    .check_field = true, .field_i = i_, .field_name = n_, .field_value = v_
/* A body: Content-Length n, or chunked. */
#define LENGTH(n_) .has_body = (n_) > 0, .length = n_
#define CHUNKED .has_body = true, .chunked = true

#define RL "GET / HTTP/1.1\r\n"
#define RL10 "GET / HTTP/1.0\r\n"
#define HOST "Host: x\r\n"
#define CRLF "\r\n"
#define U64MAX_S "18446744073709551615"
#define U64OVER_S "18446744073709551616"

struct head_case {
    const char *name;
    const char *in;
    size_t len;
    bool incomplete; /* head_end() finds no end */
    size_t end;      /* head_end()'s answer when less than len; 0: len */
    enum head_rc rc;
    /* HEAD_OK rows */
    enum head_method m;
    const char *target;
    unsigned minor;
    bool keep_alive;
    bool has_body;
    uint64_t length;
    bool chunked;
    bool expect;
    size_t nfields;
    bool check_get;
    enum head_known get_id;
    const char *get_value; /* NULL: head_get() returns NULL */
    bool check_field;
    size_t field_i;
    const char *field_name, *field_value;
    const char *why; /* not HEAD_OK: a word *why must hold */
};

/* Every known field once (no Transfer-Encoding: it excludes the length). */
#define ALL_KNOWN                                                              \
    RL "Host: h\r\nRange: bytes=0-1\r\nIf-Range: \"r\"\r\n"                    \
       "If-Match: \"m\"\r\nIf-None-Match: \"n\"\r\n"                           \
       "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"                  \
       "If-Unmodified-Since: Mon, 07 Nov 1994 08:49:37 GMT\r\n"                \
       "Referer: http://r/\r\nUser-Agent: ua/1\r\n"                            \
       "Connection: keep-alive\r\nContent-Length: 0\r\n"                       \
       "Expect: 100-continue\r\nX-Other: o\r\n\r\n"
#define ALL_KNOWN_OK OK(HEAD_M_GET, "/", 1, true, 13), .expect = true

#define THREE_INM                                                              \
    RL HOST "If-None-Match: \"a\"\r\nIf-None-Match: \"b\", \"c\"\r\n"          \
            "if-none-match: \"d\"\r\n\r\n"

static const struct head_case cases[] = {
    /* Request lines that are fine. */
    {.name = "GET 1.1",
     IN(RL HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "HEAD 1.1",
     IN("HEAD /a HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_HEAD, "/a", 1, true, 1)},
    {.name = "OPTIONS asterisk-form",
     IN("OPTIONS * HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_OPTIONS, "*", 1, true, 1)},
    {.name = "GET asterisk-form (not the parser's business)",
     IN("GET * HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_GET, "*", 1, true, 1)},
    {.name = "GET 1.0 without Host",
     IN(RL10 CRLF),
     OK(HEAD_M_GET, "/", 0, false, 0),
     GETS(HEAD_F_HOST, NULL)},
    {.name = "GET 1.0 with Host",
     IN(RL10 HOST CRLF),
     OK(HEAD_M_GET, "/", 0, false, 1)},
    {.name = "HEAD 1.0",
     IN("HEAD /x HTTP/1.0\r\n\r\n"),
     OK(HEAD_M_HEAD, "/x", 0, false, 0)},
    {.name = "HTTP/1.2 is answered as 1.1",
     IN("GET / HTTP/1.2\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "HTTP/1.9",
     IN("GET / HTTP/1.9\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "absolute-form",
     IN("GET http://x/a?b HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_GET, "http://x/a?b", 1, true, 1)},
    {.name = "absolute-form with port, 1.0 without Host",
     IN("GET http://x:8080/ HTTP/1.0\r\n\r\n"),
     OK(HEAD_M_GET, "http://x:8080/", 0, false, 0)},
    {.name = "target with query",
     IN("GET /a/b?c=d&e=%20f HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/a/b?c=d&e=%20f", 1, true, 1)},
    {.name = "target with %00",
     IN("GET /%00 HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/%00", 1, true, 1)},
    {.name = "target with obs-text bytes (passed on as received)",
     IN("GET /\xc3\xa9 HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/\xc3\xa9", 1, true, 1)},
    /* Methods. */
    {.name = "POST",
     IN("POST / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_OTHER, "/", 1, true, 1)},
    {.name = "PUT",
     IN("PUT / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_OTHER, "/", 1, true, 1)},
    {.name = "DELETE",
     IN("DELETE / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_OTHER, "/", 1, true, 1)},
    {.name = "CONNECT authority-form",
     IN("CONNECT x:443 HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_OTHER, "x:443", 1, true, 1)},
    {.name = "TRACE",
     IN("TRACE / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_OTHER, "/", 1, true, 1)},
    {.name = "PATCH",
     IN("PATCH / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_OTHER, "/", 1, true, 1)},
    {.name = "lower-case get is unknown",
     IN("get / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "/", 1, true, 1)},
    {.name = "Get is unknown",
     IN("Get / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "/", 1, true, 1)},
    {.name = "post is unknown",
     IN("post / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "/", 1, true, 1)},
    {.name = "GETX is unknown",
     IN("GETX / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "/", 1, true, 1)},
    {.name = "GE is unknown",
     IN("GE / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "/", 1, true, 1)},
    {.name = "HEADER is unknown",
     IN("HEADER / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "/", 1, true, 1)},
    {.name = "M-SEARCH is a token",
     IN("M-SEARCH * HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "*", 1, true, 1)},
    {.name = "method of tchar punctuation",
     IN("!#$%&'*+-.^_`|~ / HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "/", 1, true, 1)},
    {.name = "PRI with a 1.1 version",
     IN("PRI * HTTP/1.1\r\n" HOST CRLF),
     OK(HEAD_M_UNKNOWN, "*", 1, true, 1)},
    /* Keep-alive, RFC 9112 section 9.3. */
    {.name = "1.0 keep-alive",
     IN(RL10 "Connection: keep-alive\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, true, 1),
     GETS(HEAD_F_CONNECTION, "keep-alive")},
    {.name = "1.0 Keep-Alive",
     IN(RL10 "Connection: Keep-Alive\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, true, 1)},
    {.name = "1.0 KEEP-ALIVE, lower-case name",
     IN(RL10 "connection: KEEP-ALIVE\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, true, 1)},
    {.name = "1.0 keep-alive in a list",
     IN(RL10 "Connection: foo, keep-alive ,bar\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, true, 1)},
    {.name = "1.0 keep-alive on a second line",
     IN(RL10 "Connection: foo\r\nConnection: keep-alive\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, true, 2),
     GETS(HEAD_F_CONNECTION, "foo")},
    {.name = "1.0 keep-alive and close",
     IN(RL10 "Connection: keep-alive, close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, false, 1)},
    {.name = "1.0 close then keep-alive lines",
     IN(RL10 "Connection: close\r\nConnection: keep-alive\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, false, 2)},
    {.name = "1.0 close",
     IN(RL10 "Connection: close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, false, 1)},
    {.name = "1.0 keep-alives is not keep-alive",
     IN(RL10 "Connection: keep-alives\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, false, 1)},
    {.name = "1.0 keep-alive in Keep-Alive (the wrong field)",
     IN(RL10 "Keep-Alive: keep-alive\r\n\r\n"),
     OK(HEAD_M_GET, "/", 0, false, 1)},
    {.name = "1.1 close",
     IN(RL HOST "Connection: close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2),
     GETS(HEAD_F_CONNECTION, "close")},
    {.name = "1.1 Close",
     IN(RL HOST "Connection: Close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2)},
    {.name = "1.1 CLOSE, upper-case name",
     IN(RL HOST "CONNECTION: CLOSE\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2)},
    {.name = "1.1 keep-alive, close",
     IN(RL HOST "Connection: keep-alive, close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2)},
    {.name = "1.1 close, keep-alive",
     IN(RL HOST "Connection: close, keep-alive\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2)},
    {.name = "1.1 close among empty elements",
     IN(RL HOST "Connection: , ,close,,\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2)},
    {.name = "1.1 close with tabs",
     IN(RL HOST "Connection:\tclose\t\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2),
     GETS(HEAD_F_CONNECTION, "close")},
    {.name = "1.1 close on a second Connection line",
     IN(RL HOST "Connection: upgrade\r\nConnection: close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 3),
     GETS(HEAD_F_CONNECTION, "upgrade")},
    {.name = "1.1 upgrade",
     IN(RL HOST "Connection: upgrade\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2)},
    {.name = "1.1 closed is not close",
     IN(RL HOST "Connection: closed\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2)},
    {.name = "1.1 xclose is not close",
     IN(RL HOST "Connection: xclose\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2)},
    {.name = "1.1 'close x' is one element, not close",
     IN(RL HOST "Connection: close x\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2)},
    {.name = "1.1 close in X-Connection does not count",
     IN(RL HOST "X-Connection: close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_CONNECTION, NULL)},
    {.name = "1.1 empty Connection",
     IN(RL HOST "Connection:\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_CONNECTION, "")},
    {.name = "1.2 close",
     IN("GET / HTTP/1.2\r\n" HOST "Connection: close\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, false, 2)},
    /* Fields: OWS, empty values, obs-text. */
    {.name = "no OWS",
     IN(RL "Host:x\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "spaces around the value",
     IN(RL "Host:   x   \r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "tabs around the value",
     IN(RL "Host:\tx\t\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "mixed OWS around the value",
     IN(RL "Host: \t x \t \r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "inner white space kept",
     IN(RL HOST "User-Agent: a b \t c\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_USER_AGENT, "a b \t c")},
    {.name = "empty value",
     IN(RL HOST "X-Empty:\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     FIELD(1, "X-Empty", "")},
    {.name = "OWS-only value",
     IN(RL HOST "X-Empty: \t \r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     FIELD(1, "X-Empty", "")},
    {.name = "empty Host in 1.1",
     IN(RL "Host:\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "")},
    {.name = "obs-text in a value",
     IN(RL HOST "User-Agent: \x80\xff\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_USER_AGENT, "\x80\xff")},
    {.name = "UTF-8 in a value",
     IN(RL HOST "X-Name: J\xc3\xbcrgen\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     FIELD(1, "X-Name", "J\xc3\xbcrgen")},
    {.name = "colons in a value",
     IN(RL HOST "Referer: http://a:80/b\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_REFERER, "http://a:80/b")},
    {.name = "value with every printable byte class",
     IN(RL HOST "X-V: !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     FIELD(1, "X-V", "!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~")},
    {.name = "field name of tchar punctuation",
     IN(RL HOST "X-!#$%&'*+-.^_`|~: v\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     FIELD(1, "X-!#$%&'*+-.^_`|~", "v")},
    {.name = "one-letter field name",
     IN(RL HOST "X: y\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     FIELD(1, "X", "y")},
    /* Line ends. */
    {.name = "LF-only line ends",
     IN("GET / HTTP/1.1\nHost: x\n\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "LF request line, CRLF after",
     IN("GET / HTTP/1.1\nHost: x\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "CRLF then an LF field then CRLF end",
     IN(RL "Host: x\nUser-Agent: u\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_USER_AGENT, "u")},
    {.name = "LF then CRLF empty line",
     IN(RL "Host: x\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "CRLF then LF empty line",
     IN(RL "Host: x\r\n\n"),
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "1.0 no fields, LF only",
     IN("GET / HTTP/1.0\n\n"),
     OK(HEAD_M_GET, "/", 0, false, 0)},
    {.name = "leading CRLF",
     IN("\r\n" RL HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "leading LF",
     IN("\n" RL HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "leading CRLF CRLF LF",
     IN("\r\n\r\n\n" RL HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "leading LF CRLF, LF-only head",
     IN("\n\r\nGET / HTTP/1.0\n\n"),
     OK(HEAD_M_GET, "/", 0, false, 0)},
    /* What follows the head is not the head's. */
    {.name = "a pipelined request after the head",
     IN(RL HOST CRLF "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"),
     .end = sizeof(RL HOST CRLF) - 1,
     OK(HEAD_M_GET, "/", 1, true, 1)},
    {.name = "a body after the head",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5\r\n\r\nhello"),
     .end = sizeof("POST / HTTP/1.1\r\n" HOST "Content-Length: 5\r\n\r\n") - 1,
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     LENGTH(5)},
    {.name = "a body that looks like an empty line",
     IN(RL HOST CRLF "\r\n\r\n"),
     .end = sizeof(RL HOST CRLF) - 1,
     OK(HEAD_M_GET, "/", 1, true, 1)},
    /* Known fields. */
    {.name = "all known: Host",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_HOST, "h")},
    {.name = "all known: Range",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_RANGE, "bytes=0-1")},
    {.name = "all known: If-Range",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_IF_RANGE, "\"r\"")},
    {.name = "all known: If-Match",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_IF_MATCH, "\"m\"")},
    {.name = "all known: If-None-Match",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_IF_NONE_MATCH, "\"n\"")},
    {.name = "all known: If-Modified-Since",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_IF_MODIFIED_SINCE, "Sun, 06 Nov 1994 08:49:37 GMT")},
    {.name = "all known: If-Unmodified-Since",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_IF_UNMODIFIED_SINCE, "Mon, 07 Nov 1994 08:49:37 GMT")},
    {.name = "all known: Referer",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_REFERER, "http://r/")},
    {.name = "all known: User-Agent",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_USER_AGENT, "ua/1")},
    {.name = "all known: Connection",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_CONNECTION, "keep-alive")},
    {.name = "all known: Content-Length",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_CONTENT_LENGTH, "0")},
    {.name = "all known: Expect",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     GETS(HEAD_F_EXPECT, "100-continue")},
    {.name = "all known: the other one",
     IN(ALL_KNOWN),
     ALL_KNOWN_OK,
     FIELD(12, "X-Other", "o")},
    {.name = "Transfer-Encoding tagged",
     IN(RL HOST "Transfer-Encoding: chunked\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     CHUNKED,
     GETS(HEAD_F_TRANSFER_ENCODING, "chunked")},
    {.name = "HOST upper-case",
     IN(RL "HOST: x\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "host lower-case",
     IN(RL "host: x\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "x")},
    {.name = "hOsT mixed case",
     IN(RL "hOsT: x\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     FIELD(0, "hOsT", "x")},
    {.name = "X-Host is not Host",
     IN(RL "X-Host: y\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_HOST, "x")},
    {.name = "Hostx is not Host",
     IN(RL "Hostx: y\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_HOST, "x")},
    {.name = "Hos is not Host",
     IN(RL "Hos: y\r\n" HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 2),
     GETS(HEAD_F_HOST, "x")},
    {.name = "an absent known field",
     IN(RL HOST CRLF),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_RANGE, NULL)},
    {.name = "If-None-Match lines: head_get gives the first",
     IN(THREE_INM),
     OK(HEAD_M_GET, "/", 1, true, 4),
     GETS(HEAD_F_IF_NONE_MATCH, "\"a\"")},
    {.name = "If-None-Match lines: the second is kept",
     IN(THREE_INM),
     OK(HEAD_M_GET, "/", 1, true, 4),
     FIELD(2, "If-None-Match", "\"b\", \"c\"")},
    {.name = "If-None-Match lines: the third is kept",
     IN(THREE_INM),
     OK(HEAD_M_GET, "/", 1, true, 4),
     FIELD(3, "if-none-match", "\"d\"")},
    {.name = "two Range lines: the first",
     IN(RL HOST "Range: bytes=0-1\r\nRange: bytes=5-6\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 3),
     GETS(HEAD_F_RANGE, "bytes=0-1")},
    {.name = "Expect: 100-continue",
     IN(RL HOST "Expect: 100-continue\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     .expect = true},
    {.name = "Expect: 100-CONTINUE",
     IN(RL HOST "Expect: 100-CONTINUE\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     .expect = true},
    {.name = "Expect: something else",
     IN(RL HOST "Expect: 200-ok\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2)},
    /* Content-Length and chunked that are fine. */
    {.name = "Content-Length: 0",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 0\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     LENGTH(0)},
    {.name = "Content-Length: 35",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 35\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     LENGTH(35)},
    {.name = "Content-Length: 007",
     IN("PUT / HTTP/1.1\r\n" HOST "Content-Length: 007\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     LENGTH(7)},
    {.name = "Content-Length with OWS around",
     IN("PUT / HTTP/1.1\r\n" HOST "Content-Length: \t 5 \t\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     LENGTH(5)},
    {.name = "Content-Length: UINT64_MAX",
     IN("PUT / HTTP/1.1\r\n" HOST "Content-Length: " U64MAX_S "\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     LENGTH(UINT64_MAX)},
    {.name = "content-length lower-case, on a GET",
     IN(RL HOST "content-length: 3\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 2),
     LENGTH(3)},
    {.name = "Content-Length in 1.0",
     IN("POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 0, false, 1),
     LENGTH(2)},
    {.name = "chunked",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     CHUNKED},
    {.name = "Chunked",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: Chunked\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     CHUNKED},
    {.name = "CHUNKED, lower-case name",
     IN("POST / HTTP/1.1\r\n" HOST "transfer-encoding: CHUNKED\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     CHUNKED},
    {.name = "chunked among empty elements",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: , chunked ,\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, true, 2),
     CHUNKED},
    {.name = "chunked, close",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 1, false, 3),
     CHUNKED},

    /* Obsolete line folding. */
    {.name = "obs-fold with SP",
     IN(RL HOST "X-A: a\r\n b\r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "obs-fold with HTAB",
     IN(RL HOST "X-A: a\r\n\tb\r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "obs-fold of Host",
     IN(RL "Host: x\r\n y\r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "obs-fold of Content-Length",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 1\r\n 0\r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "obs-fold of Transfer-Encoding",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip,\r\n chunked"
        "\r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "white space before the first field",
     IN(RL " Host: x\r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "a line of one space",
     IN(RL HOST " \r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "obs-fold with LF line ends",
     IN("GET / HTTP/1.1\nHost: x\nX-A: a\n b\n\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    /* Bare CR. */
    {.name = "bare CR ends the request line",
     IN("GET / HTTP/1.1\rHost: x\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "bare CR after the method",
     IN("GET\r/ HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "bare CR in the target",
     IN("GET /a\rb HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "CR CR LF after the request line",
     IN("GET / HTTP/1.1\r\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "bare CR before the request line",
     IN("\rGET / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "bare CR in a name", IN(RL "Ho\rst: x\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "bare CR starts a field line",
     IN(RL HOST "\rX: y\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "bare CR in a value", IN(RL "Host: x\ry\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "bare CR as a line end inside a value",
     IN(RL "Host: x\rContent-Length: 5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "CR CR LF at a field's end",
     IN(RL "Host: x\r\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "CR then OWS at a field's end",
     IN(RL "Host: x\r \r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "CR CR LF as the empty line",
     IN(RL HOST "\r\r\n\r\n"),
     .rc = HEAD_BAD},
    /* NUL. */
    {.name = "NUL in the method",
     IN("G\0ET / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "NUL in the target",
     IN("GET /\0 HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "NUL after the version",
     IN("GET / HTTP/1.1\0\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "NUL before the request line",
     IN("\0GET / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "NUL in a name", IN(RL "Ho\0st: x\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "NUL in a value", IN(RL "Host: x\0y\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "NUL at a value's end",
     IN(RL "Host: x\0\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "NUL line", IN(RL HOST "\0\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "NUL before the empty line's CR",
     IN(RL HOST "\0\r\n"),
     .incomplete = true},
    /* DEL and other control bytes. */
    {.name = "DEL in a value", IN(RL "Host: x\x7f\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "DEL in a name", IN(RL "Ho\x7fst: x\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "DEL in the target",
     IN("GET /\x7f HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "DEL in the method",
     IN("GE\x7fT / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "SOH in a value", IN(RL "Host: x\x01y\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "VT in a value", IN(RL "Host: \vx\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "FF in a value", IN(RL "Host: x\f\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "ESC in a value",
     IN(RL HOST "User-Agent: \x1b[31m\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "US in a value",
     IN(RL HOST "User-Agent: a\x1f\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "HTAB in a name", IN(RL "Ho\tst: x\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "SOH in the target",
     IN("GET /\x01 HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "US in the target",
     IN("GET /a\x1f HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "HTAB in the target",
     IN("GET /a\tb HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    /* Content-Length. */
    {.name = "two equal Content-Length",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5\r\n"
        "Content-Length: 5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "two different Content-Length",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5\r\n"
        "content-length: 6\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: +35",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: +35\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: -1",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: -1\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 1 5 (inner space)",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 1 5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 1<TAB>5",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 1\t5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 5,5",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5,5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 5, 5",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5, 5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 2^64",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: " U64OVER_S "\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 20 nines",
     IN("POST / HTTP/1.1\r\n" HOST
        "Content-Length: 99999999999999999999\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 0x5",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 0x5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 5a",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5a\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 1e3",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 1e3\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "empty Content-Length",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length:\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length of spaces",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length:   \r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: Arabic-Indic digit",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: \xd9\xa1\r\n\r\n"),
     .rc = HEAD_BAD},
    /* Transfer-Encoding. */
    {.name = "Content-Length then Transfer-Encoding",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Transfer-Encoding then Content-Length",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n"
        "Content-Length: 5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length: 0 with chunked",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 0\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Content-Length with an unknown coding",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length: 5\r\n"
        "Transfer-Encoding: gzip\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "chunked in 1.0",
     IN("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "gzip in 1.0",
     IN("POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "chunked and Content-Length in 1.0",
     IN("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
        "Content-Length: 5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "gzip: 501",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip\r\n\r\n"),
     .rc = HEAD_NOT_IMPLEMENTED},
    {.name = "gzip, chunked: 501",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip, chunked\r\n\r\n"),
     .rc = HEAD_NOT_IMPLEMENTED},
    {.name = "identity: 501",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: identity\r\n\r\n"),
     .rc = HEAD_NOT_IMPLEMENTED},
    {.name = "chunked with a parameter: 501",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked;x=1\r\n\r\n"),
     .rc = HEAD_NOT_IMPLEMENTED},
    {.name = "xchunked: 501",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: xchunked\r\n\r\n"),
     .rc = HEAD_NOT_IMPLEMENTED},
    {.name = "gzip line then chunked line: 501",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"),
     .rc = HEAD_NOT_IMPLEMENTED},
    {.name = "chunked, gzip: chunked not last",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked, gzip\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "chunked, chunked",
     IN("POST / HTTP/1.1\r\n" HOST
        "Transfer-Encoding: chunked, chunked\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "chunked line then gzip line",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n"
        "Transfer-Encoding: gzip\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "chunked line twice",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "empty Transfer-Encoding",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding:\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Transfer-Encoding of commas",
     IN("POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: , ,\r\n\r\n"),
     .rc = HEAD_BAD},
    /* Field names. */
    {.name = "empty name", IN(RL HOST ": x\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "space-only name",
     IN(RL HOST "   : y\r\n\r\n"),
     .rc = HEAD_BAD,
     .why = "folding"},
    {.name = "space before the colon",
     IN(RL "Host : y\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "tab before the colon",
     IN(RL "Host\t: y\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "space before a Content-Length colon",
     IN("POST / HTTP/1.1\r\n" HOST "Content-Length : 5\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "space inside a name",
     IN(RL HOST "X Y: z\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "no colon", IN(RL HOST "X-A\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "no colon, a space", IN(RL HOST "X-A b\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "parenthesis in a name",
     IN(RL HOST "X(a): z\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "slash in a name", IN(RL HOST "X/a: z\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "quote in a name", IN(RL HOST "X\"a: z\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "obs-text in a name",
     IN(RL HOST "X\xc3\xa9: z\r\n\r\n"),
     .rc = HEAD_BAD},
    /* Host. */
    {.name = "two Host", IN(RL HOST HOST CRLF), .rc = HEAD_BAD},
    {.name = "two Host, different values and case",
     IN(RL "Host: a\r\nhost: b\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "two Host in 1.0", IN(RL10 HOST HOST CRLF), .rc = HEAD_BAD},
    {.name = "no Host in 1.1", IN(RL CRLF), .rc = HEAD_BAD},
    {.name = "no Host in 1.1, another field",
     IN(RL "User-Agent: u\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "absolute-form without Host in 1.1",
     IN("GET http://x/ HTTP/1.1\r\n\r\n"),
     .rc = HEAD_BAD},
    /* RFC 9112 3.2: a Host value that is not uri-host [ ":" port ]. */
    {.name = "Host with a space", IN(RL "Host: a b\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "Host with a slash", IN(RL "Host: a/b\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "Host with userinfo", IN(RL "Host: u@a\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "Host with a quote", IN(RL "Host: \"a\"\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "Host with 8-bit bytes",
     IN(RL "Host: \xc3\xa9.example\r\n\r\n"),
     .rc = HEAD_BAD},
    {.name = "Host name and port",
     IN(RL "Host: symbols.example:8080\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "symbols.example:8080")},
    {.name = "Host IPv6 literal and port",
     IN(RL "Host: [::1]:8443\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "[::1]:8443")},
    {.name = "Host empty (no authority in the target)",
     IN(RL "Host:\r\n\r\n"),
     OK(HEAD_M_GET, "/", 1, true, 1),
     GETS(HEAD_F_HOST, "")},
    /* Versions. */
    {.name = "HTTP/0.9: no version", IN("GET /\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "method only", IN("GET\r\n\r\n"), .rc = HEAD_BAD},
    {.name = "HTTP/2 preface",
     IN("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
     .end = 18,
     .rc = HEAD_VERSION},
    {.name = "HTTP/2.0",
     IN("GET / HTTP/2.0\r\n" HOST CRLF),
     .rc = HEAD_VERSION},
    {.name = "HTTP/3.0",
     IN("GET / HTTP/3.0\r\n" HOST CRLF),
     .rc = HEAD_VERSION},
    {.name = "HTTP/0.9",
     IN("GET / HTTP/0.9\r\n" HOST CRLF),
     .rc = HEAD_VERSION},
    {.name = "HTTP/9.9",
     IN("GET / HTTP/9.9\r\n" HOST CRLF),
     .rc = HEAD_VERSION},
    {.name = "HTTP/4294967297.1",
     IN("GET / HTTP/4294967297.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "HTTP/1.257",
     IN("GET / HTTP/1.257\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "HTTP/1.-1", IN("GET / HTTP/1.-1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP/11.1", IN("GET / HTTP/11.1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP/01.1", IN("GET / HTTP/01.1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP/1", IN("GET / HTTP/1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP/1.", IN("GET / HTTP/1.\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP/1,1", IN("GET / HTTP/1,1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP/1.x", IN("GET / HTTP/1.x\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "http/1.1", IN("GET / http/1.1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTPS/1.1", IN("GET / HTTPS/1.1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP 1.1", IN("GET / HTTP 1.1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "HTTP/1.1 with a trailing space",
     IN("GET / HTTP/1.1 \r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "HTTP/1.1 with a trailing tab",
     IN("GET / HTTP/1.1\t\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "no version after the space",
     IN("GET / \r\n" HOST CRLF),
     .rc = HEAD_BAD},
    /* Request line shape. */
    {.name = "two spaces after the method",
     IN("GET  / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "two spaces before the version",
     IN("GET /  HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "leading space",
     IN(" GET / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "empty method", IN(" / HTTP/1.1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "tab after the method",
     IN("GET\t/ HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "tab before the version",
     IN("GET /\tHTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "tabs only", IN("GET\t/\tHTTP/1.1\r\n" HOST CRLF), .rc = HEAD_BAD},
    {.name = "space in the target",
     IN("GET /a b HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "non-tchar in the method",
     IN("GE(T / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "colon in the method",
     IN("GET: / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "obs-text in the method",
     IN("G\xc3\x89T / HTTP/1.1\r\n" HOST CRLF),
     .rc = HEAD_BAD},
    {.name = "a field line where the request line should be",
     IN("Host: x\r\n\r\n"),
     .rc = HEAD_BAD},
    /* Heads that have not ended. */
    {.name = "nothing", IN(""), .incomplete = true},
    {.name = "one CR", IN("\r"), .incomplete = true},
    {.name = "only empty lines", IN("\r\n\r\n\n\n\r\n"), .incomplete = true},
    {.name = "request line unended", IN("GET / HTTP/1.1"), .incomplete = true},
    {.name = "request line then CR",
     IN("GET / HTTP/1.1\r"),
     .incomplete = true},
    {.name = "request line ended", IN(RL), .incomplete = true},
    {.name = "request line and CR", IN(RL "\r"), .incomplete = true},
    {.name = "a field ended", IN(RL HOST), .incomplete = true},
    {.name = "a field and CR", IN(RL HOST "\r"), .incomplete = true},
    {.name = "a field and bare CRs", IN(RL HOST "\r\r"), .incomplete = true},
    {.name = "LF then CR",
     IN("GET / HTTP/1.1\nHost: x\n\r"),
     .incomplete = true},
    {.name = "empty lines then a request line",
     IN("\r\n\n" RL),
     .incomplete = true},
    {.name = "CR CR LF is no empty line",
     IN(RL HOST "\r\r\n"),
     .incomplete = true},
};

static const char *
rc_name(enum head_rc rc)
{
    switch (rc) {
    case HEAD_OK:
        return "OK";
    case HEAD_BAD:
        return "BAD";
    case HEAD_URI_TOO_LONG:
        return "URI_TOO_LONG";
    case HEAD_TOO_LARGE:
        return "TOO_LARGE";
    case HEAD_VERSION:
        return "VERSION";
    case HEAD_NOT_IMPLEMENTED:
        return "NOT_IMPLEMENTED";
    }
    return "?";
}

/* An exact-size heap copy, so that ASan sees a read past the end. */
static char *
dup_exact(const char *s, size_t len)
{
    char *p = (char *)unit_exact(s, len);

    assert_non_null(p);
    return p;
}

/*
 * head_end() written another way: skip empty lines, then the first line
 * that is empty (or a lone CR) after a non-empty one ends the head.
 */
static size_t
ref_end(const char *buf, size_t len)
{
    size_t pos = 0;
    bool started = false;

    for (;;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t n;

        if (nl == NULL)
            return 0;
        n = (size_t)(nl - (buf + pos));
        if (n == 0 || (n == 1 && buf[pos] == '\r')) {
            if (started)
                return pos + n + 1;
        } else {
            started = true;
        }
        pos += n + 1;
    }
}

/* head_end() on an exact copy of s[0..len), resuming from *scanned. */
static size_t
end_of(const char *s, size_t len, size_t *scanned)
{
    char *b = dup_exact(s, len);
    size_t e = head_end(b, len, scanned);

    free(b);
    return e;
}

/*
 * head_end() of s[0..len) must be want whether it sees the bytes at once,
 * one at a time, or in two pieces split anywhere. Returns failures.
 */
static unsigned
check_end(const char *name, const char *s, size_t len, size_t want)
{
    size_t scanned = 0, e;

    e = end_of(s, len, &scanned);
    if (e != want) {
        print_error("%s: head_end %zu, want %zu\n", name, e, want);
        return 1;
    }
    if (ref_end(s, len) != want) {
        print_error("%s: reference end %zu, want %zu\n", name, ref_end(s, len),
                    want);
        return 1;
    }
    /* One byte at a time: the end shows up exactly when its byte does. */
    scanned = 0;
    for (size_t n = 0; n <= len; n++) {
        e = end_of(s, n, &scanned);
        if (e != 0 || (want != 0 && n == want)) {
            if (e != want || n != want) {
                print_error("%s: byte by byte, head_end %zu at %zu bytes, "
                            "want %zu\n",
                            name, e, n, want);
                return 1;
            }
            break;
        }
    }
    /* Two pieces. */
    for (size_t k = 0; k <= len; k++) {
        size_t e1, e2;

        scanned = 0;
        e1 = end_of(s, k, &scanned);
        if (e1 != 0) {
            if (e1 != want || want > k) {
                print_error("%s: split at %zu, first head_end %zu, want "
                            "%zu\n",
                            name, k, e1, want);
                return 1;
            }
            continue;
        }
        if (want != 0 && want <= k) {
            print_error("%s: split at %zu, first head_end missed %zu\n", name,
                        k, want);
            return 1;
        }
        e2 = end_of(s, len, &scanned);
        if (e2 != want) {
            print_error("%s: split at %zu, head_end %zu, want %zu\n", name, k,
                        e2, want);
            return 1;
        }
    }
    return 0;
}

static bool
inside(const struct head_str *s, const char *buf, size_t len)
{
    return s->p >= buf && s->len <= len && s->p - buf <= (ptrdiff_t)len &&
           (size_t)(s->p - buf) + s->len <= len;
}

static bool
str_is(const struct head_str *s, const char *want)
{
    return s->len == strlen(want) && memcmp(s->p, want, s->len) == 0;
}

/* The slices of an OK head lie inside buf[0..len). */
static unsigned
check_slices(const char *name, const struct head *h, const char *buf,
             size_t len)
{
    bool ok = inside(&h->method, buf, len) && inside(&h->target, buf, len) &&
              inside(&h->version, buf, len) && h->nfields <= HEAD_FIELDS_MAX;

    for (size_t i = 0; ok && i < h->nfields; i++)
        ok = inside(&h->fields[i].name, buf, len) &&
             inside(&h->fields[i].value, buf, len);
    if (!ok)
        print_error("%s: a slice points outside the head\n", name);
    return ok ? 0 : 1;
}

/*
 * head_nul_terminate() on the head parsed again in a copy turns each slice
 * into a C string of its own length, writing inside the head only (ASan).
 */
static unsigned
check_nul_terminate(const char *name, const struct head *h, const char *buf,
                    size_t len)
{
    char *copy = dup_exact(buf, len);
    struct head *h2 = malloc(sizeof(*h2));
    const char *why = NULL;
    unsigned failures = 0;
    const struct head_str *was[3 + HEAD_FIELDS_MAX], *now[3 + HEAD_FIELDS_MAX];
    size_t n = 0;

    assert_non_null(h2);
    assert_int_equal(head_parse(copy, len, h2, &why), HEAD_OK);
    assert_int_equal(h2->nfields, h->nfields);
    was[n] = &h->method, now[n++] = &h2->method;
    was[n] = &h->target, now[n++] = &h2->target;
    was[n] = &h->version, now[n++] = &h2->version;
    for (size_t i = 0; i < h->nfields; i++)
        was[n] = &h->fields[i].value, now[n++] = &h2->fields[i].value;
    head_nul_terminate(copy, h2);
    for (size_t i = 0; i < n; i++) {
        if (now[i]->len != was[i]->len ||
            memcmp(now[i]->p, was[i]->p, was[i]->len) != 0 ||
            now[i]->p[now[i]->len] != '\0') {
            print_error("%s: head_nul_terminate: slice %zu is not a C "
                        "string of its own\n",
                        name, i);
            failures++;
        }
    }
    free(h2);
    free(copy);
    return failures;
}

static unsigned
check_ok(const struct head_case *c, const struct head *h, const char *buf,
         size_t len)
{
    unsigned failures = check_slices(c->name, h, buf, len);

    assert_non_null(c->target);
    if (h->m != c->m || !str_is(&h->target, c->target) ||
        h->minor != c->minor || h->keep_alive != c->keep_alive ||
        h->nfields != c->nfields) {
        print_error("%s: m=%d target=%.*s minor=%u keep_alive=%d "
                    "nfields=%zu, want m=%d target=%s minor=%u "
                    "keep_alive=%d nfields=%zu\n",
                    c->name, (int)h->m, (int)h->target.len, h->target.p,
                    h->minor, h->keep_alive, h->nfields, (int)c->m, c->target,
                    c->minor, c->keep_alive, c->nfields);
        failures++;
    }
    if (h->has_body != c->has_body || h->length != c->length ||
        h->chunked != c->chunked || h->expect_continue != c->expect) {
        print_error("%s: has_body=%d length=%llu chunked=%d expect=%d, want "
                    "%d %llu %d %d\n",
                    c->name, h->has_body, (unsigned long long)h->length,
                    h->chunked, h->expect_continue, c->has_body,
                    (unsigned long long)c->length, c->chunked, c->expect);
        failures++;
    }
    if (c->check_get) {
        const struct head_str *v = head_get(h, c->get_id);

        if ((v == NULL) != (c->get_value == NULL) ||
            (v != NULL && !str_is(v, c->get_value))) {
            print_error("%s: head_get(%d) = %.*s, want %s\n", c->name,
                        (int)c->get_id, v ? (int)v->len : 4, v ? v->p : "NULL",
                        c->get_value ? c->get_value : "NULL");
            failures++;
        }
    }
    failures += check_nul_terminate(c->name, h, buf, len);
    if (c->check_field &&
        (c->field_i >= h->nfields ||
         !str_is(&h->fields[c->field_i].name, c->field_name) ||
         !str_is(&h->fields[c->field_i].value, c->field_value))) {
        print_error("%s: fields[%zu] is not %s: %s\n", c->name, c->field_i,
                    c->field_name, c->field_value);
        failures++;
    }
    return failures;
}

static unsigned
check_case(const struct head_case *c)
{
    size_t want_end = c->incomplete ? 0 : c->end ? c->end : c->len;
    unsigned failures = check_end(c->name, c->in, c->len, want_end);
    struct head *h;
    const char *why = NULL;
    char *buf;
    enum head_rc rc;

    if (failures > 0 || want_end == 0)
        return failures;
    /* The head alone, exactly: a read past its end is a read past the copy. */
    buf = dup_exact(c->in, want_end);
    h = malloc(sizeof(*h));
    assert_non_null(h);
    memset(h, 0xA5, sizeof(*h));
    rc = head_parse(buf, want_end, h, &why);
    if (rc != c->rc) {
        print_error("%s: head_parse %s (%s), want %s\n", c->name, rc_name(rc),
                    rc == HEAD_OK ? ""
                    : why         ? why
                                  : "no reason",
                    rc_name(c->rc));
        failures++;
    } else if (rc == HEAD_OK) {
        failures += check_ok(c, h, buf, want_end);
    } else if (why == NULL || why[0] == '\0' || why[strlen(why) - 1] != '\n') {
        print_error("%s: no reason for %s\n", c->name, rc_name(rc));
        failures++;
    } else if (c->why != NULL && strstr(why, c->why) == NULL) {
        print_error("%s: reason '%s' lacks '%s'\n", c->name, why, c->why);
        failures++;
    }
    free(h);
    free(buf);
    return failures;
}

static unsigned
run_cases(const struct head_case *cs, size_t n)
{
    unsigned failures = 0;

    for (size_t i = 0; i < n; i++)
        failures += check_case(&cs[i]);
    return failures;
}

static void
test_head_table(void **state)
{
    size_t n = sizeof(cases) / sizeof(cases[0]);

    (void)state;
    print_message("%zu head cases\n", n);
    assert_true(n >= 150);
    assert_int_equal(run_cases(cases, n), 0);
}

/*
 * Rows the parser once failed (found by this table and the fuzz target),
 * kept as regressions: each says what was wrong.
 */
static const struct head_case found_bug_cases[] = {
    /*
     * RFC 9110 section 10.1.1: "A server that receives a 100-continue
     * expectation in an HTTP/1.0 request MUST ignore that expectation."
     */
    {.name = "1.0 Expect: 100-continue is ignored",
     IN("PUT / HTTP/1.0\r\nContent-Length: 5\r\n"
        "Expect: 100-continue\r\n\r\n"),
     OK(HEAD_M_OTHER, "/", 0, false, 2),
     LENGTH(5)},
};

static void
test_head_found_bugs(void **state)
{
    (void)state;
    assert_int_equal(run_cases(found_bug_cases, sizeof(found_bug_cases) /
                                                    sizeof(found_bug_cases[0])),
                     0);
}

/* Where head_end() must agree with itself however the bytes arrive. */
static const struct {
    const char *name;
    const char *in;
    size_t len;
} split_heads[] = {
    {"CRLF", IN(RL HOST "User-Agent: u\r\n\r\n")},
    {"LF", IN("GET / HTTP/1.1\nHost: x\nUser-Agent: u\n\n")},
    {"LF then CRLF end", IN("GET / HTTP/1.1\nHost: x\n\r\n")},
    {"CRLF then LF end", IN(RL "Host: x\r\n\n")},
    {"mixed", IN("GET / HTTP/1.1\nHost: x\r\nA: b\nC: d\r\n\n")},
    {"leading CRLF", IN("\r\n" RL HOST CRLF)},
    {"leading LF CRLF LF", IN("\n\r\n\n" RL HOST CRLF)},
    {"leading lines, LF head", IN("\r\n\n\r\nGET / HTTP/1.0\n\n")},
    {"bare CRs about", IN("\r\r\nGET / HTTP/1.1\r\r\nHost: x\r\r\n\r\n")},
    {"CR LF CR then LF", IN(RL HOST "\r\n\r"
                                    "\n")},
    {"pipelined", IN(RL HOST CRLF RL HOST CRLF)},
    {"body of empty lines", IN(RL HOST CRLF "\r\n\n\r\n")},
    {"HTTP/2 preface", IN("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")},
    {"NULs", IN("\0\r\nGET\0/ HTTP/1.1\r\n\0\r\n\r\n")},
    {"request line only, LF", IN("GET / HTTP/1.0\n\n")},
    {"one-letter lines", IN("\nG\nH\n\r\n")},
    {"unended", IN("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r")},
};

static void
test_head_end_splits(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(split_heads) / sizeof(split_heads[0]); i++)
        failures += check_end(split_heads[i].name, split_heads[i].in,
                              split_heads[i].len,
                              ref_end(split_heads[i].in, split_heads[i].len));
    assert_int_equal(failures, 0);
}

/* The request line and nfields fields "X-F<i>: v<i>" (Host first), ended. */
static char *
many_fields(size_t nfields, const char *extra, size_t *len)
{
    size_t cap = 64 + nfields * 32 + strlen(extra), n;
    char *s = malloc(cap), *exact;

    assert_non_null(s);
    n = (size_t)snprintf(s, cap, "GET / HTTP/1.1\r\n");
    for (size_t i = 0; i < nfields; i++) {
        if (i == 0)
            n += (size_t)snprintf(s + n, cap - n, "Host: x\r\n");
        else
            n += (size_t)snprintf(s + n, cap - n, "X-F%zu: v%zu\r\n", i, i);
        assert_true(n < cap);
    }
    n += (size_t)snprintf(s + n, cap - n, "%s\r\n", extra);
    assert_true(n < cap);
    exact = dup_exact(s, n);
    free(s);
    *len = n;
    return exact;
}

static void
test_many_fields(void **state)
{
    static const struct {
        size_t nfields;
        const char *extra;
        enum head_rc rc;
    } rows[] = {
        {1, "", HEAD_OK},
        {HEAD_FIELDS_MAX - 1, "", HEAD_OK},
        {HEAD_FIELDS_MAX, "", HEAD_OK},
        {HEAD_FIELDS_MAX + 1, "", HEAD_TOO_LARGE},
        {HEAD_FIELDS_MAX + 100, "", HEAD_TOO_LARGE},
        {HEAD_FIELDS_MAX, "Connection: close\r\n", HEAD_TOO_LARGE},
        {HEAD_FIELDS_MAX, "bad field\r\n", HEAD_TOO_LARGE},
        {HEAD_FIELDS_MAX - 1, "Connection: close\r\n", HEAD_OK},
        {HEAD_FIELDS_MAX - 1, "bad field\r\n", HEAD_BAD},
    };

    (void)state;
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        size_t len, scanned = 0;
        char *buf = many_fields(rows[r].nfields, rows[r].extra, &len);
        struct head *h = malloc(sizeof(*h));
        const char *why = NULL;
        enum head_rc rc;

        assert_non_null(h);
        assert_int_equal(head_end(buf, len, &scanned), len);
        rc = head_parse(buf, len, h, &why);
        if (rc != rows[r].rc)
            print_error("%zu fields + '%s': %s, want %s\n", rows[r].nfields,
                        rows[r].extra, rc_name(rc), rc_name(rows[r].rc));
        assert_int_equal(rc, rows[r].rc);
        if (rc == HEAD_OK) {
            size_t want = rows[r].nfields + (rows[r].extra[0] != '\0');

            assert_int_equal(h->nfields, want);
            assert_int_equal(check_slices("many", h, buf, len), 0);
            assert_true(str_is(&h->fields[want - 1].value,
                               rows[r].extra[0] ? "close" : "v63") ||
                        want != HEAD_FIELDS_MAX);
            assert_int_equal(h->first[HEAD_F_HOST], 0);
            assert_int_equal(h->keep_alive, rows[r].extra[0] == '\0');
        } else {
            assert_non_null(why);
        }
        free(h);
        free(buf);
    }
}

/* head_overflow(): 414 while no line has ended, 431 after. */
static const struct {
    const char *name;
    const char *in;
    size_t len;
    enum head_rc rc;
} overflow_cases[] = {
    {"request line", IN("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
     HEAD_URI_TOO_LONG},
    {"request line and CR", IN("GET /aaaaaaaaaaaa HTTP/1.1\r"),
     HEAD_URI_TOO_LONG},
    {"empty lines then request line", IN("\r\n\n\r\nGET /aaaaaaaaaaaaaaa"),
     HEAD_URI_TOO_LONG},
    {"request line with NUL", IN("GET /aa\0aaaaaaaaaaaaaaaaaaaa"),
     HEAD_URI_TOO_LONG},
    {"request line with bare CRs", IN("GET /a\ra\ra\ra\ra\r"),
     HEAD_URI_TOO_LONG},
    {"a field", IN(RL "Host: xxxxxxxxxxxxxxxxxxxx"), HEAD_TOO_LARGE},
    {"LF request line, a field", IN("GET / HTTP/1.1\nCookie: aaaaaaaa"),
     HEAD_TOO_LARGE},
    {"empty lines, request line, fields", IN("\r\n" RL HOST "A: b\r\nC: d"),
     HEAD_TOO_LARGE},
    {"many fields", IN(RL HOST "A: b\r\nA: b\r\nA: b\r\nA: b\r\n"),
     HEAD_TOO_LARGE},
    {"a field and CR", IN(RL HOST "\r"), HEAD_TOO_LARGE},
};

static void
test_overflow(void **state)
{
    unsigned failures = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(overflow_cases) / sizeof(overflow_cases[0]);
         i++) {
        size_t len = overflow_cases[i].len, scanned = 0;
        char *buf = dup_exact(overflow_cases[i].in, len);
        const char *why = NULL;
        enum head_rc rc;

        assert_int_equal(head_end(buf, len, &scanned), 0);
        rc = head_overflow(buf, len, &why);
        if (rc != overflow_cases[i].rc || why == NULL) {
            print_error("%s: head_overflow %s, want %s\n",
                        overflow_cases[i].name, rc_name(rc),
                        rc_name(overflow_cases[i].rc));
            failures++;
        }
        free(buf);
    }
    assert_int_equal(failures, 0);
}

/* A long request line: the parser has no limit of its own. */
static void
test_long_request_line(void **state)
{
    size_t tlen = 100000, len = 4 + tlen + 11 + 9 + 2, scanned = 0;
    char *buf = malloc(len);
    struct head *h = malloc(sizeof(*h));
    const char *why = NULL;

    (void)state;
    assert_non_null(buf);
    assert_non_null(h);
    memcpy(buf, "GET ", 4);
    buf[4] = '/';
    memset(buf + 5, 'a', tlen - 1);
    memcpy(buf + 4 + tlen, " HTTP/1.1\r\nHost: x\r\n\r\n", 11 + 9 + 2);
    assert_int_equal(head_overflow(buf, 4 + tlen, &why), HEAD_URI_TOO_LONG);
    assert_int_equal(head_overflow(buf, 4 + tlen + 11, &why), HEAD_TOO_LARGE);
    assert_int_equal(head_end(buf, len, &scanned), len);
    assert_int_equal(head_parse(buf, len, h, &why), HEAD_OK);
    assert_int_equal(h->target.len, tlen);
    free(h);
    free(buf);
}

/*
 * head.h: "a head that arrives byte by byte is still read in linear
 * time". Empty lines before the request line, one byte at a time, up to
 * the largest max_header_size (1 MiB), must take no more than a moment.
 */
static void
test_head_end_linear_leading_lines(void **state)
{
    size_t len = 1 << 20, scanned = 0, n;
    char *buf = malloc(len);
    clock_t start = clock(), budget = 2 * CLOCKS_PER_SEC;

    (void)state;
    assert_non_null(buf);
    for (size_t i = 0; i < len; i += 2)
        memcpy(buf + i, "\r\n", 2);
    for (n = 1; n <= len; n++) {
        if (head_end(buf, n, &scanned) != 0)
            break;
        if ((n & 1023) == 0 && clock() - start > budget)
            break;
    }
    if (n <= len && clock() - start > budget)
        print_error("head_end: %zu of %zu bytes fed one at a time in %.1f "
                    "s\n",
                    n, len, (double)(clock() - start) / CLOCKS_PER_SEC);
    if (n <= len && clock() - start <= budget) {
        /* An end among empty lines: there is no request line to serve. */
        struct head *h = malloc(sizeof(*h));
        const char *why = NULL;

        assert_non_null(h);
        assert_int_not_equal(head_parse(buf, n, h, &why), HEAD_OK);
        free(h);
    }
    free(buf);
    assert_true(clock() - start <= budget);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_head_table),
    cmocka_unit_test(test_head_end_splits),
    cmocka_unit_test(test_many_fields),
    cmocka_unit_test(test_overflow),
    cmocka_unit_test(test_long_request_line),
    cmocka_unit_test(test_head_found_bugs),
    cmocka_unit_test(test_head_end_linear_leading_lines),
};

int
main(int argc, char **argv)
{
    static const struct unit_group groups[] = {
        UNIT_GROUP(NULL, tests, false),
    };

    return unit_main(argc, argv, groups, sizeof(groups) / sizeof(groups[0]));
}
