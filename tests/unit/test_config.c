/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the configuration tree (vmm/config*.c): paths, hostile
 * keys and values, %(path) expansion, booleans, sizes, -k files and the
 * dump round trip.  Single-threaded.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

/* The whole tree as config_dump() prints it (caller frees). */
static char *
dump_str(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return NULL;
	config_dump(f);
	fclose(f);
	return buf;
}

/* Writes text to a new temporary file; returns its name (static). */
static const char *
temp_file(const char *text, size_t len)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/zhyve_test_config_XXXXXX");
	fd = mkstemp(name);
	if (fd < 0)
		return NULL;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	close(fd);
	return name;
}

static bool
err_has(const char *s)
{
	return strstr(config_error(), s) != NULL;
}

/* A fixed tree to check that failing calls change nothing. */
static char *
base_tree(void)
{
	config_init();
	config_set("a.b", "1");
	config_set("a.c", "two");
	config_set("x", "%(a.c)");
	return dump_str();
}

TEST(set_get_walk)
{
	struct config_node *n, *c;

	config_init();
	CHECK_EQ(config_set("pci.0.3.0.device", "virtio-blk"), 0);
	CHECK_EQ(config_set("pci.0.3.0.path", "/img"), 0);
	CHECK_EQ(config_set("memory.size", "1G"), 0);
	CHECK_STR(config_get("pci.0.3.0.device"), "virtio-blk");
	CHECK_EQ(config_set("pci.0.3.0.device", "virtio-net"), 0);
	CHECK_STR(config_get("pci.0.3.0.device"), "virtio-net");
	CHECK(config_get("pci.0.3.0.nope") == NULL);
	CHECK(err_has("pci.0.3.0.nope") && err_has("not set"));
	CHECK(config_get("pci.0") == NULL);
	CHECK(err_has("node"));

	n = config_find_node("pci.0.3.0");
	CHECK(n != NULL && !config_node_is_leaf(n));
	c = config_first_child(n);
	CHECK_STR(config_node_name(c), "device");
	CHECK_STR(config_node_value(c), "virtio-net");
	c = config_next_sibling(c);
	CHECK_STR(config_node_name(c), "path");
	CHECK(config_next_sibling(c) == NULL);
	CHECK_STR(config_get_node(n, "path"), "/img");
	CHECK(config_find_node("pci.1") == NULL);
	CHECK(config_find_node("memory.size") != NULL);
	CHECK(config_node_is_leaf(config_find_node("memory.size")));
	CHECK_STR(config_node_name(config_first_child(config_root())), "pci");
}

TEST(relative_nodes_and_defaults)
{
	struct config_node *n;
	bool b = false;

	config_init();
	n = config_create_node("pci.0.31.0");
	CHECK(n != NULL);
	CHECK(config_create_node("pci.0.31.0") == n);
	CHECK_EQ(config_set_node(n, "device", "lpc"), 0);
	CHECK_EQ(config_set_node(n, "sub.key", "v"), 0);
	CHECK_STR(config_get("pci.0.31.0.sub.key"), "v");
	CHECK(config_find_relative_node(n, "sub") != NULL);
	CHECK(config_create_relative_node(n, "sub.deeper") != NULL);
	CHECK(config_find_node("pci.0.31.0.sub.deeper") != NULL);
	CHECK(config_create_relative_node(n, "device") == NULL);
	CHECK(err_has("pci.0.31.0.device"));
	CHECK_EQ(config_set_node(NULL, "x", "1"), -1);

	/* A missing device node reads as "nothing set". */
	CHECK(config_get_node(NULL, "device") == NULL);
	CHECK_EQ(config_get_bool_node(NULL, "flag", true, &b), 0);
	CHECK(b);

	CHECK_EQ(config_set_default("cpus", "1"), 0);
	CHECK_EQ(config_set_default("cpus", "4"), 0);
	CHECK_STR(config_get("cpus"), "1");
	CHECK_EQ(config_set_default("pci.0", "x"), -1);
	CHECK(err_has("pci.0"));

	CHECK_EQ(config_parse_assignment("boot.cmdline=console=ttyS0 a=b"), 0);
	CHECK_STR(config_get("boot.cmdline"), "console=ttyS0 a=b");
	CHECK_EQ(config_parse_assignment("novalue"), -1);
	CHECK(err_has("novalue"));
	CHECK_EQ(config_parse_assignment("=x"), -1);
	CHECK_EQ(config_parse_assignment("a..b=x"), -1);
	CHECK(err_has("a..b"));
	CHECK_EQ(config_parse_assignment("empty="), 0);
	CHECK_STR(config_get("empty"), "");
}

