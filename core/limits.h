/*
 * limits.h: every limit flytec puts on its input, with its value and the reason for it, in one place (sqlite's
 * sqliteLimit.h is the model). A limit is an ordinary error for the user ("a configured limit was exceeded", with
 * a position), never a crash; running out of memory below a limit is the only abort.
 *
 * One section per component. Other components append their own section below the last one; a limit that more than
 * one component enforces lives in the section of the component that reads the input first.
 *
 * How the values were chosen: each is far above anything a real Flyte package or hand-written spec needs (the
 * largest of flytekit's own test packages is a few hundred kilobytes, with types nested under ten levels), and low
 * enough that the worst input within the limits costs a bounded, small multiple of its own size in memory and time.
 */
#ifndef FC_LIMITS_H
#define FC_LIMITS_H

/* --- compiler/flyteworkflow.c: the FlyteWorkflow custom resource ------------------------------------------- */

/* Largest FlyteWorkflow (compact JSON) created with its spec, tasks and subworkflows inline; past it the static part
 * is offloaded to the data store (workflowClosureReference), as Flyte's admin does. etcd refuses requests over
 * 1.5 MiB by default (--max-request-bytes 1572864) and the API server adds metadata; the operator then writes node
 * statuses into the same object, which grows with every node. 1 MiB leaves a third of etcd's limit for them. */
#define FC_K8S_RESOURCE_MAX_INLINE_BYTES (1024u * 1024)

/* --- compiler/flyteworkflow_read.c: reading a FlyteWorkflow back (the operator's input) ---------------------- */

/* Branch arms and array sub-nodes nest by reference; a hand-written resource can make a cycle of arms. Flyte's own
 * compiler never nests deeper than a few levels; 64 is far past any real workflow and keeps the C stack small. */
#define FC_K8S_READ_MAX_DEPTH 64
/* Nodes in one workflow spec of a resource: ten times the largest fan-out the benchmarks use (1,000 tasks). */
#define FC_K8S_READ_MAX_NODES 10000u
/* An offloaded closure (workflowClosureReference) read back: 16 times the inline limit. */
#define FC_K8S_READ_MAX_CLOSURE_BYTES ((size_t)16 * 1024 * 1024)

/* --- plugins/k8s_runtime.c and propeller/operator.c: the operator ------------------------------------------ */

/* One text output file a pod writes (sandbox/outputs/<name>): as large as the local plugin reads, 16 MiB; bigger
 * values belong in blobs. */
#define FC_K8S_POD_MAX_OUTPUT_FILE ((size_t)16 * 1024 * 1024)
/* The status the operator writes into one FlyteWorkflow: past this the node statuses are summarised (counts by
 * phase) so the object stays under etcd's request limit next to an inline closure of up to 1 MiB. With --state
 * status only a finished workflow's are (a running one's are its state): the API server then handles the later
 * writes of the object (the finalizer's removal) in a fraction of the time (a 4000-node status is 600 KB, and the
 * API server's managedFields for it another 500 KB). */
#define FC_K8S_STATUS_MAX_BYTES ((size_t)400 * 1024)
/* How often, at most, the operator logs its stats line (records held, writes, 409s, requests by verb) while they
 * change: often enough for a test or the bench to follow them, rare enough not to flood the log (one line per 2 s). */
#define FC_K8S_OPERATOR_STATS_LOG_MS 2000
/* --state status: the largest FlyteWorkflow (compact JSON: metadata, spec, status) the operator PUTs. etcd refuses a
 * request over 1.5 MiB by default (--max-request-bytes 1572864), and the API server stores the object with its own
 * metadata (managedFields grow with every writer); 1.4 MiB leaves it about 100 KiB. A running workflow whose status
 * would pass it fails with this message instead of retrying a write that cannot succeed (its node map is the state
 * and cannot be summarised); a finished one's final status lists node counts by phase instead of the nodes. */
#define FC_K8S_OBJECT_MAX_BYTES ((size_t)1400 * 1024)
/* The whole-request timeout of one status write of the operator (the client's default is 30 s): the API server
 * decodes, merges and re-encodes the whole object and its managedFields for a write, however small the patch, and on
 * the loaded test machine a PUT of a 1000-node status took over 30 s (bench/RESULTS.md, 2026-12-07); cut by the
 * client, such a write is sent again from scratch. The API server itself gives a write 34 s (its default without a
 * `?timeout=` query) and answers 504 after that, so past 34 s this only waits for that answer instead of giving up
 * first; 90 s still bounds how long one write holds the operator's loop. */
