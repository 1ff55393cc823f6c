/* cmd_schedule.c: `flytec schedule next|check`: a schedule's canonical form and its next fire times. */
#include "cli/cmd_schedule.h"

#include "cli/cli.h"
#include "cli/cmd_admin.h"
#include "core/buf.h"
#include "core/cron.h"
#include "core/duration.h"
#include "core/err.h"
#include "core/limits.h"
#include "core/tz.h"
#include "scheduler/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COUNT 10000

static const char usage_text[] =
	"usage: flytec schedule next \"<expr>\" [--tz ZONE] [-n N] [--from TIME] [--anchor TIME]\n"
	"                            [--dst-repeat first|last|both|auto] [--dst-skip shift|skip]\n"
	"                            [--jitter DURATION --plan PROJECT/DOMAIN/NAME]\n"
	"       flytec schedule check \"<expr>\"\n"
	"       flytec schedule pause|unpause LAUNCH_PLAN [--note TEXT] [--catch-up]   (on a running admin)\n"
	"\n"
	"  next     print the next N fire times (default 5) after --from (default now), each as local time\n"
	"           with the zone's offset, UTC time and zone abbreviation\n"
	"  check    print the canonical form of the expression\n"
	"\n"
	"  --tz ZONE       IANA zone for expressions without CRON_TZ= (default UTC)\n"
	"  -n, --count N   how many fire times (1-10000)\n"
	"  --from TIME     RFC 3339 instant to start after, e.g. 2024-03-10T00:00:00Z\n"
	"  --anchor TIME   RFC 3339 activation time for @every schedules (default: --from)\n"
	"  --dst-repeat R  which occurrence of a repeated wall time fires (default auto: both when the hour\n"
	"                  field covers every hour, else first)\n"
	"  --dst-skip S    a skipped wall time fires at the transition (shift, default) or not at all (skip)\n"
	"  --jitter D      the schedule's jitter (e.g. 30s); with --plan, prints when each slot fires\n"
	"  --plan P/D/N    the launch plan whose jitter offset to use\n"
	"\n"
	"A time moved or chosen by a DST rule names the rule after the zone abbreviation.\n"
	"\n"
	"Expressions: 'minute hour day-of-month month day-of-week', @daily and the other descriptors,\n"
	"'@every 1h30m', each optionally prefixed by 'CRON_TZ=Zone '. See docs/schedules.md.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fputs("flytec: schedule: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nusage: flytec schedule next \"<expr>\" [--tz ZONE] [-n N] [--from TIME] [--anchor TIME]\n"
	      "       flytec schedule check \"<expr>\"   (see 'flytec schedule --help')\n",
	      stderr);
	return CLI_EXIT_USAGE;
}

/* The message, the expression and a caret under the offending column. */
static void report_expr_error(const char *expr, size_t column, const struct fc_err *err)
{
	fprintf(stderr, "flytec: schedule: %s\n", err->msg);
	if (!column)
		return;
	fputs("  ", stderr);
	for (const char *p = expr; *p; p++)
		fputc(*p == '\t' ? ' ' : ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p, stderr);
	fputs("\n  ", stderr);
	for (size_t i = 1; i < column; i++)
		fputc(' ', stderr);
	fputs("^\n", stderr);
}

/* "--name VALUE" or "--name=VALUE" (and "-n VALUE"/"-nVALUE" for short options). */
static bool take_option(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n))
		return false;
	if (arg[n] == '=' || (name[1] != '-' && arg[n])) {
		*value = arg + n + (arg[n] == '=');
		return true;
	}
	if (arg[n])
		return false;
	if (*i + 1 >= argc) {
		*value = NULL;
		return true;
	}
	*value = argv[++*i];
	return true;
}

