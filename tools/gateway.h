/* SPDX-License-Identifier: MIT */
/*
 * `hotlist gateway`: receives OpenALPR alprd uploads over HTTP and publishes
 * their reads to the cluster's read stream (tools/gateway.c). Built when
 * libnats and libmicrohttpd are found.
 */
#ifndef HOTLIST_TOOLS_GATEWAY_H
#define HOTLIST_TOOLS_GATEWAY_H

/* The command's main: argv[0] is "gateway". Exit status 0 after SIGINT or
 * SIGTERM, 2 for bad usage or a listener that cannot start. */
int hl_cmd_gateway(int argc, char **argv);

#endif /* HOTLIST_TOOLS_GATEWAY_H */
