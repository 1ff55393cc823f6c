/*
 * fuzz_cron.c: libFuzzer target for the schedule parsers.
 *
 * Cron: parse; on success the canonical form must re-parse to an equal schedule and be a fixed point, and a few
 * next fire times (UTC, America/New_York, Australia/Lord_Howe) must be strictly increasing whole minutes of the
 * wall clock. On failure the column must lie within the input (or one past it). The same bytes are also fed to the
 * RFC 3339 parser (format + re-parse must give the same instant) and the POSIX TZ string parser.
 *
 * Build: make build/fuzz/fuzz_cron; run: build/fuzz/fuzz_cron -max_total_time=300 CORPUS_DIR
 */
#include "core/buf.h"
#include "core/cron.h"
#include "core/err.h"
#include "core/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			fprintf(stderr, "fuzz_cron: check failed: %s (line %d) on '%s'\n", #cond, __LINE__,   \
				text);                                                                       \
			abort();                                                                             \
		}                                                                                            \
	} while (0)

static struct fc_tz *zones[2];

static void load_zones(void)
{
	static const char *const names[2] = {"America/New_York", "Australia/Lord_Howe"};

	for (int i = 0; i < 2; i++)
		if (!zones[i] && fc_tz_load(names[i], &zones[i], NULL))
			zones[i] = NULL;
}

static uint64_t hash(const uint8_t *data, size_t size)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 1099511628211ull;
	return h;
}

static void fuzz_cron(const char *text, uint64_t h)
{
	struct fc_cron *c = NULL, *again = NULL;
	struct fc_buf canon = FC_BUF_INIT, canon2 = FC_BUF_INIT;
	struct fc_err err;
	size_t col = 0;
	int rc = fc_cron_parse(text, &c, &col, &err);

	if (rc) {
		CHECK(c == NULL);
		CHECK(rc == FC_EPARSE || rc == FC_ELIMIT);
		CHECK(col >= 1 && col <= strlen(text) + 1);
		CHECK(!strncmp(err.msg, "column ", 7));
		return;
	}
	fc_cron_normalise(c, &canon);
	rc = fc_cron_parse(canon.buf, &again, &col, &err);
	if (rc)
		fprintf(stderr, "canonical form '%s' refused: %s\n", canon.buf, err.msg);
	CHECK(rc == 0);
	CHECK(fc_cron_equal(c, again));
	fc_cron_normalise(again, &canon2);
	CHECK(!strcmp(canon.buf, canon2.buf));

	/* Pinned instants between 1970 and 2100, chosen by the input. */
	for (int z = -1; z < 2; z++) {
		const struct fc_tz *tz = z < 0 ? NULL : zones[z];
		const struct fc_tz *shown = fc_cron_zone(c) ? fc_cron_zone(c) : tz ? tz : fc_tz_utc();
		int64_t t = (int64_t)(h % UINT64_C(4102444800)), anchor = t - (int64_t)(h >> 40);

		for (int k = 0; k < 4; k++) {
			int64_t next = fc_cron_next(c, tz, t, anchor);
			struct fc_civil civil;

			if (next == FC_CRON_NONE)
				break;
			CHECK(next > t);
			CHECK(next <= FC_TIME_MAX);
			if (fc_cron_is_every(c)) {
				CHECK((next - anchor) % fc_cron_period(c) == 0);
			} else {
				fc_tz_to_local(shown, next, &civil);
				CHECK(civil.second == 0);
			}
			t = next;
		}
	}
	fc_buf_release(&canon);
	fc_buf_release(&canon2);
	fc_cron_free(c);
	fc_cron_free(again);
}

static void fuzz_rfc3339(const char *text)
{
	int64_t t, t2;
	int32_t off;
	char out[FC_RFC3339_MAX];

	if (fc_time_parse_rfc3339(text, &t, &off, NULL))
		return;
	CHECK(t >= FC_TIME_MIN && t <= FC_TIME_MAX);
	fc_time_format_rfc3339(t, off, out);
	CHECK(!fc_time_parse_rfc3339(out, &t2, NULL, NULL));
	CHECK(t == t2);
}

static void fuzz_posix(const char *text, uint64_t h)
{
	struct fc_tz *tz = NULL;

	if (fc_tz_parse_posix(text, &tz, NULL))
		return;
	for (int k = 0; k < 4; k++) {
		int64_t t = (int64_t)((h >> (k * 8)) % UINT64_C(8000000000)) - 2000000000, cand[2];
		struct fc_civil civil;
		int n;

		fc_tz_to_local(tz, t, &civil);
		n = fc_tz_from_local(tz, &civil, cand);
		CHECK(n >= 1 && n <= 2);
		CHECK(cand[0] == t || cand[1] == t);
	}
	fc_tz_free(tz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;
	uint64_t h;

	if (size > 2 * FC_CRON_MAX_LEN)
		return 0;
	load_zones();
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	h = hash(data, size);
	fuzz_cron(text, h);
	fuzz_rfc3339(text);
	fuzz_posix(text, h);
	free(text);
	return 0;
}
