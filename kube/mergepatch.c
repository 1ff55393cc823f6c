/* mergepatch.c: the merge patch between two JSON values (see mergepatch.h). */
#include "kube/mergepatch.h"

#include "core/err.h"
#include "core/limits.h"

#include <string.h>

/* Whether `v` holds a null anywhere (a merge patch carrying it would remove instead of set). */
static int has_null(const json_t *v, int depth, struct fc_err *err)
{
	const char *k;
	json_t *m;
	size_t i;
	int rc;

	if (depth > KUBE_MERGE_PATCH_MAX_DEPTH)
		return fc_err_set(err, FC_ELIMIT, "merge patch: nesting deeper than %d", KUBE_MERGE_PATCH_MAX_DEPTH);
	if (json_is_null(v))
		return fc_err_set(err, FC_EINVAL, "merge patch: a null value cannot be set by a merge patch");
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, m) {
			if ((rc = has_null(m, depth + 1, err)))
				return rc;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			if ((rc = has_null(m, depth + 1, err)))
				return rc;
		}
	}
	return FC_OK;
}

static int diff(const json_t *from, const json_t *to, int depth, json_t **out, struct fc_err *err)
{
	json_t *patch = NULL, *sub = NULL, *m;
	const char *k;
	int rc = FC_OK;

	*out = NULL;
	if (depth > KUBE_MERGE_PATCH_MAX_DEPTH)
		return fc_err_set(err, FC_ELIMIT, "merge patch: nesting deeper than %d", KUBE_MERGE_PATCH_MAX_DEPTH);
	if (!json_is_object(to) || !json_is_object(from)) {
		/* replaced whole; applied to a non-object (or to nothing) a merge patch object still drops its nulls */
		if ((rc = has_null(to, depth, err)))
			return rc;
		*out = json_deep_copy(to);
		return *out ? FC_OK : fc_err_set(err, FC_EINTERNAL, "merge patch: out of memory");
	}
	if (!(patch = json_object()))
		return fc_err_set(err, FC_EINTERNAL, "merge patch: out of memory");
	json_object_foreach((json_t *)to, k, m) {
		const json_t *old = json_object_get(from, k);

		if (old && json_equal(old, m))
			continue;
		if ((rc = diff(old, m, depth + 1, &sub, err)))
			goto out;
		/* an object member whose members all stayed gives {}: nothing to send for it */
		if (old && json_is_object(sub) && json_is_object(old) && json_object_size(sub) == 0) {
			json_decref(sub);
			sub = NULL;
			continue;
		}
		if (json_object_set_new(patch, k, sub)) {
			sub = NULL;
			rc = fc_err_set(err, FC_EINTERNAL, "merge patch: out of memory");
			goto out;
		}
		sub = NULL;
	}
	json_object_foreach((json_t *)from, k, m) {
		if (!json_object_get(to, k) && json_object_set_new(patch, k, json_null())) {
			rc = fc_err_set(err, FC_EINTERNAL, "merge patch: out of memory");
			goto out;
		}
	}
	*out = patch;
	patch = NULL;
out:
	json_decref(patch);
	return rc;
}

int kube_merge_patch_diff(const json_t *from, const json_t *to, json_t **out, struct fc_err *err)
{
	if (!to)
		return fc_err_set(err, FC_EINVAL, "merge patch: no target value");
	return diff(from, to, 0, out, err);
}
