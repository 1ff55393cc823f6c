/*
 * lazy_archive.c: libarchive, loaded on first use, for the light `flytec` only (docs/architecture.md, "Process
 * start").
 *
 * The compiler reads `pyflyte package` archives (compiler/idl.c) and writes flytectl packages (compiler/package.c)
 * with libarchive, so `flytec compile` needs it, but only when an input is an archive. Linked normally, libarchive
 * drags libxml2, ICU and libstdc++ into every start (about 2 ms of CPU). Here each libarchive function the
 * compiler calls is defined with libarchive's own prototype (the header checks it) and forwards to the real one,
 * which is looked up once, on the first call, with dlopen() of libarchive's soname. flytec-full links libarchive
 * directly and does not contain this file.
 *
 * A new libarchive call in compiler/ makes the light link fail with "undefined reference to archive_..." until it
 * is added to the list below. If the library cannot be loaded, the program stops with a message naming the file:
 * that is a broken installation, not a user's mistake.
 */
#include "cli/cli.h"

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef CLI_LIBARCHIVE_SONAME
#define CLI_LIBARCHIVE_SONAME "libarchive.so.13"
#endif

/* X(return type, name, parameters, arguments) for functions that return a value; V(...) for void ones. */
#define LAZY_ARCHIVE_FUNCTIONS(X, V) \
	X(mode_t, archive_entry_filetype, (struct archive_entry *e), (e)) \
	V(archive_entry_free, (struct archive_entry *e), (e)) \
	X(struct archive_entry *, archive_entry_new, (void), ()) \
	X(const char *, archive_entry_pathname, (struct archive_entry *e), (e)) \
	V(archive_entry_set_filetype, (struct archive_entry *e, unsigned int type), (e, type)) \
	V(archive_entry_set_gid, (struct archive_entry *e, la_int64_t gid), (e, gid)) \
	V(archive_entry_set_mtime, (struct archive_entry *e, time_t sec, long nsec), (e, sec, nsec)) \
	V(archive_entry_set_pathname, (struct archive_entry *e, const char *path), (e, path)) \
	V(archive_entry_set_perm, (struct archive_entry *e, mode_t perm), (e, perm)) \
	V(archive_entry_set_size, (struct archive_entry *e, la_int64_t size), (e, size)) \
	V(archive_entry_set_uid, (struct archive_entry *e, la_int64_t uid), (e, uid)) \
	X(la_int64_t, archive_entry_size, (struct archive_entry *e), (e)) \
	X(const char *, archive_error_string, (struct archive *a), (a)) \
	X(la_ssize_t, archive_read_data, (struct archive *a, void *buf, size_t len), (a, buf, len)) \
	X(int, archive_read_free, (struct archive *a), (a)) \
	X(struct archive *, archive_read_new, (void), ()) \
	X(int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e)) \
	X(int, archive_read_open_memory, (struct archive *a, const void *buf, size_t len), (a, buf, len)) \
	X(int, archive_read_support_filter_gzip, (struct archive *a), (a)) \
	X(int, archive_read_support_filter_none, (struct archive *a), (a)) \
	X(int, archive_read_support_format_gnutar, (struct archive *a), (a)) \
	X(int, archive_read_support_format_tar, (struct archive *a), (a)) \
	X(int, archive_write_add_filter_gzip, (struct archive *a), (a)) \
	X(int, archive_write_close, (struct archive *a), (a)) \
	X(la_ssize_t, archive_write_data, (struct archive *a, const void *buf, size_t len), (a, buf, len)) \
	X(int, archive_write_free, (struct archive *a), (a)) \
	X(int, archive_write_header, (struct archive *a, struct archive_entry *e), (a, e)) \
	X(struct archive *, archive_write_new, (void), ()) \
	X(int, archive_write_open, \
	  (struct archive *a, void *data, archive_open_callback *open_cb, archive_write_callback *write_cb, \
	   archive_close_callback *close_cb), \
	  (a, data, open_cb, write_cb, close_cb)) \
	X(int, archive_write_set_bytes_in_last_block, (struct archive *a, int bytes), (a, bytes)) \
	X(int, archive_write_set_filter_option, (struct archive *a, const char *m, const char *o, const char *v), \
	  (a, m, o, v)) \
	X(int, archive_write_set_format_pax_restricted, (struct archive *a), (a))

#define LAZY_POINTER(ret, name, params, args) ret(*name) params;
#define LAZY_VOID_POINTER(name, params, args) void(*name) params;
static struct {
	LAZY_ARCHIVE_FUNCTIONS(LAZY_POINTER, LAZY_VOID_POINTER)
} lazy_archive;

static pthread_once_t lazy_archive_once = PTHREAD_ONCE_INIT;

static FC_NORETURN void lazy_archive_fail(const char *what)
{
	fprintf(stderr, "flytec: cannot load %s, which reads and writes tar and tar.gz packages: %s\n",
		CLI_LIBARCHIVE_SONAME, what);
	exit(CLI_EXIT_USAGE);
}

static void lazy_archive_load(void)
{
	void *lib = dlopen(CLI_LIBARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing;

	if (!lib) {
		missing = dlerror();
		lazy_archive_fail(missing ? missing : "dlopen failed");
	}
	/* POSIX's way to turn dlsym()'s object pointer into a function pointer */
#define LAZY_RESOLVE(name) \
	do { \
		*(void **)&lazy_archive.name = dlsym(lib, #name); \
		if (!lazy_archive.name) \
			lazy_archive_fail("it has no " #name); \
	} while (0);
#define LAZY_RESOLVE_X(ret, name, params, args) LAZY_RESOLVE(name)
#define LAZY_RESOLVE_V(name, params, args) LAZY_RESOLVE(name)
	LAZY_ARCHIVE_FUNCTIONS(LAZY_RESOLVE_X, LAZY_RESOLVE_V)
	/* the handle stays open for the life of the process */
}

#define LAZY_DEFINE(ret, name, params, args) \
	ret name params \
	{ \
		pthread_once(&lazy_archive_once, lazy_archive_load); \
		return lazy_archive.name args; \
	}
#define LAZY_DEFINE_VOID(name, params, args) \
	void name params \
	{ \
		pthread_once(&lazy_archive_once, lazy_archive_load); \
		lazy_archive.name args; \
	}
LAZY_ARCHIVE_FUNCTIONS(LAZY_DEFINE, LAZY_DEFINE_VOID)
