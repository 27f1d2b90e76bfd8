/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree: string leaves at dotted paths (see config.h).
 * This file: the tree itself, path syntax, lookup, walking and dump.
 * Setting leaves is in config_set.c, reading and expansion in config_get.c,
 * the -k file parser in config_file.c.
 *
 * Threads: the main thread only, during start-up; afterwards the tree is
 * read-only.  Nothing here is locked.
 *
 * Rules beyond config.h, enforced by these files:
 *  - A full path is at most CONFIG_MAX_PATH - 1 characters, a value at most
 *    CONFIG_MAX_VALUE - 1.  A value may hold any byte but the control
 *    characters (0x01-0x1f, 0x7f) other than TAB, so that config_dump()
 *    output is always one line per leaf.
 *  - The empty path is invalid everywhere; the root is config_root().
 *  - config_find_node() returns leaves too: check config_node_is_leaf().
 *  - A NULL parent means the root for config_find/create_relative_node();
 *    for config_get_node()/config_get_bool_node() it means "not set" (so a
 *    device whose node is missing reads its defaults); config_set_node()
 *    with a NULL parent is an error.
 *  - config_dump() prints leaves only: an interior node without leaves
 *    below it does not survive a dump and re-parse.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

static struct config_node *root;
uint64_t config_generation = 1;	/* bumped by every change */
static char errbuf[1024];

/* ------------------------------------------------------------------ */
/* Errors                                                               */

const char *
config_error(void)
{
	return errbuf;
}

void
config_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
}

/*
 * A printable, bounded copy of user text for messages: control characters
 * become '?', and long text is cut with "...".  Four rotating buffers, so
 * a message may quote up to four strings.
 */
