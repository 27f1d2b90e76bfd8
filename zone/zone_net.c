/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zone's network namespace (netns=on): a new, empty namespace with its
 * loopback up, and every tap= of the spec moved into it and set up.
 *
 * The child keeps a descriptor of the host's namespace, unshares a new one,
 * steps back into the host's to move the taps (rtnetlink RTM_NEWLINK with
 * IFLA_NET_NS_FD), then enters the new one for good and sets the links up.
 * A tap moved into the zone is gone from the host's namespace (and the
 * kernel destroys it with the namespace when the zone ends); whatever
 * connects it is up to the manager.  With netns=off the zone shares the
 * host's namespace and the taps stay where they are.
 *
 * Threads: the single-threaded child, as root, before privileges drop.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "zone.h"

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

struct link_req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char attrs[64];
};

/*
 * One RTM_NEWLINK on link `ifindex`: move it to the namespace `nsfd`
 * (if >= 0) and/or set it up.  Waits for the kernel's answer.
 */
static int
link_change(int ifindex, int nsfd, bool up, char *why, size_t whylen)
{
	struct link_req req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char answer[512];
	struct nlmsghdr *nh = (struct nlmsghdr *)answer;
	ssize_t n;
	int sock, r = -1;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = 1;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	if (up) {
		req.ifi.ifi_flags = IFF_UP;
		req.ifi.ifi_change = IFF_UP;
	}
	if (nsfd >= 0) {
		struct rtattr *rta = (struct rtattr *)((char *)&req +
		    NLMSG_ALIGN(req.nh.nlmsg_len));
		int v = nsfd;

		rta->rta_type = IFLA_NET_NS_FD;
		rta->rta_len = RTA_LENGTH(sizeof(v));
		memcpy(RTA_DATA(rta), &v, sizeof(v));
		req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) +
		    RTA_ALIGN(rta->rta_len);
	}
	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sock < 0)
		return fail(why, whylen, "netlink socket: %s", strerror(errno));
	if (sendto(sock, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) < 0) {
		fail(why, whylen, "netlink: %s", strerror(errno));
		goto out;
	}
	n = recv(sock, answer, sizeof(answer), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
	    nh->nlmsg_type != NLMSG_ERROR) {
		fail(why, whylen, "netlink: no answer");
		goto out;
	}
	r = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
	if (r != 0) {
		fail(why, whylen, "%s", strerror(-r));
		r = -1;
	}
out:
	close(sock);
	return r;
}

int
zone_net_enter(const struct zone_spec *s, char *err, size_t errlen)
{
	int host = -1, zone = -1, lo, r = -1;
	unsigned idx[ZONE_MAX_TAPS];
	char why[256];
	size_t i;

	if (!s->netns)
		return 0;
	for (i = 0; i < s->ntap; i++) {
		idx[i] = if_nametoindex(s->tap[i]);
		if (idx[i] == 0)
			return fail(err, errlen, "tap: '%s': %s", s->tap[i],
			    strerror(errno));
	}
	host = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (host < 0)
		return fail(err, errlen, "netns: cannot open the host's "
		    "namespace: %s", strerror(errno));
	if (unshare(CLONE_NEWNET) != 0) {
		fail(err, errlen, "netns: unshare: %s", strerror(errno));
		goto out;
	}
	zone = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (zone < 0 || setns(host, CLONE_NEWNET) != 0) {
		fail(err, errlen, "netns: cannot switch namespaces: %s",
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < s->ntap; i++)
		if (link_change((int)idx[i], zone, false, why,
		    sizeof(why)) != 0) {
			fail(err, errlen, "tap: cannot move '%s' into the zone's "
			    "network namespace: %s", s->tap[i], why);
			/* Taps already moved die with the namespace. */
			(void)setns(zone, CLONE_NEWNET);
			goto out;
		}
	if (setns(zone, CLONE_NEWNET) != 0) {
		fail(err, errlen, "netns: cannot enter the zone's namespace: %s",
		    strerror(errno));
		goto out;
	}
	lo = (int)if_nametoindex("lo");
	if (lo == 0 || link_change(lo, -1, true, why, sizeof(why)) != 0) {
		fail(err, errlen, "netns: cannot set lo up: %s", lo == 0 ?
		    strerror(errno) : why);
		goto out;
	}
	for (i = 0; i < s->ntap; i++) {
		unsigned in_zone = if_nametoindex(s->tap[i]);

		if (in_zone == 0 || link_change((int)in_zone, -1, true, why,
		    sizeof(why)) != 0) {
			fail(err, errlen, "tap: cannot set '%s' up in the zone: "
			    "%s", s->tap[i], in_zone == 0 ? strerror(errno) :
			    why);
			goto out;
		}
	}
	r = 0;
out:
	if (host >= 0)
		close(host);
	if (zone >= 0)
		close(zone);
	return r;
}
