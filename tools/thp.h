/* vocfed: the commands that work through large data run with glibc's
 * malloc on transparent huge pages.
 *
 * A 1M-row import, a coordinator's ingest or a catch-up of 1M entries
 * fill hundreds of MiB of heap one 4 KiB page at a time (LMDB's dirty
 * pages, the import's arenas, the applier's tables). Each first touch
 * is a page fault, and in a process with several threads a page read
 * before it is written costs a second one and a TLB shootdown on the
 * other cores. glibc's tunable glibc.malloc.hugetlb=1 (glibc >= 2.35)
 * advises its heaps and large blocks as huge pages; Linux, with
 * transparent_hugepage at "madvise" (Debian's default) or "always",
 * then backs them with 2 MiB pages. A tunable is read only when a
 * program starts, so the command starts itself again with it set. */
#ifndef VOCFED_TOOLS_THP_H
#define VOCFED_TOOLS_THP_H

#include <stdbool.h>

/* Why thp_reexec would leave the process as it is, or NULL when it would
 * start it again: GLIBC_TUNABLES already names glibc.malloc.hugetlb (the
 * user's choice: =0 turns this off), a sanitizer build (its allocator is
 * not glibc's), or valgrind (whose tools do not follow an exec unless
 * told to). envp is the environment to judge (environ). */
const char *thp_skip_reason(char *const *envp);

/* Starts this program again (the file /proc/self/exe names, so that ps
 * shows the same name; the same argv and PID) with glibc.malloc.hugetlb=1
 * added to GLIBC_TUNABLES, unless thp_skip_reason says not to. Returns only
 * when it did not; an exec that fails leaves the environment as it was and the
 * process going on. */
void thp_reexec(char **argv);

#endif
