/*
 * lsp.h: `flytec lsp`, the compiler as a Language Server Protocol server (JSON-RPC 2.0 over stdio with
 * Content-Length framing; jansson for JSON).
 *
 * A workspace is a spec directory (the client's rootUri): every *.yaml / *.yml under it is loaded at `initialize`,
 * open documents replace their file's text. The first check compiles the workspace as one compilation; after that
 * an edit re-checks only the files it can affect (the edited file, the files that use what it defines, and so on;
 * lsp.c says how), which gives the diagnostics a whole compile gives. A file's diagnostics are published when
 * they change (an empty list when they went away). Hover shows
 * the compiled form of a task, workflow or launch plan, the next fire times of a cron line, and the explanation of
 * a diagnostic code; completion offers task, workflow and launch plan names, node ids, type names and keys of the
 * spec language; definition jumps from a name to where it is defined; document symbols list tasks, workflows,
 * launch plans and nodes.
 *
 * Bad input never stops the server: a malformed frame, a message over LSP_MAX_MESSAGE (read and thrown away), JSON
 * that does not parse, an unknown method or a notification out of order each get an error answer (for requests) or
 * a window/logMessage (for notifications), and the next message is read as usual.
 */
#ifndef LSP_LSP_H
#define LSP_LSP_H

#include "core/fc.h"
#include "core/limits.h"

struct fc_buf;
struct fc_err;

/* One message, and the header block (core/limits.h says why). */
#define LSP_MAX_MESSAGE FC_LIMIT_LSP_MESSAGE
#define LSP_MAX_HEADER FC_LIMIT_LSP_HEADER

struct lsp_server;

struct lsp_server *lsp_server_new(void);
void lsp_server_free(struct lsp_server *srv);
/* Handle one message body; framed answers and notifications are appended to `out`. */
void lsp_server_handle(struct lsp_server *srv, const char *body, size_t len, struct fc_buf *out);
/* After `exit`: true, with the process exit status (0 when `shutdown` came first, else 1). */
bool lsp_server_done(const struct lsp_server *srv, int *status);
/* Re-check the whole workspace after every edit instead of the files the edit can affect (the tests compare the
 * two). */
void lsp_server_set_full_checks(struct lsp_server *srv, bool full);
/* How long the last re-check took (microseconds), and how many files it compiled: for the benchmark. */
int64_t lsp_server_last_check_us(const struct lsp_server *srv, size_t *files);

/* Append one framed message ("Content-Length: N\r\n\r\n" + body). */
void lsp_frame(struct fc_buf *out, const char *body, size_t len);

/*
 * Reading framed messages from a file descriptor. lsp_reader_next() returns FC_OK with the body in `body`,
 * FC_ENOENT at end of input, FC_EPARSE for a malformed header (the bytes up to its end are dropped), or FC_ELIMIT
 * for a message over the limit (its body is skipped as it arrives); `err` says what was wrong.
 */
struct lsp_reader {
	int fd;
	char *buf;
	size_t len, cap;
	bool eof;
};

void lsp_reader_init(struct lsp_reader *r, int fd);
void lsp_reader_release(struct lsp_reader *r);
int lsp_reader_next(struct lsp_reader *r, struct fc_buf *body, struct fc_err *err);

/* The whole server on in_fd / out_fd until `exit` or end of input; returns the exit status. */
int lsp_run(int in_fd, int out_fd);

#endif
