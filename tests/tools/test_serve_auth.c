/* Tests of vocfed serve's users file (tools/serve_auth.h): names, every
 * way a file can be wrong, adding and replacing users, checking their
 * passwords (the remembered ones too). */
#include "tests/harness.h"
#include "tools/serve_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <setjmp.h> /* cmocka needs these first */

#include <cmocka.h>

static void
test_names(void **state)
{
    (void)state;
    char long_name[SERVE_USER_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = 0;
    assert_true(serve_user_valid("alice"));
    assert_true(serve_user_valid("prom.scraper-1_x"));
    assert_false(serve_user_valid(""));
    assert_false(serve_user_valid("a:b"));
    assert_false(serve_user_valid("a b"));
    assert_false(serve_user_valid("名字"));
    assert_false(serve_user_valid(long_name));
    long_name[SERVE_USER_MAX] = 0;
    assert_true(serve_user_valid(long_name));
}

/* Writes text to dir/users and loads it: the status, why in out. */
static int
s_load_text(const char *dir, const char *text, char *why, size_t cap)
{
    char path[128];
    snprintf(path, sizeof path, "%s/users", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    serve_users_t *u = NULL;
    why[0] = 0;
    int rc = serve_users_load(path, &u, why, cap);
    if (!rc)
        assert_true(serve_users_count(u) > 0);
    serve_users_destroy(&u);
    assert_null(u);
    return rc;
}

/* A file that is not a users file: refused, saying which line. */
static void
test_bad_files(void **state)
{
    (void)state;
    char dir[64], why[256], path[128];
    th_tmpdir(dir);
    static const char hash[] = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    char text[2048];
    serve_users_t *u = NULL;
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(serve_users_load(path, &u, why, sizeof why), -ENOENT);
    assert_int_equal(s_load_text(dir, "", why, sizeof why), VOCFED_ENOTFOUND);
    assert_int_equal(s_load_text(dir, "# only a comment\n\n", why, sizeof why),
                     VOCFED_ENOTFOUND);
    assert_int_equal(s_load_text(dir, "alice\n", why, sizeof why),
                     VOCFED_EMALFORMED);
    assert_non_null(strstr(why, "line 1"));
    assert_int_equal(s_load_text(dir, "alice:plaintext\n", why, sizeof why),
                     VOCFED_EMALFORMED);
    snprintf(text, sizeof text, "# c\nbad name:%s\n", hash);
    assert_int_equal(s_load_text(dir, text, why, sizeof why),
                     VOCFED_EMALFORMED);
    assert_non_null(strstr(why, "line 2"));
    snprintf(text, sizeof text, "a:%s\nb:%s\na:%s\n", hash, hash, hash);
    assert_int_equal(s_load_text(dir, text, why, sizeof why),
                     VOCFED_EMALFORMED);
    assert_non_null(strstr(why, "line 3"));
    memset(text, 'x', 600);
    memcpy(text, "a:$argon2", 9);
    text[600] = 0;
    assert_int_equal(s_load_text(dir, text, why, sizeof why),
                     VOCFED_EMALFORMED);
    assert_non_null(strstr(why, "longer"));
    snprintf(text, sizeof text, "a:%s\r\n\nb:%s", hash, hash);
    assert_int_equal(s_load_text(dir, text, why, sizeof why), 0);
    th_rmdir(dir);
}

/* Users added, a password replaced, checks right and wrong. */
static void
test_add_check(void **state)
{
    (void)state;
    char dir[64], why[256], path[128];
    th_tmpdir(dir);
    snprintf(path, sizeof path, "%s/users", dir);
    assert_int_equal(
        serve_users_add(path, "bad name", "long enough", why, sizeof why),
        VOCFED_EINVALID);
    assert_int_equal(serve_users_add(path, "alice", "short", why, sizeof why),
                     VOCFED_EINVALID);
    assert_int_equal(
        serve_users_add(path, "alice", "first password", why, sizeof why), 0);
    assert_int_equal(
        serve_users_add(path, "bob", "bobs password", why, sizeof why), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(
        serve_users_add(path, "alice", "second password", why, sizeof why), 0);
    serve_users_t *u = NULL;
    assert_int_equal(serve_users_load(path, &u, why, sizeof why), 0);
    assert_int_equal(serve_users_count(u), 2);
    assert_false(serve_users_check(u, "alice", "first password"));
    assert_true(serve_users_check(u, "alice", "second password"));
    assert_true(serve_users_check(u, "alice", "second password")); /* kept */
    assert_false(serve_users_check(u, "alice", "second passwor"));
    assert_false(serve_users_check(u, "alice", ""));
    assert_true(serve_users_check(u, "bob", "bobs password"));
    assert_false(serve_users_check(u, "bob", "second password"));
    assert_false(serve_users_check(u, "carol", "second password"));
    char huge[SERVE_PASSWORD_MAX + 2];
    memset(huge, 'p', sizeof huge - 1);
    huge[sizeof huge - 1] = 0;
    assert_false(serve_users_check(u, "alice", huge));
    serve_users_destroy(&u);
    serve_users_destroy(&u); /* NULL is fine */
    th_rmdir(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_add_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
