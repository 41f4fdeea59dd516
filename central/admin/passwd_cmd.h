/* passwd_cmd.h - `wwtp-central passwd`: adds or changes an account of the
 * web page and the API (auth.h, docs/web.md), reading the password from
 * standard input, never from the command line (which others can see in
 * the process list and the shell's history). */
#ifndef WWTP_CENTRAL_PASSWD_CMD_H
#define WWTP_CENTRAL_PASSWD_CMD_H

/* argv[0] is "passwd". Returns the exit status: 0, 1 (cannot write; out of
 * memory), 2 (bad usage or password). */
int wwtp_passwd_main(int argc, char **argv);

#endif
