/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the command line (vmm/options*.c): every flag with good
 * and malformed input, the VM name, defaults, override order, -k/-o and
 * config.dump.  The PCI slot parser is faked here (this file is linked
 * before the archive, so these definitions win).  Single-threaded.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "options.h"
#include "test.h"

/* Fakes for devices/pci/pci_emul.h. */
int pci_parse_slot(const char *arg);
void pci_print_emulations(FILE *f);

static int fake_slot_calls;

int
pci_parse_slot(const char *arg)
{
	fake_slot_calls++;
	if (strncmp(arg, "bad", 3) == 0) {
		fprintf(stderr, "(fake pci_parse_slot: rejects '%s')\n", arg);
		return -1;
	}
	return config_set("fake.slot", arg);
}

void
pci_print_emulations(FILE *f)
{
	fprintf(f, "hostbridge\nlpc\nvirtio-blk\n");
}

static char out_text[65536], err_text[4096];

/* Runs options_parse on a fresh tree with argv "zhyve" + the NULL-ended
 * arguments; out_text/err_text get what it printed. */
static int
run(const char *arg, ...)
{
	char *argv[64], *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out, *err;
	va_list ap;
	int argc = 0, r;

	argv[argc++] = (char *)"zhyve";
	va_start(ap, arg);
	for (; arg != NULL && argc < 63; arg = va_arg(ap, const char *))
		argv[argc++] = (char *)arg;
	va_end(ap);
	argv[argc] = NULL;

	config_init();
	out = open_memstream(&obuf, &olen);
	err = open_memstream(&ebuf, &elen);
	optind = 1;
	r = options_parse(argc, argv, out, err);
	fclose(out);
	fclose(err);
	snprintf(out_text, sizeof(out_text), "%s", obuf);
	snprintf(err_text, sizeof(err_text), "%s", ebuf);
	free(obuf);
	free(ebuf);
	return r;
}

/* The run failed with a message that holds every given string. */
static bool
failed_with(int r, const char *a, const char *b)
{
	bool ok = r == -1 && strncmp(err_text, "zhyve: ", 7) == 0 &&
	    strstr(err_text, a) != NULL && (b == NULL ||
	    strstr(err_text, b) != NULL);

	if (!ok)
		printf("    r=%d, message: %s", r, err_text);
	return ok;
}

static bool
unset(const char *key)
{
	return config_find_node(key) == NULL;
}

TEST(name_and_defaults)
{
	uint64_t sz = 0;
	char e[256];

	CHECK_EQ(run("vm0", NULL), 0);
	CHECK_STR(config_get("name"), "vm0");
	CHECK_STR(config_get("memory.size"), "256M");
	CHECK_STR(config_get("cpus"), "1");
	CHECK(unset("lpc"));
	CHECK_EQ(options_get_memsize(&sz, e, sizeof(e)), 0);
	CHECK(sz == (256ULL << 20));
	CHECK_STR(err_text, "");

	CHECK(failed_with(run(NULL), "missing VM name", NULL));
	CHECK(failed_with(run("vm0", "vm1", NULL), "'vm1'", "unexpected"));
	CHECK(failed_with(run("vm0", "-m", "1G", NULL), "'-m'", NULL));
	CHECK(failed_with(run("bad name", NULL), "name", "bad name"));
	CHECK(failed_with(run("", NULL), "name", NULL));
	CHECK(failed_with(run("a/b", NULL), "a/b", NULL));
	CHECK(failed_with(run("0123456789012345678901234567890123456789"
	    "012345678901234567890123", NULL), "name", NULL));
	CHECK_EQ(run("0123456789012345678901234567890123456789"
	    "01234567890123456789012", NULL), 0);
	CHECK_EQ(run("My-vm_1.test", NULL), 0);
	/* The name may come from -o or -k instead. */
	CHECK_EQ(run("-o", "name=vm2", NULL), 0);
	CHECK_STR(config_get("name"), "vm2");
	CHECK_EQ(run("-o", "name=vm2", "vm3", NULL), 0);
	CHECK_STR(config_get("name"), "vm3");
	CHECK(failed_with(run("-o", "name=%(nosuch)", NULL), "name",
	    "nosuch"));
}

