/* Image references, auth challenges, manifests and configs (see manifest.h).
 *
 * Pure logic; runs in the CLI.  Everything parsed here comes from the
 * network or from an archive: a reference ends up in a URL, so its domain
 * and path are held to Docker's grammar (no '@', '/', '?', '#' or spaces
 * can slip into the host part); digests are sha256 only; documents are
 * parsed with duplicate keys rejected, so that two readers of one manifest
 * cannot see two different images. */
#include "image/manifest.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "image/blobs.h"
#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_V2   "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_V1   "application/vnd.docker.distribution.manifest.v1"
#define MT_OCI_INDEX   "application/vnd.oci.image.index.v1+json"
#define MT_OCI_IMAGE   "application/vnd.oci.image.manifest.v1+json"

const char pd_manifest_accept[] = MT_OCI_INDEX ", " MT_DOCKER_LIST ", " MT_OCI_IMAGE ", " MT_DOCKER_V2;

/* ---- references ---- */

void pd_ref_free(struct pd_ref *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	*r = (struct pd_ref){ 0 };
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Docker's path component: [a-z0-9]+ joined by ".", "_", "__" or "-"+. */
static bool valid_component(const char *s, size_t n)
{
	if (!n || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (is_lower_alnum(s[i]))
			continue;
		if (s[i] == '.' || s[i] == '_') {
			size_t run = 1;
			while (i + run < n && s[i + run] == '_' && s[i] == '_')
				run++;
			if (run > 2 || !is_lower_alnum(s[i + run]))
				return false;
			i += run - 1;
		} else if (s[i] == '-') {
			while (i + 1 < n && s[i + 1] == '-')
				i++;
		} else {
			return false;
		}
	}
	return true;
}

static bool valid_path(const char *p)
{
	if (strlen(p) > 255)
		return false;
	for (const char *s = p;;) {
		const char *e = strchrnul(s, '/');
		if (!valid_component(s, (size_t)(e - s)))
			return false;
		if (!*e)
			return true;
		s = e + 1;
	}
}

/* host[:port] with DNS-ish labels, or [ipv6][:port]. */
static bool valid_domain(const char *d)
{
	size_t n = strlen(d);
	if (!n || n > 255)
		return false;
	const char *port = NULL;
	if (d[0] == '[') {
		const char *close = strchr(d, ']');
		if (!close || strspn(d + 1, "0123456789abcdefABCDEF:.") != (size_t)(close - d - 1))
			return false;
		if (close[1] && close[1] != ':')
			return false;
		port = close[1] ? close + 2 : NULL;
	} else {
		const char *colon = strchr(d, ':');
		size_t hl = colon ? (size_t)(colon - d) : n;
		for (size_t i = 0; i < hl; i++)
			if (!isalnum((unsigned char)d[i]) && d[i] != '.' && d[i] != '-')
				return false;
		if (!hl || d[0] == '-' || d[0] == '.')
			return false;
		port = colon ? colon + 1 : NULL;
	}
	if (port && (!*port || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port)))
		return false;
	return true;
}

static bool valid_tag(const char *t)
{
	size_t n = strlen(t);
	if (!n || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)t[i]) && !strchr("_.-", t[i]))
			return false;
	return true;
}

