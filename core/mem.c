/* mem.c: allocation wrappers; running out of memory is fatal, everything else is an error code. */
#include "fc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fc_die_oom(size_t size)
{
	fprintf(stderr, "flytec: fatal: out of memory allocating %zu bytes\n", size);
	abort();
}

void fc_bug_fl(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flytec: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void *fc_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		fc_die_oom(size);
	return p;
}

void *fc_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		fc_die_oom(nmemb * size);
	return p;
}

void *fc_xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (!p)
		fc_die_oom(size);
	return p;
}

char *fc_xstrdup(const char *s)
{
	return fc_xstrndup(s, strlen(s));
}

char *fc_xstrndup(const char *s, size_t n)
{
	char *p = fc_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}
