/*
 * version.c — sh_version(): the library's own version, for a program to compare with the
 * header it was compiled against (SH_VERSION_STRING) when the shared library is newer.
 */
#include <stackheap/version.h>

__attribute__((visibility("default")))
const char *sh_version(void) {
    return SH_VERSION_STRING;
}
