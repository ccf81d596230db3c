// SPDX-License-Identifier: MIT
// The public header compiles as C++ and its functions link from C++.
#include <hotlist.h>

#include <cstdio>
#include <cstring>

int main()
{
	struct hotlist_config cfg;
	hotlist_config_init(&cfg);
	if (cfg.struct_size != sizeof(cfg))
		return 1;
	if (std::strcmp(hotlist_err_name(HOTLIST_EPLATE), "HOTLIST_EPLATE") != 0)
		return 2;
	char out[HOTLIST_PLATE_MAX + 1];
	if (hotlist_normalise_plate("ab-12 cd", out) != 6 || std::strcmp(out, "AB12CD") != 0)
		return 3;
	std::printf("C++ ok: hotlist %s\n", hotlist_version_string());
	return 0;
}
