/* Fuzz target: the node's settings file DIR/vocfed.cfg (ZPL read by
 * czmq's zconfig; node/config.h), through node_config_parse, what
 * node_config_load does with the file's bytes. Settings that load must
 * be valid settings, each value NUL-terminated in its array, the key in
 * lower case. */
#include "tests/fuzz/fuzz.h"

#include "node/config.h"

#include <stdbool.h>
#include <string.h>

static void
s_value(const char *s, size_t cap)
{
    FZ_CHECK(memchr(s, '\0', cap) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    node_config_t cfg;
    /* zconfig prints each syntax error on stdout (zclock_log): run.sh
     * gives libFuzzer -close_fd_mask=1. */
    int rc = node_config_parse((const char *)data, size, &cfg);
    FZ_CHECK(rc == VOCFED_OK || rc == VOCFED_EMALFORMED || rc == VOCFED_ENOMEM);
    s_value(cfg.coordinator, sizeof cfg.coordinator);
    s_value(cfg.coordinator_key, sizeof cfg.coordinator_key);
    s_value(cfg.coordinator_id, sizeof cfg.coordinator_id);
    s_value(cfg.listen, sizeof cfg.listen);
    if (rc) {
        FZ_CHECK(!cfg.coordinator[0] && !cfg.coordinator_key[0] &&
                 !cfg.coordinator_id[0] && !cfg.listen[0]);
        return 0;
    }
    FZ_CHECK(node_config_valid(&cfg, NULL));
    for (const char *p = cfg.coordinator_key; *p; p++)
        FZ_CHECK((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
    return 0;
}
