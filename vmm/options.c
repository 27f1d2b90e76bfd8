/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zhyve command line (options_parse): bhyve's flags, read with getopt
 * in order, each writing the configuration tree; then the VM name, the
 * defaults, a check of the well-known keys, and config.dump.  Later flags
 * override earlier ones, -k files and -o settings included, exactly in the
 * order given.  The per-flag parsers are in options_parse_flags.c.
 *
 * Threads: the main thread, before anything else runs.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "options.h"
#include "platform.h"

/* -s is handed to the PCI code (devices/pci/pci_emul.h). */
#if defined(__has_include)
#if __has_include("pci_emul.h")
#include "pci_emul.h"
#define ZHYVE_HAVE_PCI_EMUL_H 1
#endif
#endif
#ifndef ZHYVE_HAVE_PCI_EMUL_H
int pci_parse_slot(const char *arg);
void pci_print_emulations(FILE *f);
#endif

/*
 * '+': stop at the VM name (options go before it, as in bhyve);
 * ':': report a missing argument as ':'.
 */
#define OPTSTRING "+:aAB:c:CDef:G:hHk:K:l:m:o:p:Pr:s:SuU:wWxY"

/* Flags without an argument: each sets one key. */
static const struct {
	char flag;
	const char *key, *value, *help;
} simple_flags[] = {
	{ 'A', "acpi_tables", "true", "generate ACPI tables (always done)" },
	{ 'a', "x86.x2apic", "false", "local APIC in xAPIC mode (the default)" },
	{ 'D', "destroy_on_poweroff", "true",
	    "destroy the VM on power-off (always)" },
	{ 'e', "x86.strictio", "true", "stop on an unhandled I/O port access" },
	{ 'H', "x86.vmexit_on_hlt", "true", "exit on HLT (no effect on KVM)" },
	{ 'P', "x86.vmexit_on_pause", "true",
	    "exit on PAUSE (no effect on KVM)" },
	{ 'S', "memory.wired", "true", "wire guest memory (recorded only)" },
	{ 'u', "rtc.use_localtime", "false", "RTC keeps UTC, not local time" },
	{ 'W', "virtio_msix", "false", "virtio devices use MSI, not MSI-X" },
	{ 'w', "x86.strictmsr", "false", "ignore unimplemented MSRs" },
	{ 'x', "x86.x2apic", "true", "local APIC in x2APIC mode (accepted)" },
	{ 'Y', "x86.mptable", "false", "do not build an MP table" },
};
#define NSIMPLE (sizeof(simple_flags) / sizeof(simple_flags[0]))

/* bhyve flags zhyve does not implement. */
static const struct {
	char flag;
	const char *what;
} unsupported_flags[] = {
	{ 'C', "including guest memory in core files" },
	{ 'f', "fw_cfg items" },
	{ 'G', "the gdb stub" },
	{ 'K', "keyboard layouts" },
	{ 'r', "restoring a saved VM" },
};
#define NUNSUPPORTED (sizeof(unsupported_flags) / sizeof(unsupported_flags[0]))

/* Keys options_check_tree() reads as booleans. */
static const char *const bool_keys[] = {
	"config.dump", "acpi_tables", "destroy_on_poweroff", "memory.wired",
	"virtio_msix", "rtc.use_localtime", "x86.strictio", "x86.strictmsr",
	"x86.vmexit_on_hlt", "x86.vmexit_on_pause", "x86.x2apic",
	"x86.mptable",
};
#define NBOOL (sizeof(bool_keys) / sizeof(bool_keys[0]))

void
options_usage(FILE *f)
{
	size_t i;

	fprintf(f,
	    "usage: zhyve [-aADeHhPSuWwxY] [-B type,key=value,...]\n"
	    "             [-c [[cpus=]n][,sockets=n][,cores=n][,threads=n]"
	    "[,maxcpus=n]]\n"
	    "             [-k config_file] [-l lpcdev[,conf]] "
	    "[-m memsize[k|m|g|t]]\n"
	    "             [-o key=value] [-p vcpu:hostcpu] "
	    "[-s slot,emulation[,conf]]\n"
	    "             [-U uuid] vmname\n"
	    "       zhyve -l help | -s help | -h\n"
	    "\n"
	    "  -B t,k=v,...   SMBIOS strings (type 0 BIOS, 1 system, "
	    "2 board, 3 chassis)\n"
	    "  -c spec        vCPUs and topology: cpus, sockets, cores, "
	    "threads, maxcpus\n"
	    "  -h             this help\n"
	    "  -k file        read key=value settings from file\n"
	    "  -l dev,conf    LPC device: comN,backend or bootrom,FILE"
	    "[,VARFILE] (-l help)\n"
	    "  -m size        guest memory (memory.size, default 256M; "
	    "plain number = MiB)\n"
	    "  -o key=value   set a configuration key (-o config.dump=true "
	    "prints the tree)\n"
	    "  -p vcpu:cpu    pin a vCPU to a host CPU (vcpu.N.cpuset)\n"
	    "  -s slot,emu    PCI device at bus:slot:function (-s help)\n"
	    "  -U uuid        system UUID (uuid)\n");
	for (i = 0; i < NSIMPLE; i++)
		fprintf(f, "  -%c             %s (%s=%s)\n", simple_flags[i].flag,
		    simple_flags[i].help, simple_flags[i].key,
		    simple_flags[i].value);
	fprintf(f, "See zhyve(8) and zhyve_config(5).\n");
}