#define FC_K8S_STATUS_WRITE_TIMEOUT_MS 90000L

/* --- propeller/state_k8s.c: node states in the FlyteWorkflow status -------------------------------------------- */

/* One node's plugin state read back from TaskNodeStatus.pState (base64 text): the engine's own plugin states are a
 * few dozen bytes; 64 KiB refuses a corrupt or hand-made status long before it costs memory. */
#define FC_K8S_STATE_MAX_PSTATE_BYTES ((size_t)64 * 1024)
/* One event read back from an execution's outbox file (<data_dir>/<execution>/outbox): an event is a flyteidl
 * message of a few hundred bytes (outputs go by reference); 4 MiB refuses a file that is not an outbox. */
#define FC_K8S_STATE_MAX_EVENT_BYTES ((size_t)4 * 1024 * 1024)

/* --- kube/: the Kubernetes client ------------------------------------------------------------------------ */

/* A kubeconfig, token, CA or certificate file: real ones are a few KiB; 4 MiB refuses a wrong file early. */
#define KUBE_MAX_CONFIG_FILE (4u * 1024 * 1024)
/* One API response body (a LIST page, an object): etcd refuses objects over 1.5 MiB by default, and lists are read
 * in pages (limit=500), so 64 MiB is generous and still bounds memory against a broken server. */
#define KUBE_MAX_RESPONSE (64u * 1024 * 1024)
/* One line (one event) of a watch stream: an event carries one object (<= 1.5 MiB in etcd) plus framing. */
#define KUBE_MAX_WATCH_EVENT (8u * 1024 * 1024)
/* Easy handles kept for reuse (each holds keep-alive connections through the shared connection cache). */
#define KUBE_POOL_MAX 16
/* Retries of one request on 429 / 5xx / connection errors before giving up; the backoff doubles from 100 ms and
 * is capped at 10 s (Retry-After is honoured up to that cap), so one request waits at most about a minute. */
#define KUBE_MAX_RETRIES_CAP 10
#define KUBE_BACKOFF_CAP_MS 10000
/* Keys waiting in one work queue: a queue is per resource kind of one operator; a million keys means a bug. */
#define KUBE_QUEUE_MAX 1000000
/* A pod name may be a DNS-1123 subdomain (253), but task pod names are kept to a DNS-1123 label (63) so that they
 * can double as label values and host names, as Flyte does. */
#define KUBE_POD_NAME_MAX 63
/* Nesting of the values a merge patch is computed between (kube/mergepatch.c, recursive): a FlyteWorkflow status
 * nests a node's status one or two levels per engine level, and its reader stops at FC_K8S_READ_MAX_DEPTH (64); 256
 * leaves room for that and still bounds the stack. */
#define KUBE_MERGE_PATCH_MAX_DEPTH 256

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
/* Origins named with --cors-origin: a console or two per team; each request compares its Origin with every one. */
#define ADM_MAX_CORS_ORIGINS 16
/* How long a browser may cache a CORS preflight answer (seconds). */
#define ADM_CORS_MAX_AGE_S 600
/* Bytes of a named entity's description (PUT /api/v1/named_entities/...): a paragraph for a list page. */
#define ADM_NAMED_DESCRIPTION_MAX 4096
/* Description entities in one list answer (GET /api/v1/description_entities/...): one per registered version of a
 * task or workflow, newest first; a console shows the newest few. Past this the oldest are left out. A spec's
 * description is kept up to ADM_NAMED_DESCRIPTION_MAX bytes (cut at a character boundary). */
#define ADM_DESCRIPTION_LIST_MAX 1000
/* Bytes of a local inputs.pb / outputs.pb read for /api/v1/data/...: literal maps of a few values; 16 MiB leaves
 * room for inline blobs and stays under the answer cap. */
#define ADM_DATA_FILE_MAX (16u * 1024 * 1024)

