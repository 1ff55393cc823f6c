/*
 * convert.h: going from the IDL back to flytec's own forms.
 *
 *  - cmp_convert_to_spec() turns what a session read from Flyte IDL (pyflyte packages, TaskSpec / WorkflowSpec /
 *    LaunchPlan protobufs, closures as protobuf, JSON or YAML) into flytec's YAML spec language, so that compiling
 *    the result gives the same compiled closures as compiling the IDL. Whatever the spec language cannot say is a
 *    warning diagnostic (code "NotConvertible") naming the entity and the field, never a silent loss.
 *  - cmp_package_write() writes what a session compiled as a `pyflyte package` / `flytectl register files`
 *    archive: a gzip'd tar of flat `<idx>_<name>_<1|2|3>.pb` files (admin.TaskSpec, admin.WorkflowSpec with its
 *    sub-workflows, admin.LaunchPlan) in an order that lets every reference resolve. The same input always gives
 *    byte-identical archives.
 *
 * Both compile the session first when that has not happened yet; diagnostics go to cmp_diags(s).
 * Ownership (fc.h): arguments are borrowed; output is appended to the caller's buffer.
 */
#ifndef CMP_CONVERT_H
#define CMP_CONVERT_H

#include "compiler/compiler.h"

struct fc_buf;
struct fc_err;

struct cmp_convert_options {
	/* Write `project:` / `domain:` into every document even when they are the session's defaults. */
	bool explicit_project;
	/* Compile the output again and report every remaining difference (default on in `flytec convert`). */
	bool verify;
};

struct cmp_convert_stats {
	size_t tasks, workflows, launch_plans; /* entities written */
	size_t folded;                         /* default launch plans folded into workflow input defaults */
	size_t not_convertible;                /* NotConvertible warnings issued */
	size_t verified;                       /* entities whose converted form compiles to the same IDL */
};

/*
 * Append the YAML spec text for every entity `s` read from IDL input (YAML specs in the same session are
 * referenced, not rewritten). Returns FC_OK; FC_ESPEC when the input itself has compile errors (everything that
 * could be converted is still written); FC_EINVAL when nothing in the session came from IDL.
 */
int cmp_convert_to_spec(struct cmp_session *s, const struct cmp_convert_options *opts, struct fc_buf *out,
			struct cmp_convert_stats *stats, struct fc_err *err);

#define CMP_PLACEHOLDER_PROJECT "{{ registration.project }}"
#define CMP_PLACEHOLDER_DOMAIN "{{ registration.domain }}"
#define CMP_PLACEHOLDER_VERSION "{{ registration.version }}"

struct cmp_package_options {
	/* Write registration placeholders for project, domain and version in every identifier, as pyflyte does. */
	bool placeholders;
};

struct cmp_package_stats {
	size_t tasks, workflows, launch_plans; /* files written, by kind */
	size_t fast_bundles;                   /* fast-register code bundles carried over from input packages */
};

/*
 * Append a gzip'd tar archive of everything `s` compiled to `out`. Returns FC_ESPEC (writing nothing) when the
 * session has errors.
 */
int cmp_package_write(struct cmp_session *s, const struct cmp_package_options *opts, struct fc_buf *out,
		      struct cmp_package_stats *stats, struct fc_err *err);

#endif
