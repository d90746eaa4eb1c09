/*
 * sms_store_group.c - group commit: the writes of concurrent requests of
 * one process share a transaction.
 *
 * A request hands its write (a function over a connection) to
 * sms_store_group and waits. Whichever waiting thread finds no group
 * running becomes the leader: it takes every write queued so far (up to
 * GROUP_MAX), runs them on its own connection in one transaction, each
 * inside a savepoint so that one failing write is undone alone, commits
 * once and wakes the members. Writes that arrive meanwhile queue for the
 * next group, whose leader is one of them. Nothing is answered before the
 * commit that holds it: a member learns its outcome only after COMMIT. If
 * the commit itself fails, each member is run again in a transaction of
 * its own, so one bad write cannot fail the others.
 *
 * On SQLite this replaces the queue of writers on the process's write
 * lock with one writer per group (fewer commits, fewer WAL frames, fewer
 * cache invalidations of the other connections); on PostgreSQL one commit
 * (one WAL flush) serves the whole group.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>

#include "sms_store_private.h"

/* Most writes in one group: bounds a group's transaction (and its
 * members' wait) when many threads write at once. */
#define GROUP_MAX 64

typedef struct group_job {
    sms_store_write_fn fn;
    void *ctx;
    apr_pool_t *p;
    apr_status_t rv;
    int done;
    int hostevents;          /* the writer's connection's: its SMSEventURL */
    apr_thread_cond_t *wake; /* this writer's own: done, or lead now */
    struct group_job *next;
} group_job;

/* One queue per database (sms_db_t.database: the SQLite file, the
 * PostgreSQL database and server): a group runs on one connection, so its
 * members must all write to that connection's database, whatever virtual
 * host (and DBDParams) their request came through. */
typedef struct group_queue {
    const char *database;
    group_job *head, **tail;
    int leader_busy;
    struct group_queue *next;
} group_queue;

static apr_thread_mutex_t *group_mutex;
static apr_thread_cond_t *group_cond;
static group_queue *queues;
static long stat_groups, stat_writes; /* commits made, writes in them */

int sms_store_in_transaction(const sms_db_t *db)
{
    return db->trans || db->in_plain_tx;
}

void sms_store_group_stats(long *groups, long *writes)
{
    if (!group_mutex) {
        *groups = *writes = 0;
        return;
    }
    apr_thread_mutex_lock(group_mutex);
    *groups = stat_groups;
    *writes = stat_writes;
    apr_thread_mutex_unlock(group_mutex);
}

/* Once per child: SQLite's write lock (sms_store_db.c) and the queues of
 * group commit. */
apr_status_t sms_store_child_init(apr_pool_t *pchild)
{
    apr_status_t rv = sms_st_lock_init(pchild);

    if (rv == APR_SUCCESS) {
        rv = apr_thread_mutex_create(&group_mutex, APR_THREAD_MUTEX_DEFAULT,
                                     pchild);
    }
    return rv == APR_SUCCESS ? apr_thread_cond_create(&group_cond, pchild) : rv;
}

/* A write's function on db (perhaps another request's connection), with
 * its own writer's choice of the host application's events. */
static apr_status_t run_fn(sms_db_t *db, group_job *j)
{
    int own = db->hostevents;
    apr_status_t rv;

    db->hostevents = j->hostevents;
    rv = j->fn(db, j->ctx, j->p);
    db->hostevents = own;
    return rv;
}

/* One write in a transaction of its own. */
static apr_status_t run_alone(sms_db_t *db, group_job *j)
{
    apr_status_t rv = sms_store_begin(db, j->p), end;

    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = run_fn(db, j);
    end = sms_store_end(db, rv == APR_SUCCESS, j->p);
    return rv == APR_SUCCESS ? end : rv;
}

/* One member inside the group's transaction, undone alone on failure;
 * APR_EGENERAL (not the member's code) when the savepoint itself fails:
 * the transaction is then unusable. */
static apr_status_t run_member(sms_db_t *db, group_job *j, int *broken)
{
    if (sms_st_plain(db, "SAVEPOINT sms_member", j->p) != APR_SUCCESS) {
        *broken = 1;
        return APR_EGENERAL;
    }
    j->rv = run_fn(db, j);
    if (j->rv != APR_SUCCESS &&
        sms_st_plain(db, "ROLLBACK TO SAVEPOINT sms_member", j->p) !=
            APR_SUCCESS) {
        *broken = 1;
    }
    if (!*broken &&
        sms_st_plain(db, "RELEASE SAVEPOINT sms_member", j->p) != APR_SUCCESS) {
        *broken = 1;
    }
    return j->rv;
}