/* ---- admin-lite: watch streams and change notices (admin-lite/stream.c, store.c) --------------------------- */

/* Executions one store transaction may name in its change notices. A launch, an event or a termination touches
 * one; a bulk load (a bench filling 100,000 executions in one transaction) would otherwise keep a list as long as
 * the load: past this the notice says "anything may have changed" and the streams render afresh. */
#define ADM_STORE_CHANGES_MAX 1024

/* Watch streams open at once (GET /api/v1/watch/...). Each holds a connection (under ADM_MAX_CONNS_PER_IP: six
 * browser tabs with a stream or two each fit many times) and at most one rendering of its execution; a console
 * has one or two. Past it: 503 with Retry-After. */
#define ADM_STREAM_MAX 64

/* Milliseconds between two renderings of one stream: changes in between are coalesced into the next one (at most
 * five a second, what a person can follow; a run of a thousand node events costs five renderings a second). A
 * rendering that took longer than half of this (an execution of thousands of nodes) stretches the interval to twice
 * its cost, so one stream never keeps more than a third of a thread busy. */
#define ADM_STREAM_COALESCE_MS 200

/* Seconds between ": ping" comments on an idle stream, so proxies and the client see it alive, and a client that
 * went away is noticed (the write fails). Under ADM_IDLE_TIMEOUT_S, which a stream that writes nothing would meet. */
#define ADM_STREAM_PING_S 15

/* Executions a project stream's next "changed" event may name; more changes before the client reads make it
 * name these and say "truncated": true (the console then reloads its page anyway). Bounds a slow reader's cost. */
#define ADM_STREAM_NAMES_MAX 256

/* Node executions an execution stream looks at (the list endpoint's maximum page): it remembers what each looked
 * like (one small entry per node) to send only the changed ones; nodes past it are never in its events. */
#define ADM_STREAM_NODES_MAX 10000

/* Node executions one event of an execution stream carries: the first `nodes` event (then a `token`, as the list
 * endpoint's, for the rest) and each `nodes-changed` (more changes wait for the next rendering). 500 nodes are a
 * screenful of the console's table many times over and render in milliseconds; the whole of a 10,000-node
 * execution took seconds per event and made the first one wait. */
#define ADM_STREAM_NODES_PAGE 500

/* Bytes of a park key naming an execution ("project/domain/name", admin-lite/stream.c): three checked names
 * (ADM_NAME_MAX-ish each) and two slashes fit many times; a longer one is simply not woken early (its waiter
 * still rechecks on its deadline). */
#define ADM_STREAM_KEY_MAX 512

/* Bytes of a spec file GET /api/v1/repository/file sends (the console's repository page shows its text): specs
 * people edit are kilobytes; a generated one of 100,000 nodes is megabytes and is better read in an editor. */
#define ADM_REPO_FILE_MAX (4u * 1024 * 1024)

/* ============================================================================================================
 * The YAML loader (core/yaml.c) and its JSON bridge (core/yamljson.c)
 * ============================================================================================================ */

/* Nesting of YAML collections. The loader is iterative, but the front ends walk trees recursively; 256 levels keep
 * those walks far from the stack's end, and a spec nests a dozen levels at most. */
#define FC_LIMIT_YAML_DEPTH 256

/* Nodes in one file, an alias counted as every node it repeats. 4 million nodes are about 300 MB of tree in the
 * worst case and a few seconds of work: the ceiling for one file, whatever its size. */
#define FC_LIMIT_YAML_NODES 4000000

/* Bytes in one scalar (a block literal holding a script, a base64 blob...). */
#define FC_LIMIT_YAML_SCALAR (16u * 1024 * 1024)

/* What aliases may add, in nodes. A "billion laughs" file nests aliases of aliases: 637 bytes expanded to a 37 MB
 * literal while staying under FC_LIMIT_YAML_NODES. Aliases are for sharing a resources block or a list of
 * defaults, so what they add is bounded relative to the file (a few nodes per byte written) as well as
 * absolutely: the allowance is max(FLOOR, PER_BYTE * file size), capped at ABSOLUTE. A 1 KB file may expand by
 * 10,000 nodes, a 100 KB file by 400,000, and no file by more than a million. */
