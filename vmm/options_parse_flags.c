/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zhyve command line, one flag at a time: the parsers behind -m, -c,
 * -l, -p, -B and -U, and the value checks they share with
 * options_check_tree().  Each parses its whole argument before it writes
 * the tree, so a rejected flag changes nothing.
 *
 * Threads: the main thread, during start-up.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "options.h"

#define MIB_SHIFT 20

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Sets a key, turning a config error into err. */
static int
set(const char *key, const char *value, char *err, size_t errlen)
{
	if (config_set(key, value) != 0)
		return fail(err, errlen, "%s", config_error());
	return 0;
}

/* A decimal number in [min, max] and nothing else. */
static bool
parse_dec(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*s - '0'), &v))
			return false;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* ------------------------------------------------------------------ */
/* -m                                                                   */

int
options_parse_memsize(const char *s, uint64_t *bytes, char *err,
    size_t errlen)
{
	uint64_t v;

	if (s == NULL)
		return fail(err, errlen, "no memory size");
	if (config_parse_size(s, &v) != 0)
		return fail(err, errlen, "'%s' is not a memory size (a number "
		    "of MiB, or a number with a k/m/g/t suffix)", s);
	/* bhyve: a plain number below 1 MiB counts MiB. */
	if (strpbrk(s, "kKmMgGtT") == NULL && v < (1ULL << MIB_SHIFT))
		v <<= MIB_SHIFT;
	if (v == 0)
		return fail(err, errlen, "memory size '%s' is zero", s);
	*bytes = v;
	return 0;
}

int
options_get_memsize(uint64_t *bytes, char *err, size_t errlen)
{
	const char *v;
	char why[256];

	if (config_find_node("memory.size") == NULL) {
		*bytes = 256ULL << MIB_SHIFT;
		return 0;
	}
	if ((v = config_get("memory.size")) == NULL)
		return fail(err, errlen, "%s", config_error());
	if (options_parse_memsize(v, bytes, why, sizeof(why)) != 0)
		return fail(err, errlen, "memory.size: %s", why);
	return 0;
}

int
options_memory(const char *arg, char *err, size_t errlen)
{
	char buf[32];
	uint64_t bytes, raw;

	if (options_parse_memsize(arg, &bytes, err, errlen) != 0)
		return -1;
	/* A plain number of MiB is stored with its unit, so that no reader
	 * of memory.size can take it for bytes. */
	if (strpbrk(arg, "kKmMgGtT") == NULL &&
	    config_parse_size(arg, &raw) == 0 && raw < (1ULL << MIB_SHIFT)) {
		snprintf(buf, sizeof(buf), "%lluM", (unsigned long long)raw);
		return set("memory.size", buf, err, errlen);
	}
	return set("memory.size", arg, err, errlen);
}

/* ------------------------------------------------------------------ */
/* -c [[cpus=]n][,sockets=n][,cores=n][,threads=n][,maxcpus=n]          */

static const char *const topo_keys[] = {
	"cpus", "sockets", "cores", "threads", "maxcpus",
};
#define NTOPO (sizeof(topo_keys) / sizeof(topo_keys[0]))

