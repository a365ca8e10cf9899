/* Small jansson helpers the core's JSON writers share (records, image
 * configs, OCI documents). */
#pragma once
#include <jansson.h>

/* A new JSON array of the strings of the NULL-terminated vector `v` (NULL:
 * an empty array). */
json_t *pd_json_strv(char *const *v);

/* The object member `key` of `o` (borrowed), made an empty object first when
 * it is missing or not an object. */
json_t *pd_json_member_object(json_t *o, const char *key);
