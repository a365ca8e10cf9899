/* Image layers written from directories, and stored layers read back
 * (see layerwrite.h).
 *
 * Runs in the CLI (`commit`, `save`), as root or as the user who made a
 * rootless container; it reads what that user may read.  The threat is
 * the tree: a container's root user controls every name, link target and
 * file type in its upper directory.  Hence the tree is walked and written
 * by tarwrite.c (one O_PATH | O_NOFOLLOW descriptor per entry opened
 * relative to its parent, fstat of that descriptor only, data read through
 * a reopening of the held inode), which also turns overlay whiteouts and
 * opaque directories into ".wh." files and maps rootless owners.  A commit
 * of a running container pauses it first (core/image-share.c), so the
 * tree does not change under the walk; if it does anyway, a file is cut or
 * padded to the size its header says.
 *
 * One pass makes both digests: the tar writer's output goes through a
 * callback that hashes it (the diff_id) and feeds a second libarchive
 * writer, in "raw" format with the gzip filter, which writes the layer
 * file. */
#include "image/layerwrite.h"

#include <errno.h>
#include <stdio.h>

#include "image/tarwrite-dl.h"
#include "image/tarwrite.h"
#include "util/fs.h"
#include "util/sha256.h"

/* Deeper than cp's limit: a layer holds whatever a container made. */
#define LAYER_MAX_DEPTH 512

/* The gzip side of a layer being written. */
struct lw {
	struct archive *gz;   /* raw + gzip, to the layer file */
	struct pd_sha256 sha; /* of the tar's bytes */
};

/* The tar writer's output: hashed, and compressed into the layer file. */
static ssize_t on_tar_write(void *data, const void *buf, size_t len)
{
	struct lw *w = data;
	pd_sha256_update(&w->sha, buf, len);
	la_ssize_t n = sym_archive_write_data(w->gz, buf, len);
	return n < 0 ? -1 : (ssize_t)len;
}

/* The gzip side: one "raw" entry whose data is the tar stream. */
static int open_gz(struct lw *w, int outfd, struct pd_err **err)
{
	w->gz = sym_archive_write_new();
	struct archive_entry *e = sym_archive_entry_new();
	int ret = 0;
	if (!w->gz || !e)
		ret = pd_fail(err, ENOMEM, "start libarchive");
	else if (sym_archive_write_set_format_raw(w->gz) < ARCHIVE_WARN ||
		 sym_archive_write_add_filter_gzip(w->gz) < ARCHIVE_WARN ||
		 sym_archive_write_set_bytes_per_block(w->gz, 0) < ARCHIVE_WARN ||
		 sym_archive_write_open_fd(w->gz, outfd) < ARCHIVE_WARN)
		ret = pd_fail(err, 0, "start the layer's gzip stream: %s", tarwrite_archive_msg(w->gz));
	if (ret == 0) {
		sym_archive_entry_copy_pathname(e, "layer.tar");
		sym_archive_entry_set_filetype(e, AE_IFREG);
		sym_archive_entry_set_perm(e, 0644);
		if (sym_archive_write_header(w->gz, e) < ARCHIVE_WARN)
			ret =
			    pd_fail(err, 0, "start the layer's gzip stream: %s", tarwrite_archive_msg(w->gz));
	}
	if (e)
		sym_archive_entry_free(e);
	return ret;
}

int pd_layer_write_dir(int dirfd, int outfd, const struct pd_layer_write_opts *o,
		       char diff_id[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	if (tarwrite_load_libarchive(err) < 0)
		return -1;
	struct lw w = { 0 };
	const struct pd_tar_write_opts to = {
		.write = on_tar_write,
		.data = &w,
		.max_depth = LAYER_MAX_DEPTH,
		.upper = o->upper,
		.skip = o->skip,
		.uid = o->uid,
		.sub_uid = o->sub_uid,
		.sub_uid_count = o->sub_uid_count,
		.gid = o->gid,
		.sub_gid = o->sub_gid,
		.sub_gid_count = o->sub_gid_count,
	};
	struct pd_tar_writer *tw = NULL;
	int ret = pd_sha256_init(&w.sha, err);
	if (ret == 0)
		ret = open_gz(&w, outfd, err);
	if (ret == 0 && !(tw = pd_tar_writer_new_opts(&to, err)))
		ret = -1;
	if (ret == 0)
		ret = pd_tar_writer_add(tw, dirfd, "", true, err);
	/* Closing writes the tar's end blocks, through on_tar_write. */
	if (pd_tar_writer_close(tw, ret < 0 ? pd_err_ignore(cleanup) : err) < 0)
		ret = -1;
	if (ret == 0 && (sym_archive_write_finish_entry(w.gz) < ARCHIVE_WARN ||
			 sym_archive_write_close(w.gz) < ARCHIVE_WARN))
		ret = pd_fail(err, 0, "finish the layer's gzip stream: %s", tarwrite_archive_msg(w.gz));
	if (ret == 0) {
		char hex[PD_SHA256_HEX_LEN + 1];
		pd_sha256_final(&w.sha, hex);
		snprintf(diff_id, PD_DIGEST_LEN + 1, "sha256:%s", hex);
	}
	if (w.gz)
		sym_archive_write_free(w.gz);
	return ret;
}

int pd_layer_uncompress(const char *path, int outfd, char diff_id[PD_DIGEST_LEN + 1], struct pd_err **err)
{
	struct pd_sha256 sha;
	if (tarwrite_load_libarchive(err) < 0 || pd_sha256_init(&sha, err) < 0)
		return -1;
	struct archive *a = sym_archive_read_new();
	if (!a)
		return pd_fail(err, ENOMEM, "start libarchive");
	int ret = 0;
	struct archive_entry *e;
	if (sym_archive_read_support_filter_all(a) < ARCHIVE_WARN ||
	    sym_archive_read_support_format_raw(a) < ARCHIVE_WARN ||
	    sym_archive_read_open_filename(a, path, 64 * 1024) < ARCHIVE_WARN ||
	    sym_archive_read_next_header(a, &e) < ARCHIVE_WARN)
		ret = pd_fail(err, 0, "read the layer '%s': %s", path, tarwrite_archive_msg(a));
	static char buf[64 * 1024];
	while (ret == 0) {
		la_ssize_t n = sym_archive_read_data(a, buf, sizeof(buf));
		if (n < 0)
			ret = pd_fail(err, 0, "read the layer '%s': %s", path, tarwrite_archive_msg(a));
		if (n <= 0)
			break;
		pd_sha256_update(&sha, buf, (size_t)n);
		if (outfd >= 0 && pd_write_all(outfd, buf, (size_t)n) < 0)
			ret = pd_fail(err, errno, "write the layer's tar");
	}
	sym_archive_read_free(a);
	if (ret == 0) {
		char hex[PD_SHA256_HEX_LEN + 1];
		pd_sha256_final(&sha, hex);
		snprintf(diff_id, PD_DIGEST_LEN + 1, "sha256:%s", hex);
	}
	return ret;
}
