/* diff.c: line diff by LCS over the part between the common head and tail. */
#include "admin-lite/diff.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

#define DIFF_MAX_CELLS (4u * 1024 * 1024)

struct lines {
	const char **start;
	size_t *len;
	size_t nr, alloc_s, alloc_l;
};

static void split_lines(const char *text, struct lines *l)
{
	const char *p = text;

	memset(l, 0, sizeof(*l));
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		FC_ALLOC_GROW(l->start, l->nr + 1, l->alloc_s);
		FC_ALLOC_GROW(l->len, l->nr + 1, l->alloc_l);
		l->start[l->nr] = p;
		l->len[l->nr] = n;
		l->nr++;
		p += n;
		if (*p == '\n')
			p++;
	}
}

static bool same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->start[i], b->start[j], a->len[i]);
}

/* One edit-script entry: ' ' keep, '-' remove old[i], '+' add new[j]. */
struct op {
	char kind;
	size_t i, j;
};

void adm_diff_lines(const char *old_label, const char *old_text, const char *new_label, const char *new_text,
		    unsigned context, struct fc_buf *out)
{
	struct lines a, b;
	struct op *ops = NULL;
	size_t nops = 0, aops = 0, head = 0, tail = 0, n, m, i, j, k;
	uint32_t *table = NULL;

	split_lines(old_text, &a);
	split_lines(new_text, &b);
	while (head < a.nr && head < b.nr && same(&a, head, &b, head))
		head++;
	while (tail < a.nr - head && tail < b.nr - head && same(&a, a.nr - 1 - tail, &b, b.nr - 1 - tail))
		tail++;
	n = a.nr - head - tail;
	m = b.nr - head - tail;
	if (n == 0 && m == 0)
		goto out;
	for (i = 0; i < head; i++) {
		FC_ALLOC_GROW(ops, nops + 1, aops);
		ops[nops++] = (struct op){' ', i, i};
	}
	if (n && m && (n + 1) * (m + 1) <= DIFF_MAX_CELLS) {
		/* table[i][j] = LCS length of a[head+i..] and b[head+j..] */
		table = fc_xcalloc((n + 1) * (m + 1), sizeof(*table));
		for (i = n; i-- > 0;)
			for (j = m; j-- > 0;)
				table[i * (m + 1) + j] = same(&a, head + i, &b, head + j)
								? table[(i + 1) * (m + 1) + j + 1] + 1
								: (table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1]
									   ? table[(i + 1) * (m + 1) + j]
									   : table[i * (m + 1) + j + 1]);
		i = j = 0;
		while (i < n || j < m) {
			FC_ALLOC_GROW(ops, nops + 1, aops);
			if (i < n && j < m && same(&a, head + i, &b, head + j)) {
				ops[nops++] = (struct op){' ', head + i, head + j};
				i++;
				j++;
			} else if (j < m && (i == n || table[i * (m + 1) + j + 1] > table[(i + 1) * (m + 1) + j])) {
				ops[nops++] = (struct op){'+', head + i, head + j};
				j++;
			} else {
				ops[nops++] = (struct op){'-', head + i, head + j};
				i++;
			}
		}
	} else {
		for (i = 0; i < n; i++) {
			FC_ALLOC_GROW(ops, nops + 1, aops);
			ops[nops++] = (struct op){'-', head + i, head};
		}
		for (j = 0; j < m; j++) {
			FC_ALLOC_GROW(ops, nops + 1, aops);
			ops[nops++] = (struct op){'+', head + n, head + j};
		}
	}
	for (k = 0; k < tail; k++) {
		FC_ALLOC_GROW(ops, nops + 1, aops);
		ops[nops++] = (struct op){' ', head + n + k, head + m + k};
	}

	fc_buf_addf(out, "--- %s\n+++ %s\n", old_label, new_label);
	k = 0;
	while (k < nops) {
		size_t first, last, p;

		while (k < nops && ops[k].kind == ' ')
			k++;
		if (k == nops)
			break;
		/* a hunk: from `context` lines before this change to `context` lines after the last change that is
		 * at most 2 * context unchanged lines away */
		first = k >= context ? k - context : 0;
		last = k;
		for (p = k; p < nops; p++) {
			if (ops[p].kind != ' ')
				last = p;
			else if (p - last > 2 * (size_t)context)
				break;
		}
		last = last + context < nops - 1 ? last + context : nops - 1;
		fc_buf_addf(out, "@@ line %zu @@\n", ops[first].kind == '+' ? ops[first].j + 1 : ops[first].i + 1);
		for (p = first; p <= last; p++) {
			const struct lines *src = ops[p].kind == '+' ? &b : &a;
			size_t idx = ops[p].kind == '+' ? ops[p].j : ops[p].i;

			fc_buf_addch(out, ops[p].kind);
			fc_buf_add(out, src->start[idx], src->len[idx]);
			fc_buf_addch(out, '\n');
		}
		k = last + 1;
	}
out:
	free(table);
	free(ops);
	free(a.start);
	free(a.len);
	free(b.start);
	free(b.len);
}
