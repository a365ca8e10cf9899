/* libFuzzer harness: the OCI runtime spec decoders of oci/spec.c, fed what
 * a bundle's author writes: config.json (pd_oci_spec_parse), an exec
 * process.json (pd_oci_process_parse) and an update's resources
 * (pd_oci_resources_parse).  The first byte picks the decoder (its value
 * mod 3: the seeds start with '0', '1' or '2'), the rest is the document.
 * Checks beyond the sanitizers: success and *err agree, a failure leaves
 * nothing to free, and a decoded document keeps the promises of spec.h
 * (required fields present, counts within PD_OCI_MAX_ITEMS, namespaces
 * known and unique, cwd and hook paths absolute, the systemd cgroupsPath
 * split back to the whole, the seccomp text valid JSON again). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oci/spec.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void agree(int r, struct pd_err *err)
{
	if ((r == 0) != (err == NULL))
		abort();
	if (err && (!err->msg || err->kind != PD_ERR_USAGE))
		abort();
}

static void check_process(const struct pd_oci_process *p)
{
	if (!p->args || !p->args[0] || !p->cwd || p->cwd[0] != '/')
		abort();
	if (p->n_rlimits > PD_OCI_MAX_ITEMS || p->n_additional_gids > PD_OCI_MAX_ITEMS)
		abort();
	for (size_t i = 0; i < p->n_rlimits; i++) {
		if (p->rlimits[i].soft > p->rlimits[i].hard)
			abort();
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[j].type == p->rlimits[i].type)
				abort();
	}
	if (p->umask.set && p->umask.val > 0777)
		abort();
	if (p->oom_score_adj.set && (p->oom_score_adj.val < -1000 || p->oom_score_adj.val > 1000))
		abort();
}

static void check_resources(const struct pd_oci_resources *r)
{
	if (r->n_devices > PD_OCI_MAX_ITEMS || r->n_unified > PD_OCI_MAX_ITEMS)
		abort();
	for (size_t i = 0; i < r->n_devices; i++) {
		const struct pd_oci_dev_rule *d = &r->devices[i];
		if (!strchr("acb", d->type) || !d->access[0] || strspn(d->access, "rwm") != strlen(d->access))
			abort();
	}
	if (r->mem_swappiness.set && r->mem_swappiness.val > 100)
		abort();
}

static void check_spec(const struct pd_oci_spec *s)
{
	if (!s->oci_version || s->version_major != 1 || !s->root_path)
		abort();
	if (s->n_mounts > PD_OCI_MAX_ITEMS || s->n_annotations > PD_OCI_MAX_ITEMS)
		abort();
	for (size_t i = 0; i < s->n_mounts; i++)
		if (!s->mounts[i].destination)
			abort();
	if (s->process)
		check_process(s->process);
	for (int k = 0; k < PD_OCI_HOOK_COUNT; k++)
		for (size_t i = 0; i < s->hooks[k].n; i++)
			if (!s->hooks[k].hooks[i].path || s->hooks[k].hooks[i].path[0] != '/')
				abort();
	const struct pd_oci_linux *l = &s->linux_cfg;
	unsigned seen = 0;
	for (size_t i = 0; i < l->n_namespaces; i++) {
		unsigned t = l->namespaces[i].type;
		if (t >= PD_OCI_NS_COUNT || (seen & (1u << t)))
			abort();
		seen |= 1u << t;
	}
	check_resources(&l->resources);
	const struct pd_oci_cgroups_path *cp = &l->cgroups_path;
	if (cp->systemd_name) {
		size_t n =
		    strlen(cp->systemd_slice) + strlen(cp->systemd_prefix) + strlen(cp->systemd_name) + 2;
		if (n != strlen(cp->path) ||
		    strncmp(cp->path, cp->systemd_slice, strlen(cp->systemd_slice)) != 0)
			abort();
	}
	if (l->has_seccomp) {
		if (!l->seccomp.json || !l->seccomp.default_action)
			abort();
		json_error_t je;
		json_t *j = json_loads(l->seccomp.json, JSON_REJECT_DUPLICATES, &je);
		if (!j || !json_is_object(j))
			abort();
		json_decref(j);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > PD_OCI_MAX_JSON + 1)
		return 0;
	const char *json = (const char *)data + 1;
	size_t len = size - 1;
	struct pd_err *err = NULL;
	int r;
	switch (data[0] % 3) {
	case 0: {
		struct pd_oci_spec s;
		r = pd_oci_spec_parse(json, len, &s, &err);
		agree(r, err);
		if (r == 0)
			check_spec(&s);
		else if (s.oci_version || s.mounts || s.process || s.root_path)
			abort();
		pd_oci_spec_free(&s);
		break;
	}
	case 1: {
		struct pd_oci_process p;
		r = pd_oci_process_parse(json, len, &p, &err);
		agree(r, err);
		if (r == 0)
			check_process(&p);
		else if (p.args || p.cwd)
			abort();
		pd_oci_process_free(&p);
		break;
	}
	default: {
		struct pd_oci_resources res;
		r = pd_oci_resources_parse(json, len, &res, &err);
		agree(r, err);
		if (r == 0)
			check_resources(&res);
		else if (res.devices || res.unified)
			abort();
		pd_oci_resources_free(&res);
		break;
	}
	}
	pd_err_free(err);
	return 0;
}
