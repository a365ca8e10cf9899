/* The typed reading of JSON values with their path, for the OCI decoders
 * (see decode.h).  Pure logic, any process. */
#include "oci/decode.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/str.h"
#include "util/xalloc.h"

static void ctx_append(struct oci_ctx *c, const char *s)
{
	size_t room = sizeof(c->path) - c->len;
	int n = snprintf(c->path + c->len, room, "%s", s);
	if (n < 0 || (size_t)n >= room) {
		/* A path this long only comes from absurd nesting or keys:
		 * cut it, visibly. */
		memcpy(c->path + sizeof(c->path) - 4, "...", 4);
		c->len = sizeof(c->path) - 1;
	} else {
		c->len += (size_t)n;
	}
}

/* Enter member `key` of the current object; returns the mark for oci_leave(). */
size_t oci_enter_key(struct oci_ctx *c, const char *key)
{
	size_t mark = c->len;
	if (c->len)
		ctx_append(c, ".");
	ctx_append(c, key);
	return mark;
}

/* Enter a member whose key came from the document (a map key): escaped,
 * and cut at 64 bytes, so an error message stays printable and short. */
size_t oci_enter_user_key(struct oci_ctx *c, const char *key)
{
	_cleanup_free_ char *esc = str_escape(key);
	if (strlen(esc) > 64)
		memcpy(esc + 61, "...", 4);
	return oci_enter_key(c, esc);
}

size_t oci_enter_idx(struct oci_ctx *c, size_t i)
{
	size_t mark = c->len;
	char buf[32];
	snprintf(buf, sizeof(buf), "[%zu]", i);
	ctx_append(c, buf);
	return mark;
}

void oci_leave(struct oci_ctx *c, size_t mark)
{
	c->len = mark;
	c->path[mark] = '\0';
}

/* "path: message" (just the message at the root); returns -1. */
int oci_bad(struct oci_ctx *c, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (c->len)
		return pd_fail_kind(c->err, PD_ERR_USAGE, 0, "%s: %s", c->path, msg);
	return pd_fail_kind(c->err, PD_ERR_USAGE, 0, "%s", msg);
}

/* A string from the document, escaped and cut for an error message. */
char *oci_shown(const char *s)
{
	char *e = str_escape(s);
	if (strlen(e) > 80)
		memcpy(e + 77, "...", 4);
	return e;
}

/* Member `key`, or NULL when absent or null (null is "absent": Go clients
 * write it for nil slices and pointers). */
json_t *oci_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return v && !json_is_null(v) ? v : NULL;
}

int oci_want_object(struct oci_ctx *c, json_t *v)
{
	return json_is_object(v) ? 0 : oci_bad(c, "want an object");
}

int oci_want_array(struct oci_ctx *c, json_t *v)
{
	if (!json_is_array(v))
		return oci_bad(c, "want an array");
	if (json_array_size(v) > PD_OCI_MAX_ITEMS)
		return oci_bad(c, "%zu entries (at most %d)", json_array_size(v), PD_OCI_MAX_ITEMS);
	return 0;
}

/* A string value; NULL with an error when it is not one. */
const char *oci_str_value(struct oci_ctx *c, json_t *v)
{
	if (!json_is_string(v)) {
		oci_bad(c, "want a string");
		return NULL;
	}
	return json_string_value(v);
}

int oci_get_str(struct oci_ctx *c, json_t *obj, const char *key, bool required, char **out)
{
	json_t *v = oci_member(obj, key);
	size_t m = oci_enter_key(c, key);
	int r = 0;
	if (!v) {
		if (required)
			r = oci_bad(c, "required");
	} else {
		const char *s = oci_str_value(c, v);
		if (s)
			*out = xstrdup(s);
		else
			r = -1;
	}
	oci_leave(c, m);
	return r;
}

int oci_get_bool(struct oci_ctx *c, json_t *obj, const char *key, bool *out)
{
	json_t *v = oci_member(obj, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v)) {
		size_t m = oci_enter_key(c, key);
		int r = oci_bad(c, "want true or false");
		oci_leave(c, m);
		return r;
	}
	*out = json_is_true(v);
	return 0;
}