#define FC_LIMIT_YAML_ALIAS_NODES_FLOOR 10000
#define FC_LIMIT_YAML_ALIAS_NODES_PER_BYTE 4
#define FC_LIMIT_YAML_ALIAS_NODES_ABSOLUTE 1000000
/* An aliased scalar is copied by whoever converts the tree, so its bytes count too: one node per 64 bytes (a 1 MB
 * scalar aliased 100 times costs 1.6 million nodes, over the absolute cap). */
#define FC_LIMIT_YAML_ALIAS_BYTES_PER_NODE 64

/* The YAML <-> JSON bridge (core/yamljson.c, used for IDL messages written as YAML and for proto3 JSON written out
 * as YAML): nesting it converts. Above the loader's depth because JSON from the API reaches it directly. */
#define FC_LIMIT_YAMLJSON_DEPTH 1024

/* ============================================================================================================
 * The compiler (compiler/)
 * ============================================================================================================ */

/* One input file (a spec, a protobuf, a package archive). Read whole into memory; the largest real Flyte package
 * is far below this. */
#define FC_LIMIT_CMP_FILE_SIZE (64u * 1024 * 1024)

/* One compiled entity (a task template, a workflow template, a launch plan spec) as packed protobuf. An entity is
 * stored as one sqlite blob, sent whole in one API answer and in one FlyteWorkflow resource (Kubernetes refuses
 * objects over about 1.5 MB unless the closure is offloaded), and copied several times while compiling; Flyte's
 * gRPC services refuse messages over 4 MB by default. 16 MB leaves room for large fixed inputs while keeping a
 * literal built from aliases or a huge default from growing the server without bound. */
#define FC_LIMIT_CMP_ENTITY_SIZE (16u * 1024 * 1024)

/* Nesting the spec language accepts, each checked where it is parsed, with a position: a type such as
 * list<list<...>> (64: real types nest under ten), nodes inside branches and maps (32), a branch condition's
 * parentheses and operators (100), a literal value or a binding's collections and maps (100). They keep the
 * compiler's recursive passes far from the stack's end (the YAML loader's 256 bounds the input first). */
#define FC_LIMIT_CMP_TYPE_DEPTH 64
#define FC_LIMIT_CMP_NODE_DEPTH 32
#define FC_LIMIT_CMP_EXPR_DEPTH 100
#define FC_LIMIT_CMP_VALUE_DEPTH 100

/* Protobuf input (.pb files, archive entries) is checked for nesting before protobuf-c unpacks it:
 * FC_PB_MAX_DEPTH (512) in core/pbdepth.h, shared with the admin's protobuf bodies. */

/* The literal module (compiler/lit.c): how deep cmp_lit_matches() checks a given value's collections and maps
 * against their declared types (an execution's inputs). Deeper levels are accepted unchecked: the type check is
 * a courtesy to the caller, and the value was bounded when it was decoded (FC_PB_MAX_DEPTH, the JSON depth). */
#define FC_LIMIT_LIT_MATCH_DEPTH 32

/* pyflyte package archives: entries, bytes per entry, bytes in all (a gzip bomb stops here). */
#define FC_LIMIT_CMP_ARCHIVE_ENTRIES 100000
#define FC_LIMIT_CMP_ARCHIVE_ENTRY_SIZE (64u * 1024 * 1024)
#define FC_LIMIT_CMP_ARCHIVE_TOTAL (512u * 1024 * 1024)

/* A fast-register code bundle (fast<hash>.tar.gz) kept from a package: held in memory to be written again by
 * `flytec package`. */
#define FC_LIMIT_CMP_FAST_BUNDLE_SIZE FC_LIMIT_CMP_ARCHIVE_ENTRY_SIZE

/* ============================================================================================================
 * The directory walker (core/walk.c): the compiler's directory inputs and the watched repository
 * ============================================================================================================ */

/* Directory levels below the root. Deeper trees are reported and not entered; every directory is entered once
 * whatever the links (device and inode are remembered), so this bounds the stack, not loops. */
#define FC_LIMIT_WALK_DEPTH 64

/* Directories entered in one walk: a repository with more is surely a mistake (a home directory watched). */
#define FC_LIMIT_WALK_DIRS 100000

/* ---- admin-lite: the gRPC front door (admin-lite/grpc.c) --------------------------------------------------- */

