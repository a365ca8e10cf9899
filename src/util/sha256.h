/* SHA-256 through nettle, opened on first use (see util/dl.h for why it is
 * not linked).  Used to name cache entries by the content of a tarball. */
#pragma once
#include <nettle/sha2.h>
#include <stddef.h>

#include "util/error.h"

#define PD_SHA256_HEX_LEN 64

/* A streaming digest; the context lives in the caller's struct (no
 * allocation), so a struct pd_sha256 can sit on the stack. */
struct pd_sha256 {
	struct sha256_ctx ctx;
};

/* Load nettle if needed and start a digest.  Fails only when libnettle.so.8
 * cannot be loaded (the error names the package). */
int pd_sha256_init(struct pd_sha256 *s, struct pd_err **err);
/* Only valid after a successful pd_sha256_init(). */
void pd_sha256_update(struct pd_sha256 *s, const void *data, size_t len);
/* Write 64 lowercase hex digits and a NUL into hex; the context is reset. */
void pd_sha256_final(struct pd_sha256 *s, char hex[PD_SHA256_HEX_LEN + 1]);

/* Digest everything `fd` holds, from offset 0, with pread (the file offset
 * is left alone).  `name` is for messages only. */
int pd_sha256_fd(int fd, const char *name, char hex[PD_SHA256_HEX_LEN + 1], struct pd_err **err);
/* Digest a whole file (symlinks followed: this is a host path the user
 * named).  On error hex is left untouched. */
int pd_sha256_file(const char *path, char hex[PD_SHA256_HEX_LEN + 1], struct pd_err **err);