int
options_topology(const char *arg, char *err, size_t errlen)
{
	uint64_t val[NTOPO];
	bool given[NTOPO] = { false };
	char tok[64], buf[24];
	const char *p = arg, *end, *eq, *num;
	size_t i, len;

	if (arg == NULL || *arg == '\0')
		return fail(err, errlen, "empty CPU specification");
	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return fail(err, errlen, "empty item in '%s'", arg);
		if (len >= sizeof(tok))
			return fail(err, errlen, "item too long in '%s'", arg);
		memcpy(tok, p, len);
		tok[len] = '\0';
		eq = strchr(tok, '=');
		i = 0;		/* a bare number is cpus */
		num = tok;
		if (eq != NULL) {
			for (i = 0; i < NTOPO; i++)
				if (strlen(topo_keys[i]) == (size_t)(eq - tok) &&
				    strncmp(tok, topo_keys[i], eq - tok) == 0)
					break;
			if (i == NTOPO)
				return fail(err, errlen, "'%s': unknown key "
				    "(cpus, sockets, cores, threads, maxcpus)",
				    tok);
			num = eq + 1;
		}
		if (!parse_dec(num, 1, OPTIONS_MAX_CPUS, &val[i]))
			return fail(err, errlen, "'%s': %s must be a whole "
			    "number from 1 to %d", tok, topo_keys[i],
			    OPTIONS_MAX_CPUS);
		given[i] = true;
		if (end == NULL)
			break;
		p = end + 1;
	}
	for (i = 0; i < NTOPO; i++) {
		if (!given[i])
			continue;
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)val[i]);
		if (set(topo_keys[i], buf, err, errlen) != 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* -l                                                                   */

void
options_print_lpc_devices(FILE *f)
{
	fprintf(f,
	    "bootrom  boot ROM image, mapped below 4 GiB: "
	    "-l bootrom,FILE[,VARFILE]\n"
	    "com1     16550 UART at 0x3f8, IRQ 4\n"
	    "com2     16550 UART at 0x2f8, IRQ 3\n"
	    "com3     16550 UART at 0x3e8, IRQ 4\n"
	    "com4     16550 UART at 0x2e8, IRQ 3\n"
	    "         -l comN,stdio | -l comN,socket,PATH | -l comN,/dev/TTY\n");
}

int
options_lpc(const char *arg, char *err, size_t errlen)
{
	char dev[16], key[32], *files, *var;
	const char *comma;
	size_t len;
	int r;

	if (arg == NULL || *arg == '\0')
		return fail(err, errlen, "empty LPC device (see -l help)");
	comma = strchr(arg, ',');
	len = comma != NULL ? (size_t)(comma - arg) : strlen(arg);
	if (len >= sizeof(dev))
		len = sizeof(dev) - 1;
	memcpy(dev, arg, len);
	dev[len] = '\0';

	if (len == 4 && strncasecmp(dev, "com", 3) == 0 &&
	    dev[3] >= '1' && dev[3] <= '4') {
		if (comma == NULL || comma[1] == '\0')
			return fail(err, errlen, "%s needs a backend: stdio, "
			    "socket,PATH or a device path", dev);
		snprintf(key, sizeof(key), "lpc.com%c.path", dev[3]);
		return set(key, comma + 1, err, errlen);
	}
	if (strcasecmp(dev, "bootrom") == 0) {
		if (comma == NULL || comma[1] == '\0')
			return fail(err, errlen, "bootrom needs a file: "
			    "bootrom,FILE[,VARFILE]");
		if ((files = strdup(comma + 1)) == NULL)
			return fail(err, errlen, "out of memory");
		var = strchr(files, ',');
		if (var != NULL)
			*var++ = '\0';
		if (*files == '\0' || (var != NULL && *var == '\0'))
			r = fail(err, errlen, "'%s': empty file name", arg);
		else if (var != NULL && strchr(var, ',') != NULL)
			r = fail(err, errlen, "'%s': too many fields "
			    "(bootrom,FILE[,VARFILE])", arg);
		else if ((r = set("lpc.bootrom", files, err, errlen)) == 0 &&
		    var != NULL)
			r = set("lpc.bootvars", var, err, errlen);
		free(files);
		return r;
	}
	return fail(err, errlen, "unknown LPC device '%s' (see -l help)", dev);
}

/* ------------------------------------------------------------------ */
/* -p vcpu:hostcpu                                                      */

int
options_pin(const char *arg, char *err, size_t errlen)
{
	char vbuf[16], key[48], *nv;
	const char *colon, *old;
	uint64_t vcpu, host, mask[CPU_SETSIZE / 64];
	size_t len;
	int r;

	colon = arg != NULL ? strchr(arg, ':') : NULL;
	if (colon == NULL)
		return fail(err, errlen, "'%s': expected vcpu:hostcpu",
		    arg != NULL ? arg : "");
	len = (size_t)(colon - arg);
	if (len >= sizeof(vbuf))
		len = sizeof(vbuf) - 1;
	memcpy(vbuf, arg, len);
	vbuf[len] = '\0';
	if (!parse_dec(vbuf, 0, OPTIONS_MAX_CPUS - 1, &vcpu))
		return fail(err, errlen, "'%s': vCPU must be a number from 0 "
		    "to %d", arg, OPTIONS_MAX_CPUS - 1);
	if (!parse_dec(colon + 1, 0, CPU_SETSIZE - 1, &host))
		return fail(err, errlen, "'%s': host CPU must be a number from "
		    "0 to %d", arg, CPU_SETSIZE - 1);
	snprintf(key, sizeof(key), "vcpu.%llu.cpuset",
	    (unsigned long long)vcpu);
	old = config_get_raw(key);
	if (old != NULL && options_parse_cpulist(old, mask, CPU_SETSIZE, err,
	    errlen) == 0 && (mask[host / 64] >> (host % 64) & 1))
		return 0;	/* already in the list */
	if (old != NULL)
		r = asprintf(&nv, "%s,%llu", old, (unsigned long long)host);
	else
		r = asprintf(&nv, "%llu", (unsigned long long)host);
	if (r < 0)
		return fail(err, errlen, "out of memory");
	r = set(key, nv, err, errlen);
	free(nv);
	return r;
}

int
options_parse_cpulist(const char *s, uint64_t *mask, unsigned nbits,
    char *err, size_t errlen)
{
	char tok[32], *dash;
	const char *p = s, *end;
	uint64_t lo, hi, i;
	size_t len;

	memset(mask, 0, ((nbits + 63) / 64) * sizeof(*mask));
	if (s == NULL || *s == '\0')
		return fail(err, errlen, "empty CPU list");
	for (;;) {
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || len >= sizeof(tok))
			return fail(err, errlen, "'%s': bad item in CPU list",
			    s);
		memcpy(tok, p, len);
		tok[len] = '\0';
		dash = strchr(tok, '-');
		if (dash != NULL)
			*dash = '\0';
		if (!parse_dec(tok, 0, nbits - 1, &lo) ||
		    !parse_dec(dash != NULL ? dash + 1 : tok, lo, nbits - 1,
		    &hi))
			return fail(err, errlen, "'%s': CPU list items are "
			    "numbers or ranges a-b (a <= b) below %u", s,
			    nbits);
		for (i = lo; i <= hi; i++)
			mask[i / 64] |= 1ULL << (i % 64);
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

/* ------------------------------------------------------------------ */
/* -U and -B                                                            */

bool
options_valid_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F'))) {
			return false;
		}
	}
	return true;
}