/* Run a group of several members in one transaction; on a failed commit
 * (or a transaction that broke), every member again on its own. */
static void run_group(sms_db_t *db, group_job *first, apr_pool_t *p)
{
    group_job *j;
    int broken = 0;

    if (sms_store_begin(db, p) != APR_SUCCESS) {
        broken = 1;
    }
    else {
        if (db->trans) { /* a failing member must not doom the others */
            apr_dbd_transaction_mode_set(db->driver, db->trans,
                                         APR_DBD_TRANSACTION_COMMIT |
                                             APR_DBD_TRANSACTION_IGNORE_ERRORS);
        }
        for (j = first; j && !broken; j = j->next) {
            run_member(db, j, &broken);
        }
        if (sms_store_end(db, !broken, p) != APR_SUCCESS) {
            int quiet = db->quiet;
            /* SQLite may keep the transaction open after a failed COMMIT
             * (apr_dbd forgets it): end it before the members rerun; "no
             * transaction is active" is the usual, quiet answer */
            db->quiet = 1;
            sms_st_plain(db, "ROLLBACK", p);
            db->quiet = quiet;
            broken = 1;
        }
    }
    if (broken) {
        for (j = first; j; j = j->next) {
            j->rv = run_alone(db, j);
        }
    }
}

/* The queue of a database (the caller holds group_mutex); made at the
 * first write to it, kept for the life of the process (one per database
 * the configuration names). */
static group_queue *queue_of(const char *database)
{
    group_queue *q;

    for (q = queues; q; q = q->next) {
        if (!strcmp(q->database, database)) {
            return q;
        }
    }
    if (!(q = calloc(1, sizeof(*q))) || !(q->database = strdup(database))) {
        free(q);
        return NULL;
    }
    q->tail = &q->head;
    q->next = queues;
    queues = q;
    return q;
}

/* Take up to GROUP_MAX queued writes (the caller holds group_mutex). */
static group_job *take_group(group_queue *q)
{
    group_job *first = q->head, *last = first;
    int n = 1;

    while (last->next && n < GROUP_MAX) {
        last = last->next;
        n++;
    }
    q->head = last->next;
    if (!q->head) {
        q->tail = &q->head;
    }
    last->next = NULL;
    return first;
}

/* Wake the members of a finished group, and the next writer in line to
 * lead the next one: each waits on its own condition, so a commit wakes
 * only the threads it concerns (the caller holds group_mutex). */
static void wake_after(group_queue *q, group_job *g, group_job *me)
{
    group_job *j, *next;

    for (j = g; j; j = next) {
        next = j->next;
        j->done = 1;
        stat_writes++;
        if (j != me) {
            j->wake ? apr_thread_cond_signal(j->wake)
                    : apr_thread_cond_broadcast(group_cond);
        }
    }
    stat_groups++;
    q->leader_busy = 0;
    if (q->head) {
        q->head->wake ? apr_thread_cond_signal(q->head->wake)
                      : apr_thread_cond_broadcast(group_cond);
    }
}

apr_status_t sms_store_write(sms_db_t *db, sms_store_write_fn fn, void *ctx,
                             apr_pool_t *p)
{
    group_job me = {fn, ctx, p, APR_SUCCESS, 0, db->hostevents, NULL, NULL};
    group_job *g;
    group_queue *q;

    if (sms_store_in_transaction(db)) { /* part of the caller's write */
        return run_fn(db, &me);
    }
    if (!group_mutex || !db->database) { /* no child, or no name: alone */
        return run_alone(db, &me);
    }
    if (apr_thread_cond_create(&me.wake, p) != APR_SUCCESS) {
        me.wake = NULL; /* then the shared one, woken for everybody */
    }
    apr_thread_mutex_lock(group_mutex);
    if (!(q = queue_of(db->database))) {
        apr_thread_mutex_unlock(group_mutex);
        return run_alone(db, &me);
    }
    *q->tail = &me;
    q->tail = &me.next;
    while (!me.done) {
        if (q->leader_busy) {
            apr_thread_cond_wait(me.wake ? me.wake : group_cond, group_mutex);
            continue;
        }
        q->leader_busy = 1;
        g = take_group(q);
        apr_thread_mutex_unlock(group_mutex);
        if (!g->next) {
            g->rv = run_alone(db, g);
        }
        else {
            run_group(db, g, p);
        }
        apr_thread_mutex_lock(group_mutex);
        wake_after(q, g, &me);
    }
    apr_thread_mutex_unlock(group_mutex);
    return me.rv;
}
