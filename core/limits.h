/*
 * limits.h: the project's limits, each with its value and the reason for it, in one place (sqlite's sqliteLimit.h
 * is the model). Exceeding a limit is an ordinary error with a clear message, never a crash. One section per
 * component; a limit lives here, not as a literal where it is used.
 */
#ifndef FC_LIMITS_H
#define FC_LIMITS_H

/* ---- admin-lite: the HTTP front door (admin-lite/server.c) -------------------------------------------------- */

/* Seconds a connection has to deliver a whole request head (request line and headers), counted from the accept
 * and again from the end of the previous request on a kept-alive connection. A real client sends its head in one
 * packet; a client that trickles a header line every few seconds ("slowloris") holds a slot for nothing and is
 * cut when the deadline passes, however active it looks. `flytec serve --head-timeout`. */
#define ADM_HEAD_TIMEOUT_S 5

/* Seconds a connection may stay silent once its head has arrived (a body being uploaded, an answer being read).
 * libmicrohttpd's own idle timeout; generous, since the head deadline already stops the cheap attack. */
#define ADM_IDLE_TIMEOUT_S 30

/* Connections the server holds at once (libmicrohttpd's limit; each costs a socket and a small memory pool).
 * `flytec serve --max-conns`. */
#define ADM_MAX_CONNS 1024

/* Of those, slots kept free for newcomers: once fewer remain, each new connection pushes out the connection that
 * has waited longest for its head, so clients that send a request at once always find a slot while slow ones are
 * being cut. */
#define ADM_CONN_RESERVE 64

/* Connections from one client address (IPv4) at once. A CLI command uses one, a browser six, a console a handful;
 * past the limit a new connection from that address pushes out that address's oldest connection still waiting for
 * its head, or is refused when all of them are busy with requests. `flytec serve --max-conns-per-ip` (0: no
 * limit, for a server behind a proxy that all clients share). */
#define ADM_MAX_CONNS_PER_IP 128

/* Bytes of a request URL (path and query). Flyte's longest real URLs (filters on a list) are under 2 KiB. Longer
 * URLs get 414 with a JSON error. */
#define ADM_MAX_URL 8192

/* Bytes of one answer. Lists are paged (at most ADM_LIMIT_MAX items) and a compiled workflow of thousands of
 * nodes renders to a few megabytes; an answer past this is refused with 500 {"code":"limit"} before it is
 * rendered, instead of costing the server several times its size in memory. `flytec serve --max-answer`. */
#define ADM_MAX_ANSWER (32u * 1024 * 1024)

/* Seconds a client is told to wait (Retry-After) when the store cannot write (disk full, I/O errors): long enough
 * not to hammer a failing disk, short enough that work resumes soon after space returns. */
#define ADM_RETRY_AFTER_S 5

#endif
