/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree, reading side: %(path) expansion, the expansion
 * cache, and the typed getters (booleans, numbers, sizes).
 *
 * Expansion looks %(path) up from the root.  "%%" is a literal '%', and a
 * '%' followed by neither '(' nor '%' is kept as it is.  An expanded value
 * is bounded like a raw one (CONFIG_MAX_VALUE - 1 characters); a read may
 * follow at most CONFIG_EXPAND_REFS references in all and nest at most
 * CONFIG_EXPAND_DEPTH deep, so a cycle or an exponential fan-out fails
 * quickly instead of hanging.
 *
 * config_get() caches the expansion per leaf.  A cached string is only
 * replaced when the same leaf is read again after the tree changed, and
 * then only if its expansion differs; a leaf without '%' hands out its raw
 * value.
 *
 * Threads: the main thread during start-up; afterwards read-only from any
 * thread once every leaf that will be read has been read once (reads of an
 * unchanged tree write nothing once cached).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "config_int.h"

struct xbuf {
	char s[CONFIG_MAX_VALUE];
	size_t len;
	unsigned refs;		/* references followed so far */
};

static int
expand(const char *key, const char *raw, int depth, struct xbuf *x)
{
	char ref[CONFIG_MAX_PATH];
	const char *p, *close;
	struct config_node *n, *blk;
	size_t rlen;

	for (p = raw; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == '(') {
			close = strchr(p + 2, ')');
			if (close == NULL) {
				config_seterr("key '%s': '%%(' without ')' in "
				    "value", key);
				return -1;
			}
			rlen = (size_t)(close - (p + 2));
			if (rlen >= sizeof(ref)) {
				config_seterr("key '%s': reference longer "
				    "than %d characters", key,
				    CONFIG_MAX_PATH - 1);
				return -1;
			}
			memcpy(ref, p + 2, rlen);
			ref[rlen] = '\0';
			if (config_check_path(ref, 0, config_show(ref)) != 0) {
				char why[256];
				snprintf(why, sizeof(why), "%s", config_error());
				config_seterr("key '%s': bad reference "
				    "%%(%s): %s", key, config_show(ref), why);
				return -1;
			}
			n = config_walk(config_base(NULL), ref, &blk);
			if (n == NULL || n->value == NULL) {
				config_seterr("key '%s': %%(%s) %s", key, ref,
				    n == NULL ? "refers to a key that is not "
				    "set" : "refers to a node, not a value");
				return -1;
			}
			if (depth + 1 > CONFIG_EXPAND_DEPTH) {
				config_seterr("key '%s': references nested "
				    "more than %d deep at %%(%s) (a reference "
				    "cycle?)", key, CONFIG_EXPAND_DEPTH, ref);
				return -1;
			}
			if (++x->refs > CONFIG_EXPAND_REFS) {
				config_seterr("key '%s': expansion follows "
				    "more than %d references", key,
				    CONFIG_EXPAND_REFS);
				return -1;
			}
			if (expand(key, n->value, depth + 1, x) != 0)
				return -1;
			p = close;
			continue;
		}
		if (p[0] == '%' && p[1] == '%')
			p++;
		if (x->len + 1 >= sizeof(x->s)) {
			config_seterr("key '%s': expanded value longer than "
			    "%d characters", key, CONFIG_MAX_VALUE - 1);
			return -1;
		}
		x->s[x->len++] = *p;
	}
	x->s[x->len] = '\0';
	return 0;
}

/* The leaf at (parent, path), or NULL with an error naming key. */
static struct config_node *
find_leaf(struct config_node *parent, const char *path, char *key,
    size_t keysize, bool *missing)
{
	struct config_node *n, *blk;

	*missing = false;
	if ((parent = config_base(parent)) == NULL)
		return NULL;
	if (config_check_rel(parent, path, key, keysize) != 0)
		return NULL;
	n = config_walk(parent, path, &blk);
	if (n == NULL) {
		*missing = true;
		config_seterr("key '%s': not set", key);
		return NULL;
	}
	if (n->value == NULL) {
		config_seterr("key '%s': is a node, not a value", key);
		return NULL;
	}
	return n;
}

static const char *
leaf_expanded(struct config_node *n, const char *key)
{
	struct xbuf *x;
	char *copy;

	if (n->expanded != NULL && n->expanded_gen == config_generation)
		return n->expanded;
	if (strchr(n->value, '%') == NULL) {
		/* Nothing to expand: hand out the raw value itself. */
		free(n->expanded);
		n->expanded = NULL;
		return n->value;
	}
	if ((x = malloc(sizeof(*x))) == NULL) {
		config_seterr("config: out of memory");
		return NULL;
	}
	x->len = 0;
	x->refs = 0;
	if (expand(key, n->value, 0, x) != 0) {
		free(x);
		return NULL;
	}
	if (n->expanded == NULL || strcmp(n->expanded, x->s) != 0) {
		if ((copy = strdup(x->s)) == NULL) {
			free(x);
			config_seterr("config: out of memory");
			return NULL;
		}
		free(n->expanded);
		n->expanded = copy;
	}
	n->expanded_gen = config_generation;
	free(x);
	return n->expanded;
}