/* Bytes of one request message. gRPC's own default is 4 MiB; the REST body cap is 8 MiB and both doors take the same
 * messages, so the same cap applies. gRPC core refuses a larger message itself with RESOURCE_EXHAUSTED before it
 * is buffered whole. `flytec serve --max-body`. */
#define ADM_GRPC_MAX_MESSAGE (8u * 1024 * 1024)
/* Worker threads that run calls (each holds one call at a time; calls beyond them wait inside gRPC core, which
 * buffers little per pending call). The store serialises writes anyway, so more threads buy only overlap of
 * reads and of I/O with slow clients. */
#define ADM_GRPC_THREADS 8
/* Concurrent streams per HTTP/2 connection (gRPC's advertised SETTINGS_MAX_CONCURRENT_STREAMS). Python's and Go's
 * clients queue calls beyond it on their side. */
#define ADM_GRPC_MAX_STREAMS 256
/* Seconds an answer may take to be written to a client that does not read it; past it the call is cancelled and
 * the worker moves on. (A client that never sends its request holds no worker: gRPC core reads the request
 * before handing the call over, and the call ends with the client's deadline or connection.) */
#define ADM_GRPC_SEND_TIMEOUT_S 30
/* Bytes of a status message (a registration diff can be long). It travels in the trailers as grpc-message,
 * percent-encoded (up to 3x), and gRPC clients refuse metadata past 8 KiB by default (GRPC_ARG_MAX_METADATA_SIZE),
 * which would turn the real status into a client-side error; 2 KiB of text stays within. Longer messages are cut
 * with a note; the whole diff is what REST's 409 answer carries. */
#define ADM_GRPC_MAX_DETAILS 2048
/* Seconds graceful shutdown waits for calls in flight before cancelling them. */
#define ADM_GRPC_DRAIN_S 5
/* Lifetime of a DataProxyService signed URL when the request names none, and the longest one may ask (Flyte's
 * defaults: one hour, a day). The signing key is drawn at start, so a restart also ends every URL. */
#define ADM_DATAPROXY_EXPIRY_S 3600
#define ADM_DATAPROXY_MAX_EXPIRY_S 86400

/* ---- admin-lite: the watched repository --------------------------------------------------------------------- */

/* When the store cannot write (disk full or failing), the watcher keeps the changed files pending and tries
 * again after a delay that starts here and doubles up to the maximum: soon enough that a freed disk is noticed
 * within seconds, rare enough that a full disk costs no CPU and few log lines. */
#define ADM_WATCH_RETRY_MIN_MS 100
#define ADM_WATCH_RETRY_MAX_MS 30000

/* --- core/log.c: repeated log lines --------------------------------------------------------------------------
 * A fault that repeats (a full disk, a store that keeps failing) must not flood the log: a full disk once wrote
 * 300k identical lines in 40 s. The same message (same level, same text) is printed FC_LOG_BURST times per
 * FC_LOG_WINDOW_S seconds; further copies are counted and summarised as "... repeated K times" when the window
 * ends (at the message's next occurrence, or at fc_log_flush()). FC_LOG_SLOTS distinct messages are tracked at
 * once; the oldest is summarised and forgotten to make room. */
#define FC_LOG_BURST 5
#define FC_LOG_WINDOW_S 10
#define FC_LOG_SLOTS 32

/* --- propeller/: backing off when storage fails ----------------------------------------------------------------
 * A failed state commit (sqlite) or blob write is retried after PROP_STORE_BACKOFF_MIN_MS, doubling up to
 * PROP_STORE_BACKOFF_MAX_MS: bounded so that the engine notices within seconds that space came back, long
 * enough that a full disk costs almost no CPU. Nothing is dropped meanwhile: changes stay dirty in memory and
 * events stay in the outbox until a commit succeeds. */
#define PROP_STORE_BACKOFF_MIN_MS 20
#define PROP_STORE_BACKOFF_MAX_MS 2000

/* --- serve/: the executor inside `flytec serve` ----------------------------------------------------------------
 * When nothing runs the executor sleeps; a mutating API request wakes it at once, and it looks at the admin's
 * queue on its own every SRV_EXEC_IDLE_MS (for executions created without a request: the scheduler's). One
 * indexed query per second costs well under 0.1% of a core. While executions run it looks every
 * SRV_EXEC_BUSY_MS (claims and abort requests). */
