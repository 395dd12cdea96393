/* vocfed: a daemon's applier thread (see applier.h; SPEC 5.5). */
#include "node/applier.h"
#include "node/node.h"

#include <czmq.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#define S_ERROR_LOG_MS 10000 /* a failing apply logged at most this often */

struct node_applier {
    pthread_t thread;      /* the applier */
    pthread_mutex_t mu;    /* guards the three below */
    pthread_cond_t cv;     /* signalled by kick and stop */
    bool kicked;           /* the log moved since the thread last looked */
    bool stop;             /* the thread is to end */
    uint64_t count;        /* entries applied */
    node_t *node;          /* the thread's own handle */
    uint64_t error_log_ms; /* when a failure may be logged again */
};

/* Waits for a kick, a stop or the tick. Returns false to stop. */
static bool
s_wait(node_applier_t *a)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += (long)NODE_APPLIER_TICK_MS * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&a->mu);
    while (!a->kicked && !a->stop)
        if (pthread_cond_timedwait(&a->cv, &a->mu, &until) != 0)
            break; /* the tick */
    a->kicked = false;
    bool go_on = !a->stop;
    pthread_mutex_unlock(&a->mu);
    return go_on;
}

static bool
s_stopping(node_applier_t *a)
{
    pthread_mutex_lock(&a->mu);
    bool stop = a->stop;
    pthread_mutex_unlock(&a->mu);
    return stop;
}

/* Applies chunk after chunk until the derived data is up to date. */
static void
s_apply_all(node_applier_t *a)
{
    store_t *st = node_store(a->node);
    size_t done;
    int rc;
    do {
        rc = store_apply(st, NODE_APPLIER_CHUNK, &done);
        pthread_mutex_lock(&a->mu);
        a->count += done;
        pthread_mutex_unlock(&a->mu);
    } while (rc == VOCFED_OK && done > 0 && !s_stopping(a));
    if (rc && zclock_mono() >= (int64_t)a->error_log_ms) {
        zsys_error("applier: applying the log failed: %s (retrying)",
                   vocfed_strerror(rc));
        a->error_log_ms = (uint64_t)zclock_mono() + S_ERROR_LOG_MS;
    }
}

static void *
s_run(void *arg)
{
    node_applier_t *a = arg;
    do
        s_apply_all(a);
    while (s_wait(a));
    return NULL;
}

int
node_applier_start(const char *dir, node_applier_t **out)
{
    *out = NULL;
    node_applier_t *a = calloc(1, sizeof *a);
    if (!a)
        return VOCFED_ENOMEM;
    int rc = node_open(dir, 0, &a->node);
    if (rc) {
        free(a);
        return rc;
    }
    pthread_mutex_init(&a->mu, NULL);
    pthread_cond_init(&a->cv, NULL);
    /* Signals are the daemon's main thread's (node_daemon_signals). */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    rc = pthread_create(&a->thread, NULL, s_run, a);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        pthread_cond_destroy(&a->cv);
        pthread_mutex_destroy(&a->mu);
        node_close(&a->node);
        free(a);
        return -rc;
    }
    *out = a;
    return VOCFED_OK;
}

void
node_applier_kick(node_applier_t *self)
{
    if (!self)
        return;
    pthread_mutex_lock(&self->mu);
    self->kicked = true;
    pthread_cond_signal(&self->cv);
    pthread_mutex_unlock(&self->mu);
}

uint64_t
node_applier_count(node_applier_t *self)
{
    pthread_mutex_lock(&self->mu);
    uint64_t n = self->count;
    pthread_mutex_unlock(&self->mu);
    return n;
}

void
node_applier_stop(node_applier_t **self)
{
    if (!self || !*self)
        return;
    node_applier_t *a = *self;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    node_close(&a->node);
    free(a);
    *self = NULL;
}
