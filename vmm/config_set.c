/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree, writing side: creating nodes and setting leaves
 * (config_set*, config_create*, config_parse_assignment) and the undo log
 * config_parse_file() uses to take a half-applied file back.
 *
 * Threads: the main thread only, during start-up.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

/*
 * Creates the missing tail of `path` below `from`, where `rest` points to
 * the first missing component: interior nodes, and a leaf holding `value`
 * at the end unless value is NULL.  Returns the head of the new chain,
 * already linked in, or NULL (nothing changed).
 */
static struct config_node *
create_chain(struct config_node *from, const char *rest, const char *value)
{
	struct config_node *head = NULL, *cur = NULL, *n;
	const char *p = rest, *dot;
	char *v = NULL;

	if (value != NULL && (v = strdup(value)) == NULL)
		goto nomem;
	for (;;) {
		dot = strchr(p, '.');
		n = config_new_node(p, dot != NULL ? (size_t)(dot - p) : strlen(p));
		if (n == NULL)
			goto nomem;
		if (cur != NULL)
			config_append_child(cur, n);
		else
			head = n;
		cur = n;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	cur->value = v;
	config_append_child(from, head);
	config_generation++;
	return head;
nomem:
	free(v);
	if (head != NULL)
		config_free_subtree(head);
	config_seterr("config: out of memory");
	return NULL;
}

/* Follows path as far as it exists; returns the deepest existing node and
 * sets *rest to the first missing component (NULL if all exist). */
static struct config_node *
walk_existing(struct config_node *n, const char *path, const char **rest)
{
	const char *p = path, *dot;
	struct config_node *c;

	for (;;) {
		dot = strchr(p, '.');
		c = config_find_child(n, p, dot != NULL ? (size_t)(dot - p)
		    : strlen(p));
		if (c == NULL) {
			*rest = p;
			return n;
		}
		n = c;
		if (dot == NULL || n->value != NULL) {
			*rest = dot == NULL ? NULL : dot + 1;
			return n;
		}
		p = dot + 1;
	}
}

struct config_node *
config_create_relative_node(struct config_node *parent, const char *path)
{
	char key[CONFIG_MAX_PATH + 80], bk[CONFIG_MAX_PATH];
	struct config_node *n;
	const char *rest;

	if ((parent = config_base(parent)) == NULL)
		return NULL;
	if (config_check_rel(parent, path, key, sizeof(key)) != 0)
		return NULL;
	n = walk_existing(parent, path, &rest);
	if (n->value != NULL) {
		config_seterr("key '%s': '%s' is a value, not a node", key,
		    config_full_path(n, NULL, bk, sizeof(bk)));
		return NULL;
	}
	if (rest == NULL)
		return n;
	n = create_chain(n, rest, NULL);
	if (n == NULL)
		return NULL;
	while (n->child != NULL)
		n = n->child;
	return n;
}

struct config_node *
config_create_node(const char *path)
{
	return config_create_relative_node(NULL, path);
}

/*
 * The one function that writes leaves.  only_if_unset: leave an existing
 * leaf alone.  undo (may be NULL) records the change for config_undo().
 */
int
config_set_path(struct config_node *parent, const char *path,
    const char *value, bool only_if_unset, struct config_undo *undo)
{
	char key[CONFIG_MAX_PATH + 80], bk[CONFIG_MAX_PATH];
	struct config_node *n;
	const char *rest;
	char *v;

	if (undo != NULL)
		memset(undo, 0, sizeof(*undo));
	if ((parent = config_base(parent)) == NULL)
		return -1;
	if (config_check_rel(parent, path, key, sizeof(key)) != 0)
		return -1;
	if (config_check_value(key, value) != 0)
		return -1;
	n = walk_existing(parent, path, &rest);
	if (n->value != NULL && rest != NULL) {
		config_seterr("key '%s': '%s' is a value, it cannot have "
		    "children", key, config_full_path(n, NULL, bk, sizeof(bk)));
		return -1;
	}
	if (rest != NULL) {
		n = create_chain(n, rest, value);
		if (n == NULL)
			return -1;
		if (undo != NULL)
			undo->created = n;
		return 0;
	}
	if (n->value == NULL) {
		config_seterr("key '%s': is a node with children, not a value",
		    key);
		return -1;
	}
	if (only_if_unset)
		return 0;
	if ((v = strdup(value)) == NULL) {
		config_seterr("config: out of memory");
		return -1;
	}
	if (undo != NULL) {
		undo->leaf = n;
		undo->old_value = n->value;
	} else {
		free(n->value);
	}
	n->value = v;
	config_generation++;
	return 0;
}

void
config_undo(struct config_undo *u)
{
	if (u->created != NULL) {
		config_unlink_child(u->created);
		config_free_subtree(u->created);
	} else if (u->leaf != NULL) {
		free(u->leaf->value);
		u->leaf->value = u->old_value;
	}
	memset(u, 0, sizeof(*u));
	config_generation++;
}

void
config_undo_commit(struct config_undo *u)
{
	if (u->leaf != NULL)
		free(u->old_value);
	memset(u, 0, sizeof(*u));
}

int
config_set(const char *path, const char *value)
{
	return config_set_path(NULL, path, value, false, NULL);
}

int
config_set_node(struct config_node *parent, const char *name,
    const char *value)
{
	if (parent == NULL) {
		config_seterr("key '%s': no parent node", config_show(name));
		return -1;
	}
	return config_set_path(parent, name, value, false, NULL);
}

int
config_set_default(const char *path, const char *value)
{
	return config_set_path(NULL, path, value, true, NULL);
}

int
config_parse_assignment(const char *arg)
{
	char key[CONFIG_MAX_PATH];
	const char *eq;
	size_t len;

	if (arg == NULL || (eq = strchr(arg, '=')) == NULL) {
		config_seterr("'%s': expected key=value", config_show(arg));
		return -1;
	}
	len = (size_t)(eq - arg);
	if (len == 0) {
		config_seterr("'%s': empty key before '='", config_show(arg));
		return -1;
	}
	if (len >= sizeof(key)) {
		config_seterr("key '%s': longer than %d characters",
		    config_show(arg), CONFIG_MAX_PATH - 1);
		return -1;
	}
	memcpy(key, arg, len);
	key[len] = '\0';
	return config_set(key, eq + 1);
}
