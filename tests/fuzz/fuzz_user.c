/* libFuzzer harness: user_resolve (linux/user.c), which the container's
 * init runs on the image's own /etc/passwd and /etc/group: files a hostile
 * image writes.  Input: the user spec ("-u" or the image's User) on the
 * first line, then the passwd file, a line "--", and the group file.  The
 * files are memfds, named by /proc/self/fd/N.  Checks beyond the
 * sanitizers: success and *err agree; at most 64 groups, no duplicate; the
 * home is a terminated string; a numeric spec "U" or "U:G" gives exactly
 * those ids. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "linux/user.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfile(const char *what, const char *s, size_t n, char path[64])
{
	int fd = memfd_create(what, MFD_CLOEXEC);
	if (fd < 0 || (n && write(fd, s, n) != (ssize_t)n))
		abort();
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

static int all_digits(const char *s, size_t n)
{
	if (n == 0 || n > 9)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	char *buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	char *nl = memchr(buf, '\n', size);
	char *files = nl ? nl + 1 : buf + size;
	if (nl)
		*nl = '\0';
	const char *spec = buf;
	size_t flen = (size_t)(buf + size - files);
	char *sep = memmem(files, flen, "\n--\n", 4);
	size_t plen = sep ? (size_t)(sep - files) + 1 : flen;
	const char *grp = sep ? sep + 4 : "";
	size_t glen = sep ? (size_t)(buf + size - grp) : 0;
	char ppath[64], gpath[64];
	int pfd = memfile("passwd", files, plen, ppath);
	int gfd = memfile("group", grp, glen, gpath);
	struct pd_user u;
	memset(&u, 0xa5, sizeof(u));
	struct pd_err *err = NULL;
	/* An empty spec stands for "no -u" (root). */
	int r = user_resolve(*spec ? spec : NULL, ppath, gpath, &u, &err);
	if ((r == 0) != (err == NULL))
		abort();
	if (r == 0) {
		if (u.n_groups > 64 || strnlen(u.home, sizeof(u.home)) == sizeof(u.home))
			abort();
		for (size_t i = 0; i < u.n_groups; i++)
			for (size_t j = i + 1; j < u.n_groups; j++)
				if (u.groups[i] == u.groups[j])
					abort();
		const char *colon = strchr(spec, ':');
		size_t ul = colon ? (size_t)(colon - spec) : strlen(spec);
		if (all_digits(spec, ul) && u.uid != (uid_t)strtoul(spec, NULL, 10))
			abort();
		if (colon && all_digits(colon + 1, strlen(colon + 1)) &&
		    u.gid != (gid_t)strtoul(colon + 1, NULL, 10))
			abort();
	}
	pd_err_free(err);
	close(pfd);
	close(gfd);
	free(buf);
	return 0;
}
