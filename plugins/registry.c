/* registry.c: the table of built-in plugins, external plugins loaded with dlopen, per-type defaults. */
#include "plugins/registry.h"

#include "core/err.h"
#include "core/log.h"

#include <dirent.h>
#include <stdio.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

/* The one table of built-in plugins. */
static const struct plg_plugin *const builtin_plugins[] = {
	&plg_container_plugin,
	&plg_echo_plugin,
	&plg_sleep_plugin,
};

struct type_route {
	char *task_type;
	const struct plg_plugin *plugin;
};

struct plg_registry {
	const struct plg_plugin **external;
	size_t nexternal, external_alloc;
	void **handles;
	size_t nhandles, handles_alloc;
	struct type_route *routes;
	size_t nroutes, routes_alloc;
	const struct plg_plugin *fallback;
};

struct plg_registry *plg_registry_new(void)
{
	return fc_xcalloc(1, sizeof(struct plg_registry));
}

void plg_registry_free(struct plg_registry *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->nroutes; i++)
		free(r->routes[i].task_type);
	free(r->routes);
	free(r->external);
	for (i = 0; i < r->nhandles; i++)
		dlclose(r->handles[i]);
	free(r->handles);
	free(r);
}

static bool plugin_claims(const struct plg_plugin *p, const char *task_type)
{
	const char *const *t;

	for (t = p->task_types; t && *t; t++)
		if (!strcmp(*t, task_type))
			return true;
	return false;
}

const struct plg_plugin *plg_registry_by_name(const struct plg_registry *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nexternal; i++)
		if (!strcmp(r->external[i]->name, name))
			return r->external[i];
	for (i = 0; i < FC_ARRAY_LEN(builtin_plugins); i++)
		if (!strcmp(builtin_plugins[i]->name, name))
			return builtin_plugins[i];
	return NULL;
}

const struct plg_plugin *plg_registry_find(const struct plg_registry *r, const char *task_type)
{
	size_t i;

	for (i = 0; i < r->nroutes; i++)
		if (!strcmp(r->routes[i].task_type, task_type))
			return r->routes[i].plugin;
	for (i = 0; i < r->nexternal; i++)
		if (plugin_claims(r->external[i], task_type))
			return r->external[i];
	for (i = 0; i < FC_ARRAY_LEN(builtin_plugins); i++)
		if (plugin_claims(builtin_plugins[i], task_type))
			return builtin_plugins[i];
	return r->fallback;
}

int plg_registry_set_default(struct plg_registry *r, const char *task_type, const char *plugin_name,
			     struct fc_err *err)
{
	const struct plg_plugin *p = plg_registry_by_name(r, plugin_name);
	size_t i;

	if (!p)
		return fc_err_set(err, FC_ENOENT, "no plugin named '%s'", plugin_name);
	for (i = 0; i < r->nroutes; i++) {
		if (!strcmp(r->routes[i].task_type, task_type)) {
			r->routes[i].plugin = p;
			return FC_OK;
		}
	}
	FC_ALLOC_GROW(r->routes, r->nroutes + 1, r->routes_alloc);
	r->routes[r->nroutes].task_type = fc_xstrdup(task_type);
	r->routes[r->nroutes].plugin = p;
	r->nroutes++;
	return FC_OK;
}

int plg_registry_set_fallback(struct plg_registry *r, const char *plugin_name, struct fc_err *err)
{
	const struct plg_plugin *p = NULL;

	if (plugin_name) {
		p = plg_registry_by_name(r, plugin_name);
		if (!p)
			return fc_err_set(err, FC_ENOENT, "no plugin named '%s'", plugin_name);
	}
	r->fallback = p;
	return FC_OK;
}

int plg_registry_load_file(struct plg_registry *r, const char *path, struct fc_err *err)
{
	void *handle;
	union {
		void *obj;
		plg_entry_fn fn;
	} entry;
	const struct plg_plugin *p;
	int rc = FC_OK;

	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle)
		return fc_err_set(err, FC_EINVAL, "%s: cannot load plugin: %s", path, dlerror());
	entry.obj = dlsym(handle, PLG_ENTRY_SYMBOL);
	if (!entry.obj) {
		rc = fc_err_set(err, FC_EINVAL, "%s: no %s() entry point", path, PLG_ENTRY_SYMBOL);
		goto out;
	}
	p = entry.fn();
	if (!p || p->abi_version != PLG_ABI_VERSION) {
		rc = fc_err_set(err, FC_EINVAL, "%s: plugin ABI version %u, this flytec speaks %u", path,
				p ? p->abi_version : 0, PLG_ABI_VERSION);
		goto out;
	}
	if (!p->name || !*p->name || !p->handle) {
		rc = fc_err_set(err, FC_EINVAL, "%s: a plugin needs a name and a handle() function", path);
		goto out;
	}
	if (plg_registry_by_name(r, p->name)) {
		rc = fc_err_set(err, FC_EEXIST, "%s: a plugin named '%s' is already registered", path, p->name);
		goto out;
	}
	FC_ALLOC_GROW(r->external, r->nexternal + 1, r->external_alloc);
	r->external[r->nexternal++] = p;
	FC_ALLOC_GROW(r->handles, r->nhandles + 1, r->handles_alloc);
	r->handles[r->nhandles++] = handle;
	handle = NULL;
	fc_info("plugins: loaded '%s' from %s", p->name, path);
out:
	if (handle)
		dlclose(handle);
	return rc;
}

int plg_registry_add(struct plg_registry *r, const struct plg_plugin *p, struct fc_err *err)
{
	if (!p || p->abi_version != PLG_ABI_VERSION || !p->name || !*p->name || !p->handle)
		return fc_err_set(err, FC_EINVAL, "a plugin needs the current ABI version, a name and handle()");
	if (plg_registry_by_name(r, p->name))
		return fc_err_set(err, FC_EEXIST, "a plugin named '%s' is already registered", p->name);
	FC_ALLOC_GROW(r->external, r->nexternal + 1, r->external_alloc);
	r->external[r->nexternal++] = p;
	return FC_OK;
}

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

int plg_registry_load_dir(struct plg_registry *r, const char *dir, struct fc_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;
	int rc = FC_OK;

	if (!d)
		return fc_err_set(err, FC_ENOENT, "plugin directory %s cannot be read", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len > 3 && !strcmp(de->d_name + len - 3, ".so")) {
			FC_ALLOC_GROW(names, n + 1, alloc);
			names[n++] = fc_xstrdup(de->d_name);
		}
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n && !rc; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = fc_xmalloc(len);

		snprintf(path, len, "%s/%s", dir, names[i]);
		rc = plg_registry_load_file(r, path, err);
		free(path);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