const char *
config_show(const char *s)
{
	static char bufs[4][80];
	static unsigned next;
	char *b = bufs[next++ % 4];
	size_t i;

	if (s == NULL)
		return "(null)";
	for (i = 0; s[i] != '\0' && i < 64; i++) {
		unsigned char c = (unsigned char)s[i];
		b[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (s[i] != '\0') {
		memcpy(b + i, "...", 4);
	} else {
		b[i] = '\0';
	}
	return b;
}

/* ------------------------------------------------------------------ */
/* Tree basics                                                          */

void
config_free_subtree(struct config_node *n)
{
	struct config_node *c, *nx;

	for (c = n->child; c != NULL; c = nx) {
		nx = c->next;
		config_free_subtree(c);
	}
	free(n->name);
	free(n->value);
	free(n->expanded);
	free(n);
}

struct config_node *
config_new_node(const char *name, size_t len)
{
	struct config_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->name = strndup(name, len);
	if (n->name == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

void
config_append_child(struct config_node *parent, struct config_node *c)
{
	c->parent = parent;
	c->next = NULL;
	if (parent->last_child != NULL)
		parent->last_child->next = c;
	else
		parent->child = c;
	parent->last_child = c;
}

void
config_unlink_child(struct config_node *c)
{
	struct config_node *p = c->parent, **pp, *prev = NULL;

	for (pp = &p->child; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			if (p->last_child == c)
				p->last_child = prev;
			c->next = NULL;
			c->parent = NULL;
			return;
		}
	}
}

static int
ensure_root(void)
{
	if (root != NULL)
		return 0;
	root = config_new_node("", 0);
	if (root == NULL) {
		config_seterr("config: out of memory");
		return -1;
	}
	return 0;
}

void
config_fini(void)
{
	if (root != NULL)
		config_free_subtree(root);
	root = NULL;
	config_generation++;
}

void
config_init(void)
{
	config_fini();
	errbuf[0] = '\0';
	(void)ensure_root();
}

struct config_node *
config_root(void)
{
	if (ensure_root() != 0)
		return NULL;
	return root;
}

/* Length of the full path of n ("" for the root). */
size_t
config_path_len(const struct config_node *n)
{
	size_t len = 0;

	for (; n != NULL && n->parent != NULL; n = n->parent)
		len += strlen(n->name) + (n->parent->parent != NULL ? 1 : 0);
	return len;
}

/* Writes the full path of n, then ".rel" if rel is not NULL. */
const char *
config_full_path(const struct config_node *n, const char *rel, char *buf,
    size_t size)
{
	size_t len = config_path_len(n), pos = len, l;

	if (len >= size) {
		snprintf(buf, size, "%s", "(path too long)");
		return buf;
	}
	buf[len] = '\0';
	for (; n != NULL && n->parent != NULL; n = n->parent) {
		l = strlen(n->name);
		pos -= l;
		memcpy(buf + pos, n->name, l);
		if (pos > 0)
			buf[--pos] = '.';
	}
	if (rel != NULL)
		snprintf(buf + len, size - len, "%s%s", len > 0 ? "." : "",
		    rel);
	return buf;
}

static bool
component_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/*
 * Syntax of a path relative to a node whose own path has prefix_len
 * characters (0 for the root).  `shown` is how messages name the key.
 */
int
config_check_path(const char *path, size_t prefix_len, const char *shown)
{
	size_t i, len;

	if (path == NULL || path[0] == '\0') {
		config_seterr("config: empty key");
		return -1;
	}
	len = strnlen(path, CONFIG_MAX_PATH);
	if (prefix_len + (prefix_len > 0) + len >= CONFIG_MAX_PATH) {
		config_seterr("key '%s': longer than %d characters", shown,
		    CONFIG_MAX_PATH - 1);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (path[i] == '.') {
			if (i == 0 || i == len - 1 || path[i + 1] == '.') {
				config_seterr("key '%s': empty path component",
				    shown);
				return -1;
			}
		} else if (!component_char(path[i])) {
			config_seterr("key '%s': invalid character 0x%02x at "
			    "offset %zu (components are [A-Za-z0-9_-]+, "
			    "separated by '.')", shown,
			    (unsigned)(unsigned char)path[i], i);
			return -1;
		}
	}
	return 0;
}

int
config_check_value(const char *key, const char *value)
{
	size_t i, len;

	if (value == NULL) {
		config_seterr("key '%s': no value", key);
		return -1;
	}
	len = strnlen(value, CONFIG_MAX_VALUE);
	if (len >= CONFIG_MAX_VALUE) {
		config_seterr("key '%s': value longer than %d characters", key,
		    CONFIG_MAX_VALUE - 1);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			config_seterr("key '%s': value has control character "
			    "0x%02x at offset %zu", key, (unsigned)c, i);
			return -1;
		}
	}
	return 0;
}

int
config_check_key(const char *key)
{
	return config_check_path(key, 0, config_show(key));
}

/* Child of n named by the first len characters of name. */
struct config_node *
config_find_child(const struct config_node *n, const char *name, size_t len)
{
	struct config_node *c;

	for (c = n->child; c != NULL; c = c->next)
		if (strncmp(c->name, name, len) == 0 && c->name[len] == '\0')
			return c;
	return NULL;
}

/*
 * Walks a checked relative path.  Returns the node, or NULL; *blocker is
 * set to a leaf met on the way (which makes the path impossible).
 */
struct config_node *
config_walk(struct config_node *n, const char *path, struct config_node **blocker)
{
	const char *p = path, *dot;

	*blocker = NULL;
	for (;;) {
		if (n->value != NULL) {
			*blocker = n;
			return NULL;
		}
		dot = strchr(p, '.');
		n = config_find_child(n, p, dot != NULL ? (size_t)(dot - p)
		    : strlen(p));
		if (n == NULL || dot == NULL)
			return n;
		p = dot + 1;
	}
}

/* Start node for a relative operation; NULL parent means the root. */
struct config_node *
config_base(struct config_node *parent)
{
	if (parent != NULL)
		return parent;
	if (ensure_root() != 0)
		return NULL;
	return root;
}

/* Checks (parent, path) and fills key with the full path for messages. */
int
config_check_rel(struct config_node *parent, const char *path, char *key,
    size_t keysize)
{
	if (parent->value != NULL) {
		config_seterr("key '%s': is a value, it has no children",
		    config_show(config_full_path(parent, NULL, key, keysize)));
		return -1;
	}
	config_full_path(parent, config_show(path), key, keysize);
	return config_check_path(path, config_path_len(parent), key);
}

struct config_node *
config_find_relative_node(struct config_node *parent, const char *path)
{
	char key[CONFIG_MAX_PATH + 80];
	struct config_node *n, *blk;

	if ((parent = config_base(parent)) == NULL)
		return NULL;
	if (config_check_rel(parent, path, key, sizeof(key)) != 0)
		return NULL;
	n = config_walk(parent, path, &blk);
	if (n == NULL)
		config_seterr("key '%s': not set", key);
	return n;
}

struct config_node *
config_find_node(const char *path)
{
	return config_find_relative_node(NULL, path);
}

/* ------------------------------------------------------------------ */
/* Walking                                                              */

struct config_node *
config_first_child(struct config_node *n)
{
	return n != NULL ? n->child : NULL;
}

struct config_node *
config_next_sibling(struct config_node *n)
{
	return n != NULL ? n->next : NULL;
}

const char *
config_node_name(const struct config_node *n)
{
	return n != NULL ? n->name : NULL;
}

bool
config_node_is_leaf(const struct config_node *n)
{
	return n != NULL && n->value != NULL;
}

const char *
config_node_value(const struct config_node *n)
{
	return n != NULL ? n->value : NULL;
}

/* ------------------------------------------------------------------ */
/* Dump                                                                 */

bool
config_value_needs_quotes(const char *v)
{
	size_t len = strlen(v);

	if (len == 0)
		return false;
	if (v[0] == ' ' || v[0] == '\t' || v[len - 1] == ' ' ||
	    v[len - 1] == '\t')
		return true;
	return len >= 2 && v[0] == '"' && v[len - 1] == '"';
}

static void
dump_node(FILE *f, const struct config_node *n, char *path, size_t len)
{
	const struct config_node *c;
	size_t l;

	for (c = n->child; c != NULL; c = c->next) {
		l = strlen(c->name);
		/* Every full path fits: set/create checked its length. */
		if (len + 1 + l >= CONFIG_MAX_PATH)
			continue;
		if (len > 0)
			path[len] = '.';
		memcpy(path + len + (len > 0), c->name, l + 1);
		if (c->value != NULL) {
			const char *q = config_value_needs_quotes(c->value)
			    ? "\"" : "";
			fprintf(f, "%s=%s%s%s\n", path, q, c->value, q);
		} else {
			dump_node(f, c, path, len + (len > 0) + l);
		}
		path[len] = '\0';
	}
}

void
config_dump(FILE *f)
{
	char path[CONFIG_MAX_PATH];

	if (root == NULL)
		return;
	path[0] = '\0';
	dump_node(f, root, path, 0);
}
