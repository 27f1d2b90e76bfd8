/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SMBIOS tables (version 2.8, 32-bit "_SM_" entry point).
 *
 * Main thread only, during start-up.
 *
 * The entry point sits at SMBIOS_BASE (16-byte aligned, inside
 * 0xF0000..0xFFFFF where Linux, the BSDs and dmidecode look for it) and the
 * structure table follows it at SMBIOS_BASE + SMBIOS_TABLE_OFFSET.  The
 * caller marks the area reserved in the e820 map.
 *
 * Structures: type 0 (BIOS), 1 (system, with the UUID), 2 (baseboard),
 * 3 (chassis), 4 (one per socket, core/thread counts from the topology),
 * 16 (memory array), 17 (memory devices of at most 16 GiB, summing to the
 * RAM size), 19 (one mapped range for RAM below 4 GiB and one above),
 * 32 (boot information) and 127 (end of table).
 *
 * Configuration keys (bhyve/illumos semantics; illumos' -B type=1,... flag
 * writes the smbios.system.* keys):
 *   smbios.bios.{vendor,version,release_date}
 *   smbios.system.{manufacturer,product_name,version,serial_number,sku,
 *                  family_name}
 *   smbios.board.{manufacturer,product_name,version,serial_number,asset_tag}
 *   smbios.chassis.{manufacturer,version,serial_number,asset_tag,sku}
 *   uuid    the system UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx); when
 *           unset, one is derived from the VM name and the host name
 * An empty value means "not specified" (string index 0 in the table).
 */
#ifndef ZHYVE_SMBIOS_H
#define ZHYVE_SMBIOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "topology.h"

struct vm;

#define SMBIOS_BASE		0xF0000ULL
#define SMBIOS_SIZE		0x8000ULL	/* 0xF8000.. left free */
#define SMBIOS_TABLE_OFFSET	0x20		/* as dmidecode --dump-bin */
#define SMBIOS_MAX_STRLEN	255

enum smbios_str {
	SMBIOS_BIOS_VENDOR,
	SMBIOS_BIOS_VERSION,
	SMBIOS_BIOS_DATE,
	SMBIOS_SYS_MANUFACTURER,
	SMBIOS_SYS_PRODUCT,
	SMBIOS_SYS_VERSION,
	SMBIOS_SYS_SERIAL,
	SMBIOS_SYS_SKU,
	SMBIOS_SYS_FAMILY,
	SMBIOS_BOARD_MANUFACTURER,
	SMBIOS_BOARD_PRODUCT,
	SMBIOS_BOARD_VERSION,
	SMBIOS_BOARD_SERIAL,
	SMBIOS_BOARD_ASSET,
	SMBIOS_CHASSIS_MANUFACTURER,
	SMBIOS_CHASSIS_VERSION,
	SMBIOS_CHASSIS_SERIAL,
	SMBIOS_CHASSIS_ASSET,
	SMBIOS_CHASSIS_SKU,
	SMBIOS_NSTR
};

struct smbios_config {
	/* NULL or "" = not specified.  Pointers are not copied: they must
	 * stay valid until the table is built. */
	const char *str[SMBIOS_NSTR];
	uint8_t uuid[16];	/* in the order written (RFC 4122) */
	struct topology topo;
	uint64_t lowmem;	/* RAM below 4 GiB, bytes (smbios_build sets) */
	uint64_t highmem;	/* RAM from 4 GiB up, bytes (smbios_build sets) */
};

/* The config key of a string ("smbios.system.serial_number"). */
const char *smbios_key(enum smbios_str s);

/* Defaults: the zhyve identity strings, a zero UUID, one vCPU. */
void smbios_config_init(struct smbios_config *cfg);

/*
 * Read the smbios.* keys and `uuid` from the config tree over the
 * defaults; with `uuid` unset, derive one from vmname and the host name.
 * Topology and memory are left to the caller.  -1 with err on a bad value.
 */
int smbios_config_from_tree(struct smbios_config *cfg, const char *vmname,
    char *err, size_t errlen);

/* Parse "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex, any case). 0 or -1. */
int smbios_parse_uuid(const char *s, uint8_t out[16]);
/* A stable name-based UUID (RFC 9562 version 8) derived from `seed`. */
void smbios_uuid_from_seed(const char *seed, uint8_t out[16]);

/*
 * Build the entry point (at offset 0) and the table (at
 * SMBIOS_TABLE_OFFSET) into buf as if it were guest-physical base_gpa.
 * *used = bytes written.  0, or -1 with err (naming the key of a bad
 * string).
 */
int smbios_build_to_buffer(const struct smbios_config *cfg,
    uint64_t base_gpa, uint8_t *buf, size_t len, size_t *used, char *err,
    size_t errlen);

/* Build into guest RAM at SMBIOS_BASE, with the VM's memory sizes. */
int smbios_build(struct vm *vm, const struct smbios_config *cfg, char *err,
    size_t errlen);

#endif
