/* serve.h - serving simulated devices over Modbus TCP and RTU.
 *
 * An endpoint is one thing a collector connects to: a listening TCP socket
 * (host, port) or a serial line (a pseudo-terminal the simulator creates,
 * or an existing line given with --serial). Several devices may share an
 * endpoint, told apart by unit id: the station's RS-485-to-TCP gateway, or
 * devices on one RS-485 bus. A request for a unit id nobody has gets no
 * answer at all, as a real gateway or bus behaves (the client times out).
 *
 * Each endpoint has one thread that waits with poll() on its descriptors
 * and on a shared stop descriptor, so shutdown never waits on a client.
 * The transports are const tables of functions (serve_tcp.c, serve_rtu.c);
 * the parts they share live in serve.c.
 *
 * Every answer is produced by libmodbus's modbus_reply() (so exceptions,
 * bounds and encodings are libmodbus's own) but written into a local
 * socket pair rather than to the client; the frame is read back, passed
 * through the device's fault (fault.h: delay, drop, exception, corrupt CRC,
 * close, silence, wrong unit id, one bad address), and only then sent. The
 * transports carry out what the fault asks (wait, send nothing, close). */
#ifndef WWTP_SIM_SERVE_H
#define WWTP_SIM_SERVE_H

#include <modbus.h>
#include <pthread.h>
#include <stdint.h>

#include "../model/station.h"
#include "control_parse.h"
#include "image.h"

#define WWTP_SIM_MAX_CLIENTS 32 /* TCP connections per endpoint; more are refused */
#define WWTP_SIM_MAX_ADU 260	/* largest Modbus frame, TCP (RTU: 256) */

struct wwtp_sim_endpoint;
struct wwtp_sim_faultbox;

/* What a transport does. open: create/listen (0 or a negative code, logged);
 * run: the thread body, returns when stop_fd becomes readable; close: frees
 * what open made (safe after a failed or no open). */
struct wwtp_sim_transport {
	const char *name; /* "tcp", "rtu" */
	int (*open)(struct wwtp_sim_endpoint *ep);
	void *(*run)(void *ep);
	void (*close)(struct wwtp_sim_endpoint *ep);
};

extern const struct wwtp_sim_transport wwtp_sim_tcp_transport;
extern const struct wwtp_sim_transport wwtp_sim_rtu_transport;

/* Produces answers with modbus_reply into a socket pair (see above). */
struct wwtp_sim_replier {
	modbus_t *ctx; /* backend decides the framing: TCP (MBAP) or RTU (CRC) */
	int pair[2];   /* [0] given to libmodbus, [1] read back here */
};

struct wwtp_sim_endpoint {
	const struct wwtp_sim_transport *tp;
	/* What to serve, set before open. */
	char host[WWTP_NAME_MAX];   /* TCP: address to bind */
	int port;		    /* TCP: port to listen on */
	char serial[WWTP_PATH_MAX]; /* RTU: existing line (--serial); "" = make a pty */
	int baud, data_bits, stop_bits;
	char parity;			       /* RTU line settings (of the first device on it) */
	struct wwtp_sim_image *units[256];     /* image answering each unit id; NULL: silence */
	struct wwtp_sim_faultbox *faults[256]; /* that device's fault (fault.h) */
	int stop_fd;			       /* readable once the simulator stops */

	/* Set by open. */
	char path[WWTP_PATH_MAX];      /* RTU: what clients open (pty slave or --serial) */
	char desc[WWTP_PATH_MAX + 64]; /* "tcp 127.0.0.1 15011", "rtu /dev/pts/7" */
	int fd;			       /* listening socket, pty master or line; -1 */
	int hold_fd;		       /* RTU pty: the slave, kept open; -1 */
	struct wwtp_sim_replier rep;

	/* Thread and counters (written by the endpoint thread only). */
	pthread_t thread;
	int running;
	uint64_t requests, answered, ignored, faulted;
};

/* Sets the descriptors to -1 and copies the stop descriptor; the caller
 * then fills the "what to serve" fields. */
void wwtp_sim_endpoint_init(struct wwtp_sim_endpoint *ep, const struct wwtp_sim_transport *tp,
			    int stop_fd);

/* Takes ownership of ctx (freed by wwtp_sim_replier_free, also on failure).
 * Returns 0 or WWTP_ERR_ERRNO. */
int wwtp_sim_replier_init(struct wwtp_sim_replier *r, modbus_t *ctx);
void wwtp_sim_replier_free(struct wwtp_sim_replier *r); /* accepts a zeroed/failed one */

/* One request and its answer on their way through the endpoint. */
struct wwtp_sim_exchange {
	const struct wwtp_sim_endpoint *ep;
	int hdr;	    /* offset of the function code: TCP 7 (MBAP), RTU 1 */
	int unit;	    /* unit id of the request */
	int function;	    /* function code, -1 if the frame has none */
	int address;	    /* first address the request names, -1 if none */
	const uint8_t *req; /* the frame as received (TCP: MBAP + PDU; RTU: with CRC) */
	int req_len;
	struct wwtp_sim_fault fault;   /* the fault applied to this request (NONE: none) */
	uint8_t rsp[WWTP_SIM_MAX_ADU]; /* the frame about to be sent, same framing */
	int rsp_len;		       /* 0: nothing to send */
	int delay_ms;		       /* the transport waits this long before sending */
};

enum wwtp_sim_action {
	WWTP_SIM_SEND = 0,  /* send rsp (if rsp_len > 0) after delay_ms */
	WWTP_SIM_DROP = 1,  /* send nothing */
	WWTP_SIM_CLOSE = 2, /* TCP: close the connection; RTU: as DROP */
};

/* Everything between "a complete, valid frame arrived" and "these bytes go
 * out": picks the image by unit id (none: DROP, no answer), takes the
 * device's fault for this request, builds the answer (unless the fault
 * answers an exception in its place or the device is silent, so that a
 * refused write changes nothing) and lets the fault rewrite it. Does not wait: x->delay_ms is
 * the transport's to honour (TCP holds that client's answer back while
 * serving others; RTU holds the bus, as a slow slave does). hdr is the
 * offset of the function code in req (TCP 7, RTU 1). */
enum wwtp_sim_action wwtp_sim_answer(struct wwtp_sim_endpoint *ep, int hdr, const uint8_t *req,
				     int req_len, struct wwtp_sim_exchange *x);

/* Waits up to ms milliseconds; returns 1 if the simulator is stopping. */
int wwtp_sim_wait_stop(const struct wwtp_sim_endpoint *ep, int ms);

/* Writes all of buf to a non-blocking descriptor, waiting up to 1 s for
 * room. Returns 0 or WWTP_ERR_ERRNO / WWTP_ERR_TIMEOUT. */
int wwtp_sim_write_all(int fd, const uint8_t *buf, size_t n, int is_socket);

#endif