TEST(hostile_keys_change_nothing)
{
	static const char *const bad[] = {
		"", ".a", "a.", "a..b", ".", "a b", "a\001b", "a/b", "a=b",
		"a.b\n", "\xc3\xa9", "a.%(x)",
	};
	char *before = base_tree(), *after;
	char longkey[CONFIG_MAX_PATH + 2], *longval;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(config_set(bad[i], "v"), -1);
		CHECK(config_create_node(bad[i]) == NULL);
		CHECK(config_get(bad[i]) == NULL);
	}
	CHECK_EQ(config_set("a..b", "v"), -1);
	CHECK(err_has("a..b") && err_has("empty path component"));
	CHECK_EQ(config_set("a\001b", "v"), -1);
	CHECK(err_has("a?b") && err_has("0x01"));

	/* Path length: 255 characters fit, 256 do not. */
	memset(longkey, 'k', sizeof(longkey));
	longkey[CONFIG_MAX_PATH] = '\0';
	CHECK_EQ(config_set(longkey, "v"), -1);
	CHECK(err_has("longer than 255"));
	/* ...also when the length comes from a parent node. */
	longkey[CONFIG_MAX_PATH - 2] = '\0';
	CHECK_EQ(config_set_node(config_find_node("a"), longkey, "v"), -1);

	/* Values: 4095 characters fit, 4096 do not; no control characters. */
	longval = malloc(CONFIG_MAX_VALUE + 1);
	memset(longval, 'v', CONFIG_MAX_VALUE);
	longval[CONFIG_MAX_VALUE] = '\0';
	CHECK_EQ(config_set("big", longval), -1);
	CHECK(err_has("big") && err_has("longer than 4095"));
	CHECK_EQ(config_set("a.b", "line1\nline2"), -1);
	CHECK(err_has("a.b") && err_has("control character"));
	CHECK_EQ(config_set("a.b", "bell\007"), -1);
	CHECK_EQ(config_set("a.b", "del\177"), -1);
	CHECK_EQ(config_set("a.b", NULL), -1);

	/* Leaf vs node, both ways, at every level. */
	CHECK_EQ(config_set("a", "v"), -1);
	CHECK(err_has("'a'") && err_has("node"));
	CHECK_EQ(config_set("a.b.c", "v"), -1);
	CHECK(err_has("a.b.c") && err_has("'a.b' is a value"));
	CHECK_EQ(config_set("a.b.c.d.e", "v"), -1);
	CHECK_EQ(config_set("x.y", "v"), -1);
	CHECK(config_create_node("a.b") == NULL);
	CHECK(config_create_node("a.b.c") == NULL);
	CHECK(config_find_relative_node(config_find_node("a.b"), "c") == NULL);
	CHECK_EQ(config_set_default("a", "v"), -1);

	after = dump_str();
	CHECK_STR(after, before);
	free(after);

	longval[CONFIG_MAX_VALUE - 1] = '\0';
	CHECK_EQ(config_set("big", longval), 0);
	longkey[CONFIG_MAX_PATH - 1] = '\0';
	memset(longkey, 'k', CONFIG_MAX_PATH - 1);
	CHECK_EQ(config_set(longkey, "v"), 0);
	CHECK_EQ(config_set("tab", "a\tb"), 0);
	free(longval);
	free(before);
}

