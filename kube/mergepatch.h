/*
 * mergepatch.h: the JSON merge patch (RFC 7386, `application/merge-patch+json`) that turns one JSON value into
 * another, for writes that send only what changed (the operator's status writes, docs/kubernetes.md "Status").
 *
 * Members of objects are compared recursively: a member only in `to`, or whose value differs and is not an object
 * on both sides, is in the patch with its new value; a member only in `from` is in the patch as null (a merge
 * patch removes a member that way); members equal on both sides are left out. Arrays and scalars are replaced
 * whole. A merge patch cannot set a null, so `to` holding a null where the patch would carry it is refused
 * (FC_EINVAL): send the whole value instead.
 */
#ifndef KUBE_MERGEPATCH_H
#define KUBE_MERGEPATCH_H

#include "core/fc.h"

#include <jansson.h>

struct fc_err;

/*
 * The merge patch from `from` to `to` (both borrowed; `from` NULL is no value) in *out (a new reference): applying
 * it to `from` gives a value equal to `to`. When both are objects the patch is an object, `{}` when they are equal.
 * FC_EINVAL: `to` has a null the patch would have to carry; FC_ELIMIT: nesting deeper than KUBE_MERGE_PATCH_MAX_DEPTH.
 */
int kube_merge_patch_diff(const json_t *from, const json_t *to, json_t **out, struct fc_err *err);

#endif