int pd_ref_parse(const char *s, struct pd_ref *r, struct pd_err **err)
{
	*r = (struct pd_ref){ 0 };
	_cleanup_free_ char *name = xstrdup(s);
	char *at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!pd_digest_valid(at + 1))
			return pd_fail_kind(
			    err, PD_ERR_USAGE, 0,
			    "invalid reference '%s': the digest must be sha256:<64 hex digits>", s);
		r->digest = xstrdup(at + 1);
	}
	char *slash = strchr(name, '/');
	char *colon = strrchr(name, ':');
	if (colon && (!slash || colon > strrchr(name, '/'))) {
		*colon = '\0';
		if (!valid_tag(colon + 1)) {
			pd_ref_free(r);
			return pd_fail_kind(err, PD_ERR_USAGE, 0, "invalid reference '%s': bad tag '%s'", s,
					    colon + 1);
		}
		r->tag = xstrdup(colon + 1);
	}
	slash = strchr(name, '/');
	const char *path = name;
	if (slash &&
	    (memchr(name, '.', (size_t)(slash - name)) || memchr(name, ':', (size_t)(slash - name)) ||
	     ((size_t)(slash - name) == 9 && !strncmp(name, "localhost", 9)) || name[0] == '[')) {
		*slash = '\0';
		r->domain = xstrdup(name);
		path = slash + 1;
	} else {
		r->domain = xstrdup(PD_DEFAULT_REGISTRY);
	}
	if (!strcmp(r->domain, "index.docker.io") || !strcmp(r->domain, "registry-1.docker.io")) {
		free(r->domain);
		r->domain = xstrdup(PD_DEFAULT_REGISTRY);
	}
	if (!strcmp(r->domain, PD_DEFAULT_REGISTRY) && !strchr(path, '/'))
		r->path = xasprintf("library/%s", path);
	else
		r->path = xstrdup(path);
	if (!valid_domain(r->domain) || !valid_path(r->path)) {
		pd_ref_free(r);
		return pd_fail_kind(
		    err, PD_ERR_USAGE, 0,
		    "invalid reference '%s' (want [REGISTRY[:PORT]/]NAME[:TAG][@sha256:DIGEST], "
		    "lowercase)",
		    s);
	}
	if (!r->tag && !r->digest)
		r->tag = xstrdup("latest");
	return 0;
}

char *pd_ref_repo(const struct pd_ref *r)
{
	return xasprintf("%s/%s", r->domain, r->path);
}

char *pd_ref_name(const struct pd_ref *r)
{
	if (r->tag)
		return xasprintf("%s/%s:%s", r->domain, r->path, r->tag);
	return xasprintf("%s/%s@%s", r->domain, r->path, r->digest);
}

const char *pd_ref_api_host(const struct pd_ref *r)
{
	return strcmp(r->domain, PD_DEFAULT_REGISTRY) ? r->domain : "registry-1.docker.io";
}

bool pd_ref_is_loopback(const struct pd_ref *r)
{
	const char *d = r->domain;
	size_t hl = d[0] == '[' ? (size_t)(strchr(d, ']') - d + 1) : strcspn(d, ":");
	if (hl == 9 && !strncmp(d, "localhost", 9))
		return true;
	if (hl == 5 && !strncmp(d, "[::1]", 5))
		return true;
	return hl > 4 && !strncmp(d, "127.", 4) && strspn(d, "0123456789.") == hl;
}

/* ---- WWW-Authenticate ---- */

void pd_challenge_free(struct pd_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	*c = (struct pd_challenge){ 0 };
}

int pd_challenge_parse(const char *h, struct pd_challenge *c, struct pd_err **err)
{
	*c = (struct pd_challenge){ 0 };
	while (*h == ' ')
		h++;
	size_t sl = strcspn(h, " ");
	if (sl == 5 && !strncasecmp(h, "Basic", 5)) {
		c->basic = true;
		return 0;
	}
	if (sl != 6 || strncasecmp(h, "Bearer", 6))
		return pd_fail(err, 0, "unsupported authentication scheme '%.*s'", (int)(sl > 20 ? 20 : sl),
			       h);
	c->bearer = true;
	const char *p = h + sl;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		size_t kl = strcspn(p, "=, ");
		const char *key = p;
		p += kl;
		if (*p != '=')
			break;
		p++;
		_cleanup_free_ char *val = xmalloc(strlen(p) + 1);
		size_t vl = 0;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				val[vl++] = *p;
			}
			if (*p != '"') {
				pd_challenge_free(c);
				return pd_fail(err, 0,
					       "malformed authentication challenge (unterminated quote)");
			}
			p++;
		} else {
			while (*p && *p != ',' && *p != ' ')
				val[vl++] = *p++;
		}
		val[vl] = '\0';
		char **slot = kl == 5 && !strncasecmp(key, "realm", 5)	   ? &c->realm
			      : kl == 7 && !strncasecmp(key, "service", 7) ? &c->service
			      : kl == 5 && !strncasecmp(key, "scope", 5)   ? &c->scope
									   : NULL;
		if (slot) {
			free(*slot);
			*slot = take_ptr(&val);
		}
	}
	if (!c->realm || (strncmp(c->realm, "https://", 8) && strncmp(c->realm, "http://", 7))) {
		pd_challenge_free(c);
		return pd_fail(err, 0, "authentication challenge without an http(s) realm");
	}
	return 0;
}