/* An integer in [min, max]. */
int oci_int_value(struct oci_ctx *c, json_t *v, int64_t min, int64_t max, int64_t *out)
{
	if (json_is_integer(v)) {
		int64_t x = json_integer_value(v);
		if (x >= min && x <= max) {
			*out = x;
			return 0;
		}
	}
	if (min == INT64_MIN && max == INT64_MAX)
		return oci_bad(c, "want an integer");
	if (min == 0 && max == INT64_MAX)
		return oci_bad(c, "want a non-negative integer");
	return oci_bad(c, "want an integer from %" PRId64 " to %" PRId64, min, max);
}

/* An unsigned 64-bit integer up to max.  Values past 2^63 reach here as
 * their two's complement (see widen_big_ints), so with max == UINT64_MAX a
 * negative integer is taken as that: -1 is UINT64_MAX, which is also what
 * "-1" means to the clients that write it (unlimited). */
int oci_uint_value(struct oci_ctx *c, json_t *v, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v)) {
		int64_t x = json_integer_value(v);
		if (x >= 0 && (uint64_t)x <= max) {
			*out = (uint64_t)x;
			return 0;
		}
		if (x < 0 && max == UINT64_MAX) {
			*out = (uint64_t)x;
			return 0;
		}
	}
	if (max == UINT64_MAX)
		return oci_bad(c, "want a non-negative integer");
	return oci_bad(c, "want an integer from 0 to %" PRIu64, max);
}

int oci_get_i64(struct oci_ctx *c, json_t *obj, const char *key, int64_t min, int64_t max,
		struct pd_oci_i64 *out)
{
	json_t *v = oci_member(obj, key);
	if (!v)
		return 0;
	size_t m = oci_enter_key(c, key);
	int r = oci_int_value(c, v, min, max, &out->val);
	oci_leave(c, m);
	out->set = r == 0;
	return r;
}

int oci_get_u64(struct oci_ctx *c, json_t *obj, const char *key, uint64_t max, struct pd_oci_u64 *out)
{
	json_t *v = oci_member(obj, key);
	if (!v)
		return 0;
	size_t m = oci_enter_key(c, key);
	int r = oci_uint_value(c, v, max, &out->val);
	oci_leave(c, m);
	out->set = r == 0;
	return r;
}

int oci_missing(struct oci_ctx *c, const char *key)
{
	size_t m = oci_enter_key(c, key);
	int r = oci_bad(c, "required");
	oci_leave(c, m);
	return r;
}

/* A required integer member. */
int oci_req_i64(struct oci_ctx *c, json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
	struct pd_oci_i64 v = { 0 };
	if (oci_get_i64(c, obj, key, min, max, &v) < 0)
		return -1;
	if (!v.set)
		return oci_missing(c, key);
	*out = v.val;
	return 0;
}

int oci_req_u64(struct oci_ctx *c, json_t *obj, const char *key, uint64_t max, uint64_t *out)
{
	struct pd_oci_u64 v = { 0 };
	if (oci_get_u64(c, obj, key, max, &v) < 0)
		return -1;
	if (!v.set)
		return oci_missing(c, key);
	*out = v.val;
	return 0;
}

