/*
 * store_named.h: the named entities' own rows (kind, project, domain, name -> description, state). The store
 * inserts a row when an entity's first version is registered (store.c); these read and update them.
 */
#ifndef ADM_STORE_NAMED_H
#define ADM_STORE_NAMED_H

#include "admin-lite/store.h"

struct adm_named {
	const char *name;
	const char *description;
	int state; /* admin.NamedEntityState: 0 active, 1 archived, 2 system generated */
	int64_t created_at;
};

/* Named entities of `kind` in q->project / q->domain. Filters and sort keys: name, description, state (names or
 * numbers of NamedEntityState), created_at; default order name ascending. */
int adm_named_list(struct adm_store *s, enum adm_kind kind, const struct adm_query *q, struct fc_arena *a,
		   struct adm_named **out, size_t *nr, char **next_token, struct fc_err *err);
/* One; FC_ENOENT when absent. id->version is ignored. */
int adm_named_get(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, struct fc_arena *a,
		  struct adm_named *out, struct fc_err *err);
/* Set description and state; FC_ENOENT when absent. */
int adm_named_set(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, const char *description,
		  int state, struct fc_err *err);

/* A task's or workflow's version's short description (the description_entities table, admin.DescriptionEntity). */
struct adm_description {
	const char *name;
	const char *version;
	const char *short_description;
	int64_t created_at;
};

/* Keep the short description of version id->version. When it is new or differs from the one kept for that version,
 * the named entity's description becomes it too: lists show the description the last registration brought, and a
 * PUT of the named entity holds until a registration brings another one (registering the same again changes
 * nothing). */
int adm_description_put(struct adm_store *s, enum adm_kind kind, const struct adm_id *id,
			const char *short_description, struct fc_err *err);
/* The kept descriptions of `kind` in id->project / id->domain, of id->name when set and of id->version when set,
 * newest first, at most `limit`. */
int adm_description_list(struct adm_store *s, enum adm_kind kind, const struct adm_id *id, uint32_t limit,
			 struct fc_arena *a, struct adm_description **out, size_t *nr, struct fc_err *err);

#endif
