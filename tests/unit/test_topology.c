/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the CPU topology shared by CPUID and the MADT
 * (vmm/topology.c): defaults like bhyve, consistency errors, APIC IDs.
 */
#include "config.h"
#include "test.h"
#include "topology.h"

static char err[256];

static int
topo(const char *cpus, const char *s, const char *c, const char *t,
    struct topology *out)
{
	config_init();
	if (cpus)
		config_set("cpus", cpus);
	if (s)
		config_set("sockets", s);
	if (c)
		config_set("cores", c);
	if (t)
		config_set("threads", t);
	return topology_from_config(out, 288, err, sizeof(err));
}

TEST(defaults_like_bhyve)
{
	struct topology t;

	CHECK_EQ(topo(NULL, NULL, NULL, NULL, &t), 0);
	CHECK_EQ(t.cpus, 1);
	CHECK_EQ(t.sockets, 1);
	/* A bare count: one socket per vCPU. */
	CHECK_EQ(topo("4", NULL, NULL, NULL, &t), 0);
	CHECK_EQ(t.sockets, 4);
	CHECK_EQ(t.cores, 1);
	CHECK_EQ(t.maxcpus, 4);
	/* Topology without a count: the count fills it. */
	CHECK_EQ(topo(NULL, "2", "2", "2", &t), 0);
	CHECK_EQ(t.cpus, 8);
}

TEST(inconsistent_is_an_error)
{
	struct topology t;

	CHECK_EQ(topo("5", "2", "2", "1", &t), -1);
	CHECK(strstr(err, "cpus") != NULL);
	CHECK_EQ(topo("0", NULL, NULL, NULL, &t), -1);
	CHECK(strstr(err, "cpus") != NULL);
	CHECK_EQ(topo("x", NULL, NULL, NULL, &t), -1);
	CHECK_EQ(topo("1", "0", NULL, NULL, &t), -1);
	CHECK(strstr(err, "sockets") != NULL);
	CHECK_EQ(topo("300", NULL, NULL, NULL, &t), -1);
	CHECK(strstr(err, "KVM") != NULL);
	config_init();
	config_set("maxcpus", "3");
	config_set("sockets", "2");
	CHECK_EQ(topology_from_config(&t, 0, err, sizeof(err)), -1);
	CHECK(strstr(err, "maxcpus") != NULL);
	/* Fewer vCPUs than the topology holds is fine. */
	CHECK_EQ(topo("3", "2", "2", "1", &t), 0);
}

TEST(apic_ids)
{
	struct topology t;

	CHECK_EQ(topo("4", "2", "2", "1", &t), 0);
	CHECK_EQ(topology_thread_bits(&t), 0);
	CHECK_EQ(topology_core_bits(&t), 1);
	CHECK_EQ(topology_apic_id(&t, 0), 0);
	CHECK_EQ(topology_apic_id(&t, 1), 1);
	CHECK_EQ(topology_apic_id(&t, 2), 2);
	CHECK_EQ(topology_apic_id(&t, 3), 3);
	/* 3 cores need 2 bits: socket 1 starts at APIC ID 4. */
	CHECK_EQ(topo("6", "2", "3", "1", &t), 0);
	CHECK_EQ(topology_apic_id(&t, 2), 2);
	CHECK_EQ(topology_apic_id(&t, 3), 4);
	CHECK_EQ(topology_apic_id(&t, 5), 6);
	/* SMT: two threads per core. */
	CHECK_EQ(topo("8", "2", "2", "2", &t), 0);
	CHECK_EQ(topology_apic_id(&t, 1), 1);
	CHECK_EQ(topology_apic_id(&t, 2), 2);
	CHECK_EQ(topology_apic_id(&t, 4), 4);
	CHECK_EQ(topology_apic_id(&t, 7), 7);
}

int
main(void)
{
	RUN(defaults_like_bhyve);
	RUN(inconsistent_is_an_error);
	RUN(apic_ids);
	TEST_SUMMARY();
}
