/* acl_cmd.h - `wwtp-central acl`: writes the broker's ACL and configuration
 * snippet (acl.h) for the stations of central.cfg's stations_dir. */
#ifndef WWTP_CENTRAL_ACL_CMD_H
#define WWTP_CENTRAL_ACL_CMD_H

/* argv[0] is "acl". Returns the process's exit status: 0, 1 (cannot write
 * the files), 2 (bad command line, configuration or station files). */
int wwtp_acl_main(int argc, char **argv);

#endif
