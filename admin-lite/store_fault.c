/*
 * store_fault.c: the store's write-fault hook, an sqlite VFS shim (sqlite's test_vfs / *fault.test are the model).
 *
 * Every store opens its file through the "flytec-fault" VFS, which passes each call to the default VFS. While the
 * hook is disarmed (the normal case) it costs one atomic load per write. Armed with a countdown N, the first N
 * writes (xWrite, xTruncate, xSync of any file of the database: main file, WAL, journal) succeed and the next one
 * fails with SQLITE_FULL, as a full disk would; with `persistent`, every later write fails too until the hook is
 * disarmed. Tests arm it with adm_store_fault_arm(), or for a whole process with the environment variable
 * FLYTEC_FAULT_WRITE_AFTER=N (plus FLYTEC_FAULT_PERSIST=1), read when the first store is opened.
 */
#include "admin-lite/store_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_VFS_NAME "flytec-fault"

struct fault_file {
	sqlite3_file base; /* our methods */
	sqlite3_file *real; /* the default VFS's file, allocated right after this struct */
};

static sqlite3_vfs fault_vfs;
static sqlite3_io_methods fault_methods_v1, fault_methods_v2, fault_methods_v3;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static int fault_register_rc = SQLITE_OK;

/* -1: disarmed; otherwise the writes left before the failure. */
static long fault_countdown = -1;
static int fault_persistent;
static unsigned long fault_hits;

void adm_store_fault_arm(long after, bool persistent)
{
	__atomic_store_n(&fault_persistent, persistent ? 1 : 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_hits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_countdown, after < 0 ? -1 : after, __ATOMIC_SEQ_CST);
}

void adm_store_fault_disarm(void)
{
	__atomic_store_n(&fault_countdown, -1, __ATOMIC_SEQ_CST);
}

unsigned long adm_store_fault_hits(void)
{
	return __atomic_load_n(&fault_hits, __ATOMIC_SEQ_CST);
}

/* True when this write must fail. */
static bool fault_now(void)
{
	long left = __atomic_load_n(&fault_countdown, __ATOMIC_ACQUIRE);

	while (left > 0) {
		if (__atomic_compare_exchange_n(&fault_countdown, &left, left - 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return false;
	}
	if (left < 0)
		return false;
	/* left == 0: this write fails */
	if (!__atomic_load_n(&fault_persistent, __ATOMIC_RELAXED))
		__atomic_store_n(&fault_countdown, -1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&fault_hits, 1, __ATOMIC_RELAXED);
	return true;
}

static sqlite3_file *real_of(sqlite3_file *f)
{
	return ((struct fault_file *)f)->real;
}

static int f_close(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);
	int rc = r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;

	f->pMethods = NULL;
	return rc;
}

static int f_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xRead(r, buf, amt, off);
}

static int f_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	sqlite3_file *r = real_of(f);

	if (fault_now())
		return SQLITE_FULL;
	return r->pMethods->xWrite(r, buf, amt, off);
}

static int f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	sqlite3_file *r = real_of(f);

	if (fault_now())
		return SQLITE_IOERR_TRUNCATE;
	return r->pMethods->xTruncate(r, size);
}

static int f_sync(sqlite3_file *f, int flags)
{
	sqlite3_file *r = real_of(f);

	if (fault_now())
		return SQLITE_IOERR_FSYNC;
	return r->pMethods->xSync(r, flags);
}

static int f_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xFileSize(r, size);
}

static int f_lock(sqlite3_file *f, int level)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xLock(r, level);
}

static int f_unlock(sqlite3_file *f, int level)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xUnlock(r, level);
}

static int f_check_reserved_lock(sqlite3_file *f, int *out)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xCheckReservedLock(r, out);
}

static int f_file_control(sqlite3_file *f, int op, void *arg)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xFileControl(r, op, arg);
}

static int f_sector_size(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xSectorSize(r);
}

static int f_device_characteristics(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xDeviceCharacteristics(r);
}

static int f_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **p)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xShmMap(r, pg, pgsz, extend, p);
}

static int f_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xShmLock(r, offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *f)
{
	sqlite3_file *r = real_of(f);

	r->pMethods->xShmBarrier(r);
}

