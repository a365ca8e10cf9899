/* The blob store: every downloaded or imported file (tarball, layer,
 * manifest, image config), named by its sha256.
 *
 *   <state_root>/images/blobs/sha256/<hex>   complete and verified; never
 *                                             modified once renamed here
 *   <state_root>/images/tmp/<key>.partial    a download in progress, or an
 *                                             interrupted one kept to resume
 *   <state_root>/images/tmp/<key>.lock       flock: one downloader per key
 *   <state_root>/images/.lock                shared by pulls and imports,
 *                                             exclusive for rmi's deletions
 *
 * A blob path is only ever created by rename(2) of a file whose digest was
 * computed from the bytes written: no later run can see a half file. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/fetch.h"
#include "util/error.h"

#define PD_DIGEST_LEN 71 /* "sha256:" and 64 hex digits */

/* "sha256:" followed by 64 lowercase hex digits. */
bool pd_digest_valid(const char *digest);
/* <root>/images/blobs/sha256/<hex> (caller frees), or NULL when `digest` is
 * not valid. */
char *pd_blob_path(const char *root, const char *digest);
bool pd_blob_has(const char *root, const char *digest);

/* Create images/, images/blobs/sha256 and images/tmp (0700, handed to the
 * invoking user under sudo). */
int pd_blob_dirs(const char *root, struct pd_err **err);

/* Take images/.lock: shared by every pull and import for its whole run, so
 * that rmi (exclusive) never deletes a blob or layer a pull is about to
 * record.  Returns the fd holding the lock. */
int pd_images_lock(const char *root, bool exclusive, struct pd_err **err);

/* Remove what killed pulls and imports left (images/tmp/put-*,
 * layers/.tmp-*) when none is running (images/.lock is free); otherwise do
 * nothing.  Best effort, for `prune`. */
void pd_images_sweep(const char *root);

/* One blob to fetch. */
struct pd_blob_get {
	const char *url;
	char *const *headers; /* e.g. "Authorization: Bearer ..." */
	const char *userpwd;
	const char *digest; /* expected, or NULL (a URL: learnt from the data) */
	uint64_t size;	    /* expected, or 0 */
	const char *what;   /* for messages and progress */

	char digest_out[PD_DIGEST_LEN + 1]; /* the verified digest */
	uint64_t size_out;
	bool cached; /* it was already in the store */
};

/* Fetch every blob not yet in the store, `parallel` at a time, each into
 * its .partial file (resumed when a previous run was interrupted), verify
 * it (digest, size) and rename it into place.  A concurrent fetch of the
 * same blob is waited for and its result used.  On failure nothing is
 * left under blobs/; a partial file is kept only when the transfer broke
 * and its data is good (a later pull resumes it), and removed after a
 * digest mismatch, an HTTP error or a write error (a full disk). */
int pd_blob_fetch(const char *root, struct pd_blob_get *g, size_t n, unsigned parallel,
		  pd_progress_fn progress, void *data, struct pd_err **err);

/* Copy what `fd` holds from its current offset (at most max bytes; 0: no
 * limit) into the store.  With `expect` (may be NULL), a different digest
 * fails and stores nothing.  digest_out receives the digest. */
int pd_blob_put_fd(const char *root, int fd, uint64_t max, const char *expect,
		   char digest_out[PD_DIGEST_LEN + 1], struct pd_err **err);
/* Same for a buffer. */
int pd_blob_put_mem(const char *root, const void *data, size_t len, const char *expect,
		    char digest_out[PD_DIGEST_LEN + 1], struct pd_err **err);

/* Remove a blob (ENOENT is success). */
int pd_blob_remove(const char *root, const char *digest, struct pd_err **err);
