/* Image list filters for `images` (see image-filter.h).  Runs in the CLI
 * process, unprivileged as far as it goes: it reads the store through
 * pd_image_list and pd_image_find and decides the rest over the records.
 *
 * Ordering: intermediate and dangling are judged on every image and all
 * its names, before reference patterns take names away. */
#include <fnmatch.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/image-filter.h"
#include "core/images.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

void pd_image_filter_init(struct pd_image_filter *f)
{
	*f = (struct pd_image_filter){ .dangling = -1 };
}

void pd_image_filter_clear(struct pd_image_filter *f)
{
	strv_free(f->labels);
	strv_free(f->refs);
	strv_free(f->before);
	strv_free(f->since);
	pd_image_filter_init(f);
}

static int parse_bool(const char *s)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1"))
		return 1;
	if (!strcasecmp(s, "false") || !strcmp(s, "0"))
		return 0;
	return -1;
}

int pd_image_filter_add(struct pd_image_filter *f, const char *spec, struct pd_err **err)
{
	const char *eq = strchr(spec, '=');
	if (!eq || eq == spec)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "bad format of filter '%s' (expected name=value)",
				    spec);
	_cleanup_free_ char *key = xstrndup(spec, (size_t)(eq - spec));
	const char *val = eq + 1;
	if (!strcmp(key, "dangling")) {
		int b = parse_bool(val);
		if (b < 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0,
					    "invalid filter 'dangling=%s' (true or false)", val);
		/* Docker: both dangling=true and dangling=false given keep nothing
		 * consistent; the last one wins. */
		f->dangling = b;
		return 0;
	}
	if (!*val)
		return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid filter '%s': empty value", spec);
	if (!strcmp(key, "label")) {
		if (*val == '=')
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid filter '%s': empty label key",
					    spec);
		strv_push(&f->labels, val);
	} else if (!strcmp(key, "reference")) {
		strv_push(&f->refs, val);
	} else if (!strcmp(key, "before")) {
		strv_push(&f->before, val);
	} else if (!strcmp(key, "since")) {
		strv_push(&f->since, val);
	} else {
		return pd_fail_kind(err, PD_ERR_USAGE, 0,
				    "invalid filter '%s' (dangling, label, reference, before, since)", key);
	}
	return 0;
}

bool pd_image_ref_match(const char *pattern, const struct pd_image_name *nm)
{
	_cleanup_free_ char *repo = pd_image_display_repo(nm->repo);
	if (!fnmatch(pattern, repo, FNM_PATHNAME))
		return true;
	if (!nm->tag || !*nm->tag)
		return false;
	_cleanup_free_ char *full = xasprintf("%s:%s", repo, nm->tag);
	return !fnmatch(pattern, full, FNM_PATHNAME);
}

static const char *layer_key(const struct pd_layer_rec *l)
{
	return l->diff_id && *l->diff_id ? l->diff_id : l->digest;
}

/* a's layers are the first layers of b (or all of them). */
static bool is_chain_prefix(const struct pd_image_rec *a, const struct pd_image_rec *b)
{
	if (a->n_layers > b->n_layers)
		return false;
	for (size_t i = 0; i < a->n_layers; i++) {
		const char *x = layer_key(&a->layers[i]), *y = layer_key(&b->layers[i]);
		if (!x || !y || strcmp(x, y))
			return false;
	}
	return true;
}

bool pd_image_is_intermediate(const struct pd_image_rec *v, size_t n, size_t i)
{
	const struct pd_image_rec *a = &v[i];
	if (a->n_names)
		return false;
	for (size_t j = 0; j < n; j++) {
		const struct pd_image_rec *b = &v[j];
		/* Only a newer image can have been built on a: an older one
		 * with a longer chain (app:1, then `FROM bb:1` + CMD unnamed) is
		 * a sibling, and the newer image dangling. */
		bool newer = b->created_ns > a->created_ns ||
			     (b->created_ns == a->created_ns && strcmp(b->id, a->id) > 0);
		if (j == i || !newer || !is_chain_prefix(a, b))
			continue;
		if (b->n_layers > a->n_layers)
			return true;
		/* The same chain: b is a step that changed only the config
		 * (LABEL, CMD, ENV) when the configs differ.  Two images of the
		 * same layers and config (a container committed twice) are not
		 * steps of each other. */
		if (strcmp(a->config ? a->config : "{}", b->config ? b->config : "{}"))
			return true;
	}
	return false;
}

