/* err.c: error codes, their names and messages. */
#include "err.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *desc;
} error_table[] = {
#define FC_X_ROW(code, name, desc) {name, desc},
	FC_ERROR_LIST(FC_X_ROW)
#undef FC_X_ROW
};

const char *fc_strerror_name(int code)
{
	if (code < 0 || code >= FC_ERROR_COUNT)
		return "unknown";
	return error_table[code].name;
}

const char *fc_strerror(int code)
{
	if (code < 0 || code >= FC_ERROR_COUNT)
		return "unknown error";
	return error_table[code].desc;
}

int fc_err_set(struct fc_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int fc_err_prefix(struct fc_err *err, const char *fmt, ...)
{
	char prefix[FC_ERR_MSG_MAX];
	char old[FC_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return FC_EINTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	{
		size_t plen = strnlen(prefix, sizeof(err->msg) - 1);
		size_t olen = strnlen(old, sizeof(old) - 1);

		if (plen + olen > sizeof(err->msg) - 1)
			olen = sizeof(err->msg) - 1 - plen;
		memcpy(err->msg, prefix, plen);
		memcpy(err->msg + plen, old, olen);
		err->msg[plen + olen] = '\0';
	}
	return err->code;
}

void fc_err_clear(struct fc_err *err)
{
	if (!err)
		return;
	err->code = FC_OK;
	err->msg[0] = '\0';
}