static int f_shm_unmap(sqlite3_file *f, int del)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xShmUnmap(r, del);
}

static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **p)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xFetch(r, off, amt, p);
}

static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	sqlite3_file *r = real_of(f);

	return r->pMethods->xUnfetch(r, off, p);
}

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	sqlite3_vfs *real_vfs = vfs->pAppData;
	struct fault_file *ff = (struct fault_file *)file;
	int rc;

	ff->real = (sqlite3_file *)(ff + 1);
	memset(ff->real, 0, (size_t)real_vfs->szOsFile);
	file->pMethods = NULL;
	rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
	if (ff->real->pMethods) {
		/* the same version as the real file's methods, so sqlite never calls what the real file lacks */
		int v = ff->real->pMethods->iVersion;

		file->pMethods = v >= 3 ? &fault_methods_v3 : v == 2 ? &fault_methods_v2 : &fault_methods_v1;
	}
	return rc;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xDelete(r, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xAccess(r, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xFullPathname(r, name, n, out);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xRandomness(r, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xSleep(r, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xCurrentTime(r, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xGetLastError ? r->xGetLastError(r, n, out) : 0;
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	sqlite3_vfs *r = vfs->pAppData;

	return r->xCurrentTimeInt64(r, out);
}

static void fault_register(void)
{
	sqlite3_vfs *real_vfs = sqlite3_vfs_find(NULL);
	const char *env;

	if (!real_vfs) {
		fault_register_rc = SQLITE_ERROR;
		return;
	}
	fault_methods_v1 = (sqlite3_io_methods){
		1, f_close, f_read, f_write, f_truncate, f_sync, f_file_size, f_lock, f_unlock, f_check_reserved_lock,
		f_file_control, f_sector_size, f_device_characteristics, NULL, NULL, NULL, NULL, NULL, NULL};
	fault_methods_v2 = fault_methods_v1;
	fault_methods_v2.iVersion = 2;
	fault_methods_v2.xShmMap = f_shm_map;
	fault_methods_v2.xShmLock = f_shm_lock;
	fault_methods_v2.xShmBarrier = f_shm_barrier;
	fault_methods_v2.xShmUnmap = f_shm_unmap;
	fault_methods_v3 = fault_methods_v2;
	fault_methods_v3.iVersion = 3;
	fault_methods_v3.xFetch = f_fetch;
	fault_methods_v3.xUnfetch = f_unfetch;
	memset(&fault_vfs, 0, sizeof(fault_vfs));
	fault_vfs.iVersion = real_vfs->iVersion >= 2 ? 2 : 1;
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real_vfs->szOsFile;
	fault_vfs.mxPathname = real_vfs->mxPathname;
	fault_vfs.zName = FAULT_VFS_NAME;
	fault_vfs.pAppData = real_vfs;
	fault_vfs.xOpen = v_open;
	fault_vfs.xDelete = v_delete;
	fault_vfs.xAccess = v_access;
	fault_vfs.xFullPathname = v_full_pathname;
	fault_vfs.xRandomness = v_randomness;
	fault_vfs.xSleep = v_sleep;
	fault_vfs.xCurrentTime = v_current_time;
	fault_vfs.xGetLastError = v_get_last_error;
	fault_vfs.xCurrentTimeInt64 = real_vfs->iVersion >= 2 ? v_current_time_int64 : NULL;
	fault_register_rc = sqlite3_vfs_register(&fault_vfs, 0);
	env = getenv("FLYTEC_FAULT_WRITE_AFTER");
	if (env && *env) {
		char *end;
		long n = strtol(env, &end, 10);
		const char *persist = getenv("FLYTEC_FAULT_PERSIST");

		if (!*end && n >= 0)
			adm_store_fault_arm(n, persist && *persist && strcmp(persist, "0"));
	}
}

void adm_store_fault_everywhere(void)
{
	const char *env = getenv("FLYTEC_FAULT_WRITE_AFTER");

	if (env && *env && adm_store_fault_vfs())
		sqlite3_vfs_register(&fault_vfs, 1);
}

const char *adm_store_fault_vfs(void)
{
	pthread_once(&fault_once, fault_register);
	return fault_register_rc == SQLITE_OK ? FAULT_VFS_NAME : NULL;
}
