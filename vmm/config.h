/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree (bhyve semantics).
 *
 * Every setting is a string leaf at a dotted path ("pci.0.3.0.device").
 * Interior nodes only hold children.  A path component is a non-empty run
 * of [A-Za-z0-9_-]; a leaf may not also be a node.  Values may refer to
 * other leaves with %(path); expansion happens on read and is bounded in
 * depth (CONFIG_EXPAND_DEPTH) so a cycle is an error, not a hang.  "%%" is
 * a literal '%'.
 *
 * The command-line flags (-m, -c, -s, -l, ...) are front ends that write
 * this tree (options.c); devices read only their own node.
 *
 * Threads: built and read by the main thread during start-up; read-only
 * afterwards.  Not locked.
 */
#ifndef ZHYVE_CONFIG_H
#define ZHYVE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_EXPAND_DEPTH 16
#define CONFIG_MAX_PATH 256
#define CONFIG_MAX_VALUE 4096

struct config_node;

/* Reset to an empty tree (tests may call it repeatedly). */
void config_init(void);
void config_fini(void);
struct config_node *config_root(void);

/*
 * Errors: functions returning int give 0 on success and -1 on error, with a
 * message naming the key and the problem in config_error() (valid until the
 * next call).  A failed call changes nothing.
 */
const char *config_error(void);

/* Find (or create, for _create) the node at a dotted path; NULL if none. */
struct config_node *config_find_node(const char *path);
struct config_node *config_create_node(const char *path);
struct config_node *config_find_relative_node(struct config_node *parent,
    const char *path);
struct config_node *config_create_relative_node(struct config_node *parent,
    const char *path);

/* Set a leaf (creating parents).  Overwrites an existing leaf. */
int config_set(const char *path, const char *value);
int config_set_node(struct config_node *parent, const char *name,
    const char *value);
/* Set only if unset (defaults). */
int config_set_default(const char *path, const char *value);
/* "key=value" as given to -o. */
int config_parse_assignment(const char *arg);
/* A -k file: key=value lines, '#' starts a comment, blank lines ignored. */
int config_parse_file(const char *filename);

/*
 * Expanded value of a leaf, or NULL if the leaf does not exist or expansion
 * failed (config_error() then says why).  The returned string is owned by
 * the tree and stays valid until the tree changes.
 */
const char *config_get(const char *path);
const char *config_get_node(struct config_node *parent, const char *name);
/* Unexpanded value. */
const char *config_get_raw(const char *path);

/*
 * Booleans: true/false, yes/no, on/off, 1/0 (case-insensitive).
 * config_get_bool(): -1 with error if the value is not a boolean;
 * missing leaf gives `def`.
 */
int config_get_bool(const char *path, bool def, bool *out);
int config_get_bool_node(struct config_node *parent, const char *name,
    bool def, bool *out);
/* Unsigned integer with optional k/m/g/t suffix when `sizes` is true. */
int config_get_uint(const char *path, uint64_t def, bool sizes, uint64_t *out);
int config_parse_size(const char *s, uint64_t *out);

/* Walk: children of a node in insertion order. */
struct config_node *config_first_child(struct config_node *n);
struct config_node *config_next_sibling(struct config_node *n);
const char *config_node_name(const struct config_node *n);
bool config_node_is_leaf(const struct config_node *n);
const char *config_node_value(const struct config_node *n); /* unexpanded */

/* Print every leaf as path=value (unexpanded), one per line, sorted by
 * insertion order; the output is valid input for config_parse_file(). */
void config_dump(FILE *f);

#endif