TEST(unknown_and_missing)
{
	CHECK(failed_with(run("-Z", "vm0", NULL), "-Z", "unknown"));
	CHECK(failed_with(run("-m", NULL), "-m", "missing argument"));
	CHECK(failed_with(run("--memory=1G", "vm0", NULL), "long options",
	    NULL));
	CHECK(failed_with(run("vm0", "-c", NULL), "'-c'", NULL));
	CHECK(failed_with(run("-G", "1234", "vm0", NULL), "-G",
	    "not supported"));
	CHECK(failed_with(run("-r", "file", "vm0", NULL), "-r", NULL));
	CHECK_EQ(run("-h", NULL), 1);
	CHECK(strstr(out_text, "usage: zhyve") != NULL);
	CHECK(strstr(out_text, "x86.strictio=true") != NULL);
	/* Flags are processed in order: an error before -h wins. */
	CHECK(failed_with(run("-m", "0", "-h", NULL), "-m", NULL));
}

TEST(memory)
{
	uint64_t sz = 0;
	char e[256];

	CHECK_EQ(run("-m", "512", "vm0", NULL), 0);
	CHECK_STR(config_get("memory.size"), "512M");
	CHECK_EQ(options_get_memsize(&sz, e, sizeof(e)), 0);
	CHECK(sz == (512ULL << 20));
	CHECK_EQ(run("-m", "2G", "vm0", NULL), 0);
	CHECK_STR(config_get("memory.size"), "2G");
	CHECK_EQ(run("-m", "1048576", "vm0", NULL), 0);
	CHECK_STR(config_get("memory.size"), "1048576");
	CHECK_EQ(options_get_memsize(&sz, e, sizeof(e)), 0);
	CHECK(sz == (1ULL << 20));
	CHECK_EQ(run("-m", "1g", "-m", "3072m", "vm0", NULL), 0);
	CHECK_STR(config_get("memory.size"), "3072m");

	CHECK(failed_with(run("-m", "0", "vm0", NULL), "-m", "zero"));
	CHECK(failed_with(run("-m", "0G", "vm0", NULL), "-m", "zero"));
	CHECK(failed_with(run("-m", "12x", "vm0", NULL), "-m", "'12x'"));
	CHECK(unset("memory.size"));
	CHECK(failed_with(run("-m", "", "vm0", NULL), "-m", NULL));
	CHECK(failed_with(run("-m", "-1", "vm0", NULL), "-m", NULL));
	CHECK(failed_with(run("-m", "99999999999T", "vm0", NULL), "-m",
	    NULL));

	/* The bhyve rule applies to memory.size however it is set. */
	CHECK_EQ(run("-o", "memory.size=1024", "vm0", NULL), 0);
	CHECK_EQ(options_get_memsize(&sz, e, sizeof(e)), 0);
	CHECK(sz == (1ULL << 30));
	CHECK(failed_with(run("-o", "memory.size=lots", "vm0", NULL),
	    "memory.size", "lots"));
}

