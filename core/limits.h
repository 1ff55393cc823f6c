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

#endif