TEST(expansion)
{
	const char *p1, *p2;

	config_init();
	config_set("name", "vm0");
	config_set("dir", "/vms/%(name)");
	config_set("disk", "%(dir)/disk-%(name).img");
	CHECK_STR(config_get("disk"), "/vms/vm0/disk-vm0.img");
	CHECK_STR(config_get_raw("disk"), "%(dir)/disk-%(name).img");

	config_set("pct", "100%% of %(name) 50% %");
	CHECK_STR(config_get("pct"), "100% of vm0 50% %");
	config_set("lit", "%%(name)");
	CHECK_STR(config_get("lit"), "%(name)");

	/* The cache: same pointer while nothing changes, new text after. */
	p1 = config_get("disk");
	p2 = config_get("disk");
	CHECK(p1 == p2);
	config_set("name", "vm1");
	CHECK_STR(config_get("disk"), "/vms/vm1/disk-vm1.img");

	config_set("bad1", "x%(nosuch)y");
	CHECK(config_get("bad1") == NULL);
	CHECK(err_has("bad1") && err_has("nosuch") && err_has("not set"));
	config_set("bad2", "x%(name");
	CHECK(config_get("bad2") == NULL);
	CHECK(err_has("bad2") && err_has("without ')'"));
	config_set("bad3", "%(a..b)");
	CHECK(config_get("bad3") == NULL);
	CHECK(err_has("bad3") && err_has("bad reference"));
	config_set("grp.x", "1");
	config_set("bad4", "%(grp)");
	CHECK(config_get("bad4") == NULL);
	CHECK(err_has("refers to a node"));
	config_set("bad5", "%()");
	CHECK(config_get("bad5") == NULL);
}

TEST(expansion_limits)
{
	char key[32], val[64], *big;
	int i;

	config_init();
	/* A cycle hits the depth limit. */
	config_set("self", "%(self)");
	CHECK(config_get("self") == NULL);
	CHECK(err_has("self") && err_has("deep"));
	config_set("ping", "a%(pong)");
	config_set("pong", "b%(ping)");
	CHECK(config_get("ping") == NULL);
	CHECK(err_has("ping") && err_has("cycle"));

	/* A chain exactly CONFIG_EXPAND_DEPTH deep works, one more fails. */
	config_set("c0", "end");
	for (i = 1; i <= CONFIG_EXPAND_DEPTH + 1; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		snprintf(val, sizeof(val), "%%(c%d)", i - 1);
		config_set(key, val);
	}
	snprintf(key, sizeof(key), "c%d", CONFIG_EXPAND_DEPTH);
	CHECK_STR(config_get(key), "end");
	snprintf(key, sizeof(key), "c%d", CONFIG_EXPAND_DEPTH + 1);
	CHECK(config_get(key) == NULL);

	/* Exponential fan-out fails quickly (reference budget). */
	config_set("f0", "");
	for (i = 1; i <= 12; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		snprintf(val, sizeof(val), "%%(f%d)%%(f%d)%%(f%d)%%(f%d)",
		    i - 1, i - 1, i - 1, i - 1);
		config_set(key, val);
	}
	CHECK(config_get("f12") == NULL);
	CHECK(err_has("f12") && err_has("references"));

	/* The expanded value is bounded like a raw one. */
	big = malloc(CONFIG_MAX_VALUE);
	memset(big, 'x', CONFIG_MAX_VALUE - 1);
	big[CONFIG_MAX_VALUE - 1] = '\0';
	config_set("big", big);
	config_set("big2", "y%(big)");
	CHECK(config_get("big") != NULL);
	CHECK(config_get("big2") == NULL);
	CHECK(err_has("big2") && err_has("longer"));
	free(big);
}

