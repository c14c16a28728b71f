/* The stored name of a Breakpad symbol file. Pure. */
#ifndef SYMSRVD_UTIL_SYMNAME_H
#define SYMSRVD_UTIL_SYMNAME_H

#include <stddef.h>

/*
 * The name symsrv add (and Mozilla's stores: Tecken, symbolstore.py) give
 * the Breakpad file of module name[0..n): a trailing ".pdb" (any case)
 * replaced by ".sym", any other name with ".sym" appended (xul.pdb ->
 * xul.sym, libxul.so -> libxul.so.sym). Writes it NUL-terminated into
 * out[outsz]; returns its length, or 0 when n is 0 or it does not fit.
 * keys/breakpad.c stores files under it; the identifier index finds them
 * by it.
 */
size_t symname_breakpad(const char *name, size_t n, char *out, size_t outsz);

#endif
