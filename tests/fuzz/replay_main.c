/* vocfed: runs saved inputs through a fuzz target, without libFuzzer.
 *
 *   fuzz_<name> PATH...
 *
 * Each PATH is a file, or a folder whose files (not those whose name
 * starts with '.', in name order) are each given once to
 * LLVMFuzzerTestOneInput. A folder that does not exist is skipped: a
 * target may have no regressions yet. ctest runs every target over its
 * seed corpus and its regressions this way (tests/fuzz/CMakeLists.txt);
 * a crash, a sanitizer report or a failed FZ_CHECK fails the test, and
 * the last "replay:" line names the input. Exits 0 when every input ran,
 * 1 when none was found or a file could not be read. */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define S_INPUT_MAX ((size_t)64 << 20) /* bytes of one input */

/* Reads the whole file at path into a malloc'd buffer (*data, the caller
 * frees it; never NULL on success). Returns 0 or -errno. */
static int
s_read(const char *path, uint8_t **data, size_t *len)
{
    struct stat st;
    uint8_t *buf = NULL;
    int rc = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    if (fstat(fileno(f), &st) != 0) {
        rc = -errno;
        goto done;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > S_INPUT_MAX) {
        rc = -EFBIG;
        goto done;
    }
    /* Exactly the file's size (one byte for an empty file): ASan sees a
     * read past the input as it would under libFuzzer. */
    size_t n = (size_t)st.st_size;
    if (!(buf = malloc(n ? n : 1))) {
        rc = -ENOMEM;
        goto done;
    }
    if (n && fread(buf, 1, n, f) != n) {
        rc = -EIO;
        goto done;
    }
    *data = buf;
    *len = n;
    buf = NULL;
done:
    free(buf);
    fclose(f);
    return rc;
}

/* Runs one file. Returns 0 or -errno. */
static int
s_run_file(const char *path)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = s_read(path, &data, &len);
    if (rc) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(-rc));
        return rc;
    }
    fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(data, len);
    free(data);
    return 0;
}

static int
s_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every file of a folder, in name order; *ran counts them. Returns
 * 0 or -errno. */
static int
s_run_dir(const char *dir, size_t *ran)
{
    DIR *d = opendir(dir);
    if (!d)
        return -errno;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t c = cap ? 2 * cap : 64;
            char **bigger = realloc(names, c * sizeof *bigger);
            if (!bigger) {
                rc = -ENOMEM;
                goto done;
            }
            names = bigger;
            cap = c;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = -ENOMEM;
            goto done;
        }
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, s_name_cmp);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        struct stat st;
        int w = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (w < 0 || (size_t)w >= sizeof path) {
            rc = -ENAMETOOLONG;
            break;
        }
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if ((rc = s_run_file(path)) == 0)
            (*ran)++;
    }
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int
main(int argc, char **argv)
{
    size_t ran = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        int rc;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: absent, skipped\n", argv[i]);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = s_run_dir(argv[i], &ran);
        } else {
            rc = s_run_file(argv[i]);
            ran += rc == 0;
        }
        if (rc) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(-rc));
            return 1;
        }
    }
    if (ran == 0) {
        fprintf(stderr, "replay: no input found\n");
        return 1;
    }
    fprintf(stderr, "replay: %zu inputs, all passed\n", ran);
    return 0;
}
