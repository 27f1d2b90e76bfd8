/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The zone's root file system, built in the child's own mount namespace:
 *
 *   /                 tmpfs, read-only once built, nodev, nosuid
 *   /usr /lib /lib64  read-only, nodev, nosuid binds of the host's (or the
 *                     same symlinks, on a merged-/usr host)
 *   /zhyve            the zhyve binary, read-only, nodev, nosuid
 *   /config           zhyve's config file, read-only, noexec
 *   /dev              tmpfs (noexec, nosuid) holding null zero full urandom
 *                     kvm, net/tun with taps, vhost-net when asked, and the
 *                     VM's block devices: nothing else
 *   /run /tmp         tmpfs, size-limited, owned by the zone's uid, mode 0700,
 *                     noexec, nodev, nosuid
 *   <host path>       every disk=, disk_ro= and boot= file at its host path
 *                     (disks read-write unless disk_ro, noexec, nodev, nosuid)
 *
 * How: every source is opened (O_PATH) first, while the host's tree is
 * still in view; the root tmpfs is then mounted over /tmp of the private
 * mount namespace (only this namespace sees it), each source is cloned as
 * a detached bind mount (open_tree), given its flags (mount_setattr) and
 * moved into place (move_mount), so no path is looked up twice.  Then
 * pivot_root(".", ".") and a lazy unmount of the old root, which takes the
 * host's tree out of the zone for good.
 *
 * Threads: the single-threaded child, as root, before privileges drop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "zone.h"

/* Where the new root is assembled, inside the private namespace. */
#define BASE "/tmp"

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void
in_root(char *out, size_t len, const char *path)
{
	snprintf(out, len, BASE "%s", path);
}

/* mkdir -p of the parents of `path` (a path in the zone), mode 0755. */
static int
make_parents(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	char *p;

	in_root(buf, sizeof(buf), path);
	for (p = buf + strlen(BASE) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
			int e = errno;

			*p = '/';
			return fail(err, errlen, "zone root: cannot make the "
			    "directories of %s: %s", path, strerror(e));
		}
		*p = '/';
	}
	return 0;
}

/* An empty file or directory at `path` in the zone, to mount on. */
static int
make_target(const char *path, bool dir, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	int fd;

	if (make_parents(path, err, errlen) != 0)
		return -1;
	in_root(buf, sizeof(buf), path);
	if (dir) {
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return fail(err, errlen, "zone root: mkdir %s: %s", path,
			    strerror(errno));
		return 0;
	}
	fd = open(buf, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail(err, errlen, "zone root: cannot make %s: %s", path,
		    strerror(errno));
	close(fd);
	return 0;
}

/*
 * Binds the file or directory open as `src` (O_PATH) at `path` in the zone
 * with the given MOUNT_ATTR_* flags.  `path` must exist already.
 */
static int
bind_fd(int src, const char *path, uint64_t attrs, char *err, size_t errlen)
{
	struct mount_attr ma = { .attr_set = attrs };
	char buf[PATH_MAX];
	int t;

	t = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
	    AT_EMPTY_PATH);
	if (t < 0)
		return fail(err, errlen, "zone root: cannot clone the mount of "
		    "%s: %s", path, strerror(errno));
	if (mount_setattr(t, "", AT_EMPTY_PATH, &ma, sizeof(ma)) != 0) {
		close(t);
		return fail(err, errlen, "zone root: cannot set the flags of "
		    "%s: %s", path, strerror(errno));
	}
	in_root(buf, sizeof(buf), path);
	if (move_mount(t, "", AT_FDCWD, buf, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
		close(t);
		return fail(err, errlen, "zone root: cannot mount %s: %s", path,
		    strerror(errno));
	}
	close(t);
	return 0;
}

static int
tmpfs(const char *path, unsigned long flags, const char *opts, char *err,
    size_t errlen)
{
	char buf[PATH_MAX];

	in_root(buf, sizeof(buf), path);
	if (mkdir(buf, 0755) != 0 && errno != EEXIST)
		return fail(err, errlen, "zone root: mkdir %s: %s", path,
		    strerror(errno));
	if (mount("zone", buf, "tmpfs", flags, opts) != 0)
		return fail(err, errlen, "zone root: cannot mount a tmpfs on %s "
		    "(%s): %s", path, opts, strerror(errno));
	return 0;
}

/* A device node in the zone's /dev like the host's `host` one. */
static int
node(const char *path, mode_t type, dev_t rdev, mode_t mode, uid_t uid,
    gid_t gid, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (make_parents(path, err, errlen) != 0)
		return -1;
	in_root(buf, sizeof(buf), path);
	if (mknod(buf, type | mode, rdev) != 0 ||
	    chown(buf, uid, gid) != 0 || chmod(buf, mode) != 0)
		return fail(err, errlen, "zone root: cannot make the device %s: "
		    "%s", path, strerror(errno));
	return 0;
}

static int
host_chardev(const char *path, uid_t uid, gid_t gid, mode_t mode, char *err,
    size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISCHR(st.st_mode))
		return fail(err, errlen, "zone root: %s is not a character "
		    "device on the host", path);
	return node(path, S_IFCHR, st.st_rdev, mode, uid, gid, err, errlen);
}