#define SRV_EXEC_IDLE_MS 1000
#define SRV_EXEC_BUSY_MS 50

/* --- admin-lite/logs.c: GET /api/v1/logs/... (docs/api.md "Logs") -------------------------------------------
 * ADM_LOGS_LIMIT_DEFAULT: bytes of one answer without `limit`: 1 MiB is a screenful many times over and a few
 * milliseconds to send. ADM_LOGS_LIMIT_MAX: the most a client may ask for in one answer (4 MiB): well under the
 * server's answer cap (ADM_MAX_ANSWER), and a client reads on with X-Log-Next-Offset anyway.
 * ADM_LOGS_FOLLOW_MS: the longest a `follow=1` request waits for bytes (25 s): below the connection idle timeout
 * (ADM_IDLE_TIMEOUT_S) and the 30 s proxies commonly allow, so the empty answer arrives before anyone cuts it.
 * ADM_LOGS_RECHECK_MS: a waiting request is suspended (no thread held) and looked at again this often: a log line
 * shows within half a second, for one stat (or one pod-log request) and one indexed read per waiter.
 * ADM_LOGS_MAX_WAITERS: followers waiting at once; more answer at once with what there is (possibly empty), so a
 * crowd of consoles costs bounded memory. */
#define ADM_LOGS_LIMIT_DEFAULT (1u * 1024 * 1024)
#define ADM_LOGS_LIMIT_MAX (4u * 1024 * 1024)
#define ADM_LOGS_FOLLOW_MS 25000
#define ADM_LOGS_RECHECK_MS 500
#define ADM_LOGS_MAX_WAITERS 256

/* --- serve/cluster.c: `flytec serve --cluster` hands executions to Kubernetes -----------------------------------
 * SRV_CLUSTER_CREATE_TRIES: rounds of creating one execution's FlyteWorkflow when the API server is down or
 * answers 5xx (each round is the kube client's own retries with backoff); after them the execution is FAILED with
 * the API's message. SRV_CLUSTER_BACKOFF_MS: the first wait between rounds, doubled each time (1 s, 2 s, 4 s...:
 * about half a minute over all rounds, enough for an API server restart). */
#define SRV_CLUSTER_CREATE_TRIES 5
#define SRV_CLUSTER_BACKOFF_MS 1000

/* --- scheduler/ and the launch-plan schedule keys ------------------------------------------------------- */

/* Longest `jitter` of a schedule: jitter spreads the fire times of plans that share an expression over a window;
 * an hour is more than any spread needs, and keeps a jittered slot before the next slot of an hourly plan. */
#define CMP_MAX_JITTER_S 3600
/* Log lines for the missed slots of one catch-up: one per slot, up to this many, then one line with the count (a
 * minutely plan down for a week would otherwise write 10,000 lines at once; the metric counts them all). */
#define SCH_MISSED_LOG_MAX 100
/* Most slots `buffer_all` keeps waiting (`max_buffered`): each is a row in the store's durable buffer and they run
 * one after the other, so more than a few thousand could never drain; the default is 100 (SCH_DEFAULT_MAX_BUFFERED). */
#define CMP_MAX_BUFFERED 10000
/* Largest `pause_on_failure`: the check reads that many of the newest finished runs at each fire. */
#define CMP_MAX_PAUSE_ON_FAILURE 1000
/* Slots one backfill request may cover, and slots a plan's backfill queue may hold (each is a row in the durable
 * queue, read whole at each look of the scheduler, and a line of the answer); more is refused: split the range. */
#define SCH_BACKFILL_MAX 10000
/* Most executions a backfill runs at once (`--parallel`). */
#define SCH_BACKFILL_MAX_PARALLEL 100
/* Fires of one scheduler pass share a store transaction, up to this many fires or this long (whichever comes
 * first): one commit per fire made 1,000 slots due at once take 1,000 commits; a batch keeps the store's write lock,
 * so it is bounded to keep API writes waiting at most about SCH_FIRE_BATCH_MS. 1,000 (was 500): on a store grown by
 * earlier bursts the two halves of a burst of 1,000 dirtied most of the same index leaves and each commit wrote
 * them (1,450-1,500 pages a burst against 1,130-1,190 in one commit, bench_sch burst DIR N grown 40). */