/* Every "KEY" or "KEY=VALUE" in `want` is among the config's Labels. */
static bool has_labels(const char *config, char *const *want)
{
	if (!want || !*want)
		return true;
	json_auto_t *rt = json_loads(config ? config : "{}", 0, NULL);
	json_t *labels = json_object_get(rt, "Labels");
	for (char *const *w = want; *w; w++) {
		const char *eq = strchr(*w, '=');
		_cleanup_free_ char *key = eq ? xstrndup(*w, (size_t)(eq - *w)) : xstrdup(*w);
		json_t *val = json_object_get(labels, key);
		if (!val)
			return false;
		if (eq && (!json_is_string(val) || strcmp(json_string_value(val), eq + 1)))
			return false;
	}
	return true;
}

static void name_clear(struct pd_image_name *nm)
{
	free(nm->repo);
	free(nm->tag);
	free(nm->digest);
}

/* Keep only the names one of `refs` matches; false when none is left. */
static bool keep_matching_names(struct pd_image_rec *r, char *const *refs)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n_names; i++) {
		bool hit = false;
		for (char *const *p = refs; *p && !hit; p++)
			hit = pd_image_ref_match(*p, &r->names[i]);
		if (hit)
			r->names[k++] = r->names[i];
		else
			name_clear(&r->names[i]);
	}
	r->n_names = k;
	return k > 0;
}

size_t pd_image_filter_select(struct pd_image_rec *v, size_t n, const struct pd_image_filter *f,
			      int64_t since_ns, int64_t before_ns)
{
	_cleanup_free_ bool *keep = xcalloc(n ? n : 1, sizeof(bool));
	for (size_t i = 0; i < n; i++) {
		const struct pd_image_rec *r = &v[i];
		bool dangling = r->n_names == 0;
		keep[i] = (f->all || !pd_image_is_intermediate(v, n, i)) &&
			  (f->dangling < 0 || (f->dangling == 1) == dangling) && r->created_ns > since_ns &&
			  r->created_ns < before_ns && has_labels(r->config, f->labels);
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (keep[i] && f->refs && *f->refs && !keep_matching_names(&v[i], f->refs))
			keep[i] = false;
		if (!keep[i]) {
			pd_image_rec_clear(&v[i]);
			continue;
		}
		if (k != i)
			v[k] = v[i];
		k++;
	}
	return k;
}

/* The creation time of each named image: the earliest (for before) or
 * the latest (for since), so every bound holds. */
static int bound_of(const char *root, char *const *names, bool earliest, int64_t *out, struct pd_err **err)
{
	for (char *const *p = names; p && *p; p++) {
		struct pd_image img;
		int r = pd_image_find(root, *p, &img, err);
		if (r < 0)
			return -1;
		if (r > 0)
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "no such image: %s", *p);
		int64_t t = img.rec.created_ns;
		pd_image_free(&img);
		if (earliest ? t < *out : t > *out)
			*out = t;
	}
	return 0;
}

int pd_image_list_filtered(const char *root, const struct pd_image_filter *f, struct pd_image_rec **out,
			   size_t *n, struct pd_err **err)
{
	int64_t since_ns = INT64_MIN, before_ns = INT64_MAX;
	if (bound_of(root, f->before, true, &before_ns, err) < 0 ||
	    bound_of(root, f->since, false, &since_ns, err) < 0) {
		pd_err_prefix(err, "images --filter");
		return -1;
	}
	struct pd_image_rec *v = NULL;
	size_t count = 0;
	if (pd_image_list(root, &v, &count, err) < 0)
		return -1;
	*n = pd_image_filter_select(v, count, f, since_ns, before_ns);
	*out = v;
	return 0;
}