static int
check_uint(const char *key, uint64_t min, uint64_t max, char *err,
    size_t errlen)
{
	uint64_t v;

	if (config_find_node(key) == NULL)
		return 0;
	if (config_get_uint(key, 0, false, &v) != 0) {
		snprintf(err, errlen, "%s", config_error());
		return -1;
	}
	if (v < min || v > max) {
		snprintf(err, errlen, "%s: %llu is out of range (%llu to %llu)",
		    key, (unsigned long long)v, (unsigned long long)min,
		    (unsigned long long)max);
		return -1;
	}
	return 0;
}

/* vcpu.N.cpuset for every vcpu.N node. */
static int
check_cpusets(char *err, size_t errlen)
{
	struct config_node *vcpus = config_find_node("vcpu"), *n;
	uint64_t mask[1024 / 64], num;
	const char *v, *name;
	char why[256], *end;

	if (vcpus == NULL || config_node_is_leaf(vcpus))
		return 0;
	for (n = config_first_child(vcpus); n != NULL;
	    n = config_next_sibling(n)) {
		name = config_node_name(n);
		num = strtoull(name, &end, 10);
		if (name[0] < '0' || name[0] > '9' || *end != '\0' ||
		    num >= OPTIONS_MAX_CPUS) {
			snprintf(err, errlen, "vcpu.%s: not a vCPU number "
			    "(0 to %d)", name, OPTIONS_MAX_CPUS - 1);
			return -1;
		}
		if (config_node_is_leaf(n) ||
		    config_find_relative_node(n, "cpuset") == NULL)
			continue;
		if ((v = config_get_node(n, "cpuset")) == NULL) {
			snprintf(err, errlen, "%s", config_error());
			return -1;
		}
		if (options_parse_cpulist(v, mask, 1024, why,
		    sizeof(why)) != 0) {
			snprintf(err, errlen, "vcpu.%s.cpuset: %s", name, why);
			return -1;
		}
	}
	return 0;
}

int
options_check_tree(char *err, size_t errlen)
{
	static const char *const topo[] = {
		"cpus", "sockets", "cores", "threads", "maxcpus",
	};
	const char *v;
	uint64_t u;
	size_t i;
	bool b;

	if (config_find_node("name") != NULL) {
		if ((v = config_get("name")) == NULL) {
			snprintf(err, errlen, "%s", config_error());
			return -1;
		}
		if (!options_valid_name(v)) {
			snprintf(err, errlen, "name: '%s' is not a valid VM name "
			    "(1 to 63 of A-Z a-z 0-9 . _ -)", v);
			return -1;
		}
	}
	if (options_get_memsize(&u, err, errlen) != 0)
		return -1;
	for (i = 0; i < sizeof(topo) / sizeof(topo[0]); i++)
		if (check_uint(topo[i], 1, OPTIONS_MAX_CPUS, err, errlen) != 0)
			return -1;
	if (config_find_node("uuid") != NULL) {
		if ((v = config_get("uuid")) == NULL) {
			snprintf(err, errlen, "%s", config_error());
			return -1;
		}
		if (!options_valid_uuid(v)) {
			snprintf(err, errlen, "uuid: '%s' is not a UUID", v);
			return -1;
		}
	}
	if (config_get_uint("memory.lowmem_limit", LOWMEM_LIMIT_DEFAULT, true,
	    &u) != 0) {
		snprintf(err, errlen, "%s", config_error());
		return -1;
	}
	if (u < MIB(1) || u > LOWMEM_LIMIT_DEFAULT) {
		snprintf(err, errlen, "memory.lowmem_limit: 0x%llx is out of "
		    "range (1M to 3G)", (unsigned long long)u);
		return -1;
	}
	for (i = 0; i < NBOOL; i++) {
		if (config_get_bool(bool_keys[i], false, &b) != 0) {
			snprintf(err, errlen, "%s", config_error());
			return -1;
		}
	}
	return check_cpusets(err, errlen);
}

