/*
 * console.h: the web console's files (console/ in the repository), served at /console/ on the admin's listener.
 *
 * The files are embedded in the binary at build time (the Makefile turns the files of console/ into a generated C table, see
 * docs/console.md); with the server option console_dir they are read from that directory instead, for development.
 * Every answer carries an ETag (a digest of the bytes; If-None-Match gives 304), Cache-Control: no-cache (so a
 * browser revalidates and an upgraded binary's files are seen at once), and the headers that keep the page's
 * script its own: a Content-Security-Policy without inline script or other origins, X-Content-Type-Options:
 * nosniff, frame-ancestors 'none' and X-Frame-Options: DENY, Referrer-Policy: no-referrer.
 */
#ifndef ADM_CONSOLE_H
#define ADM_CONSOLE_H

#include "core/fc.h"

struct adm_req;

/* One embedded file: a flat name ("app.js") and its bytes. The table is generated (build/.../gen/console_files.c). */
struct adm_console_file {
	const char *name;
	const unsigned char *data;
	size_t len;
};

extern const struct adm_console_file adm_console_files[];
extern const size_t adm_console_nfiles;

/* GET /console and /console/{file}: the route handler (no parameter: index.html). */
void adm_console_get(struct adm_req *r);

#endif
