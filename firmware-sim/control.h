/* control.h - the simulator's control port: a line-based TCP server on the
 * loopback address. One command per line in, one answer line out.
 *
 * This module only moves lines: it reads them (at most WWTP_SIM_LINE_MAX
 * bytes with the newline; longer lines get one "error: line too long" and
 * are skipped up to their newline), hands each non-blank line that does not
 * start with '#' to the callback, and writes the callback's answer with a
 * newline. What a command means is the callback's business (sim.c).
 *
 * Up to WWTP_SIM_CONTROL_CLIENTS clients at once, served in turn by one
 * thread that polls them, the listening socket and the stop descriptor; a
 * client beyond that gets "error: too many control clients" and is closed.
 * A client that does not read its answers for a second is closed. */
#ifndef WWTP_SIM_CONTROL_H
#define WWTP_SIM_CONTROL_H

#include <stddef.h>

#define WWTP_SIM_CONTROL_CLIENTS 8

/* Answers line (NUL-terminated, no newline) into reply[0..n), without a
 * newline. Returns 0 to go on, 1 to close the connection after the answer.
 * Runs on the control thread. */
typedef int (*wwtp_sim_control_fn)(void *ctx, const char *line, char *reply, size_t n);

struct wwtp_sim_control;

/* Listens on 127.0.0.1:port (0: a port the kernel picks). Returns 0, or
 * WWTP_ERR_CONN (logged) when the port cannot be had. stop_fd: readable
 * once the simulator stops; it ends the thread. */
int wwtp_sim_control_open(int port, int stop_fd, wwtp_sim_control_fn fn, void *ctx,
			  struct wwtp_sim_control **out);
/* The port it listens on. */
int wwtp_sim_control_port(const struct wwtp_sim_control *c);
/* Starts the thread. Returns 0 or WWTP_ERR_ERRNO (logged). */
int wwtp_sim_control_start(struct wwtp_sim_control *c);
/* Joins the thread (stop_fd must be readable by now), closes everything,
 * frees. Accepts NULL and a control that was never started. */
void wwtp_sim_control_free(struct wwtp_sim_control *c);

#endif