static int
build_dev(const struct zone_spec *s, char *err, size_t errlen)
{
	static const char *const world[] = {
		"/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", NULL
	};
	size_t i;

	if (tmpfs("/dev", MS_NOSUID | MS_NOEXEC, "size=64k,nr_inodes=128,"
	    "mode=0755", err, errlen) != 0)
		return -1;
	for (i = 0; world[i] != NULL; i++)
		if (host_chardev(world[i], 0, 0, 0666, err, errlen) != 0)
			return -1;
	/* The VM's own devices belong to the zone's user, and only to it. */
	if (host_chardev("/dev/kvm", s->uid, s->gid, 0600, err, errlen) != 0)
		return -1;
	if (s->ntap > 0 && host_chardev("/dev/net/tun", s->uid, s->gid, 0600,
	    err, errlen) != 0)
		return -1;
	if (s->vhost_net && host_chardev("/dev/vhost-net", s->uid, s->gid,
	    0600, err, errlen) != 0)
		return -1;
	for (i = 0; i < s->ndisk; i++)
		if (s->disk[i].blockdev && node(s->disk[i].path, S_IFBLK,
		    s->disk[i].rdev, s->disk[i].ro ? 0400 : 0600, s->uid,
		    s->gid, err, errlen) != 0)
			return -1;
	return 0;
}

