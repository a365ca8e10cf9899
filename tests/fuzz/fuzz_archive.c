/* libFuzzer harness: pd_archive_extract_fd (image/archive.c) on arbitrary
 * tarball bytes (tar, or gzip/xz/zstd/bzip2-compressed tar).
 *
 * Safety: every input is extracted into a fresh directory under one private
 * base directory (mkdtemp, mode 0700) and removed after the run; rootless
 * mode (no chown, no device nodes) and small limits (16 MiB, 4096 entries),
 * so a hostile input can neither create devices nor fill the disk.  The
 * extraction itself resolves every path inside its directory; as a check of
 * exactly that, a canary file next to the extraction directory (in the base)
 * must be untouched after every run, and nothing else may appear in the
 * base.  The base is removed at exit. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/archive.h"
#include "util/error.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char base[64];
static int basefd = -1;
static struct stat canary_st;

static void remove_base(void)
{
	if (base[0])
		pd_rm_rf(base, NULL);
}

static void setup(void)
{
	const char *tmp = getenv("PD_FUZZ_TMP");
	snprintf(base, sizeof(base), "%s/pd-fuzz-archive.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(base))
		abort();
	atexit(remove_base);
	basefd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = openat(basefd, "canary", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (basefd < 0 || fd < 0 || write(fd, "canary\n", 7) != 7)
		abort();
	close(fd);
	if (fstatat(basefd, "canary", &canary_st, 0) < 0)
		abort();
}

/* The base holds exactly "canary" (unchanged) and "x" (the target). */
static void check_base(void)
{
	struct stat st;
	if (fstatat(basefd, "canary", &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != canary_st.st_ino ||
	    st.st_size != canary_st.st_size || st.st_mtim.tv_sec != canary_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != canary_st.st_mtim.tv_nsec || st.st_nlink != 1) {
		fprintf(stderr, "fuzz_archive: the canary next to the target changed: extraction escaped\n");
		abort();
	}
	int dfd = openat(basefd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "canary") &&
		    strcmp(e->d_name, "x")) {
			fprintf(stderr,
				"fuzz_archive: '%s' appeared next to the target: extraction escaped\n",
				e->d_name);
			abort();
		}
	if (d)
		closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (basefd < 0)
		setup();
	int tarfd = memfd_create("tarball", MFD_CLOEXEC);
	if (tarfd < 0 || (size && write(tarfd, data, size) != (ssize_t)size) || lseek(tarfd, 0, SEEK_SET) < 0)
		abort();
	if (mkdirat(basefd, "x", 0700) < 0)
		abort();
	int dirfd = openat(basefd, "x", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		abort();
	struct pd_extract_opts o = {.rootless = true, .max_bytes = 16 << 20, .max_entries = 4096};
	struct pd_extract_result res;
	struct pd_err *err = NULL;
	int r = pd_archive_extract_fd(tarfd, "fuzz", dirfd, &o, &res, &err);
	if ((r == 0) != (err == NULL) || res.bytes > o.max_bytes || res.entries > o.max_entries + 1)
		abort();
	pd_err_free(err);
	close(dirfd);
	close(tarfd);
	check_base();
	/* Directories may have been left 0000 or 0555 by the archive: rm -rf
	 * as root copes; restore owner write first for a non-root fuzzer. */
	err = NULL;
	if (pd_rm_rf_at(basefd, "x", &err) < 0) {
		fprintf(stderr, "fuzz_archive: cannot remove the target: %s\n", err->msg);
		abort();
	}
	return 0;
}