int
options_uuid(const char *arg, char *err, size_t errlen)
{
	if (!options_valid_uuid(arg))
		return fail(err, errlen, "'%s' is not a UUID "
		    "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, hex digits)",
		    arg != NULL ? arg : "");
	return set("uuid", arg, err, errlen);
}

bool
options_valid_name(const char *s)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= 63)
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return false;
	}
	return true;
}

/* -B keys: the illumos spelling, then the config key it writes. */
struct smbios_key {
	int type;
	const char *flag, *key;
};

static const struct smbios_key smbios_keys[] = {
	{ 0, "vendor", "smbios.bios.vendor" },
	{ 0, "version", "smbios.bios.version" },
	{ 0, "release_date", "smbios.bios.release_date" },
	{ 1, "manufacturer", "smbios.system.manufacturer" },
	{ 1, "product", "smbios.system.product_name" },
	{ 1, "product_name", "smbios.system.product_name" },
	{ 1, "version", "smbios.system.version" },
	{ 1, "serial", "smbios.system.serial_number" },
	{ 1, "serial_number", "smbios.system.serial_number" },
	{ 1, "sku", "smbios.system.sku" },
	{ 1, "family", "smbios.system.family_name" },
	{ 1, "family_name", "smbios.system.family_name" },
	{ 1, "uuid", "uuid" },
	{ 2, "manufacturer", "smbios.board.manufacturer" },
	{ 2, "product", "smbios.board.product_name" },
	{ 2, "product_name", "smbios.board.product_name" },
	{ 2, "version", "smbios.board.version" },
	{ 2, "serial", "smbios.board.serial_number" },
	{ 2, "serial_number", "smbios.board.serial_number" },
	{ 2, "asset", "smbios.board.asset_tag" },
	{ 2, "asset_tag", "smbios.board.asset_tag" },
	{ 3, "manufacturer", "smbios.chassis.manufacturer" },
	{ 3, "version", "smbios.chassis.version" },
	{ 3, "serial", "smbios.chassis.serial_number" },
	{ 3, "serial_number", "smbios.chassis.serial_number" },
	{ 3, "asset", "smbios.chassis.asset_tag" },
	{ 3, "asset_tag", "smbios.chassis.asset_tag" },
	{ 3, "sku", "smbios.chassis.sku" },
};
#define NSMBIOS (sizeof(smbios_keys) / sizeof(smbios_keys[0]))