TEST(booleans)
{
	static const char *const t[] = { "true", "TRUE", "yes", "On", "1" };
	static const char *const f[] = { "false", "No", "off", "OFF", "0" };
	bool b;
	size_t i;

	config_init();
	for (i = 0; i < 5; i++) {
		config_set("b", t[i]);
		b = false;
		CHECK_EQ(config_get_bool("b", false, &b), 0);
		CHECK(b);
		config_set("b", f[i]);
		b = true;
		CHECK_EQ(config_get_bool("b", true, &b), 0);
		CHECK(!b);
	}
	b = false;
	CHECK_EQ(config_get_bool("missing", true, &b), 0);
	CHECK(b);
	config_set("b", "maybe");
	CHECK_EQ(config_get_bool("b", true, &b), -1);
	CHECK(err_has("'b'") && err_has("maybe") && err_has("boolean"));
	config_set("b", "");
	CHECK_EQ(config_get_bool("b", true, &b), -1);
	config_set("b", "2");
	CHECK_EQ(config_get_bool("b", true, &b), -1);
	config_set("yes", "yes");
	config_set("b", "%(yes)");
	CHECK_EQ(config_get_bool("b", false, &b), 0);
	CHECK(b);
	config_set("n.x", "1");
	CHECK_EQ(config_get_bool("n", false, &b), -1);
	CHECK_EQ(config_get_bool_node(config_find_node("n"), "x", false, &b), 0);
	CHECK(b);
}

TEST(sizes)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 }, { "512", 512 }, { "1k", 1024 }, { "1K", 1024 },
		{ "2m", 2ULL << 20 }, { "3G", 3ULL << 30 }, { "4t", 4ULL << 40 },
		{ "0x10", 16 }, { "0X1f", 31 }, { "0x10k", 16384 },
		{ "18446744073709551615", UINT64_MAX },
		{ "16777215t", 16777215ULL << 40 },
		{ "0xC0000000", 0xC0000000ULL },
	};
	static const char *const bad[] = {
		"", "k", "12x", "-1", "+1", " 1", "1 ", "1kk", "1kb", "0x",
		"1.5G", "18446744073709551616", "16777216t", "17179869184g",
		"0x10000000000000000", "1e3",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 1;
		CHECK_EQ(config_parse_size(good[i].s, &v), 0);
		CHECK(v == good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		CHECK_EQ(config_parse_size(bad[i], &v), -1);
		CHECK(v == 7);
	}
	CHECK_EQ(config_parse_size("16777216t", &v), -1);
	CHECK(err_has("too large"));

	config_init();
	config_set("memory.size", "2G");
	CHECK_EQ(config_get_uint("memory.size", 0, true, &v), 0);
	CHECK(v == (2ULL << 30));
	CHECK_EQ(config_get_uint("memory.size", 0, false, &v), -1);
	CHECK(err_has("memory.size"));
	CHECK_EQ(config_get_uint("nope", 42, false, &v), 0);
	CHECK(v == 42);
	config_set("n", "0x20");
	CHECK_EQ(config_get_uint("n", 0, false, &v), 0);
	CHECK(v == 32);
	config_set("n", "12x");
	CHECK_EQ(config_get_uint("n", 0, true, &v), -1);
	CHECK(err_has("'n'") && err_has("12x"));
}

TEST(dump_round_trip)
{
	const char *file;
	char *d1, *d2;

	config_init();
	config_set("name", "vm0");
	config_set("pci.0.0.0.device", "hostbridge");
	config_set("pci.0.3.0.device", "virtio-blk");
	config_set("pci.0.3.0.path", "/vms/%(name)/disk # not a comment");
	config_set("boot.cmdline", "console=ttyS0 root=/dev/vda");
	config_set("memory.size", "1G");
	config_set("pct", "100%%");
	config_set("blanks", "  padded\t");
	config_set("quoted", "\"q\"");
	config_set("quote1", "\"");
	config_set("empty", "");
	config_set("tab", "a\tb");
	config_set("hash", "#x");
	config_set("pci.0.31.0.device", "lpc");
	d1 = dump_str();
	CHECK(d1 != NULL && strstr(d1, "blanks=\"  padded\t\"\n") != NULL);
	CHECK(strstr(d1, "pci.0.3.0.device=virtio-blk\n") != NULL);

	file = temp_file(d1, strlen(d1));
	CHECK(file != NULL);
	config_init();
	CHECK_EQ(config_parse_file(file), 0);
	d2 = dump_str();
	CHECK_STR(d2, d1);
	CHECK_STR(config_get_raw("blanks"), "  padded\t");
	CHECK_STR(config_get_raw("quoted"), "\"q\"");
	CHECK_STR(config_get_raw("quote1"), "\"");
	CHECK_STR(config_get("pci.0.3.0.path"), "/vms/vm0/disk # not a comment");
	unlink(file);
	free(d1);
	free(d2);
}