/* /lib, /lib64, /usr: a read-only bind, the host's symlink, or nothing. */
static int
system_dir(const char *path, char *err, size_t errlen)
{
	char target[PATH_MAX], buf[PATH_MAX];
	struct stat st;
	ssize_t n;
	int fd, r;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : fail(err, errlen, "zone root: %s: "
		    "%s", path, strerror(errno));
	in_root(buf, sizeof(buf), path);
	if (S_ISLNK(st.st_mode)) {
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			return fail(err, errlen, "zone root: readlink %s: %s",
			    path, strerror(errno));
		target[n] = '\0';
		if (symlink(target, buf) != 0)
			return fail(err, errlen, "zone root: symlink %s: %s",
			    path, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return 0;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fail(err, errlen, "zone root: open %s: %s", path,
		    strerror(errno));
	r = make_target(path, true, err, errlen);
	if (r == 0)
		r = bind_fd(fd, path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
		    MOUNT_ATTR_NODEV, err, errlen);
	close(fd);
	return r;
}

/* The sources, opened before the root tmpfs covers BASE. */
struct source {
	int fd;
	const char *zpath;	/* where it goes in the zone */
	uint64_t attrs;
};

static int
open_source(struct source *src, const char *host, const char *zpath,
    uint64_t attrs, char *err, size_t errlen)
{
	src->fd = open(host, O_PATH | O_CLOEXEC);
	if (src->fd < 0)
		return fail(err, errlen, "zone root: cannot open %s: %s", host,
		    strerror(errno));
	src->zpath = zpath;
	src->attrs = attrs;
	return 0;
}

int
zone_root_build(const struct zone_spec *s, char *err, size_t errlen)
{
	const uint64_t ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
	    MOUNT_ATTR_NODEV;
	const uint64_t data = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	    MOUNT_ATTR_NOEXEC;
	struct source src[2 + ZONE_MAX_DISKS + ZONE_MAX_BOOT + ZONE_MAX_RO];
	struct mount_attr ma = { .attr_set = MOUNT_ATTR_RDONLY |
	    MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
	char opts[128];
	size_t n = 0, i;
	int r = -1;

	/* Nothing done here may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return fail(err, errlen, "zone root: cannot make the mounts "
		    "private: %s", strerror(errno));
	if (open_source(&src[n++], s->zhyve, "/zhyve", ro, err, errlen) != 0 ||
	    open_source(&src[n++], s->config, "/config", ro | MOUNT_ATTR_NOEXEC,
	    err, errlen) != 0)
		goto out;
	for (i = 0; i < s->nboot; i++)
		if (!s->boot[i].in_system && open_source(&src[n++],
		    s->boot[i].path, s->boot[i].path, ro | MOUNT_ATTR_NOEXEC,
		    err, errlen) != 0)
			goto out;
	for (i = 0; i < s->ndisk; i++)
		if (!s->disk[i].blockdev && open_source(&src[n++],
		    s->disk[i].path, s->disk[i].path, data |
		    (s->disk[i].ro ? MOUNT_ATTR_RDONLY : 0), err, errlen) != 0)
			goto out;
	for (i = 0; i < s->nro; i++)
		if (open_source(&src[n++], s->ro[i].path, s->ro[i].path, ro,
		    err, errlen) != 0)
			goto out;

	/* The root: a small tmpfs, made read-only at the end. */
	if (access(BASE, F_OK) != 0) {
		fail(err, errlen, "zone root: the host has no " BASE
		    " to build the zone's root on");
		goto out;
	}
	if (mount("zone", BASE, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=1m,nr_inodes=4096,mode=0755") != 0) {
		fail(err, errlen, "zone root: cannot mount the root tmpfs: %s",
		    strerror(errno));
		goto out;
	}
	for (i = 0; zone_system_dirs[i] != NULL; i++)
		if (system_dir(zone_system_dirs[i], err, errlen) != 0)
			goto out;
	if (build_dev(s, err, errlen) != 0)
		goto out;
	snprintf(opts, sizeof(opts), "size=%llu,mode=0700,uid=%u,gid=%u",
	    (unsigned long long)s->tmpfs_run, (unsigned)s->uid,
	    (unsigned)s->gid);
	if (tmpfs("/run", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts, err,
	    errlen) != 0)
		goto out;
	snprintf(opts, sizeof(opts), "size=%llu,mode=0700,uid=%u,gid=%u",
	    (unsigned long long)s->tmpfs_tmp, (unsigned)s->uid,
	    (unsigned)s->gid);
	if (tmpfs("/tmp", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts, err,
	    errlen) != 0)
		goto out;
	/* Files (and ro= paths, which lie in the read-only binds). */
	for (i = 0; i < n; i++) {
		struct stat st;
		bool dir = fstat(src[i].fd, &st) == 0 && S_ISDIR(st.st_mode);
		bool exists = false;

		if (zone_path_under(src[i].zpath, "/usr") ||
		    zone_path_under(src[i].zpath, "/lib") ||
		    zone_path_under(src[i].zpath, "/lib64")) {
			char buf[PATH_MAX];
			struct stat zst;

			in_root(buf, sizeof(buf), src[i].zpath);
			exists = stat(buf, &zst) == 0;
		}
		if (!exists && make_target(src[i].zpath, dir, err, errlen) != 0)
			goto out;
		if (bind_fd(src[i].fd, src[i].zpath, src[i].attrs, err,
		    errlen) != 0)
			goto out;
	}
	if (mount_setattr(AT_FDCWD, BASE, 0, &ma, sizeof(ma)) != 0) {
		fail(err, errlen, "zone root: cannot make the root read-only: %s",
		    strerror(errno));
		goto out;
	}
	/* Into the new root; the old one goes away entirely. */
	if (chdir(BASE) != 0 || syscall(SYS_pivot_root, ".", ".") != 0) {
		fail(err, errlen, "zone root: pivot_root: %s%s", strerror(errno),
		    errno == EINVAL ? " (is the launcher running in a chroot "
		    "whose root is not a mount point?)" : "");
		goto out;
	}
	if (umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) {
		fail(err, errlen, "zone root: cannot detach the old root: %s",
		    strerror(errno));
		goto out;
	}
	r = 0;
out:
	for (i = 0; i < n; i++)
		if (src[i].fd >= 0)
			close(src[i].fd);
	return r;
}
