/* SPDX-License-Identifier: MIT */
/* The cluster commands of the hotlist program (docs/cluster.md). */
#ifndef HOTLIST_TOOLS_CLUSTER_CMDS_H
#define HOTLIST_TOOLS_CLUSTER_CMDS_H

int hl_cmd_node(int argc, char **argv);
int hl_cmd_publish(int argc, char **argv);
int hl_cmd_edit(int argc, char **argv);
int hl_cmd_feed(int argc, char **argv);
int hl_cmd_hits(int argc, char **argv);
int hl_cmd_cluster(int argc, char **argv);
int hl_cmd_car(int argc, char **argv);

#endif /* HOTLIST_TOOLS_CLUSTER_CMDS_H */