static int parse_time_option(const char *name, const char *text, int64_t *out)
{
	struct fc_err err;

	if (fc_time_parse_rfc3339(text, out, NULL, &err)) {
		fprintf(stderr, "flytec: schedule: %s %s: %s\n", name, text, err.msg);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static int print_next(const struct fc_cron *cron, const struct fc_tz *tz, int64_t from, int64_t anchor,
		      long count, const struct fc_cron_dst *dst, int64_t jitter_ns)
{
	const struct fc_tz *zone = fc_cron_zone(cron) ? fc_cron_zone(cron) : tz;
	int64_t t = from;

	for (long i = 0; i < count; i++) {
		char local[FC_RFC3339_MAX], utc[FC_RFC3339_MAX];
		struct fc_civil civil;

		enum fc_cron_rule rule;

		t = fc_cron_next_dst(cron, zone, t, anchor, dst, &rule);
		if (t == FC_CRON_NONE) {
			fprintf(stderr, "flytec: schedule: no further fire times before the year 10000\n");
			break;
		}
		fc_tz_to_local(zone, t, &civil);
		fc_time_format_rfc3339(t, civil.utc_offset, local);
		fc_time_format_rfc3339(t, 0, utc);
		printf("%s  %s  %s", local, utc, civil.abbr);
		if (jitter_ns) {
			char fires[SCH_TIME_MAX];

			sch_format_time(t * INT64_C(1000000000) + jitter_ns, fires);
			printf("  fires %s", fires);
		}
		if (rule != FC_CRON_RULE_PLAIN)
			printf("  (%s)", fc_cron_rule_name(rule));
		putchar('\n');
	}
	return fflush(stdout) ? CLI_EXIT_SPEC : CLI_EXIT_OK;
}

int cmd_schedule(int argc, char **argv)
{
	const char *sub, *expr = NULL, *tz_name = NULL, *from_text = NULL, *anchor_text = NULL, *count_text = NULL;
	const char *repeat_text = NULL, *skip_text = NULL, *jitter_text = NULL, *plan_text = NULL;
	struct fc_cron_dst dst = {FC_DST_REPEAT_AUTO, FC_DST_SKIP_SHIFT};
	int64_t jitter_ns = 0;
	struct fc_cron *cron = NULL;
	struct fc_tz *tz = NULL;
	struct fc_err err;
	int64_t from, anchor;
	long count = 5;
	size_t column;
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		fputs(usage_text, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	sub = argv[1];
	if (!strcmp(sub, "pause") || !strcmp(sub, "unpause")) {
		/* a client of the admin API: libcurl, in flytec-full */
		if (!cli_full.schedule_pause)
			return cli_handover("'flytec schedule pause|unpause'");
		return cli_full.schedule_pause(argc - 1, argv + 1, !strcmp(sub, "pause"));
	}
	if (strcmp(sub, "next") && strcmp(sub, "check"))
		return usage_error("unknown subcommand '%s' (use next, check, pause or unpause)", sub);
	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *value = NULL;
		const char **slot = NULL;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(usage_text, stdout);
			return CLI_EXIT_OK;
		}
		if (!strcmp(arg, "--")) {
			if (i + 1 < argc && !expr && i + 2 == argc) {
				expr = argv[i + 1];
				break;
			}
			return usage_error("%s", "expected one expression after '--'");
		}
		if (take_option(argc, argv, &i, "--tz", &value))
			slot = &tz_name;
		else if (take_option(argc, argv, &i, "--count", &value) || take_option(argc, argv, &i, "-n", &value))
			slot = &count_text;
		else if (take_option(argc, argv, &i, "--from", &value))
			slot = &from_text;
		else if (take_option(argc, argv, &i, "--anchor", &value))
			slot = &anchor_text;
		else if (take_option(argc, argv, &i, "--dst-repeat", &value))
			slot = &repeat_text;
		else if (take_option(argc, argv, &i, "--dst-skip", &value))
			slot = &skip_text;
		else if (take_option(argc, argv, &i, "--jitter", &value))
			slot = &jitter_text;
		else if (take_option(argc, argv, &i, "--plan", &value))
			slot = &plan_text;
		if (slot) {
			if (!value)
				return usage_error("option %s needs a value", arg);
			if (!strcmp(sub, "check"))
				return usage_error("option %s only applies to 'schedule next'", arg);
			*slot = value;
			continue;
		}
		if (arg[0] == '-' && arg[1])
			return usage_error("unknown option '%s'", arg);
		if (expr)
			return usage_error("%s", "expected one expression: quote it, as in \"0 9 * * MON-FRI\"");
		expr = arg;
	}
	if (!expr)
		return usage_error("%s", "missing the schedule expression");

	rc = fc_cron_parse(expr, &cron, &column, &err);
	if (rc) {
		report_expr_error(expr, column, &err);
		return CLI_EXIT_SPEC;
	}
	if (!strcmp(sub, "check")) {
		struct fc_buf out = FC_BUF_INIT;

		fc_cron_normalise(cron, &out);
		printf("%s\n", out.buf);
		fc_buf_release(&out);
		rc = CLI_EXIT_OK;
		goto out;
	}

	if (count_text) {
		char *end;

		count = strtol(count_text, &end, 10);
		if (*end || end == count_text || count < 1 || count > MAX_COUNT) {
			rc = usage_error("-n %s: expected a count from 1 to 10000", count_text);
			goto out;
		}
	}
	if (tz_name && fc_tz_load(tz_name, &tz, &err)) {
		fprintf(stderr, "flytec: schedule: --tz: %s\n", err.msg);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (tz && fc_cron_zone(cron) && strcmp(fc_tz_name(tz), fc_tz_name(fc_cron_zone(cron))))
		fprintf(stderr, "flytec: schedule: note: the expression's CRON_TZ=%s overrides --tz %s\n",
			fc_tz_name(fc_cron_zone(cron)), fc_tz_name(tz));
	from = (int64_t)time(NULL);
	if (from_text && (rc = parse_time_option("--from", from_text, &from)))
		goto out;
	anchor = from;
	if (anchor_text && (rc = parse_time_option("--anchor", anchor_text, &anchor)))
		goto out;
	if ((repeat_text && fc_cron_dst_repeat_parse(repeat_text, &dst.repeat, &err)) ||
	    (skip_text && fc_cron_dst_skip_parse(skip_text, &dst.skip, &err))) {
		rc = usage_error("%s", err.msg);
		goto out;
	}
	if (jitter_text) {
		int64_t nanos;
		char *p1, *p2;

		if (fc_duration_parse(jitter_text, &nanos, NULL, &err) || nanos < 0 ||
		    nanos > CMP_MAX_JITTER_S * INT64_C(1000000000)) {
			rc = usage_error("--jitter %s: expected a duration from 0s to 1h", jitter_text);
			goto out;
		}
		if (!plan_text || !(p1 = strchr(plan_text, '/')) || !(p2 = strchr(p1 + 1, '/')) || p1 == plan_text ||
		    p2 == p1 + 1 || !p2[1] || strchr(p2 + 1, '/')) {
			rc = usage_error("%s", "--jitter needs --plan PROJECT/DOMAIN/NAME (the offset depends on the plan)");
			goto out;
		}
		{
			char *copy = fc_xstrdup(plan_text);

			copy[p1 - plan_text] = copy[p2 - plan_text] = '\0';
			jitter_ns = sch_jitter_ns(copy, copy + (p1 - plan_text) + 1, copy + (p2 - plan_text) + 1,
						  nanos / 1000000);
			free(copy);
		}
		printf("jitter: %s fires %lld.%03llds after each slot (of up to %s)\n", plan_text,
		       (long long)(jitter_ns / 1000000000), (long long)(jitter_ns / 1000000 % 1000), jitter_text);
	} else if (plan_text) {
		rc = usage_error("%s", "--plan only applies with --jitter");
		goto out;
	}
	rc = print_next(cron, tz ? tz : fc_tz_utc(), from, anchor, count, &dst, jitter_ns);
out:
	fc_cron_free(cron);
	fc_tz_free(tz);
	return rc;
}
