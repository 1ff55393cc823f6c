/*
 * test_data.h: where the unit tests find Flyte's own test data, and how they skip without it.
 *
 * ../shared/flyte-testdata (next to this tree) holds what `pyflyte package` and Flyte's compiler wrote for
 * flytesnacks. A checkout without it still builds and runs every test: those that read it are skipped with a
 * message, never failed or crashed. Wrap such a test: `if (!have_shared_data(DIR)) skip();` before it reads.
 */
#ifndef TEST_DATA_H
#define TEST_DATA_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static inline bool data_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Paths of the files in `dir` whose names end in `suffix`, sorted by name; free with data_free_list(). */
static inline size_t data_list_files(const char *dir, const char *suffix, char ***out)
{
	struct dirent **entries;
	int n = scandir(dir, &entries, NULL, alphasort), i;
	size_t count = 0;

	*out = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
	for (i = 0; i < n; i++) {
		if (data_has_suffix(entries[i]->d_name, suffix)) {
			char path[1024];

			snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
			(*out)[count++] = strdup(path);
		}
		free(entries[i]);
	}
	if (n > 0)
		free(entries);
	return count;
}

static inline void data_free_list(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

#endif