/* ---- manifests ---- */

static void desc_free(struct pd_descriptor *d)
{
	free(d->media_type);
	free(d->digest);
	free(d->os);
	free(d->arch);
	free(d->variant);
}

void pd_manifest_free(struct pd_manifest *m)
{
	desc_free(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		desc_free(&m->layers[i]);
	for (size_t i = 0; i < m->n_manifests; i++)
		desc_free(&m->manifests[i]);
	free(m->layers);
	free(m->manifests);
	*m = (struct pd_manifest){ 0 };
}

static char *dup_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

static int parse_desc(json_t *o, const char *what, struct pd_descriptor *d, struct pd_err **err)
{
	json_t *size = json_object_get(o, "size");
	if (!json_is_object(o))
		return pd_fail(err, 0, "%s is not an object", what);
	d->media_type = dup_str(o, "mediaType");
	d->digest = dup_str(o, "digest");
	if (!pd_digest_valid(d->digest))
		return pd_fail(err, 0, "%s: unsupported or missing digest '%s'", what,
			       d->digest ? d->digest : "");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return pd_fail(err, 0, "%s: missing or negative size", what);
	d->size = (uint64_t)json_integer_value(size);
	json_t *plat = json_object_get(o, "platform");
	if (json_is_object(plat)) {
		d->os = dup_str(plat, "os");
		d->arch = dup_str(plat, "architecture");
		d->variant = dup_str(plat, "variant");
	}
	return 0;
}

static void json_putp(json_t **j)
{
	if (*j)
		json_decref(*j);
}

static json_t *load_json(const char *body, size_t len, const char *what, struct pd_err **err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		pd_fail(err, 0, "%s is not valid JSON: %s", what, je.text);
	else if (!json_is_object(j)) {
		json_decref(j);
		j = NULL;
		pd_fail(err, 0, "%s is not a JSON object", what);
	}
	return j;
}

int pd_manifest_parse(const char *body, size_t len, const char *content_type, struct pd_manifest *m,
		      struct pd_err **err)
{
	*m = (struct pd_manifest){ 0 };
	_cleanup_(json_putp) json_t *j = load_json(body, len, "manifest", err);
	if (!j)
		return -1;
	const char *mt = json_string_value(json_object_get(j, "mediaType"));
	_cleanup_free_ char *ct = content_type ? xstrndup(content_type, strcspn(content_type, "; ")) : NULL;
	if (!mt)
		mt = ct && strcmp(ct, "application/json") && strcmp(ct, "text/plain") ? ct : NULL;
	json_t *schema = json_object_get(j, "schemaVersion");
	if ((mt && str_has_prefix(mt, MT_DOCKER_V1)) ||
	    (json_is_integer(schema) && json_integer_value(schema) == 1))
		return pd_fail(err, 0,
			       "Docker schema 1 manifests are not supported (push the image again with "
			       "a current client)");
	json_t *layers = json_object_get(j, "layers");
	json_t *manifests = json_object_get(j, "manifests");
	if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST)))
		m->is_index = true;
	else if (mt && strcmp(mt, MT_OCI_IMAGE) && strcmp(mt, MT_DOCKER_V2))
		return pd_fail(err, 0, "unsupported manifest type '%s'", mt);
	else if (!mt)
		m->is_index = json_is_array(manifests) && !layers;
	int ret = 0;
	if (m->is_index) {
		if (!json_is_array(manifests) || json_array_size(manifests) > 1024)
			return pd_fail(err, 0, "index without a valid 'manifests' list");
		m->manifests = xcalloc(json_array_size(manifests) + 1, sizeof(*m->manifests));
		for (size_t i = 0; i < json_array_size(manifests) && ret == 0; i++, m->n_manifests++)
			ret = parse_desc(json_array_get(manifests, i), "index entry", &m->manifests[i], err);
	} else {
		if (!json_is_array(layers))
			ret = pd_fail(err, 0, "manifest without a 'layers' list");
		else if (json_array_size(layers) > PD_MAX_LAYERS)
			ret = pd_fail(err, 0, "manifest with %zu layers (at most %d are supported)",
				      json_array_size(layers), PD_MAX_LAYERS);
		if (ret == 0)
			ret = parse_desc(json_object_get(j, "config"), "manifest config", &m->config, err);
		if (ret == 0)
			m->layers = xcalloc(json_array_size(layers) + 1, sizeof(*m->layers));
		for (size_t i = 0; ret == 0 && i < json_array_size(layers); i++, m->n_layers++) {
			struct pd_descriptor *d = &m->layers[i];
			ret = parse_desc(json_array_get(layers, i), "layer", d, err);
			/* tar, tar+gzip, tar+zstd, Docker's tar.gzip; foreign
			 * (Windows) layers live elsewhere and are refused. */
			if (ret == 0 &&
			    (!d->media_type || !strstr(d->media_type, "tar") ||
			     strstr(d->media_type, "foreign") || strstr(d->media_type, "nondistributable")))
				ret = pd_fail(err, 0, "layer %s has an unsupported type '%s'", d->digest,
					      d->media_type ? d->media_type : "");
		}
	}
	if (ret < 0)
		pd_manifest_free(m);
	return ret;
}

