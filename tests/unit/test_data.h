/*
 * test_data.h: where the unit tests find Flyte's own test data, and how they skip without it.
 *
 * ../shared/flyte-testdata (next to this tree) holds what `pyflyte package` and Flyte's compiler wrote for
 * flytesnacks. A checkout without it still builds and runs every test: those that read it are skipped with a
 * message, never failed or crashed. Wrap such a test: `if (!have_shared_data(DIR)) skip();` before it reads.
 */
#ifndef TEST_DATA_H
#define TEST_DATA_H

#include <stdbool.h>
#include <sys/stat.h>

#define SNACKS_DIR "../shared/flyte-testdata/snacks-core"

static inline bool have_shared_data(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return true;
	print_message("skipped: %s is missing (Flyte's test data, expected next to this tree)\n", dir);
	return false;
}

#endif