int oci_req_u32(struct oci_ctx *c, json_t *obj, const char *key, uint32_t *out)
{
	uint64_t v = 0;
	if (oci_req_u64(c, obj, key, UINT32_MAX, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* An array of strings at the current path into a NULL-terminated vector. */
int oci_decode_strv(struct oci_ctx *c, json_t *v, char ***out)
{
	if (oci_want_array(c, v) < 0)
		return -1;
	size_t n = json_array_size(v);
	char **list = xcalloc(n + 1, sizeof(*list));
	*out = list;
	for (size_t i = 0; i < n; i++) {
		size_t m = oci_enter_idx(c, i);
		const char *s = oci_str_value(c, json_array_get(v, i));
		oci_leave(c, m);
		if (!s)
			return -1;
		list[i] = xstrdup(s);
	}
	return 0;
}

int oci_get_strv(struct oci_ctx *c, json_t *obj, const char *key, char ***out)
{
	json_t *v = oci_member(obj, key);
	if (!v)
		return 0;
	size_t m = oci_enter_key(c, key);
	int r = oci_decode_strv(c, v, out);
	oci_leave(c, m);
	return r;
}

/* An object of strings at the current path. */
int oci_decode_kv(struct oci_ctx *c, json_t *v, struct pd_oci_kv **out, size_t *n)
{
	if (oci_want_object(c, v) < 0)
		return -1;
	if (json_object_size(v) > PD_OCI_MAX_ITEMS)
		return oci_bad(c, "%zu entries (at most %d)", json_object_size(v), PD_OCI_MAX_ITEMS);
	*out = xcalloc(json_object_size(v) + 1, sizeof(**out));
	const char *key;
	json_t *val;
	json_object_foreach(v, key, val)
	{
		size_t m = oci_enter_user_key(c, key);
		const char *s = oci_str_value(c, val);
		oci_leave(c, m);
		if (!s)
			return -1;
		(*out)[*n].key = xstrdup(key);
		(*out)[(*n)++].value = xstrdup(s);
	}
	return 0;
}

/* A member that is only recorded as present; it must still be an object. */
int oci_get_present_object(struct oci_ctx *c, json_t *obj, const char *key, bool *present)
{
	json_t *v = oci_member(obj, key);
	if (!v)
		return 0;
	size_t m = oci_enter_key(c, key);
	int r = oci_want_object(c, v);
	oci_leave(c, m);
	*present = r == 0;
	return r;
}

void oci_free_kv(struct pd_oci_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* ---- loading ---- */

/* jansson keeps integers as int64 and refuses bigger ones, but Go clients
 * write uint64 values up to 2^64-1 (podman's RLIM_INFINITY rlimits,
 * seccomp argument masks).  Returns a copy of the text where every integer
 * token in (INT64_MAX, UINT64_MAX] is replaced by its two's complement (so
 * 18446744073709551615 reads as -1 and the uint64 fields turn it back), or
 * NULL when there is none.  Strings are skipped; nothing else changes. */
static char *widen_big_ints(const char *json, size_t len, size_t *out_len)
{
	char *out = NULL;
	size_t o = 0, copied = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char ch = json[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == '"') {
			in_str = true;
			continue;
		}
		/* A value starts after structure or blanks; digits after
		 * '-', '.', 'e' or '+' belong to a token already seen. */
		if (!isdigit((unsigned char)ch) || (i > 0 && !strchr(" \t\r\n:[,", json[i - 1])))
			continue;
		size_t j = i;
		while (j < len && isdigit((unsigned char)json[j]))
			j++;
		bool plain = j >= len || !strchr(".eE", json[j]);
		if (!plain || j - i < 19 || j - i > 20 || json[i] == '0') {
			i = j - 1;
			continue;
		}
		char num[21];
		memcpy(num, json + i, j - i);
		num[j - i] = '\0';
		errno = 0;
		unsigned long long n = strtoull(num, NULL, 10);
		if (errno || n <= (unsigned long long)INT64_MAX) {
			i = j - 1;
			continue;
		}
		if (!out)
			out = xmalloc(len + len / 19 + 2);
		memcpy(out + o, json + copied, i - copied);
		o += i - copied;
		o += (size_t)sprintf(out + o, "%" PRId64, (int64_t)n);
		copied = j;
		i = j - 1;
	}
	if (!out)
		return NULL;
	memcpy(out + o, json + copied, len - copied);
	o += len - copied;
	out[o] = '\0';
	*out_len = o;
	return out;
}

json_t *oci_load(const char *json, size_t len, const char *what, struct pd_err **err)
{
	if (len > PD_OCI_MAX_JSON) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "%s is %zu bytes (at most %u)", what, len,
			     PD_OCI_MAX_JSON);
		return NULL;
	}
	size_t wlen = 0;
	_cleanup_free_ char *widened = widen_big_ints(json, len, &wlen);
	json_error_t je;
	json_t *j = json_loadb(widened ? widened : json, widened ? wlen : len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		pd_fail_kind(err, PD_ERR_USAGE, 0, "%s is not valid JSON: line %d column %d: %s", what,
			     je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		pd_fail_kind(err, PD_ERR_USAGE, 0, "%s is not a JSON object", what);
		return NULL;
	}
	return j;
}
