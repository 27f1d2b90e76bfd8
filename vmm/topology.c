/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CPU topology from the config tree (cpus, sockets, cores, threads,
 * maxcpus) and the APIC ID numbering shared by CPUID and the MADT.
 * Main thread, start-up only.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "topology.h"

#define TOPO_MAX 4096

static int
get_count(const char *key, unsigned *out, bool *set, char *err, size_t errlen)
{
	uint64_t v;

	*set = config_get(key) != NULL;
	if (!*set)
		return 0;
	if (config_get_uint(key, 0, false, &v) != 0 || v == 0 || v > TOPO_MAX) {
		snprintf(err, errlen, "%s: '%s' is not a number between 1 and %d",
		    key, config_get(key), TOPO_MAX);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int
topology_from_config(struct topology *t, unsigned max_vcpus, char *err,
    size_t errlen)
{
	bool has_cpus, has_s, has_c, has_t, has_max;
	unsigned total;

	memset(t, 0, sizeof(*t));
	t->cpus = t->sockets = t->cores = t->threads = 1;
	if (get_count("cpus", &t->cpus, &has_cpus, err, errlen) != 0 ||
	    get_count("sockets", &t->sockets, &has_s, err, errlen) != 0 ||
	    get_count("cores", &t->cores, &has_c, err, errlen) != 0 ||
	    get_count("threads", &t->threads, &has_t, err, errlen) != 0 ||
	    get_count("maxcpus", &t->maxcpus, &has_max, err, errlen) != 0)
		return -1;
	if (!has_s && !has_c && !has_t) {
		/* Like bhyve: a bare vCPU count means one socket per vCPU. */
		t->sockets = has_max ? t->maxcpus : t->cpus;
	}
	total = t->sockets * t->cores * t->threads;
	if (total > TOPO_MAX) {
		snprintf(err, errlen, "sockets*cores*threads = %u is too many",
		    total);
		return -1;
	}
	if (!has_cpus)
		t->cpus = total;
	if (!has_max)
		t->maxcpus = total;
	if (t->maxcpus != total) {
		snprintf(err, errlen, "maxcpus (%u) must equal sockets*cores*"
		    "threads (%u*%u*%u)", t->maxcpus, t->sockets, t->cores,
		    t->threads);
		return -1;
	}
	if (t->cpus > t->maxcpus) {
		snprintf(err, errlen, "cpus (%u) is more than the topology "
		    "holds (sockets*cores*threads = %u)", t->cpus, t->maxcpus);
		return -1;
	}
	if (max_vcpus != 0 && t->maxcpus > max_vcpus) {
		snprintf(err, errlen, "%u vCPUs requested, KVM supports at most "
		    "%u", t->maxcpus, max_vcpus);
		return -1;
	}
	return 0;
}

static unsigned
bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

unsigned
topology_thread_bits(const struct topology *t)
{
	return bits_for(t->threads);
}

unsigned
topology_core_bits(const struct topology *t)
{
	return bits_for(t->cores);
}

uint32_t
topology_apic_id(const struct topology *t, unsigned vcpu)
{
	unsigned tb = topology_thread_bits(t), cb = topology_core_bits(t);
	unsigned thread = vcpu % t->threads;
	unsigned core = (vcpu / t->threads) % t->cores;
	unsigned socket = vcpu / (t->threads * t->cores);

	return (socket << (cb + tb)) | (core << tb) | thread;
}
