/* vocfed: large commands on transparent huge pages (see thp.h). */
#include "tools/thp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_TUNABLE "glibc.malloc.hugetlb"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define S_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define S_SANITIZED 1
#endif
#endif

#ifndef S_SANITIZED
/* The value of name in envp, or NULL. */
static const char *
s_env(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (; envp && *envp; envp++)
        if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
            return *envp + n + 1;
    return NULL;
}
#endif

const char *
thp_skip_reason(char *const *envp)
{
#ifdef S_SANITIZED
    (void)envp;
    return "a sanitizer build";
#else
    const char *t = s_env(envp, "GLIBC_TUNABLES");
    if (t && strstr(t, S_TUNABLE))
        return "GLIBC_TUNABLES names " S_TUNABLE;
    const char *pre = s_env(envp, "LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload"))
        return "running under valgrind";
    return NULL;
#endif
}

void
thp_reexec(char **argv)
{
    extern char **environ;
    if (thp_skip_reason(environ))
        return;
    const char *old = getenv("GLIBC_TUNABLES");
    char *keep = old ? strdup(old) : NULL;
    size_t n = (old ? strlen(old) + 1 : 0) + sizeof S_TUNABLE "=1";
    char *val = malloc(n);
    if (!val || (old && !keep)) {
        free(val);
        free(keep);
        return;
    }
    snprintf(val, n, "%s%s" S_TUNABLE "=1", old ? old : "", old ? ":" : "");
    /* The program's path, not /proc/self/exe: the name the process
     * goes by (ps, pgrep -x, top) is the file's name it was started as. */
    char self[4096];
    ssize_t n_self = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n_self <= 0 || (size_t)n_self >= sizeof self - 1) {
        n_self = -1; /* no /proc, or a path too long for us: run on */
    } else {
        self[n_self] = 0;
        /* Replaced or removed since it started (an upgrade): run on. */
        if (strstr(self, " (deleted)") || access(self, X_OK) != 0)
            n_self = -1;
    }
    if (n_self > 0 && setenv("GLIBC_TUNABLES", val, 1) == 0) {
        fflush(NULL);
        execv(self, argv);
        /* Not started again: go on as we are. */
        if (keep)
            setenv("GLIBC_TUNABLES", keep, 1);
        else
            unsetenv("GLIBC_TUNABLES");
    }
    free(val);
    free(keep);
}
