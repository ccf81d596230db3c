/* SPDX-License-Identifier: MIT */
/*
 * Version and error-code tables. The error codes are generated from one
 * X-macro, HOTLIST_ERRNO_MAP in hotlist.h (libuv's pattern), so the enum, the
 * messages and the names cannot drift apart.
 */
#include "hotlist.h"

#define HL_STR2(x) #x
#define HL_STR(x) HL_STR2(x)

unsigned hotlist_version_number(void)
{
	return HOTLIST_VERSION_NUMBER;
}

const char *hotlist_version_string(void)
{
	return HL_STR(HOTLIST_VERSION_MAJOR) "." HL_STR(HOTLIST_VERSION_MINOR) "." HL_STR(
		HOTLIST_VERSION_PATCH);
}

const char *hotlist_strerror(int err)
{
	switch (err) {
#define HL_XX(name, value, msg) \
	case HOTLIST_##name:    \
		return msg;
		HOTLIST_ERRNO_MAP(HL_XX)
#undef HL_XX
	case 0:
		return "success";
	default:
		return "unknown error";
	}
}

const char *hotlist_err_name(int err)
{
	switch (err) {
#define HL_XX(name, value, msg) \
	case HOTLIST_##name:    \
		return "HOTLIST_" #name;
		HOTLIST_ERRNO_MAP(HL_XX)
#undef HL_XX
	case 0:
		return "HOTLIST_OK";
	default:
		return "HOTLIST_EUNKNOWN";
	}
}
