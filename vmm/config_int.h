/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals shared by the files of the configuration tree (config.c,
 * config_set.c, config_get.c, config_file.c).  Nothing outside those files
 * includes this; everyone else uses config.h.
 *
 * Threads: as config.h (main thread, start-up only).
 */
#ifndef ZHYVE_CONFIG_INT_H
#define ZHYVE_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* A read may follow at most this many %(...) references in all. */
#define CONFIG_EXPAND_REFS 1024

struct config_node {
	char *name;
	char *value;		/* leaf: raw value; NULL: interior node */
	char *expanded;		/* leaf: cached expansion, or NULL */
	uint64_t expanded_gen;	/* config_generation when cached */
	struct config_node *parent;
	struct config_node *child, *last_child;	/* insertion order */
	struct config_node *next;
};

/* Bumped by every change to the tree; stamps the expansion caches. */
extern uint64_t config_generation;

/* One change made by config_set_path(), so that it can be taken back. */
struct config_undo {
	struct config_node *created;	/* head of a new chain of nodes */
	struct config_node *leaf;	/* or: a leaf whose value was replaced */
	char *old_value;		/* ... and its previous value */
};

void config_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printable, bounded copy of user text for messages (4 rotating buffers). */
const char *config_show(const char *s);

struct config_node *config_new_node(const char *name, size_t len);
void config_free_subtree(struct config_node *n);
void config_append_child(struct config_node *parent, struct config_node *c);
void config_unlink_child(struct config_node *c);
/* parent, or the root (created if needed) when parent is NULL. */
struct config_node *config_base(struct config_node *parent);

size_t config_path_len(const struct config_node *n);
const char *config_full_path(const struct config_node *n, const char *rel,
    char *buf, size_t size);
int config_check_path(const char *path, size_t prefix_len, const char *shown);
int config_check_key(const char *key);
int config_check_value(const char *key, const char *value);
/* Checks `path` relative to `parent`, writes the full key for messages. */
int config_check_rel(struct config_node *parent, const char *path, char *key,
    size_t keysize);
struct config_node *config_find_child(const struct config_node *n,
    const char *name, size_t len);
struct config_node *config_walk(struct config_node *n, const char *path,
    struct config_node **blocker);

int config_set_path(struct config_node *parent, const char *path,
    const char *value, bool only_if_unset, struct config_undo *undo);
void config_undo(struct config_undo *u);
void config_undo_commit(struct config_undo *u);

int config_parse_uint(const char *s, uint64_t *out);
/* Whether config_dump() must put the value in double quotes. */
bool config_value_needs_quotes(const char *v);

#endif