TEST(topology)
{
	CHECK_EQ(run("-c", "4", "vm0", NULL), 0);
	CHECK_STR(config_get("cpus"), "4");
	CHECK(unset("sockets"));
	CHECK_EQ(run("-c", "cpus=8,sockets=2,cores=2,threads=2,maxcpus=16",
	    "vm0", NULL), 0);
	CHECK_STR(config_get("cpus"), "8");
	CHECK_STR(config_get("sockets"), "2");
	CHECK_STR(config_get("cores"), "2");
	CHECK_STR(config_get("threads"), "2");
	CHECK_STR(config_get("maxcpus"), "16");
	CHECK_EQ(run("-c", "sockets=1", "-c", "2", "vm0", NULL), 0);
	CHECK_STR(config_get("cpus"), "2");
	CHECK_STR(config_get("sockets"), "1");

	CHECK(failed_with(run("-c", "0", "vm0", NULL), "-c", "'0'"));
	CHECK(failed_with(run("-c", "cpus=4,sockets=x", "vm0", NULL),
	    "sockets=x", NULL));
	CHECK(unset("cpus"));	/* nothing of a bad -c is kept */
	CHECK(failed_with(run("-c", "foo=1", "vm0", NULL), "foo=1",
	    "unknown key"));
	CHECK(failed_with(run("-c", "", "vm0", NULL), "-c", "empty"));
	CHECK(failed_with(run("-c", "4,", "vm0", NULL), "-c", "empty"));
	CHECK(failed_with(run("-c", "65536", "vm0", NULL), "-c", NULL));
	CHECK(failed_with(run("-c", "cpus=-1", "vm0", NULL), "-c", NULL));
	CHECK(failed_with(run("-c", "cpus=", "vm0", NULL), "-c", NULL));
	CHECK(failed_with(run("-o", "cpus=0", "vm0", NULL), "cpus", NULL));
	CHECK(failed_with(run("-o", "threads=two", "vm0", NULL), "threads",
	    NULL));
}

TEST(pci_slots)
{
	fake_slot_calls = 0;
	CHECK_EQ(run("-s", "0,hostbridge", "-s", "31,lpc", "vm0", NULL), 0);
	CHECK_EQ(fake_slot_calls, 2);
	CHECK_STR(config_get("fake.slot"), "31,lpc");
	CHECK(failed_with(run("-s", "bad,slot", "vm0", NULL), "-s",
	    "bad,slot"));
	CHECK_EQ(run("-s", "help", NULL), 1);
	CHECK(strstr(out_text, "virtio-blk") != NULL);
}

TEST(lpc)
{
	CHECK_EQ(run("-l", "com1,stdio", "-l", "COM2,socket,/run/vm0.sock",
	    "-l", "com4,/dev/ttyS1", "vm0", NULL), 0);
	CHECK_STR(config_get("lpc.com1.path"), "stdio");
	CHECK_STR(config_get("lpc.com2.path"), "socket,/run/vm0.sock");
	CHECK_STR(config_get("lpc.com4.path"), "/dev/ttyS1");
	CHECK(unset("lpc.com3"));
	CHECK_EQ(run("-l", "bootrom,payload.rom", "vm0", NULL), 0);
	CHECK_STR(config_get("lpc.bootrom"), "payload.rom");
	CHECK(unset("lpc.bootvars"));
	CHECK_EQ(run("-l", "bootrom,OVMF_CODE.fd,vars.fd", "vm0", NULL), 0);
	CHECK_STR(config_get("lpc.bootrom"), "OVMF_CODE.fd");
	CHECK_STR(config_get("lpc.bootvars"), "vars.fd");

	CHECK(failed_with(run("-l", "com5,stdio", "vm0", NULL), "com5",
	    "unknown LPC device"));
	CHECK(failed_with(run("-l", "com0,stdio", "vm0", NULL), "com0", NULL));
	CHECK(failed_with(run("-l", "com1", "vm0", NULL), "com1", "backend"));
	CHECK(failed_with(run("-l", "com1,", "vm0", NULL), "com1", NULL));
	CHECK(failed_with(run("-l", "bootrom", "vm0", NULL), "bootrom",
	    "file"));
	CHECK(failed_with(run("-l", "bootrom,", "vm0", NULL), "bootrom", NULL));
	CHECK(failed_with(run("-l", "bootrom,a.rom,", "vm0", NULL), "-l",
	    "empty"));
	CHECK(failed_with(run("-l", "bootrom,a,b,c", "vm0", NULL), "-l",
	    "too many"));
	CHECK(unset("lpc"));
	CHECK(failed_with(run("-l", "fwcfg,qemu", "vm0", NULL), "fwcfg",
	    NULL));
	CHECK(failed_with(run("-l", "", "vm0", NULL), "-l", NULL));
	CHECK_EQ(run("-l", "help", NULL), 1);
	CHECK(strstr(out_text, "com1") && strstr(out_text, "bootrom"));
}

