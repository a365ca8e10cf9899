/* SHA-256 (see sha256.h).  Runs in the CLI, with the caller's privileges.
 *
 * nettle is opened with dlopen() on first use so that commands which never
 * hash (ps, logs, run from a directory or from a cached tarball via the
 * by-stat index) do not pay for loading it.  nettle's public names are
 * macros (sha256_init -> nettle_sha256_init); dlsym() needs the real ones. */
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/dl.h"
#include "util/xalloc.h"

static void *nettle_handle;
static PD_DL_SYM(nettle_sha256_init);
static PD_DL_SYM(nettle_sha256_update);
static PD_DL_SYM(nettle_sha256_digest);

static int load_nettle(struct pd_err **err)
{
	static const char *const sonames[] = { "libnettle.so.8", NULL };
	static const struct pd_dl_sym syms[] = {
		PD_DL_ENTRY(nettle_sha256_init),
		PD_DL_ENTRY(nettle_sha256_update),
		PD_DL_ENTRY(nettle_sha256_digest),
		{ NULL, NULL },
	};
	return pd_dl_open(&nettle_handle, sonames, "libnettle8", syms, err);
}

int pd_sha256_init(struct pd_sha256 *s, struct pd_err **err)
{
	if (load_nettle(err) < 0)
		return -1;
	sym_nettle_sha256_init(&s->ctx);
	return 0;
}

void pd_sha256_update(struct pd_sha256 *s, const void *data, size_t len)
{
	sym_nettle_sha256_update(&s->ctx, len, data);
}

void pd_sha256_final(struct pd_sha256 *s, char hex[PD_SHA256_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t d[SHA256_DIGEST_SIZE];

	sym_nettle_sha256_digest(&s->ctx, sizeof(d), d);
	for (size_t i = 0; i < sizeof(d); i++) {
		hex[2 * i] = digits[d[i] >> 4];
		hex[2 * i + 1] = digits[d[i] & 0xf];
	}
	hex[PD_SHA256_HEX_LEN] = '\0';
}

int pd_sha256_fd(int fd, const char *name, char hex[PD_SHA256_HEX_LEN + 1], struct pd_err **err)
{
	struct pd_sha256 s;
	if (pd_sha256_init(&s, err) < 0)
		return -1;
	/* Tarballs are read once, start to end; tell the kernel so it reads
	 * ahead aggressively.  Advice only: failure changes nothing. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

	const size_t bufsz = 128 * 1024;
	_cleanup_free_ uint8_t *buf = xmalloc(bufsz);
	for (off_t off = 0;;) {
		ssize_t n = pread(fd, buf, bufsz, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pd_fail(err, errno, "read '%s'", name);
		}
		if (n == 0)
			break;
		pd_sha256_update(&s, buf, (size_t)n);
		off += n;
	}
	pd_sha256_final(&s, hex);
	return 0;
}

int pd_sha256_file(const char *path, char hex[PD_SHA256_HEX_LEN + 1], struct pd_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pd_fail(err, errno, "open '%s'", path);
	return pd_sha256_fd(fd, path, hex, err);
}