const char *pd_host_arch(void)
{
	static const struct {
		const char *uname, *oci;
	} map[] = {
		{ "x86_64", "amd64" },	  { "aarch64", "arm64" }, { "armv7l", "arm" },
		{ "armv6l", "arm" },	  { "i686", "386" },	  { "i386", "386" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" },	  { "riscv64", "riscv64" },
	};
	static char arch[65];
	if (!arch[0]) {
		struct utsname u;
		snprintf(arch, sizeof(arch), "%s", uname(&u) == 0 ? u.machine : "unknown");
		for (size_t i = 0; i < ARRAY_SIZE(map); i++)
			if (!strcmp(arch, map[i].uname))
				snprintf(arch, sizeof(arch), "%s", map[i].oci);
	}
	return arch;
}

const char *pd_host_variant(void)
{
	struct utsname u;
	if (uname(&u) < 0)
		return NULL;
	if (!strcmp(u.machine, "armv7l"))
		return "v7";
	if (!strcmp(u.machine, "armv6l"))
		return "v6";
	return NULL;
}

const struct pd_descriptor *pd_index_select(const struct pd_manifest *m, const char *arch,
					    const char *variant, struct pd_err **err)
{
	const struct pd_descriptor *best = NULL;
	for (size_t i = 0; i < m->n_manifests; i++) {
		const struct pd_descriptor *d = &m->manifests[i];
		if (!d->os || strcmp(d->os, "linux") || !d->arch || strcmp(d->arch, arch))
			continue;
		if (variant && d->variant && strcmp(variant, d->variant))
			continue;
		if (!best || (variant && d->variant && !best->variant))
			best = d;
	}
	if (best)
		return best;
	_cleanup_free_ char *have = xstrdup("");
	for (size_t i = 0; i < m->n_manifests && i < 16; i++) {
		const struct pd_descriptor *d = &m->manifests[i];
		if (!d->os || !d->arch || !strcmp(d->os, "unknown"))
			continue;
		char *n = xasprintf("%s%s%s/%s%s%s", have, *have ? ", " : "", d->os, d->arch,
				    d->variant ? "/" : "", d->variant ? d->variant : "");
		free(have);
		have = n;
	}
	pd_fail(err, 0, "no image for linux/%s%s%s (the index offers: %s)", arch, variant ? "/" : "",
		variant ? variant : "", *have ? have : "nothing");
	return NULL;
}

/* ---- image configs ---- */

void pd_image_config_free(struct pd_image_config *c)
{
	strv_free(c->entrypoint);
	strv_free(c->cmd);
	strv_free(c->env);
	free(c->workdir);
	free(c->user);
	free(c->stop_signal);
	free(c->os);
	free(c->arch);
	free(c->runtime_json);
	strv_free(c->diff_ids);
	*c = (struct pd_image_config){ 0 };
}

/* A JSON array of strings; NULL (and no error) when absent or null. */
static int strv_of(json_t *a, const char *what, char ***out, struct pd_err **err)
{
	*out = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > 65536)
		return pd_fail(err, 0, "image config: %s is not a list of strings", what);
	char **v = xcalloc(1, sizeof(char *));
	size_t i;
	json_t *s;
	json_array_foreach(a, i, s)
	{
		if (!json_is_string(s)) {
			strv_free(v);
			return pd_fail(err, 0, "image config: %s is not a list of strings", what);
		}
		strv_push(&v, json_string_value(s));
	}
	*out = v;
	return 0;
}

