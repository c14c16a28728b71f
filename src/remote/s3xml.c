/*
 * The XML answers of an S3-compatible server (remote/s3xml.h), with
 * expat: a well-kept parser, so no hand-written tokenizer for outside
 * bytes. Every answer is read the same way: a stack of the open
 * elements' names, the text of the innermost one gathered into a bounded
 * buffer, and at each end tag a look at (parent, name) by the caller's
 * kind of answer.
 */
#include "remote/s3xml.h"

#include <stdio.h>
#include <string.h>

#include <expat.h>

#include "util/errbuf.h"
#include "util/num.h"

enum kind { K_LIST, K_ERROR, K_UPLOAD };

struct xstate {
    XML_Parser p;
    enum kind kind;
    int depth;
    char names[S3XML_DEPTH_MAX][32];
    char text[S3XML_TEXT_MAX + 1];
    size_t textlen;
    bool text_over;
    const char *why; /* the first reason to refuse, or NULL */
    bool stopped;    /* the caller's callback asked to stop */
    /* K_LIST */
    s3xml_object_fn fn;
    void *arg;
    struct s3xml_list *list;
    char key[S3XML_TEXT_MAX + 1], etag[S3XML_TEXT_MAX + 1];
    uint64_t size;
    bool has_key, has_size;
    /* K_ERROR, K_UPLOAD */
    char *out1, *out2;
    size_t out1len, out2len;
};

static const char *const roots[] = {"ListBucketResult", "Error",
                                    "InitiateMultipartUploadResult"};

static void
refuse(struct xstate *x, const char *why)
{
    if (x->why == NULL)
        x->why = why;
    XML_StopParser(x->p, XML_FALSE);
}

static void
copy_cut(char *out, size_t outlen, const char *s)
{
    if (out != NULL && outlen > 0)
        snprintf(out, outlen, "%s", s);
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xstate *x = ud;

    (void)atts;
    if (x->depth == 0 && strcmp(name, roots[x->kind]) != 0) {
        refuse(x, "not the expected kind of answer");
        return;
    }
    if (x->depth >= S3XML_DEPTH_MAX) {
        refuse(x, "elements nested too deep");
        return;
    }
    snprintf(x->names[x->depth], sizeof(x->names[0]), "%s", name);
    x->depth++;
    x->textlen = 0;
    x->text_over = false;
    if (x->kind == K_LIST && x->depth == 2 && strcmp(name, "Contents") == 0) {
        x->has_key = x->has_size = false;
        x->etag[0] = '\0';
        x->size = 0;
    }
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
    struct xstate *x = ud;

    if (len < 0 || x->textlen + (size_t)len > S3XML_TEXT_MAX) {
        x->text_over = true;
        return;
    }
    memcpy(x->text + x->textlen, s, (size_t)len);
    x->textlen += (size_t)len;
}

static void
end_contents(struct xstate *x)
{
    struct s3xml_object o = {x->key, x->size, x->etag};

    if (!x->has_key || !x->has_size) {
        refuse(x, "a Contents without Key or Size");
        return;
    }
    x->list->objects++;
    if (x->fn != NULL && x->fn(x->arg, &o) != 0) {
        x->stopped = true;
        XML_StopParser(x->p, XML_FALSE);
    }
}

/* A leaf inside Contents (depth 3) or the result (depth 2) of a list. */
static void
end_list(struct xstate *x, const char *name)
{
    if (x->depth == 2 && strcmp(name, "Contents") == 0) {
        end_contents(x);
        return;
    }
    if (x->depth == 3 && strcmp(x->names[1], "Contents") == 0) {
        if (strcmp(name, "Key") == 0) {
            if (x->textlen == 0 || strlen(x->text) != x->textlen) {
                refuse(x, "an empty Key or a Key with a NUL");
                return;
            }
            memcpy(x->key, x->text, x->textlen + 1);
            x->has_key = true;
        } else if (strcmp(name, "Size") == 0) {
            if (num_parse_u64(x->text, x->textlen, INT64_MAX, &x->size) == -1) {
                refuse(x, "a Size that is not a decimal number");
                return;
            }
            x->has_size = true;
        } else if (strcmp(name, "ETag") == 0) {
            memcpy(x->etag, x->text, x->textlen + 1);
        }
        return;
    }
    if (x->depth != 2)
        return;
    if (strcmp(name, "IsTruncated") == 0)
        x->list->truncated = strcmp(x->text, "true") == 0;
    else if (strcmp(name, "NextContinuationToken") == 0)
        memcpy(x->list->next_token, x->text, x->textlen + 1);
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
    struct xstate *x = ud;

    if (x->text_over) {
        refuse(x, "a text longer than 2048 bytes");
        return;
    }
    x->text[x->textlen] = '\0';
    if (x->kind == K_LIST)
        end_list(x, name);
    else if (x->depth == 2 && x->kind == K_ERROR && strcmp(name, "Code") == 0)
        copy_cut(x->out1, x->out1len, x->text);
    else if (x->depth == 2 && x->kind == K_ERROR &&
             strcmp(name, "Message") == 0)
        copy_cut(x->out2, x->out2len, x->text);
    else if (x->depth == 2 && x->kind == K_UPLOAD &&
             strcmp(name, "UploadId") == 0)
        copy_cut(x->out1, x->out1len, x->text);
    x->depth--;
    x->textlen = 0;
}

