/* Unit tests for include/store/ids.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/ids.h"
#include "util/hex.h"

#define ID40 "180a373d6afbabf0eb1f09be1bc45bd796a71085"
#define ID32 "180a373d6afbabf0eb1f09be1bc45bd7"
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX128 HEX64 HEX64
/* The fixture stripped_executable (PROTOCOL.md's example). */
#define FIX_ID "126ba1461caf6644cfdd124bfcceeffa81b18897"
#define FIX_DEBUG "46A16B12AF1C4466CFDD124BFCCEEFFA0"

static void
hex_of(const unsigned char *p, size_t n, char *out)
{
    hex_encode(p, n, false, out);
}

struct elf_case {
    const char *build_id; /* hex */
    const char *debug_id; /* Breakpad's text */
};

static const struct elf_case elf_cases[] = {
    {FIX_ID, FIX_DEBUG},
    /* 16 bytes exactly (--build-id=md5): nothing dropped, nothing padded. */
    {"001ba81f23966cf77e40bcbb0701cd34", "1FA81B009623F76C7E40BCBB0701CD340"},
    /* Shorter than 16 bytes: zero-padded before the swap. */
    {"deadbeef", "EFBEADDE0000000000000000000000000"},
    {"01", "00000001000000000000000000000000"
           "0"},
    /* Longer than 20 bytes: only the first 16 count. */
    {HEX64, "67452301AB89EFCD0123456789ABCDEF0"},
};

static void
test_elf_debug_id(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(elf_cases) / sizeof(elf_cases[0]); i++) {
        const struct elf_case *c = &elf_cases[i];
        unsigned char id[IDS_ID_MAX], back[IDS_GUID_LEN];
        size_t n = 0;
        struct ids_debug d = {.age = 0};
        char text[IDS_DEBUG_TEXT_MAX + 1], hex[33];

        assert_true(ids_parse_hex(c->build_id, strlen(c->build_id), id, &n));
        ids_elf_guid(id, n, d.guid);
        ids_debug_text(&d, text);
        if (strcmp(text, c->debug_id) != 0)
            fail_msg("%s: debug id %s, want %s", c->build_id, text,
                     c->debug_id);
        /* The swap is its own inverse: back to the build-id's prefix. */
        ids_elf_guid(d.guid, IDS_GUID_LEN, back);
        hex_of(back, IDS_GUID_LEN, hex);
        if (strncmp(hex, c->build_id,
                    strlen(c->build_id) < 32 ? strlen(c->build_id) : 32) != 0)
            fail_msg("%s: back %s", c->build_id, hex);
    }
}

struct debug_case {
    const char *text;
    bool ok;
    const char *guid; /* hex, when ok */
    uint32_t age;
};

static const struct debug_case debug_cases[] = {
    {FIX_DEBUG, true, "46a16b12af1c4466cfdd124bfcceeffa", 0},
    {"46a16b12af1c4466cfdd124bfcceeffa0", true,
     "46a16b12af1c4466cfdd124bfcceeffa", 0},
    {"C9A61DDDD7E44353A668E39AC614A7EAa", true,
     "c9a61dddd7e44353a668e39ac614a7ea", 10},
    {"C9A61DDDD7E44353A668E39AC614A7EAFFFFFFFF", true,
     "c9a61dddd7e44353a668e39ac614a7ea", 0xffffffffu},
    /* Hostile: no age, a ninth age digit, non-hex, NUL, separators. */
    {"C9A61DDDD7E44353A668E39AC614A7EA", false, NULL, 0},
    {"C9A61DDDD7E44353A668E39AC614A7EA100000000", false, NULL, 0},
    {"C9A61DDDD7E44353A668E39AC614A7EG1", false, NULL, 0},
    {"C9A61DDD-D7E4-4353-A668-E39AC614A7EA-1", false, NULL, 0},
    {"C9A61DDDD7E44353A668E39AC614A7EA 1", false, NULL, 0},
    {"C9A61DDDD7E44353A668E39AC614A7EA/1", false, NULL, 0},
    {"0x9A61DDDD7E44353A668E39AC614A7EA1", false, NULL, 0},
    {"", false, NULL, 0},
    {"1", false, NULL, 0},
};

static void
test_parse_debug(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(debug_cases) / sizeof(debug_cases[0]); i++) {
        const struct debug_case *c = &debug_cases[i];
        struct ids_debug d;
        char hex[33];
        bool ok = ids_parse_debug(c->text, strlen(c->text), &d);

        if (ok != c->ok)
            fail_msg("'%s': %s", c->text, ok ? "parsed" : "refused");
        if (!ok)
            continue;
        hex_of(d.guid, IDS_GUID_LEN, hex);
        if (strcmp(hex, c->guid) != 0 || d.age != c->age)
            fail_msg("'%s': %s age %u", c->text, hex, (unsigned)d.age);
    }
    /* Length bounds the parse: a NUL inside is outside bytes too. */
    {
        struct ids_debug d;

        assert_false(ids_parse_debug(FIX_DEBUG "\0"
                                               "1",
                                     sizeof(FIX_DEBUG "\0"
                                                      "1") -
                                         1,
                                     &d));
    }
}

