/* Small jansson helpers (see json.h). */
#include "util/json.h"

json_t *pd_json_strv(char *const *v)
{
	json_t *a = json_array();
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

json_t *pd_json_member_object(json_t *o, const char *key)
{
	json_t *m = json_object_get(o, key);
	if (!json_is_object(m)) {
		m = json_object();
		json_object_set_new(o, key, m);
	}
	return m;
}
