/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zhyve command line: bhyve's flags as front ends that write the
 * configuration tree (config.h).  Nothing reads argv but these functions;
 * devices read their settings from the tree.  The flags, their keys and
 * the defaults are listed in zhyve(8) and zhyve_config(5).
 *
 * Threads: the main thread, before anything else runs.
 */
#ifndef ZHYVE_OPTIONS_H
#define ZHYVE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Parses the command line into the tree (which config_init() must have
 * set up), applies the defaults and checks the well-known keys.
 * Returns 0: run the VM; 1: done, exit 0 (-h, -s help, -l help, or
 * config.dump printed the tree to `out`); -1: error, a message naming the
 * flag or key was written to errf, prefixed "zhyve: ".
 * Resets getopt itself (optind = 0), so it may be called more than once.
 */
int options_parse(int argc, char **argv, FILE *out, FILE *errf);

void options_usage(FILE *f);
void options_print_lpc_devices(FILE *f);

/*
 * Checks every well-known key however it was set (-o, -k or a flag):
 * name, memory.size, cpus/sockets/cores/threads/maxcpus, uuid,
 * memory.lowmem_limit, vcpu.N.cpuset and the booleans.  0, or -1 with a
 * message naming the key in err.
 */
int options_check_tree(char *err, size_t errlen);

/*
 * memory.size follows bhyve's rule: a plain number below 1 MiB (1048576)
 * is a number of MiB, a larger plain number is bytes, and a number with a
 * k/m/g/t suffix is what the suffix says.  0 is invalid.
 * options_get_memsize() reads memory.size that way (256 MiB if unset);
 * both return 0, or -1 with a message in err.
 */
int options_parse_memsize(const char *s, uint64_t *bytes, char *err,
    size_t errlen);
int options_get_memsize(uint64_t *bytes, char *err, size_t errlen);

/*
 * A host CPU list as vcpu.N.cpuset holds it: numbers and a-b ranges,
 * separated by commas ("0,2-3").  Sets bit i of mask[i / 64] for every
 * CPU named; CPUs must be below nbits.  0, or -1 with a message in err.
 */
int options_parse_cpulist(const char *s, uint64_t *mask, unsigned nbits,
    char *err, size_t errlen);

bool options_valid_uuid(const char *s);	/* RFC 4122 text form */
bool options_valid_name(const char *s);	/* 1..63 of [A-Za-z0-9._-] */

/*
 * One flag's argument each; they write the tree only when the whole
 * argument is valid.  0, or -1 with a message (without the "zhyve: -X"
 * prefix) in err.
 */
int options_memory(const char *arg, char *err, size_t errlen);   /* -m */
int options_topology(const char *arg, char *err, size_t errlen); /* -c */
int options_lpc(const char *arg, char *err, size_t errlen);      /* -l */
int options_pin(const char *arg, char *err, size_t errlen);      /* -p */
int options_smbios(const char *arg, char *err, size_t errlen);   /* -B */
int options_uuid(const char *arg, char *err, size_t errlen);     /* -U */

/* Most vCPUs a -c value or a -p vCPU number may name (bhyve's limit). */
#define OPTIONS_MAX_CPUS 65535

#endif