static bool
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static const struct smbios_key *
smbios_key(int type, const char *flag, size_t len)
{
	size_t i;

	for (i = 0; i < NSMBIOS; i++)
		if (smbios_keys[i].type == type &&
		    strlen(smbios_keys[i].flag) == len &&
		    strncmp(smbios_keys[i].flag, flag, len) == 0)
			return &smbios_keys[i];
	return NULL;
}

int
options_smbios(const char *arg, char *err, size_t errlen)
{
	char *copy, *item, *next, *eq;
	const struct smbios_key *k;
	int type, r = -1;
	size_t n;

	if (arg == NULL || arg[0] < '0' || arg[0] > '3' ||
	    (arg[1] != ',' && arg[1] != '\0'))
		return fail(err, errlen, "'%s': expected TYPE,key=value,... "
		    "with TYPE 0 (BIOS), 1 (system), 2 (board) or 3 (chassis)",
		    arg != NULL ? arg : "");
	type = arg[0] - '0';
	if (arg[1] == '\0' || arg[2] == '\0')
		return fail(err, errlen, "'%s': no key=value after the type",
		    arg);
	if ((copy = strdup(arg + 2)) == NULL)
		return fail(err, errlen, "out of memory");
	/* Pass 1 checks every item, pass 2 writes them. */
	for (n = 0; n < 2; n++) {
		for (item = copy; item != NULL; item = next) {
			next = strchr(item, ',');
			if (next != NULL)
				*next = '\0';
			eq = strchr(item, '=');
			k = eq != NULL ? smbios_key(type, item,
			    (size_t)(eq - item)) : NULL;
			if (eq == NULL || eq[1] == '\0') {
				fail(err, errlen, "'%s': expected key=value "
				    "with a non-empty value", item);
				goto out;
			}
			if (k == NULL) {
				*eq = '\0';
				fail(err, errlen, "'%s': unknown key for SMBIOS "
				    "type %d", item, type);
				goto out;
			}
			if (has_control(eq + 1)) {
				fail(err, errlen, "'%s': control character in "
				    "value", item);
				goto out;
			}
			if (strcmp(k->key, "uuid") == 0 &&
			    !options_valid_uuid(eq + 1)) {
				fail(err, errlen, "'%s' is not a UUID", eq + 1);
				goto out;
			}
			if (n == 1 && set(k->key, eq + 1, err, errlen) != 0)
				goto out;
			if (next != NULL)
				*next++ = ',';
		}
	}
	r = 0;
out:
	free(copy);
	return r;
}
