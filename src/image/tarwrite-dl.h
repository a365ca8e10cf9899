/* libarchive as loaded by tarwrite.c, shared with layerwrite.c (its gzip
 * stream and the reading back of stored layers): one symbol table, one
 * dlopen (util/dl.h).  Internal to src/image. */
#pragma once
#include <archive.h>
#include <archive_entry.h>

#include "util/dl.h"
#include "util/error.h"

/* Every symbol loaded, as X(name): sym_<name> is its pointer. */
#define TARWRITE_LA_SYMS(X)                                                                                  \
	X(archive_write_new)                                                                                 \
	X(archive_write_free)                                                                                \
	X(archive_write_set_format_pax_restricted)                                                           \
	X(archive_write_set_format_raw)                                                                      \
	X(archive_write_add_filter_gzip)                                                                     \
	X(archive_write_set_bytes_in_last_block)                                                             \
	X(archive_write_set_bytes_per_block)                                                                 \
	X(archive_write_open)                                                                                \
	X(archive_write_open_fd)                                                                             \
	X(archive_write_header)                                                                              \
	X(archive_write_data)                                                                                \
	X(archive_write_finish_entry)                                                                        \
	X(archive_write_close)                                                                               \
	X(archive_error_string)                                                                              \
	X(archive_read_new)                                                                                  \
	X(archive_read_free)                                                                                 \
	X(archive_read_support_filter_all)                                                                   \
	X(archive_read_support_format_raw)                                                                   \
	X(archive_read_open_filename)                                                                        \
	X(archive_read_next_header)                                                                          \
	X(archive_read_data)                                                                                 \
	X(archive_entry_new)                                                                                 \
	X(archive_entry_free)                                                                                \
	X(archive_entry_clear)                                                                               \
	X(archive_entry_copy_pathname)                                                                       \
	X(archive_entry_copy_symlink)                                                                        \
	X(archive_entry_copy_hardlink)                                                                       \
	X(archive_entry_set_size)                                                                            \
	X(archive_entry_set_filetype)                                                                        \
	X(archive_entry_set_perm)                                                                            \
	X(archive_entry_set_uid)                                                                             \
	X(archive_entry_set_gid)                                                                             \
	X(archive_entry_set_mtime)                                                                           \
	X(archive_entry_set_rdev)

#define TARWRITE_LA_EXTERN(name) extern PD_DL_SYM(name);
TARWRITE_LA_SYMS(TARWRITE_LA_EXTERN)
#undef TARWRITE_LA_EXTERN

/* Open libarchive (once) and resolve every symbol above. */
int tarwrite_load_libarchive(struct pd_err **err);

/* The last error of `a` (which may be NULL), never NULL. */
const char *tarwrite_archive_msg(struct archive *a);
