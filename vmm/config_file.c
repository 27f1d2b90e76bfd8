/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration tree: the -k file parser (config_parse_file).
 *
 * Syntax, one setting per line:
 *
 *     # a comment: '#' as the first non-blank character of a line
 *     key = value
 *     pci.0.3.0.path = "  a value with blanks at its ends  "
 *
 *  - Blank lines and comment lines are ignored.  A '#' anywhere else is
 *    part of the value (there are no trailing comments), so every value
 *    config_dump() prints reads back unchanged.
 *  - The key is everything before the first '=', the value everything
 *    after it (so a value may contain '=').  Blanks (space, TAB) around
 *    both are removed; a trailing CR is removed too (CRLF files work).
 *  - If the value then starts and ends with '"' (and has at least two
 *    characters), that one pair of quotes is removed and what is between
 *    them is taken as it is.  config_dump() quotes exactly the values that
 *    need it: those with blanks at either end, and those that themselves
 *    start and end with '"'.
 *  - A line may be at most CONFIG_FILE_MAX_LINE bytes, a file at most
 *    CONFIG_FILE_MAX_ENTRIES settings; NUL bytes are errors.
 *
 * The whole file is read and checked first; then the settings are applied
 * in order.  Should one of them fail (a key that is a node in the tree, or
 * a value where an earlier line made a node), every setting already
 * applied is taken back, so a failed call leaves the tree as it was.  The
 * message names the file, the line and the problem.
 *
 * Threads: the main thread only, during start-up.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

#define CONFIG_FILE_MAX_LINE	(CONFIG_MAX_PATH + CONFIG_MAX_VALUE + 256)
#define CONFIG_FILE_MAX_ENTRIES	65536

struct setting {
	char *key;
	char *value;
	unsigned long line;
};

struct settings {
	struct setting *v;
	size_t n, cap;
};

static void
settings_free(struct settings *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].key);
		free(s->v[i].value);
	}
	free(s->v);
}

/*
 * Reads one line into buf (without its '\n').  Returns 1 for a line, 0 at
 * the end of the file, -1 for an over-long line, a NUL byte or a read
 * error (*why says which).
 */
static int
read_line(FILE *f, char *buf, size_t size, const char **why)
{
	size_t len = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0') {
			*why = "NUL byte in line";
			return -1;
		}
		if (len + 1 >= size) {
			*why = "line too long";
			return -1;
		}
		buf[len++] = (char)c;
	}
	if (c == EOF && ferror(f)) {
		*why = strerror(errno);
		return -1;
	}
	if (c == EOF && len == 0)
		return 0;
	buf[len] = '\0';
	return 1;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trims blanks in place; returns the start. */
static char *
trim(char *s)
{
	size_t len;

	while (blank(*s))
		s++;
	len = strlen(s);
	while (len > 0 && blank(s[len - 1]))
		s[--len] = '\0';
	return s;
}

/*
 * Splits and checks one line.  0 with *key NULL for a line without a
 * setting, 0 with key/value set, -1 with the problem in config_error().
 */
static int
parse_line(char *line, char **key, char **value)
{
	char *eq, *k, *v;
	size_t len;

	*key = *value = NULL;
	len = strlen(line);
	if (len > 0 && line[len - 1] == '\r')
		line[len - 1] = '\0';
	k = trim(line);
	if (*k == '\0' || *k == '#')
		return 0;
	eq = strchr(k, '=');
	if (eq == NULL) {
		config_seterr("'%s': expected key=value", config_show(k));
		return -1;
	}
	*eq = '\0';
	k = trim(k);
	v = trim(eq + 1);
	len = strlen(v);
	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v[len - 1] = '\0';
		v++;
	}
	if (*k == '\0') {
		config_seterr("empty key before '='");
		return -1;
	}
	if (config_check_key(k) != 0 ||
	    config_check_value(config_show(k), v) != 0)
		return -1;
	*key = k;
	*value = v;
	return 0;
}

static int
read_settings(FILE *f, const char *fname, struct settings *s)
{
	char *buf, *key, *value;
	const char *why = NULL;
	unsigned long line = 0;
	struct setting *nv;
	int r;

	if ((buf = malloc(CONFIG_FILE_MAX_LINE)) == NULL) {
		config_seterr("%s: out of memory", fname);
		return -1;
	}
	for (;;) {
		r = read_line(f, buf, CONFIG_FILE_MAX_LINE, &why);
		if (r == 0)
			break;
		line++;
		if (r < 0) {
			config_seterr("%s:%lu: %s", fname, line, why);
			goto fail;
		}
		if (parse_line(buf, &key, &value) != 0) {
			char msg[512];
			snprintf(msg, sizeof(msg), "%s", config_error());
			config_seterr("%s:%lu: %s", fname, line, msg);
			goto fail;
		}
		if (key == NULL)
			continue;
		if (s->n == CONFIG_FILE_MAX_ENTRIES) {
			config_seterr("%s:%lu: more than %d settings", fname,
			    line, CONFIG_FILE_MAX_ENTRIES);
			goto fail;
		}
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			nv = realloc(s->v, cap * sizeof(*nv));
			if (nv == NULL)
				goto nomem;
			s->v = nv;
			s->cap = cap;
		}
		s->v[s->n].key = strdup(key);
		s->v[s->n].value = strdup(value);
		s->v[s->n].line = line;
		s->n++;
		if (s->v[s->n - 1].key == NULL || s->v[s->n - 1].value == NULL)
			goto nomem;
	}
	free(buf);
	return 0;
nomem:
	config_seterr("%s:%lu: out of memory", fname, line);
fail:
	free(buf);
	return -1;
}

static int
apply_settings(const struct settings *s, const char *fname)
{
	struct config_undo *undo;
	char msg[512];
	size_t i, done;

	undo = calloc(s->n ? s->n : 1, sizeof(*undo));
	if (undo == NULL) {
		config_seterr("%s: out of memory", fname);
		return -1;
	}
	for (done = 0; done < s->n; done++) {
		if (config_set_path(NULL, s->v[done].key, s->v[done].value,
		    false, &undo[done]) != 0)
			break;
	}
	if (done < s->n) {
		snprintf(msg, sizeof(msg), "%s", config_error());
		for (i = done; i-- > 0;)
			config_undo(&undo[i]);
		config_seterr("%s:%lu: %s", fname, s->v[done].line, msg);
		free(undo);
		return -1;
	}
	for (i = 0; i < s->n; i++)
		config_undo_commit(&undo[i]);
	free(undo);
	return 0;
}

int
config_parse_file(const char *filename)
{
	struct settings s = { NULL, 0, 0 };
	char fname[128];
	FILE *f;
	int r;

	snprintf(fname, sizeof(fname), "%s", config_show(filename));
	if (filename == NULL || (f = fopen(filename, "r")) == NULL) {
		config_seterr("%s: cannot open: %s", fname,
		    filename == NULL ? "no file name" : strerror(errno));
		return -1;
	}
	r = read_settings(f, fname, &s);
	fclose(f);
	if (r == 0)
		r = apply_settings(&s, fname);
	settings_free(&s);
	return r;
}