TEST(uuid)
{
	CHECK_EQ(run("-U", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "vm0",
	    NULL), 0);
	CHECK_STR(config_get("uuid"), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	CHECK_EQ(run("-U", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "vm0",
	    NULL), 0);
	CHECK(failed_with(run("-U", "not-a-uuid", "vm0", NULL), "-U",
	    "not-a-uuid"));
	CHECK(failed_with(run("-U", "6ba7b810-9dad-11d1-80b4-00c04fd430c8a",
	    "vm0", NULL), "-U", NULL));
	CHECK(failed_with(run("-U", "6ba7b8109dad-11d1-80b4-00c04fd430c8a",
	    "vm0", NULL), "-U", NULL));
	CHECK(failed_with(run("-U", "6ba7b810-9dad-11d1-80b4-00c04fd430cg",
	    "vm0", NULL), "-U", NULL));
	CHECK(unset("uuid"));
	CHECK(failed_with(run("-o", "uuid=xyz", "vm0", NULL), "uuid", "xyz"));
}

TEST(simple_flags)
{
	static const struct {
		const char *flag, *key, *value;
	} t[] = {
		{ "-A", "acpi_tables", "true" },
		{ "-a", "x86.x2apic", "false" },
		{ "-D", "destroy_on_poweroff", "true" },
		{ "-e", "x86.strictio", "true" },
		{ "-H", "x86.vmexit_on_hlt", "true" },
		{ "-P", "x86.vmexit_on_pause", "true" },
		{ "-S", "memory.wired", "true" },
		{ "-u", "rtc.use_localtime", "false" },
		{ "-W", "virtio_msix", "false" },
		{ "-w", "x86.strictmsr", "false" },
		{ "-x", "x86.x2apic", "true" },
		{ "-Y", "x86.mptable", "false" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK_EQ(run(t[i].flag, "vm0", NULL), 0);
		CHECK_STR(config_get(t[i].key), t[i].value);
	}
	CHECK_EQ(run("-AHPeuwW", "vm0", NULL), 0);
	CHECK_STR(config_get("x86.strictmsr"), "false");
	CHECK_STR(config_get("acpi_tables"), "true");
	CHECK(failed_with(run("-o", "x86.strictio=perhaps", "vm0", NULL),
	    "x86.strictio", "perhaps"));
}

TEST(pin)
{
	CHECK_EQ(run("-p", "1:0", "vm0", NULL), 0);
	CHECK_STR(config_get("vcpu.1.cpuset"), "0");
	CHECK_EQ(run("-p", "1:0", "-p", "1:3", "-p", "1:0", "-p", "0:2",
	    "vm0", NULL), 0);
	CHECK_STR(config_get("vcpu.1.cpuset"), "0,3");
	CHECK_STR(config_get("vcpu.0.cpuset"), "2");

	CHECK(failed_with(run("-p", "1", "vm0", NULL), "-p", "vcpu:hostcpu"));
	CHECK(failed_with(run("-p", "x:1", "vm0", NULL), "x:1", "vCPU"));
	CHECK(failed_with(run("-p", "1:x", "vm0", NULL), "1:x", "host CPU"));
	CHECK(failed_with(run("-p", "1:", "vm0", NULL), "-p", NULL));
	CHECK(failed_with(run("-p", ":1", "vm0", NULL), "-p", NULL));
	CHECK(failed_with(run("-p", "1:1024", "vm0", NULL), "host CPU", NULL));
	CHECK(failed_with(run("-p", "65535:1", "vm0", NULL), "vCPU", NULL));
	CHECK(failed_with(run("-p", "-1:1", "vm0", NULL), "-p", NULL));
	CHECK(unset("vcpu"));
	CHECK(failed_with(run("-o", "vcpu.0.cpuset=0,9999", "vm0", NULL),
	    "vcpu.0.cpuset", NULL));
	CHECK(failed_with(run("-o", "vcpu.x.cpuset=0", "vm0", NULL),
	    "vcpu.x", NULL));
	CHECK_EQ(run("-o", "vcpu.3.cpuset=0-1,5", "vm0", NULL), 0);
}

TEST(cpulist)
{
	uint64_t m[2];
	char e[256];

	CHECK_EQ(options_parse_cpulist("0,2-3,127", m, 128, e, sizeof(e)), 0);
	CHECK(m[0] == 0xdULL && m[1] == (1ULL << 63));
	CHECK_EQ(options_parse_cpulist("128", m, 128, e, sizeof(e)), -1);
	CHECK_EQ(options_parse_cpulist("3-2", m, 128, e, sizeof(e)), -1);
	CHECK_EQ(options_parse_cpulist("1,,2", m, 128, e, sizeof(e)), -1);
	CHECK_EQ(options_parse_cpulist("", m, 128, e, sizeof(e)), -1);
	CHECK_EQ(options_parse_cpulist("1-", m, 128, e, sizeof(e)), -1);
	CHECK(strstr(e, "1-") != NULL);
}

TEST(smbios)
{
	CHECK_EQ(run("-B", "1,manufacturer=Acme,product=Box,version=2,"
	    "serial=S1,sku=K,family=F,uuid=6ba7b810-9dad-11d1-80b4-"
	    "00c04fd430c8", "vm0", NULL), 0);
	CHECK_STR(config_get("smbios.system.manufacturer"), "Acme");
	CHECK_STR(config_get("smbios.system.product_name"), "Box");
	CHECK_STR(config_get("smbios.system.version"), "2");
	CHECK_STR(config_get("smbios.system.serial_number"), "S1");
	CHECK_STR(config_get("smbios.system.sku"), "K");
	CHECK_STR(config_get("smbios.system.family_name"), "F");
	CHECK_STR(config_get("uuid"), "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
	CHECK_EQ(run("-B", "0,vendor=V,version=1.0,release_date=01/02/2024",
	    "-B", "2,asset=A,product=P", "-B", "3,sku=C,serial=N", "vm0",
	    NULL), 0);
	CHECK_STR(config_get("smbios.bios.vendor"), "V");
	CHECK_STR(config_get("smbios.bios.release_date"), "01/02/2024");
	CHECK_STR(config_get("smbios.board.asset_tag"), "A");
	CHECK_STR(config_get("smbios.board.product_name"), "P");
	CHECK_STR(config_get("smbios.chassis.sku"), "C");
	CHECK_STR(config_get("smbios.chassis.serial_number"), "N");

	CHECK(failed_with(run("-B", "1,manufacturer=A,foo=1", "vm0", NULL),
	    "'foo'", "type 1"));
	CHECK(unset("smbios"));	/* nothing of a bad -B is kept */
	CHECK(failed_with(run("-B", "0,product=x", "vm0", NULL), "product",
	    NULL));
	CHECK(failed_with(run("-B", "4,vendor=x", "vm0", NULL), "-B", NULL));
	CHECK(failed_with(run("-B", "1", "vm0", NULL), "-B", NULL));
	CHECK(failed_with(run("-B", "1,", "vm0", NULL), "-B", NULL));
	CHECK(failed_with(run("-B", "1,manufacturer=", "vm0", NULL), "-B",
	    "non-empty"));
	CHECK(failed_with(run("-B", "1,manufacturer", "vm0", NULL), "-B",
	    NULL));
	CHECK(failed_with(run("-B", "1,uuid=nope", "vm0", NULL), "nope",
	    NULL));
	CHECK(failed_with(run("-B", "1,sku=a\tb", "vm0", NULL), "control",
	    NULL));
	CHECK(failed_with(run("-B", "12,sku=a", "vm0", NULL), "-B", NULL));
}

/* Writes a -k file; returns its (static) name. */
static const char *
kfile(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/zhyve_test_options_XXXXXX");
	fd = mkstemp(name);
	if (fd < 0)
		return "/nonexistent";
	if (write(fd, text, strlen(text)) < 0)
		name[0] = '\0';
	close(fd);
	return name;
}

TEST(config_files_and_order)
{
	const char *f = kfile("# vm\nname = vm7\nmemory.size = 1G\n"
	    "lpc.com1.path=stdio\n");

	CHECK_EQ(run("-k", f, NULL), 0);
	CHECK_STR(config_get("name"), "vm7");
	CHECK_STR(config_get("memory.size"), "1G");
	CHECK_EQ(run("-k", f, "-m", "2G", NULL), 0);
	CHECK_STR(config_get("memory.size"), "2G");
	CHECK_EQ(run("-m", "2G", "-k", f, NULL), 0);
	CHECK_STR(config_get("memory.size"), "1G");
	CHECK_EQ(run("-o", "memory.size=3G", "-o", "memory.size=4G", "vm0",
	    NULL), 0);
	CHECK_STR(config_get("memory.size"), "4G");
	CHECK_EQ(run("-o", "boot.cmdline=console=ttyS0 panic=-1", "vm0",
	    NULL), 0);
	CHECK_STR(config_get("boot.cmdline"), "console=ttyS0 panic=-1");
	unlink(f);

	f = kfile("name=vm8\nmemory.size=1G\nmemory=oops\n");
	CHECK(failed_with(run("-k", f, "vm0", NULL), "-k", ":3:"));
	CHECK(unset("name"));
	unlink(f);
	CHECK(failed_with(run("-k", "/nonexistent.conf", "vm0", NULL),
	    "/nonexistent.conf", NULL));
	CHECK(failed_with(run("-o", "novalue", "vm0", NULL), "-o",
	    "novalue"));
	CHECK(failed_with(run("-o", "a..b=1", "vm0", NULL), "-o", "a..b"));
	CHECK(failed_with(run("-o", "memory.lowmem_limit=3Q", "vm0", NULL),
	    "memory.lowmem_limit", NULL));
	CHECK_EQ(run("-o", "memory.lowmem_limit=0xC0000000", "vm0", NULL), 0);
	CHECK_EQ(run("-o", "memory.lowmem_limit=1g", "vm0", NULL), 0);
	CHECK(failed_with(run("-o", "memory.lowmem_limit=0xC0000001", "vm0",
	    NULL), "memory.lowmem_limit", "range"));
	CHECK(failed_with(run("-o", "memory.lowmem_limit=0", "vm0", NULL),
	    "memory.lowmem_limit", NULL));
}

TEST(config_dump)
{
	char copy[65536];
	const char *f;

	CHECK_EQ(run("-o", "config.dump=true", "-c", "2", "-l", "com1,stdio",
	    NULL), 1);
	CHECK(strstr(out_text, "config.dump=true\n") != NULL);
	CHECK(strstr(out_text, "cpus=2\n") != NULL);
	CHECK(strstr(out_text, "memory.size=256M\n") != NULL);
	CHECK(strstr(out_text, "lpc.com1.path=stdio\n") != NULL);

	/* The dump is a -k file giving the same tree. */
	snprintf(copy, sizeof(copy), "%s", out_text);
	f = kfile(copy);
	CHECK_EQ(run("-k", f, NULL), 1);
	CHECK_STR(out_text, copy);
	unlink(f);

	f = kfile("config.dump=yes\nname=vm9\n");
	CHECK_EQ(run("-k", f, NULL), 1);
	CHECK(strstr(out_text, "name=vm9\n") != NULL);
	unlink(f);
	CHECK_EQ(run("-o", "config.dump=false", "vm0", NULL), 0);
	CHECK_STR(out_text, "");
	CHECK(failed_with(run("-o", "config.dump=maybe", "vm0", NULL),
	    "config.dump", "maybe"));
}

int
main(void)
{
	RUN(name_and_defaults);
	RUN(unknown_and_missing);
	RUN(memory);
	RUN(topology);
	RUN(pci_slots);
	RUN(lpc);
	RUN(uuid);
	RUN(simple_flags);
	RUN(pin);
	RUN(cpulist);
	RUN(smbios);
	RUN(config_files_and_order);
	RUN(config_dump);
	config_fini();
	TEST_SUMMARY();
}