const char *
config_get_node(struct config_node *parent, const char *name)
{
	char key[CONFIG_MAX_PATH + 80];
	struct config_node *n;
	bool missing;

	if (parent == NULL) {
		/* The device's node does not exist: nothing is set. */
		config_seterr("key '%s': not set (no parent node)",
		    config_show(name));
		return NULL;
	}
	n = find_leaf(parent, name, key, sizeof(key), &missing);
	return n != NULL ? leaf_expanded(n, key) : NULL;
}

const char *
config_get(const char *path)
{
	char key[CONFIG_MAX_PATH + 80];
	struct config_node *n;
	bool missing;

	n = find_leaf(NULL, path, key, sizeof(key), &missing);
	return n != NULL ? leaf_expanded(n, key) : NULL;
}

const char *
config_get_raw(const char *path)
{
	char key[CONFIG_MAX_PATH + 80];
	struct config_node *n;
	bool missing;

	n = find_leaf(NULL, path, key, sizeof(key), &missing);
	return n != NULL ? n->value : NULL;
}

/*
 * Expanded value for the typed getters: 1 and *v set if the leaf exists,
 * 0 if it does not (the caller uses its default), -1 on error.
 */
static int
typed_value(struct config_node *parent, const char *path, char *key,
    size_t keysize, const char **v)
{
	struct config_node *n;
	bool missing;

	n = find_leaf(parent, path, key, keysize, &missing);
	if (n == NULL)
		return missing ? 0 : -1;
	*v = leaf_expanded(n, key);
	return *v != NULL ? 1 : -1;
}

/* Parses a boolean; -1 with an error naming key if v is not one. */
static int
parse_bool(const char *key, const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	config_seterr("key '%s': '%s' is not a boolean (true/false, yes/no, "
	    "on/off, 1/0)", key, config_show(v));
	return -1;
}

static int
get_bool(struct config_node *parent, const char *name, bool def, bool *out)
{
	char key[CONFIG_MAX_PATH + 80];
	const char *v = NULL;
	int r;

	r = typed_value(parent, name, key, sizeof(key), &v);
	if (r == 0)
		*out = def;
	if (r <= 0)
		return r;
	return parse_bool(key, v, out);
}

int
config_get_bool_node(struct config_node *parent, const char *name, bool def,
    bool *out)
{
	if (parent == NULL) {
		/* The device's node does not exist: nothing is set. */
		*out = def;
		return 0;
	}
	return get_bool(parent, name, def, out);
}

int
config_get_bool(const char *path, bool def, bool *out)
{
	return get_bool(NULL, path, def, out);
}

/* Decimal or 0x-hex digits at *sp; advances *sp.  -1 on none/overflow. */
static int
parse_digits(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	unsigned base = 10, d;
	uint64_t v = 0;
	bool any = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return -1;
		any = true;
	}
	if (!any)
		return -1;
	*sp = s;
	*out = v;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t v;
	unsigned shift = 0;

	if (s == NULL || parse_digits(&p, &v) != 0)
		goto bad;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	case 't': case 'T': shift = 40; p++; break;
	default: break;
	}
	if (*p != '\0')
		goto bad;
	if (shift != 0 && v > (UINT64_MAX >> shift)) {
		config_seterr("'%s': size too large", config_show(s));
		return -1;
	}
	*out = v << shift;
	return 0;
bad:
	config_seterr("'%s': not a size (a decimal or 0x-hex number with an "
	    "optional k/m/g/t suffix)", config_show(s));
	return -1;
}

int
config_parse_uint(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t v;

	if (s == NULL || parse_digits(&p, &v) != 0 || *p != '\0') {
		config_seterr("'%s': not an unsigned number (decimal or "
		    "0x-hex, at most 2^64-1)", config_show(s));
		return -1;
	}
	*out = v;
	return 0;
}

int
config_get_uint(const char *path, uint64_t def, bool sizes, uint64_t *out)
{
	char key[CONFIG_MAX_PATH + 80], why[256];
	const char *v = NULL;
	uint64_t val;
	int r;

	r = typed_value(NULL, path, key, sizeof(key), &v);
	if (r <= 0) {
		if (r == 0)
			*out = def;
		return r;
	}
	r = sizes ? config_parse_size(v, &val) : config_parse_uint(v, &val);
	if (r != 0) {
		snprintf(why, sizeof(why), "%s", config_error());
		config_seterr("key '%s': %s", key, why);
		return -1;
	}
	*out = val;
	return 0;
}