/* Handles one flag; 0 go on, 1 done (help), -1 error (printed). */
static int
one_flag(int c, const char *arg, FILE *out, FILE *errf)
{
	char err[1024];
	size_t i;
	int r = 0;

	for (i = 0; i < NSIMPLE; i++) {
		if (simple_flags[i].flag == c) {
			if (config_set(simple_flags[i].key,
			    simple_flags[i].value) != 0)
				goto config_err;
			return 0;
		}
	}
	for (i = 0; i < NUNSUPPORTED; i++) {
		if (unsupported_flags[i].flag == c) {
			fprintf(errf, "zhyve: -%c: %s is not supported\n", c,
			    unsupported_flags[i].what);
			return -1;
		}
	}
	switch (c) {
	case 'h':
		options_usage(out);
		return 1;
	case 'o':
		if (config_parse_assignment(arg) != 0)
			goto config_err;
		return 0;
	case 'k':
		if (config_parse_file(arg) != 0)
			goto config_err;
		return 0;
	case 's':
		if (strcmp(arg, "help") == 0) {
			pci_print_emulations(out);
			return 1;
		}
		if (pci_parse_slot(arg) != 0) {
			fprintf(errf, "zhyve: -s %s: invalid PCI device "
			    "(see the message above)\n", arg);
			return -1;
		}
		return 0;
	case 'l':
		if (strcmp(arg, "help") == 0) {
			options_print_lpc_devices(out);
			return 1;
		}
		r = options_lpc(arg, err, sizeof(err));
		break;
	case 'm':
		r = options_memory(arg, err, sizeof(err));
		break;
	case 'c':
		r = options_topology(arg, err, sizeof(err));
		break;
	case 'p':
		r = options_pin(arg, err, sizeof(err));
		break;
	case 'B':
		r = options_smbios(arg, err, sizeof(err));
		break;
	case 'U':
		r = options_uuid(arg, err, sizeof(err));
		break;
	default:
		fprintf(errf, "zhyve: -%c: not handled\n", c);
		return -1;
	}
	if (r != 0)
		fprintf(errf, "zhyve: -%c: %s\n", c, err);
	return r;
config_err:
	fprintf(errf, "zhyve: -%c: %s\n", c, config_error());
	return -1;
}

int
options_parse(int argc, char **argv, FILE *out, FILE *errf)
{
	char err[1024];
	bool dump = false;
	int c, r;

	optind = 0;	/* glibc: start over, whatever ran before */
	opterr = 0;
	while ((c = getopt(argc, argv, OPTSTRING)) != -1) {
		if (c == '?') {
			if (optopt == '-')
				fprintf(errf, "zhyve: --...: long options are "
				    "not supported (zhyve -h lists the flags)\n");
			else if (optopt > 0x20 && optopt < 0x7f)
				fprintf(errf, "zhyve: -%c: unknown flag (zhyve "
				    "-h lists them)\n", optopt);
			else
				fprintf(errf, "zhyve: unknown flag (byte "
				    "0x%02x)\n", (unsigned)(optopt & 0xff));
			return -1;
		}
		if (c == ':') {
			fprintf(errf, "zhyve: -%c: missing argument\n", optopt);
			return -1;
		}
		if ((r = one_flag(c, optarg, out, errf)) != 0)
			return r;
	}
	if (argc - optind > 1) {
		fprintf(errf, "zhyve: '%s': unexpected argument after the VM "
		    "name '%s' (flags go before the name)\n",
		    argv[optind + 1], argv[optind]);
		return -1;
	}
	if (argc - optind == 1 && config_set("name", argv[optind]) != 0) {
		fprintf(errf, "zhyve: VM name: %s\n", config_error());
		return -1;
	}

	/* Defaults, as bhyve sets them. */
	if (config_set_default("memory.size", "256M") != 0 ||
	    config_set_default("cpus", "1") != 0) {
		fprintf(errf, "zhyve: %s\n", config_error());
		return -1;
	}
	if (options_check_tree(err, sizeof(err)) != 0) {
		fprintf(errf, "zhyve: %s\n", err);
		return -1;
	}
	(void)config_get_bool("config.dump", false, &dump);
	if (dump) {
		config_dump(out);
		return 1;
	}
	if (config_find_node("name") == NULL) {
		fprintf(errf, "zhyve: missing VM name (zhyve -h shows the "
		    "usage)\n");
		return -1;
	}
	return 0;
}
