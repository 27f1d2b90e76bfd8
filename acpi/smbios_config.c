/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMBIOS configuration: the string keys and their defaults, reading them
 * from the config tree, and the system UUID (parsed from the `uuid` key or
 * derived from the VM's name).
 *
 * Main thread only, during start-up.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "smbios.h"

static const struct {
	const char *key;
	const char *def;	/* NULL: not specified */
} strs[SMBIOS_NSTR] = {
	[SMBIOS_BIOS_VENDOR] = { "smbios.bios.vendor", "zhyve" },
	[SMBIOS_BIOS_VERSION] = { "smbios.bios.version", "1.0" },
	[SMBIOS_BIOS_DATE] = { "smbios.bios.release_date", "01/01/2025" },
	[SMBIOS_SYS_MANUFACTURER] = { "smbios.system.manufacturer", "zhyve" },
	[SMBIOS_SYS_PRODUCT] = { "smbios.system.product_name", "zhyve" },
	[SMBIOS_SYS_VERSION] = { "smbios.system.version", "1.0" },
	[SMBIOS_SYS_SERIAL] = { "smbios.system.serial_number", NULL },
	[SMBIOS_SYS_SKU] = { "smbios.system.sku", NULL },
	[SMBIOS_SYS_FAMILY] = { "smbios.system.family_name",
	    "Virtual Machine" },
	[SMBIOS_BOARD_MANUFACTURER] = { "smbios.board.manufacturer", "zhyve" },
	[SMBIOS_BOARD_PRODUCT] = { "smbios.board.product_name", "zhyve" },
	[SMBIOS_BOARD_VERSION] = { "smbios.board.version", NULL },
	[SMBIOS_BOARD_SERIAL] = { "smbios.board.serial_number", NULL },
	[SMBIOS_BOARD_ASSET] = { "smbios.board.asset_tag", NULL },
	[SMBIOS_CHASSIS_MANUFACTURER] = { "smbios.chassis.manufacturer",
	    "zhyve" },
	[SMBIOS_CHASSIS_VERSION] = { "smbios.chassis.version", NULL },
	[SMBIOS_CHASSIS_SERIAL] = { "smbios.chassis.serial_number", NULL },
	[SMBIOS_CHASSIS_ASSET] = { "smbios.chassis.asset_tag", NULL },
	[SMBIOS_CHASSIS_SKU] = { "smbios.chassis.sku", NULL },
};

const char *
smbios_key(enum smbios_str s)
{
	return ((unsigned)s < SMBIOS_NSTR ? strs[s].key : "smbios.?");
}

void
smbios_config_init(struct smbios_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (int i = 0; i < SMBIOS_NSTR; i++)
		cfg->str[i] = strs[i].def;
	cfg->topo.cpus = cfg->topo.sockets = cfg->topo.cores = 1;
	cfg->topo.threads = cfg->topo.maxcpus = 1;
}

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
smbios_parse_uuid(const char *s, uint8_t out[16])
{
	uint8_t u[16];
	int n = 0;

	if (s == NULL || strlen(s) != 36)
		return (-1);
	for (int i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i++] != '-')
				return (-1);
			continue;
		}
		if ((hi = hexdigit(s[i])) < 0 || (lo = hexdigit(s[i + 1])) < 0)
			return (-1);
		u[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	memcpy(out, u, 16);
	return (0);
}

/* splitmix64 finaliser: spreads the FNV hash over all 64 bits. */
static uint64_t
mix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return (x ^ (x >> 31));
}

void
smbios_uuid_from_seed(const char *seed, uint8_t out[16])
{
	uint64_t h = 0xCBF29CE484222325ULL;	/* FNV-1a 64 */
	uint64_t w[2];

	for (const char *p = seed; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 0x100000001B3ULL;
	}
	w[0] = mix64(h);
	w[1] = mix64(h ^ w[0]);
	for (int i = 0; i < 16; i++)
		out[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
	out[6] = (uint8_t)((out[6] & 0x0F) | 0x80);	/* version 8 */
	out[8] = (uint8_t)((out[8] & 0x3F) | 0x80);	/* RFC variant */
}

/* The expanded value of key, or NULL; -1 if it exists but cannot be
 * expanded (a %(var) error). */
static int
get_key(const char *key, const char **out, char *err, size_t errlen)
{
	*out = config_get(key);
	if (*out == NULL && config_get_raw(key) != NULL) {
		snprintf(err, errlen, "%s: %s", key, config_error());
		return (-1);
	}
	return (0);
}

int
smbios_config_from_tree(struct smbios_config *cfg, const char *vmname,
    char *err, size_t errlen)
{
	const char *v;

	for (int i = 0; i < SMBIOS_NSTR; i++) {
		if (get_key(strs[i].key, &v, err, errlen) != 0)
			return (-1);
		if (v != NULL)
			cfg->str[i] = v;
	}
	if (get_key("uuid", &v, err, errlen) != 0)
		return (-1);
	if (v != NULL) {
		if (smbios_parse_uuid(v, cfg->uuid) != 0) {
			snprintf(err, errlen, "uuid: '%s' is not a UUID "
			    "(expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			    v);
			return (-1);
		}
	} else {
		char seed[512], host[256];

		if (gethostname(host, sizeof(host)) != 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		snprintf(seed, sizeof(seed), "zhyve:%s:%s",
		    vmname != NULL ? vmname : "", host);
		smbios_uuid_from_seed(seed, cfg->uuid);
	}
	return (0);
}
