/* Disk usage of the state root (see usage.h).  Runs in the CLI; reads the
 * store through query.h and images.h, and walks directories with nftw
 * (read-only, any privilege that can read the state root). */
#include "core/usage.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/images.h"
#include "core/query.h"
#include "image/layers.h"
#include "linux/cgroup.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/xalloc.h"

/* nftw passes no context: the walk's state, for one walk at a time (the
 * CLI is single-threaded).  Files with several links are counted once:
 * they are collected and sorted after the walk (a container may make
 * hundreds of thousands of links; no search per link). */
struct linked_file {
	dev_t dev;
	ino_t ino;
	uint64_t size;
};
static struct {
	uint64_t bytes;
	struct linked_file *linked;
	size_t n, cap;
} tree_walk;

static int count_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_F && type != FTW_SL)
		return 0;
	if (st->st_nlink <= 1) {
		tree_walk.bytes += (uint64_t)st->st_size;
		return 0;
	}
	if (tree_walk.n == tree_walk.cap) {
		tree_walk.cap = tree_walk.cap ? tree_walk.cap * 2 : 64;
		tree_walk.linked = xrealloc(tree_walk.linked, tree_walk.cap * sizeof(*tree_walk.linked));
	}
	tree_walk.linked[tree_walk.n++] =
	    (struct linked_file){ .dev = st->st_dev, .ino = st->st_ino, .size = (uint64_t)st->st_size };
	return 0;
}

static int cmp_linked(const void *a, const void *b)
{
	const struct linked_file *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int pd_tree_size(const char *dir, uint64_t *out, struct pd_err **err)
{
	*out = 0;
	if (!pd_is_dir(dir))
		return 0;
	tree_walk.bytes = 0;
	/* FTW_PHYS: a symlink in the tree (a container wrote it) is counted,
	 * never followed; FTW_MOUNT: stay on the tree's file system. */
	int r = nftw(dir, count_entry, 16, FTW_PHYS | FTW_MOUNT);
	uint64_t bytes = tree_walk.bytes;
	if (tree_walk.n)
		qsort(tree_walk.linked, tree_walk.n, sizeof(*tree_walk.linked), cmp_linked);
	for (size_t k = 0; k < tree_walk.n; k++)
		if (k == 0 || cmp_linked(&tree_walk.linked[k - 1], &tree_walk.linked[k]))
			bytes += tree_walk.linked[k].size;
	free(tree_walk.linked);
	tree_walk.linked = NULL, tree_walk.n = tree_walk.cap = 0;
	if (r < 0)
		return pd_fail(err, errno, "read '%s'", dir);
	*out = bytes;
	return 0;
}

/* The layers of every image, each measured once (every extraction, root
 * and rootless, that exist), in the order first seen. */
struct layer_size {
	const char *digest; /* borrowed from an image record */
	uint64_t size;
	size_t images; /* how many images stack it */
	bool active;   /* an image in use stacks it */
};

static struct layer_size *find_layer(struct layer_size *v, size_t n, const char *digest)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].digest, digest))
			return &v[i];
	return NULL;
}

static int measure_layer(const char *root, struct layer_size *l, struct pd_err **err)
{
	for (int v = 0; v < PD_LAYER_N_VARIANTS; v++) {
		_cleanup_free_ char *p = pd_layer_path(root, l->digest, v);
		uint64_t sz = 0;
		/* A -subids tree may hold directories only a subordinate id
		 * may enter: its size is what the caller can see. */
		if (p && pd_tree_size(p, &sz, v == PD_LAYER_SUBIDS ? pd_err_ignore(optional) : err) < 0 &&
		    v != PD_LAYER_SUBIDS)
			return -1;
		l->size += p ? sz : 0;
	}
	return 0;
}

