/*
 * libFuzzer target for include/store/ids.h: the input as a request path
 * (ids_classify()) and as a key directory name (ids_key_parse()), both
 * outside bytes. Invariants: the answers are in range; a FILE or SYM
 * form's name is the path's first segment and fits NAME_MAX; an id read
 * as a debug id prints back (ids_debug_text()) to text that parses to the
 * same id; code ids have 1 to IDS_ID_MAX bytes; an ELF GUID swap undone
 * gives the bytes back.
 */
#include <stdbool.h>

#include "fuzz.h"
#include "store/ids.h"

static void
check_debug(const struct ids_debug *d)
{
    char text[IDS_DEBUG_TEXT_MAX + 1];
    struct ids_debug back;
    unsigned char guid[IDS_GUID_LEN], again[IDS_GUID_LEN];

    ids_debug_text(d, text);
    CHECK(ids_parse_debug(text, strlen(text), &back));
    CHECK(memcmp(back.guid, d->guid, IDS_GUID_LEN) == 0);
    CHECK(back.age == d->age);
    ids_elf_guid(d->guid, IDS_GUID_LEN, guid);
    ids_elf_guid(guid, IDS_GUID_LEN, again);
    CHECK(memcmp(again, d->guid, IDS_GUID_LEN) == 0);
}

static void
check_classify(const char *s)
{
    struct ids_req q;
    enum ids_form f = ids_classify(s, &q);

    CHECK(f == IDS_FORM_NONE || f == IDS_FORM_FILE || f == IDS_FORM_SYM ||
          f == IDS_FORM_UNIFIED);
    if (f == IDS_FORM_NONE)
        return;
    CHECK(q.has_debug || q.codelen > 0);
    CHECK(q.codelen <= IDS_ID_MAX);
    if (q.has_debug)
        check_debug(&q.debug);
    if (f == IDS_FORM_UNIFIED) {
        CHECK(q.what == IDS_WHAT_EXECUTABLE || q.what == IDS_WHAT_DEBUGINFO ||
              q.what == IDS_WHAT_BREAKPAD);
        return;
    }
    CHECK(strlen(q.name) > 0 && strlen(q.name) <= NAME_MAX);
    CHECK(strncmp(s, q.name, strlen(q.name)) == 0 && s[strlen(q.name)] == '/');
}

static void
check_key(const char *s)
{
    unsigned char id[IDS_ID_MAX];
    size_t n = 0;
    struct ids_debug d;

    switch (ids_key_parse(s, id, &n, &d)) {
    case IDS_KEY_ELF:
        CHECK(n >= 1 && n <= IDS_ID_MAX);
        break;
    case IDS_KEY_MACHO:
        CHECK(n == IDS_GUID_LEN);
        break;
    case IDS_KEY_DEBUG:
        check_debug(&d);
        break;
    case IDS_KEY_NONE:
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size > 8192)
        return 0;
    s = malloc(size + 1); /* exact size: ASan sees a read past the NUL */
    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    check_classify(s);
    check_key(s);
    free(s);
    return 0;
}
