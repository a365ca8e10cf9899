/* Internal to oci/: reading JSON values into C types while keeping the JSON
 * path of the value at hand ("linux.resources.memory.limit"), so that every
 * error names the field.  Pure logic, any process.
 *
 * The pattern: enter a member or an element (oci_enter_key/_idx return a
 * mark), decode, oci_leave(mark).  A JSON null is the member absent (Go
 * clients write null for nil slices and pointers).  Every failure is an
 * error of kind PD_ERR_USAGE, "path: message", through oci_bad. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/spec.h"
#include "util/error.h"

struct oci_ctx {
	struct pd_err **err;
	size_t len;
	char path[256]; /* cut with "..." when longer */
};

/* Enter member `key` of the current object; returns the mark for oci_leave. */
size_t oci_enter_key(struct oci_ctx *c, const char *key);
/* Enter a member whose key came from the document (a map key): escaped and
 * cut to 64 bytes, so the error message stays printable and short. */
size_t oci_enter_user_key(struct oci_ctx *c, const char *key);
size_t oci_enter_idx(struct oci_ctx *c, size_t i);
void oci_leave(struct oci_ctx *c, size_t mark);
/* Fail with "path: message" (just the message at the root); returns -1. */
int oci_bad(struct oci_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A string from the document, escaped and cut for an error message; the
 * caller frees it. */
char *oci_shown(const char *s);

/* Member `key`, or NULL when absent or null. */
json_t *oci_member(json_t *obj, const char *key);
/* Checks of the value at the current path (arrays: at most
 * PD_OCI_MAX_ITEMS entries). */
int oci_want_object(struct oci_ctx *c, json_t *v);
int oci_want_array(struct oci_ctx *c, json_t *v);
/* The string, or NULL with an error when `v` is not one. */
const char *oci_str_value(struct oci_ctx *c, json_t *v);
/* An integer in [min, max]. */
int oci_int_value(struct oci_ctx *c, json_t *v, int64_t min, int64_t max, int64_t *out);
/* An unsigned integer up to max.  With max == UINT64_MAX a negative integer
 * is taken as its two's complement: the loader turns integers past
 * INT64_MAX into those (see oci_load), and "-1" means "unlimited" to the
 * clients that write it. */
int oci_uint_value(struct oci_ctx *c, json_t *v, uint64_t max, uint64_t *out);

/* Optional members (untouched when absent); *out of oci_get_str and
 * oci_get_strv is a new copy the caller owns. */
int oci_get_str(struct oci_ctx *c, json_t *obj, const char *key, bool required, char **out);
int oci_get_bool(struct oci_ctx *c, json_t *obj, const char *key, bool *out);
int oci_get_i64(struct oci_ctx *c, json_t *obj, const char *key, int64_t min, int64_t max,
		struct pd_oci_i64 *out);
int oci_get_u64(struct oci_ctx *c, json_t *obj, const char *key, uint64_t max, struct pd_oci_u64 *out);
int oci_get_strv(struct oci_ctx *c, json_t *obj, const char *key, char ***out);
/* A member that is only recorded as present; it must still be an object. */
int oci_get_present_object(struct oci_ctx *c, json_t *obj, const char *key, bool *present);
/* Fail with "KEY: required" (KEY under the current path); -1. */
int oci_missing(struct oci_ctx *c, const char *key);
/* Required members: "required" when absent. */
int oci_req_i64(struct oci_ctx *c, json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out);
int oci_req_u64(struct oci_ctx *c, json_t *obj, const char *key, uint64_t max, uint64_t *out);
int oci_req_u32(struct oci_ctx *c, json_t *obj, const char *key, uint32_t *out);
/* The value at the current path: an array of strings into a new
 * NULL-terminated vector; an object of strings appended to *out / *n. */
int oci_decode_strv(struct oci_ctx *c, json_t *v, char ***out);
int oci_decode_kv(struct oci_ctx *c, json_t *v, struct pd_oci_kv **out, size_t *n);
void oci_free_kv(struct pd_oci_kv *kv, size_t n);

/* Decode member `key` of `obj` with fn(c, value, ...) when it is present;
 * evaluates to fn's result, or 0. */
#define OCI_DECODE_MEMBER(c, obj, key, fn, ...)                                                              \
	({                                                                                                   \
		json_t *v_ = oci_member((obj), (key));                                                       \
		int r_ = 0;                                                                                  \
		if (v_) {                                                                                    \
			size_t m_ = oci_enter_key((c), (key));                                               \
			r_ = fn((c), v_, __VA_ARGS__);                                                       \
			oci_leave((c), m_);                                                                  \
		}                                                                                            \
		r_;                                                                                          \
	})

/* Read a document of at most PD_OCI_MAX_JSON bytes (`what` names it in
 * errors: "the config"): integers past INT64_MAX widened as above,
 * duplicate keys refused, an object at the root.  NULL with *err set on
 * failure; the caller json_decref()s the result. */
json_t *oci_load(const char *json, size_t len, const char *what, struct pd_err **err);

/* Across the decoder's files (spec.c, spec-linux.c). */
int oci_decode_idmaps(struct oci_ctx *c, json_t *v, struct pd_oci_idmap **out, size_t *n);
/* MS_PRIVATE, MS_SLAVE | MS_REC, ... for "private", "rslave", ...; 0 when
 * the name is not a propagation. */
unsigned long oci_propagation_flags(const char *name);
int oci_decode_linux(struct oci_ctx *c, json_t *v, struct pd_oci_spec *s);
int oci_decode_resources(struct oci_ctx *c, json_t *v, struct pd_oci_resources *res);
void oci_free_linux(struct pd_oci_linux *l);
