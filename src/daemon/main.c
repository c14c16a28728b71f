/* symsrvd: argv, config and wiring only. Runs in the foreground. */
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "util/log.h"
#include "daemon/server.h"

#ifndef SYMSRVD_DEMO_ROOT
#define SYMSRVD_DEMO_ROOT "demo/store"
#endif

int
main(int argc, char *argv[])
{
    struct config cfg;
    struct server *srv;
    char err[512] = "";
    int rc = 1;

    memset(&cfg, 0, sizeof(cfg));
    switch (
        config_load(&cfg, argc, argv, SYMSRVD_DEMO_ROOT, err, sizeof(err))) {
    case CONFIG_EXIT:
        config_free(&cfg);
        return 0;
    case CONFIG_ERROR:
        log_warnx("%s", err);
        config_free(&cfg);
        return 1;
    case CONFIG_OK:
        break;
    }
    if (cfg.check_only) {
        if (server_check(&cfg, err, sizeof(err)) == 0) {
            printf("%s: configuration ok\n", cfg.file ? cfg.file : "flags");
            rc = 0;
        } else
            log_warnx("%s", err);
        config_free(&cfg);
        return rc;
    }
    srv = server_new(&cfg, err, sizeof(err));
    if (srv == NULL)
        log_warnx("%s", err);
    else if (server_run(srv) == 0)
        rc = 0;
    server_free(srv);
    config_free(&cfg);
    return rc;
}