#define SCH_FIRE_BATCH 1000
#define SCH_FIRE_BATCH_MS 50
/* Bytes of decoded launch plans the scheduler keeps, one per schedule, made when its entry is built (its active
 * version's spec and closure messages, so a fire neither reads the blobs nor decodes them; about 1 to 3 KB for a
 * plan with a few inputs). It buys about 8% of a fire's CPU for about 525 bytes a schedule (bench/RESULTS.md,
 * 2026-12-07 h3F); 64 MiB covers tens of thousands of schedules; past it, a schedule decodes its plan at each fire
 * as before (slower, same result). */
#define SCH_LP_CACHE_BYTES (64u * 1024 * 1024)
/* Bytes of one store savepoint's statement journal kept in memory before sqlite spills it to a temporary file
 * (sqlite's default is 64 KiB). Every store write is a savepoint inside the caller's transaction and each scheduler
 * fire is one inside a batch; one fire touches about 20 pages (the execution row, its 8 indexes, the slot log and
 * state), so under the default each fire wrote its page images to a file: a third of the fire's CPU (bench_sch
 * burst). 1 MiB holds a fire's images many times over and bounds what one connection keeps for it. */
#define ADM_STMT_JOURNAL_SPILL (1024 * 1024)
/* WAL frames after a commit at which the store checkpoints (PASSIVE), as sqlite's own autocheckpoint does (its
 * default, 1000 pages, about 4 MiB of WAL). The store's WAL hook does it instead of sqlite's so that a scheduler
 * pass can put it off until its fires are committed (adm_store_defer_checkpoints): a checkpoint in the middle of
 * 1,000 fires due at once wrote the database pages and ran two fdatasyncs before the rest could be created. */
#define ADM_WAL_CHECKPOINT_FRAMES 1000
/* While checkpoints are put off, the WAL may grow to this many frames (16 MiB) before one is made anyway: a pass of
 * 1,000 fires writes about 250, a catch-up of 100,000 slots after downtime would write about 25,000. */
#define ADM_WAL_DEFERRED_MAX_FRAMES 4000
/* KiB of page cache of a store connection (PRAGMA cache_size; sqlite's default is 2,000 KiB, about 500 pages). The
 * pages a burst of 1,000 fires touches are spread over the B-trees ordered by launch plan (the execution names'
 * unique index, executions_by_lp): about 23 pages per 1,000 executions, 1,000 to 2,000 pages once the store holds
 * tens of bursts. Under the default every burst read most of them back from the WAL or the file (2,100 to 2,300
 * cache misses a burst after 40 bursts, bench_sch burst DIR N grown). 32 MiB holds them up to about 300,000
 * executions; sqlite takes the memory as pages are read, so a small store uses little of it. */
#define ADM_STORE_CACHE_KIB 32768
/* Missed slots of one catch-up written to the slot log (the newest ones; the metric counts them all). */
#define SCH_MISSED_SLOTS_LOGGED 10

/* --- lsp/: the language server ------------------------------------------------------------------------- */

/* One LSP message (a whole document with didOpen/didChange): 16 MiB is far above any spec someone types; a
 * larger message is read and thrown away as it arrives, so a runaway client cannot make the server hold it. */
#define FC_LIMIT_LSP_MESSAGE (16u * 1024 * 1024)
/* The header block of one message ("Content-Length: N" and perhaps Content-Type): a few dozen bytes in practice. */
#define FC_LIMIT_LSP_HEADER (8u * 1024)

/* --- admin-lite/console.c: the web console's static files ------------------------------------------------ */

/* Bytes of one console file served from --console-dir: the console's largest module is tens of kilobytes; 4 MiB
 * leaves room for a vendored library while a stray large file in the directory is refused, not read whole. */
#define ADM_CONSOLE_FILE_MAX (4u * 1024 * 1024)
/* Bytes of a console file name (one path segment): the files are named by us, a longer name is not one of them. */
#define ADM_CONSOLE_NAME_MAX 64

#endif
