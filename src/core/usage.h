/* Disk usage of the state root (`system df`, `ps -s`): images (their
 * extracted layers), containers (their writable layers) and the rootfs
 * cache.  Read-only; runs in the CLI. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/store-images.h"
#include "core/store.h"
#include "util/error.h"

/* The bytes the files under `dir` hold (regular files and symlinks, their
 * apparent size; each hard-linked inode once; symlinks not followed, mounts
 * not crossed).  0 when `dir` does not exist; -1 when it cannot be read. */
int pd_tree_size(const char *dir, uint64_t *out, struct pd_err **err);

/* One image's share of the disk. */
struct pd_usage_image {
	struct pd_image_rec rec;
	uint64_t size;	   /* its layers' directories */
	uint64_t shared;   /* of which layers another image stacks too */
	size_t containers; /* containers made from it */
};

struct pd_usage_container {
	struct pd_record rec; /* refreshed */
	uint64_t size;	      /* its writable layer (pd_container_upper_size) */
};

/* Docker's `system df` figures.  Sizes in bytes. */
struct pd_usage {
	struct pd_usage_image *images; /* newest first */
	size_t n_images, active_images;
	uint64_t images_size;	     /* every layer once */
	uint64_t images_reclaimable; /* layers no image in use stacks */

	struct pd_usage_container *containers; /* newest first */
	size_t n_containers, running;
	uint64_t containers_size, containers_reclaimable; /* reclaimable: not running */

	/* The rootfs cache (cache/rootfs/: --rootfs tarballs, extracted). */
	size_t cache_entries;
	uint64_t cache_size;
};

/* Measure everything under `root`.  Free with pd_usage_free (on failure
 * too). */
int pd_usage_get(const char *root, struct pd_usage *out, struct pd_err **err);
void pd_usage_free(struct pd_usage *u);

/* The host's cgroup version for `system info`: 2 (unified), 1 (v1 or
 * hybrid), 0 (no usable cgroup hierarchy). */
int pd_host_cgroup_version(void);