static int measure_images(const char *root, struct pd_usage *u, struct pd_err **err)
{
	struct layer_size *layers = NULL;
	size_t nl = 0;
	int ret = 0;
	for (size_t i = 0; i < u->n_images && ret == 0; i++) {
		const struct pd_image_rec *r = &u->images[i].rec;
		for (size_t k = 0; k < r->n_layers && ret == 0; k++) {
			struct layer_size *l = find_layer(layers, nl, r->layers[k].digest);
			if (!l) {
				layers = xrealloc(layers, (nl + 1) * sizeof(*layers));
				l = &layers[nl++];
				*l = (struct layer_size){ .digest = r->layers[k].digest };
				ret = measure_layer(root, l, err);
			}
			l->images++;
			l->active |= u->images[i].containers > 0;
		}
	}
	for (size_t i = 0; i < u->n_images && ret == 0; i++) {
		struct pd_usage_image *im = &u->images[i];
		for (size_t k = 0; k < im->rec.n_layers; k++) {
			const struct layer_size *l = find_layer(layers, nl, im->rec.layers[k].digest);
			im->size += l->size;
			im->shared += l->images > 1 ? l->size : 0;
		}
		u->active_images += im->containers > 0;
	}
	for (size_t k = 0; k < nl && ret == 0; k++) {
		u->images_size += layers[k].size;
		u->images_reclaimable += layers[k].active ? 0 : layers[k].size;
	}
	free(layers);
	return ret;
}

static int measure_cache(const char *root, struct pd_usage *u, struct pd_err **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/cache/rootfs", root);
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : pd_fail(err, errno, "open '%s'", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.') /* ".", "..", and extractions under way */
			continue;
		_cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
		uint64_t sz;
		if (pd_tree_size(p, &sz, err) < 0)
			return -1;
		u->cache_entries++;
		u->cache_size += sz;
	}
	return 0;
}

int pd_usage_get(const char *root, struct pd_usage *u, struct pd_err **err)
{
	*u = (struct pd_usage){ 0 };
	struct pd_image_rec *imgs = NULL;
	size_t ni = 0, nc = 0;
	if (pd_image_list(root, &imgs, &ni, err) < 0)
		return -1;
	u->images = xcalloc(ni ? ni : 1, sizeof(*u->images));
	for (size_t i = 0; i < ni; i++)
		u->images[i].rec = imgs[i];
	u->n_images = ni;
	free(imgs); /* the records moved into u->images */

	struct pd_record *recs = NULL;
	if (pd_container_list(root, PD_LIST_ALL, NULL, &recs, &nc, err) < 0)
		return -1;
	u->containers = xcalloc(nc ? nc : 1, sizeof(*u->containers));
	for (size_t i = 0; i < nc; i++)
		u->containers[i].rec = recs[i];
	u->n_containers = nc;
	free(recs);

	for (size_t i = 0; i < nc; i++) {
		struct pd_usage_container *c = &u->containers[i];
		bool running = c->rec.state == PD_STATE_RUNNING || c->rec.state == PD_STATE_STOPPING;
		if (pd_container_upper_size(root, c->rec.id, &c->size, err) < 0)
			return -1;
		u->running += running;
		u->containers_size += c->size;
		u->containers_reclaimable += running ? 0 : c->size;
		/* The image it was made from: a config that no longer decodes
		 * counts for none. */
		struct pd_config cfg;
		if (pd_record_config(&c->rec, &cfg, pd_err_ignore(optional)) == 0 && cfg.image_id)
			for (size_t k = 0; k < ni; k++)
				u->images[k].containers += !strcmp(u->images[k].rec.id, cfg.image_id);
		pd_config_free(&cfg);
	}
	if (measure_images(root, u, err) < 0)
		return -1;
	return measure_cache(root, u, err);
}

void pd_usage_free(struct pd_usage *u)
{
	for (size_t i = 0; i < u->n_images; i++)
		pd_image_rec_clear(&u->images[i].rec);
	free(u->images);
	for (size_t i = 0; i < u->n_containers; i++)
		pd_record_free(&u->containers[i].rec);
	free(u->containers);
	*u = (struct pd_usage){ 0 };
}

int pd_host_cgroup_version(void)
{
	switch (pd_cg_detect()) {
	case PD_CG_V2: return 2;
	case PD_CG_V1: return 1;
	default: return 0;
	}
}