/* No DTD: nothing to expand, nothing external to load. */
static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
           const XML_Char *pubid, int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    refuse(ud, "a DOCTYPE");
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
          int value_len, const XML_Char *base, const XML_Char *sysid,
          const XML_Char *pubid, const XML_Char *notation)
{
    (void)name, (void)is_param, (void)value, (void)value_len, (void)base;
    (void)sysid, (void)pubid, (void)notation;
    refuse(ud, "an entity declaration");
}

/* Runs expat over buf; S3XML_OK, S3XML_STOPPED, or S3XML_BAD with err. */
static enum s3xml_rc
run(struct xstate *x, const char *buf, size_t len, char *err, size_t errlen)
{
    enum XML_Status st;
    enum s3xml_rc rc = S3XML_OK;

    if (len > INT32_MAX) {
        errbuf_set(err, errlen, "an XML answer larger than 2 GiB");
        return S3XML_BAD;
    }
    x->p = XML_ParserCreate("UTF-8");
    if (x->p == NULL) {
        errbuf_set(err, errlen, "out of memory");
        return S3XML_BAD;
    }
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity);
    st = XML_Parse(x->p, buf, (int)len, XML_TRUE);
    if (x->stopped) {
        rc = S3XML_STOPPED;
    } else if (x->why != NULL) {
        errbuf_set(err, errlen, "bad XML answer: %s", x->why);
        rc = S3XML_BAD;
    } else if (st != XML_STATUS_OK) {
        errbuf_set(err, errlen, "bad XML answer: line %lu: %s",
                   (unsigned long)XML_GetCurrentLineNumber(x->p),
                   XML_ErrorString(XML_GetErrorCode(x->p)));
        rc = S3XML_BAD;
    }
    XML_ParserFree(x->p);
    return rc;
}

enum s3xml_rc
s3xml_parse_list(const char *buf, size_t len, s3xml_object_fn fn, void *arg,
                 struct s3xml_list *out, char *err, size_t errlen)
{
    struct xstate x = {.kind = K_LIST, .fn = fn, .arg = arg, .list = out};
    enum s3xml_rc rc;

    memset(out, 0, sizeof(*out));
    rc = run(&x, buf, len, err, errlen);
    if (rc == S3XML_OK && out->truncated && out->next_token[0] == '\0') {
        errbuf_set(err, errlen,
                   "bad XML answer: truncated without a continuation token");
        rc = S3XML_BAD;
    }
    return rc;
}

enum s3xml_rc
s3xml_parse_error(const char *buf, size_t len, char *code, size_t codelen,
                  char *msg, size_t msglen)
{
    struct xstate x = {.kind = K_ERROR,
                       .out1 = code,
                       .out1len = codelen,
                       .out2 = msg,
                       .out2len = msglen};

    copy_cut(code, codelen, "");
    copy_cut(msg, msglen, "");
    return run(&x, buf, len, NULL, 0);
}

enum s3xml_rc
s3xml_parse_upload_id(const char *buf, size_t len, char *id, size_t idlen,
                      char *err, size_t errlen)
{
    struct xstate x = {.kind = K_UPLOAD, .out1 = id, .out1len = idlen};
    enum s3xml_rc rc;

    copy_cut(id, idlen, "");
    rc = run(&x, buf, len, err, errlen);
    if (rc == S3XML_OK && (idlen == 0 || id[0] == '\0')) {
        errbuf_set(err, errlen, "bad XML answer: no UploadId");
        rc = S3XML_BAD;
    }
    return rc;
}