struct hex_case {
    const char *text;
    size_t len; /* bytes; 0: refused */
};

static const struct hex_case hex_cases[] = {
    {"ab", 1},
    {ID40, 20},
    {"180A373D6AFBABF0EB1F09BE1BC45BD796A71085", 20},
    {HEX128, 64},
    {HEX128 "00", 0},
    {"", 0},
    {"a", 0},
    {"abc", 0},
    {"0x12", 0},
    {"ab cd", 0},
    {"-abc", 0},
    {"\xc3\xa9\xc3\xa9", 0},
};

static void
test_parse_hex(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hex_cases) / sizeof(hex_cases[0]); i++) {
        const struct hex_case *c = &hex_cases[i];
        unsigned char out[IDS_ID_MAX];
        size_t n = 0;
        bool ok = ids_parse_hex(c->text, strlen(c->text), out, &n);

        if (ok != (c->len > 0) || (ok && n != c->len))
            fail_msg("'%s': %s %zu", c->text, ok ? "parsed" : "refused", n);
    }
}

struct key_case {
    const char *name;
    enum ids_key kind;
    const char *id; /* hex of the id (ELF, Mach-O), or of the GUID */
    uint32_t age;
};

static const struct key_case key_cases[] = {
    {"elf-buildid-" ID40, IDS_KEY_ELF, ID40, 0},
    {"ELF-BUILDID-180A373D6AFBABF0EB1F09BE1BC45BD796A71085", IDS_KEY_ELF, ID40,
     0},
    {"Elf-BuildId-180a373D6AFBABF0eb1f09be1bc45bd796a71085", IDS_KEY_ELF, ID40,
     0},
    {"elf-buildid-ab", IDS_KEY_ELF, "ab", 0},
    {"elf-buildid-" HEX128, IDS_KEY_ELF, HEX128, 0},
    {"mach-uuid-" ID32, IDS_KEY_MACHO, ID32, 0},
    {"MACH-UUID-180A373D6AFBABF0EB1F09BE1BC45BD7", IDS_KEY_MACHO, ID32, 0},
    {"C9A61DDDD7E44353A668E39AC614A7EAa", IDS_KEY_DEBUG,
     "c9a61dddd7e44353a668e39ac614a7ea", 10},
    {FIX_DEBUG, IDS_KEY_DEBUG, "46a16b12af1c4466cfdd124bfcceeffa", 0},
    /* Debug files are found by path, never indexed. */
    {"elf-buildid-sym-" ID40, IDS_KEY_NONE, NULL, 0},
    {"mach-uuid-sym-" ID32, IDS_KEY_NONE, NULL, 0},
    /* Hostile or malformed. */
    {"mach-uuid-" ID40, IDS_KEY_NONE, NULL, 0},
    {"mach-uuid-" ID32 "0", IDS_KEY_NONE, NULL, 0},
    {"mach-uuid-", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-a", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-abc", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-" HEX128 "00", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-" ID40 "/", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-" ID40 " ", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-0x12", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid--12", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid-\xc3\xa9\xc3\xa9", IDS_KEY_NONE, NULL, 0},
    {"elf-buildid", IDS_KEY_NONE, NULL, 0},
    {"elf-buildi-" ID40, IDS_KEY_NONE, NULL, 0},
    {"xelf-buildid-" ID40, IDS_KEY_NONE, NULL, 0},
    {"5617D4FE8000", IDS_KEY_NONE, NULL, 0}, /* a PE key */
    /* 40 digits: a GUID and an 8-digit age, as Breakpad may print one. */
    {ID40, IDS_KEY_DEBUG, ID32, 0x96a71085u},
    {ID40 "0", IDS_KEY_NONE, NULL, 0},
    {"", IDS_KEY_NONE, NULL, 0},
    {".", IDS_KEY_NONE, NULL, 0},
    {"..", IDS_KEY_NONE, NULL, 0},
};

static void
test_key_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(key_cases) / sizeof(key_cases[0]); i++) {
        const struct key_case *c = &key_cases[i];
        unsigned char id[IDS_ID_MAX];
        size_t n = 0;
        struct ids_debug d;
        char hex[2 * IDS_ID_MAX + 1] = "";
        enum ids_key k = ids_key_parse(c->name, id, &n, &d);

        if (k != c->kind)
            fail_msg("'%s': kind %d, want %d", c->name, k, c->kind);
        if (k == IDS_KEY_ELF || k == IDS_KEY_MACHO)
            hex_of(id, n, hex);
        else if (k == IDS_KEY_DEBUG)
            hex_of(d.guid, IDS_GUID_LEN, hex);
        if (k != IDS_KEY_NONE && strcmp(hex, c->id) != 0)
            fail_msg("'%s': id %s, want %s", c->name, hex, c->id);
        if (k == IDS_KEY_DEBUG && d.age != c->age)
            fail_msg("'%s': age %u", c->name, (unsigned)d.age);
    }
}

struct form_case {
    const char *canon;
    enum ids_form form;
    const char *name; /* FILE, SYM */
    bool has_debug;
    size_t codelen;
    enum ids_what what; /* UNIFIED */
};

