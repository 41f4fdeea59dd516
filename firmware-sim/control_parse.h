/* control_parse.h - the simulator's fault specs and control commands, as
 * text. Pure: no I/O, no clocks, no global state, nothing looked up (an
 * unknown station is found out later, by whoever executes the command).
 *
 * Two spellings reach the same struct wwtp_sim_cmd:
 *   command line   --fault STATION/DEVICE=KIND[:ARG]   --set STATION/PARAM=VALUE
 *   control port   fault STATION DEVICE KIND [ARG]     set STATION PARAM VALUE
 *                  unset STATION PARAM   status STATION DEVICE ok|calibrating|fault|auto
 *                  get STATION PARAM   show STATION DEVICE   list   help   quit
 * docs/simulator.md describes what each one does. */
#ifndef WWTP_SIM_CONTROL_PARSE_H
#define WWTP_SIM_CONTROL_PARSE_H

#include <stddef.h>

#include "../model/station.h"

/* Longest control line, newline included; longer lines are refused. */
#define WWTP_SIM_LINE_MAX 256
/* Room for an error message from the parsers (without "error: "). */
#define WWTP_SIM_ERR_MAX 160

/* Bounds of the fault arguments. */
#define WWTP_SIM_DELAY_MAX_MS 600000 /* 10 minutes */
#define WWTP_SIM_SILENT_MAX_S 86400  /* a day */

enum wwtp_sim_fault_kind {
	WWTP_SIM_FAULT_NONE = 0,    /* behave */
	WWTP_SIM_FAULT_DELAY,	    /* answer ms late */
	WWTP_SIM_FAULT_DROP,	    /* no answer, with probability p */
	WWTP_SIM_FAULT_EXCEPTION,   /* answer every request with exception code */
	WWTP_SIM_FAULT_CRC,	    /* RTU: bad CRC; TCP: bad MBAP protocol id */
	WWTP_SIM_FAULT_CLOSE,	    /* TCP: close the connection; RTU: no answer */
	WWTP_SIM_FAULT_SILENT,	    /* no answer for ms, then NONE again */
	WWTP_SIM_FAULT_WRONG_UNIT,  /* answer with another unit id */
	WWTP_SIM_FAULT_BAD_ADDRESS, /* exception 2 for requests covering address */
};

/* One fault, as given. Only the field of its kind means anything; the
 * others are 0. */
struct wwtp_sim_fault {
	enum wwtp_sim_fault_kind kind;
	int ms;	     /* DELAY: 0..WWTP_SIM_DELAY_MAX_MS; SILENT: 1..a day */
	double p;    /* DROP: probability 0..1 (1 when not given) */
	int code;    /* EXCEPTION: 1..255 */
	int address; /* BAD_ADDRESS: wire address 0..65535 */
};

/* "none", "delay", ... ; "?" for a value outside the enum. */
const char *wwtp_sim_fault_kind_name(enum wwtp_sim_fault_kind k);

/* Parses a kind name and its argument (arg NULL or "" when none was given).
 * Returns 0, or WWTP_ERR_INVAL with a message in err. */
int wwtp_sim_fault_parse(const char *kind, const char *arg, struct wwtp_sim_fault *out, char *err,
			 size_t errlen);

/* Writes f as the command line spells it ("delay:500", "crc", ...), which
 * wwtp_sim_fault_parse reads back to the same fault. Returns what
 * snprintf does. */
int wwtp_sim_fault_format(const struct wwtp_sim_fault *f, char *buf, size_t n);

enum wwtp_sim_verb {
	WWTP_SIM_CMD_FAULT = 0, /* station, name = device, fault */
	WWTP_SIM_CMD_SET,	/* station, name = param, value */
	WWTP_SIM_CMD_UNSET,	/* station, name = param */
	WWTP_SIM_CMD_STATUS,	/* station, name = device, status */
	WWTP_SIM_CMD_GET,	/* station, name = param */
	WWTP_SIM_CMD_SHOW,	/* station, name = device */
	WWTP_SIM_CMD_LIST,
	WWTP_SIM_CMD_HELP,
	WWTP_SIM_CMD_QUIT,
};

/* Forced instrument status of STATUS: one of WWTP_READING_OK, _CALIBRATING,
 * _FAULT (payload/payload.h), or this for "auto" (the model decides). */
#define WWTP_SIM_STATUS_AUTO (-1)

struct wwtp_sim_cmd {
	enum wwtp_sim_verb verb;
	char station[WWTP_ID_MAX];
	char name[WWTP_ID_MAX]; /* device or param, by verb */
	struct wwtp_sim_fault fault;
	double value; /* SET: any number strtod reads, nan and inf included
			 (a float point can carry them; the encoder decides) */
	int status;   /* STATUS */
};

/* One control line (without its newline; a trailing CR is ignored).
 * Words are separated by spaces or tabs. Returns 0, or WWTP_ERR_INVAL with
 * a message in err: unknown command, wrong number of words, a name longer
 * than a name can be, a bad number, a character that is not printable
 * ASCII. Blank lines are the caller's business (they are an error here). */
int wwtp_sim_cmd_parse(const char *line, struct wwtp_sim_cmd *out, char *err, size_t errlen);

/* --fault STATION/DEVICE=KIND[:ARG] and --set STATION/PARAM=VALUE. Same
 * returns as wwtp_sim_cmd_parse. */
int wwtp_sim_fault_spec_parse(const char *spec, struct wwtp_sim_cmd *out, char *err, size_t errlen);
int wwtp_sim_set_spec_parse(const char *spec, struct wwtp_sim_cmd *out, char *err, size_t errlen);

/* One line naming every command, for "help" and for error messages. */
extern const char wwtp_sim_cmd_help[];

#endif