TEST(file_syntax)
{
	static const char text[] =
	    "# a comment\n"
	    "\n"
	    "   \t\n"
	    "  name = vm0  \n"
	    "\t# indented comment\n"
	    "boot.cmdline=console=ttyS0 quiet\r\n"
	    "memory.size =\"  4G \"\n"
	    "name=vm1\n"
	    "last=no newline";
	const char *file = temp_file(text, sizeof(text) - 1);

	config_init();
	CHECK_EQ(config_parse_file(file), 0);
	CHECK_STR(config_get("name"), "vm1");
	CHECK_STR(config_get("boot.cmdline"), "console=ttyS0 quiet");
	CHECK_STR(config_get("memory.size"), "  4G ");
	CHECK_STR(config_get("last"), "no newline");
	unlink(file);

	CHECK_EQ(config_parse_file("/nonexistent/zhyve.conf"), -1);
	CHECK(err_has("/nonexistent/zhyve.conf") && err_has("cannot open"));
}

/* A -k file that must fail at `line` with `what`, leaving the tree alone. */
static void
bad_file(const char *text, size_t len, int line, const char *what)
{
	char *before = base_tree(), *after, where[32];
	const char *file = temp_file(text, len);

	CHECK(file != NULL);
	CHECK_EQ(config_parse_file(file), -1);
	snprintf(where, sizeof(where), ":%d: ", line);
	if (!err_has(where) || !err_has(what) || !err_has(file))
		printf("    message was: %s\n", config_error());
	CHECK(err_has(where));
	CHECK(err_has(what));
	CHECK(err_has(file));
	after = dump_str();
	CHECK_STR(after, before);
	free(before);
	free(after);
	unlink(file);
}

/* For string literals: the length without the terminating NUL. */
#define BAD_FILE(text, line, what) bad_file(text, sizeof(text) - 1, line, what)

TEST(file_errors)
{
	static const char nul[] = "ok=1\nbad=x\0y\n";
	char *longline;

	BAD_FILE("ok=1\n# c\njust words\n", 3, "expected key=value");
	BAD_FILE("ok=1\n a..b = 2\n", 2, "a..b");
	BAD_FILE("ok=1\n = 2\n", 2, "empty key");
	BAD_FILE("ok=1\nk=\001\n", 2, "control character");
	bad_file(nul, sizeof(nul) - 1, 2, "NUL");
	/* Conflicts found only while applying: all earlier lines undone. */
	BAD_FILE("new.one=1\na.c=changed\nz=1\na.b.c=2\n", 4, "a.b.c");
	BAD_FILE("new.one=1\nx=2\nnew=3\n", 3, "'new'");
	BAD_FILE("p=1\np=2\np.q=3\n", 3, "'p' is a value");
	BAD_FILE("a=1\n", 1, "'a'");

	longline = malloc(20000);
	memset(longline, 'v', 20000);
	memcpy(longline, "ok=1\nk=", 7);
	bad_file(longline, 20000, 2, "too long");
	free(longline);

	/* Values set by an earlier line keep the old value after undo. */
	config_init();
	config_set("keep", "old");
	{
		static const char t[] = "keep=new\nkeep=newer\nkeep.x=1\n";
		const char *file = temp_file(t, sizeof(t) - 1);
		CHECK_EQ(config_parse_file(file), -1);
		CHECK_STR(config_get("keep"), "old");
		unlink(file);
	}
}

int
main(void)
{
	RUN(set_get_walk);
	RUN(relative_nodes_and_defaults);
	RUN(hostile_keys_change_nothing);
	RUN(expansion);
	RUN(expansion_limits);
	RUN(booleans);
	RUN(sizes);
	RUN(dump_round_trip);
	RUN(file_syntax);
	RUN(file_errors);
	config_fini();
	TEST_SUMMARY();
}