static char *nonempty_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && *s ? xstrdup(s) : NULL;
}

static int parse_runtime(json_t *cfg, struct pd_image_config *c, struct pd_err **err)
{
	if (cfg && !json_is_object(cfg) && !json_is_null(cfg))
		return pd_fail(err, 0, "image config: 'config' is not an object");
	if (!json_is_object(cfg))
		return 0;
	if (strv_of(json_object_get(cfg, "Entrypoint"), "Entrypoint", &c->entrypoint, err) < 0 ||
	    strv_of(json_object_get(cfg, "Cmd"), "Cmd", &c->cmd, err) < 0 ||
	    strv_of(json_object_get(cfg, "Env"), "Env", &c->env, err) < 0)
		return -1;
	for (size_t i = 0; c->env && c->env[i]; i++)
		if (!strchr(c->env[i], '=') || c->env[i][0] == '=')
			return pd_fail(err, 0, "image config: invalid Env entry '%.64s'", c->env[i]);
	c->workdir = nonempty_str(cfg, "WorkingDir");
	c->user = nonempty_str(cfg, "User");
	c->stop_signal = nonempty_str(cfg, "StopSignal");
	if (c->workdir &&
	    (c->workdir[0] != '/' || strstr(c->workdir, "/../") || str_has_suffix(c->workdir, "/..")))
		return pd_fail(err, 0,
			       "image config: WorkingDir '%.64s' is not an absolute path without '..'",
			       c->workdir);
	return 0;
}

static int64_t parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return 0;
	int64_t ns = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++)
			if (digits++ < 9)
				ns = ns * 10 + (*p - '0');
		for (; digits < 9; digits++)
			ns *= 10;
	}
	int64_t off = 0;
	/* "+HH:MM": two digits each, nothing longer is read. */
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
	    p[3] == ':' && isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]))
		off = (int64_t)(((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
				((p[4] - '0') * 10 + (p[5] - '0')) * 60) *
		      (*p == '-' ? -1 : 1);
	int64_t secs = (int64_t)timegm(&tm) - off;
	/* Nanoseconds in an int64_t reach the year 2262: a date beyond
	 * that (or before 1970) is not a creation time; shown as unknown. */
	if (secs < 0 || secs > INT64_MAX / 1000000000LL - 1)
		return 0;
	return secs * 1000000000LL + ns;
}

int pd_image_config_parse(const char *body, size_t len, struct pd_image_config *c, struct pd_err **err)
{
	*c = (struct pd_image_config){ 0 };
	_cleanup_(json_putp) json_t *j = load_json(body, len, "image config", err);
	if (!j)
		return -1;
	json_t *cfg = json_object_get(j, "config");
	json_t *diff = json_object_get(json_object_get(j, "rootfs"), "diff_ids");
	c->os = dup_str(j, "os");
	c->arch = dup_str(j, "architecture");
	c->created_ns = parse_time(json_string_value(json_object_get(j, "created")));
	c->n_diff_ids = json_is_array(diff) ? json_array_size(diff) : 0;
	if (strv_of(diff, "rootfs.diff_ids", &c->diff_ids, err) < 0 || parse_runtime(cfg, c, err) < 0) {
		pd_image_config_free(c);
		return -1;
	}
	c->runtime_json =
	    json_is_object(cfg) ? json_dumps(cfg, JSON_COMPACT | JSON_SORT_KEYS) : xstrdup("{}");
	if (!c->runtime_json)
		abort();
	return 0;
}

int pd_image_runtime_parse(const char *json, struct pd_image_config *c, struct pd_err **err)
{
	*c = (struct pd_image_config){ 0 };
	_cleanup_(json_putp) json_t *j = load_json(json, strlen(json), "stored image config", err);
	if (!j)
		return -1;
	if (parse_runtime(j, c, err) < 0) {
		pd_image_config_free(c);
		return -1;
	}
	return 0;
}
