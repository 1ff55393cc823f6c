/*
 * duration.h: durations as people write them ("90s", "15m", "1h30m", "1.5h", "250ms", "2d") and Kubernetes
 * resource quantities ("500m", "1.5Gi", "2"). Used by specs (timeouts, sleeps, rates) and schedules (@every).
 */
#ifndef FC_DURATION_H
#define FC_DURATION_H

#include "fc.h"

struct fc_err;

/*
 * Parse a duration into nanoseconds. Units: ns, us, ms, s, m, h, d (a day is 24h: no calendar meaning). Several
 * components may follow each other ("1h30m"); each may have a fraction ("1.5h"). A bare number is refused (a
 * unit is always needed), except "0". On error `*bad_offset` (if not NULL) is the 0-based offset of the offending
 * character.
 */
int fc_duration_parse(const char *text, int64_t *nanos, size_t *bad_offset, struct fc_err *err);
/* Canonical form: "1h30m", "250ms", "0s". Appended to `out`. */
struct fc_buf;
void fc_duration_format(int64_t nanos, struct fc_buf *out);

/* Parse a Kubernetes quantity ("500m", "1Gi", "2", "1e3") into milli-units; refuses negatives. */
int fc_quantity_parse(const char *text, int64_t *milli, struct fc_err *err);

#endif