#define N IDS_FORM_NONE
#define F IDS_FORM_FILE
#define S IDS_FORM_SYM
#define U IDS_FORM_UNIFIED
#define EXE IDS_WHAT_EXECUTABLE
#define DBG IDS_WHAT_DEBUGINFO
#define BP IDS_WHAT_BREAKPAD

static const struct form_case form_cases[] = {
    /* Backtrace's three URLs for (name, debug id) and (name, code id). */
    {"app/" FIX_DEBUG "/app", F, "app", true, 0, EXE},
    {"app/" FIX_DEBUG "/ap_", N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG "/app.sym", S, "app", true, 0, EXE},
    /* 40 digits also read as a debug id with an 8-digit age (Breakpad
     * prints the age as a 32-bit number): harmless, it finds nothing. */
    {"app/" FIX_ID "/app", F, "app", true, 20, EXE},
    {"app/" FIX_ID "/ap_", N, NULL, false, 0, EXE},
    {"app/" FIX_ID "/app.sym", S, "app", true, 20, EXE},
    {"libx.so/" FIX_DEBUG "/libx.so.sym", S, "libx.so", true, 0, EXE},
    {"libx.so/" FIX_DEBUG "/libx.sym", S, "libx.so", true, 0, EXE},
    {"LIBX.SO/" FIX_DEBUG "/libx.so", F, "LIBX.SO", true, 0, EXE},
    {"xul.pdb/" FIX_DEBUG "/xul.sym", S, "xul.pdb", true, 0, EXE},
    {"app/" ID32 "/app", F, "app", false, 16, EXE},
    /* 34 even digits: a debug id with a two-digit age and a code id. */
    {"app/" FIX_DEBUG "a/app", F, "app", true, 17, EXE},
    /* symbolicator unified, in any case. */
    {"12/6ba1461caf6644cfdd124bfcceeffa81b18897/executable", U, NULL, true, 20,
     EXE},
    {"12/6ba1461caf6644cfdd124bfcceeffa81b18897/debuginfo", U, NULL, true, 20,
     DBG},
    {"12/6BA1461CAF6644CFDD124BFCCEEFFA81B18897/BREAKPAD", U, NULL, true, 20,
     BP},
    {"18/0a373d6afbabf0eb1f09be1bc45bd7/executable", U, NULL, false, 16, EXE},
    {"c9/a61dddd7e44353a668e39ac614a7eaa/debuginfo", U, NULL, true, 0, DBG},
    {"12/6ba1461caf6644cfdd124bfcceeffa81b18897/sourcebundle", N, NULL, false,
     0, EXE},
    {"1/26ba1461caf6644cfdd124bfcceeffa81b18897/executable", N, NULL, false, 0,
     EXE},
    {"12/x/executable", N, NULL, false, 0, EXE},
    {"12//executable", N, NULL, false, 0, EXE},
    /* Not these forms. */
    {"app/5617D4FE8000/app.exe", N, NULL, false, 0, EXE},
    {"app/zz/app", N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG "/other", N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG "/app.sym.sym", N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG "/.sym", N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG "/ap.sym", N, NULL, false, 0, EXE},
    {".x/" FIX_DEBUG "/.sym", N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG, N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG "/app/app", N, NULL, false, 0, EXE},
    {"xx/app/" FIX_DEBUG "/app", N, NULL, false, 0, EXE},
    {"app", N, NULL, false, 0, EXE},
    {"", N, NULL, false, 0, EXE},
    {"app/" FIX_DEBUG "/", N, NULL, false, 0, EXE},
    {"/app/" FIX_DEBUG "/app", N, NULL, false, 0, EXE},
    {"app/" HEX128 "00/app", N, NULL, false, 0, EXE},
};

static void
test_classify(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(form_cases) / sizeof(form_cases[0]); i++) {
        const struct form_case *c = &form_cases[i];
        struct ids_req q;
        enum ids_form f = ids_classify(c->canon, &q);

        if (f != c->form)
            fail_msg("'%s': form %d, want %d", c->canon, f, c->form);
        if (f == N)
            continue;
        if (q.has_debug != c->has_debug || q.codelen != c->codelen)
            fail_msg("'%s': debug %d code %zu", c->canon, q.has_debug,
                     q.codelen);
        if (f == U && q.what != c->what)
            fail_msg("'%s': what %d", c->canon, q.what);
        if (f != U && strcmp(q.name, c->name) != 0)
            fail_msg("'%s': name '%s'", c->canon, q.name);
    }
}

/* A name segment longer than NAME_MAX is no form (not a buffer overrun). */
static void
test_classify_long_name(void **state)
{
    char path[2 * 300 + 64];
    char name[300];
    struct ids_req q;

    (void)state;
    memset(name, 'a', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(path, sizeof(path), "%s/%s/%s", name, FIX_DEBUG, name);
    assert_int_equal(ids_classify(path, &q), IDS_FORM_NONE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elf_debug_id),
        cmocka_unit_test(test_parse_debug),
        cmocka_unit_test(test_parse_hex),
        cmocka_unit_test(test_key_parse),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_classify_long_name),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
