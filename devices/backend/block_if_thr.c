/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Block backend engine on worker threads: the fallback when io_uring is
 * refused (or engine=threads).  A few threads take primitive I/Os from a
 * queue, run them with the blocking system calls (bif_prim_exec) and post
 * the results to the backend's done list, which the owner reaps.
 *
 * Threads: start/kick/reap/fini on the owner's thread; the workers run
 * worker_main().  The queue is under q_mtx; the done list under the
 * backend's done_mtx (block_if.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "block_if.h"
#include "block_if_impl.h"
#include "seccomp_filter.h"

#define NTHREADS	4

struct thr_state {
	pthread_mutex_t q_mtx;
	pthread_cond_t q_cv;
	struct blockif_req *head, *tail;
	bool stop;
	int nthr;
	pthread_t thr[NTHREADS];
	struct blockif *bc;
};

static void *
worker_main(void *arg)
{
	struct thr_state *t = arg;

	/* Filtered before it handles a guest request. */
	seccomp_enter(SECCOMP_ROLE_WORKER);
	for (;;) {
		struct blockif_req *req;
		struct bif_prim p;

		pthread_mutex_lock(&t->q_mtx);
		while (t->head == NULL && !t->stop)
			pthread_cond_wait(&t->q_cv, &t->q_mtx);
		if (t->head == NULL) {
			pthread_mutex_unlock(&t->q_mtx);
			return NULL;
		}
		req = t->head;
		t->head = req->br_next;
		if (t->head == NULL)
			t->tail = NULL;
		pthread_mutex_unlock(&t->q_mtx);
		bif_prim(t->bc, req, &p);
		bif_post(t->bc, req, bif_prim_exec(&p));
	}
}

static void
thr_fini(struct blockif *bc)
{
	struct thr_state *t = bc->eng_state;

	if (t == NULL)
		return;
	pthread_mutex_lock(&t->q_mtx);
	t->stop = true;
	pthread_cond_broadcast(&t->q_cv);
	pthread_mutex_unlock(&t->q_mtx);
	for (int i = 0; i < t->nthr; i++)
		pthread_join(t->thr[i], NULL);
	pthread_cond_destroy(&t->q_cv);
	pthread_mutex_destroy(&t->q_mtx);
	free(t);
	bc->eng_state = NULL;
}

static int
thr_init(struct blockif *bc)
{
	struct thr_state *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return -ENOMEM;
	pthread_mutex_init(&t->q_mtx, NULL);
	pthread_cond_init(&t->q_cv, NULL);
	t->bc = bc;
	bc->eng_state = t;
	for (int i = 0; i < NTHREADS; i++) {
		int e = pthread_create(&t->thr[i], NULL, worker_main, t);

		if (e != 0) {
			thr_fini(bc);
			return -e;
		}
		t->nthr++;
	}
	return 0;
}

static void
thr_start(struct blockif *bc, struct blockif_req *req)
{
	struct thr_state *t = bc->eng_state;

	req->br_next = NULL;
	pthread_mutex_lock(&t->q_mtx);
	if (t->tail != NULL)
		t->tail->br_next = req;
	else
		t->head = req;
	t->tail = req;
	pthread_cond_signal(&t->q_cv);
	pthread_mutex_unlock(&t->q_mtx);
}

static void
thr_nop(struct blockif *bc)
{
	(void)bc;
}

const struct bif_engine bif_engine_threads = {
	.name = "threads",
	.init = thr_init,
	.fini = thr_fini,
	.start = thr_start,
	.kick = thr_nop,
	.reap = thr_nop,
};
