/* CAB expansion with libmspack; see cab.h. */
#include <mspack.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "util/errbuf.h"
#include "store/cab.h"

static const char *
mspack_reason(int code)
{
    switch (code) {
    case MSPACK_ERR_OPEN:
        return "cannot open";
    case MSPACK_ERR_READ:
        return "read error (truncated?)";
    case MSPACK_ERR_WRITE:
        return "write error";
    case MSPACK_ERR_SEEK:
        return "seek error (truncated?)";
    case MSPACK_ERR_NOMEMORY:
        return "out of memory";
    case MSPACK_ERR_SIGNATURE:
        return "not a cabinet";
    case MSPACK_ERR_DATAFORMAT:
        return "bad data format";
    case MSPACK_ERR_CHECKSUM:
        return "checksum mismatch";
    case MSPACK_ERR_DECRUNCH:
        return "corrupt compressed data";
    }
    return "unknown error";
}

/* The member named want, or the only member; NULL if neither. */
static struct mscabd_file *
pick(struct mscabd_cabinet *cab, const char *want)
{
    struct mscabd_file *f;

    for (f = cab->files; f != NULL; f = f->next)
        if (strcasecmp(f->filename, want) == 0)
            return f;
    return cab->files != NULL && cab->files->next == NULL ? cab->files : NULL;
}

static int
extract(struct mscab_decompressor *cabd, struct mscabd_cabinet *cab,
        const char *want, const char *out_path, char *err, size_t errlen)
{
    struct mscabd_file *f = pick(cab, want);
    char out[4096];
    struct stat st;
    int rc;

    if (f == NULL) {
        errbuf_set(err, errlen, "no member named %s", want);
        return -1;
    }
    snprintf(out, sizeof(out), "%s", out_path); /* libmspack takes char * */
    rc = cabd->extract(cabd, f, out);
    if (rc != MSPACK_ERR_OK) {
        errbuf_set(err, errlen, "%s", mspack_reason(rc));
        return -1;
    }
    if (stat(out_path, &st) == -1 ||
        (unsigned long long)st.st_size != (unsigned long long)f->length) {
        errbuf_set(err, errlen, "expanded to the wrong size");
        return -1;
    }
    return 0;
}

int
cab_expand(const char *cab_path, const char *want, const char *out_path,
           char *err, size_t errlen)
{
    struct mscab_decompressor *cabd = mspack_create_cab_decompressor(NULL);
    struct mscabd_cabinet *cab;
    char in[4096];
    int rc;

    if (cabd == NULL) {
        errbuf_set(err, errlen, "libmspack: out of memory");
        return -1;
    }
    snprintf(in, sizeof(in), "%s", cab_path);
    cab = cabd->open(cabd, in);
    if (cab == NULL) {
        errbuf_set(err, errlen, "%s", mspack_reason(cabd->last_error(cabd)));
        mspack_destroy_cab_decompressor(cabd);
        return -1;
    }
    rc = extract(cabd, cab, want, out_path, err, errlen);
    cabd->close(cabd, cab);
    mspack_destroy_cab_decompressor(cabd);
    return rc;
}
