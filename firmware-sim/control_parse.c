/* control_parse.c - fault specs and control commands as text (pure). */
#include "control_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../payload/payload.h"
#include "../util/err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char wwtp_sim_cmd_help[] =
    "commands: fault STATION DEVICE KIND [ARG] | set STATION PARAM VALUE | unset STATION PARAM | "
    "status STATION DEVICE ok|calibrating|fault|auto | get STATION PARAM | show STATION DEVICE | "
    "list | help | quit; kinds: none, delay MS, drop [P], exception CODE, crc, close, "
    "silent SECONDS, wrong-unit, bad-address ADDR";

enum arg_need { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

static const struct {
	const char *name;
	enum wwtp_sim_fault_kind kind;
	enum arg_need arg;
} kinds[] = {
    {"none", WWTP_SIM_FAULT_NONE, ARG_NONE},
    {"delay", WWTP_SIM_FAULT_DELAY, ARG_REQUIRED},
    {"drop", WWTP_SIM_FAULT_DROP, ARG_OPTIONAL},
    {"exception", WWTP_SIM_FAULT_EXCEPTION, ARG_REQUIRED},
    {"crc", WWTP_SIM_FAULT_CRC, ARG_NONE},
    {"close", WWTP_SIM_FAULT_CLOSE, ARG_NONE},
    {"silent", WWTP_SIM_FAULT_SILENT, ARG_REQUIRED},
    {"wrong-unit", WWTP_SIM_FAULT_WRONG_UNIT, ARG_NONE},
    {"bad-address", WWTP_SIM_FAULT_BAD_ADDRESS, ARG_REQUIRED},
};

static int say_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int say_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return WWTP_ERR_INVAL;
}

const char *wwtp_sim_fault_kind_name(enum wwtp_sim_fault_kind k)
{
	for (size_t i = 0; i < NELEM(kinds); i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "?";
}

/* Whole-string base-10 integer in [lo, hi]. No octal or hex: "010" is ten,
 * as a user typing a register number means. */
static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!s || !*s || *s == ' ' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Whole-string number; finite only unless any is set. */
static int parse_num(const char *s, int any, double *out)
{
	char *end;
	double v;

	if (!s || !*s || *s == ' ')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (*end || (errno == ERANGE && isinf(v)))
		return -1;
	if (!any && !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int wwtp_sim_fault_parse(const char *kind, const char *arg, struct wwtp_sim_fault *out, char *err,
			 size_t errlen)
{
	size_t i;
	long n;
	double d;

	if (arg && !*arg)
		arg = NULL;
	for (i = 0; i < NELEM(kinds); i++)
		if (strcmp(kind, kinds[i].name) == 0)
			break;
	if (i == NELEM(kinds))
		return say_err(err, errlen,
			       "unknown fault kind '%s' (none, delay, drop, exception, crc, close, "
			       "silent, wrong-unit, bad-address)",
			       kind);
	if (kinds[i].arg == ARG_NONE && arg)
		return say_err(err, errlen, "fault %s takes no argument, got '%s'", kind, arg);
	if (kinds[i].arg == ARG_REQUIRED && !arg)
		return say_err(err, errlen, "fault %s needs an argument", kind);

	memset(out, 0, sizeof(*out));
	out->kind = kinds[i].kind;
	switch (out->kind) {
	case WWTP_SIM_FAULT_DELAY:
		if (parse_int(arg, 0, WWTP_SIM_DELAY_MAX_MS, &n) != 0)
			return say_err(err, errlen, "delay: milliseconds 0..%d, not '%s'",
				       WWTP_SIM_DELAY_MAX_MS, arg);
		out->ms = (int)n;
		break;
	case WWTP_SIM_FAULT_DROP:
		out->p = 1.0;
		if (arg && (parse_num(arg, 0, &d) != 0 || d < 0.0 || d > 1.0))
			return say_err(err, errlen, "drop: a probability 0..1, not '%s'", arg);
		if (arg)
			out->p = d;
		break;
	case WWTP_SIM_FAULT_EXCEPTION:
		if (parse_int(arg, 1, 255, &n) != 0)
			return say_err(err, errlen, "exception: a code 1..255, not '%s'", arg);
		out->code = (int)n;
		break;
	case WWTP_SIM_FAULT_SILENT:
		/* Fractions are allowed (tests want short silences); the
		 * result is whole milliseconds, at least one. */
		if (parse_num(arg, 0, &d) != 0 || d <= 0.0 || d > WWTP_SIM_SILENT_MAX_S)
			return say_err(err, errlen,
				       "silent: seconds, more than 0 and at most %d, not '%s'",
				       WWTP_SIM_SILENT_MAX_S, arg);
		out->ms = (int)ceil(d * 1000.0 - 1e-6); /* 0.3 s is 300 ms, not 301 */
		if (out->ms < 1)
			out->ms = 1; /* 7e-77 s passed the check above and rounds to 0 */
		break;
	case WWTP_SIM_FAULT_BAD_ADDRESS:
		if (parse_int(arg, 0, 65535, &n) != 0)
			return say_err(err, errlen,
				       "bad-address: a register address 0..65535, not '%s'", arg);
		out->address = (int)n;
		break;
	default:
		break;
	}
	return 0;
}

int wwtp_sim_fault_format(const struct wwtp_sim_fault *f, char *buf, size_t n)
{
	const char *name = wwtp_sim_fault_kind_name(f->kind);

	switch (f->kind) {
	case WWTP_SIM_FAULT_DELAY:
		return snprintf(buf, n, "%s:%d", name, f->ms);
	case WWTP_SIM_FAULT_DROP:
		/* %.17g: the probability reads back exactly. */
		return f->p == 1.0 ? snprintf(buf, n, "%s", name)
				   : snprintf(buf, n, "%s:%.17g", name, f->p);
	case WWTP_SIM_FAULT_EXCEPTION:
		return snprintf(buf, n, "%s:%d", name, f->code);
	case WWTP_SIM_FAULT_SILENT:
		return snprintf(buf, n, "%s:%.3f", name, f->ms / 1000.0);
	case WWTP_SIM_FAULT_BAD_ADDRESS:
		return snprintf(buf, n, "%s:%d", name, f->address);
	default:
		return snprintf(buf, n, "%s", name);
	}
}

/* Copies a name word; refuses one that cannot be a station, device or
 * param name (too long). The characters were checked by the caller. */
static int take_name(char *dst, const char *word, const char *what, char *err, size_t errlen)
{
	size_t len = strlen(word);
	if (len == 0)
		return say_err(err, errlen, "empty %s name", what);
	if (len >= WWTP_ID_MAX)
		return say_err(err, errlen, "%s name too long (at most %d characters)", what,
			       WWTP_ID_MAX - 1);
	memcpy(dst, word, len + 1);
	return 0;
}

static int parse_status(const char *s, int *out)
{
	static const struct {
		const char *name;
		int status;
	} tab[] = {{"ok", WWTP_READING_OK},
		   {"calibrating", WWTP_READING_CALIBRATING},
		   {"fault", WWTP_READING_FAULT},
		   {"auto", WWTP_SIM_STATUS_AUTO}};
	for (size_t i = 0; i < NELEM(tab); i++) {
		if (strcmp(s, tab[i].name) == 0) {
			*out = tab[i].status;
			return 0;
		}
	}
	return -1;
}

#define MAX_WORDS 6

static const struct {
	const char *name;
	enum wwtp_sim_verb verb;
	int min, max; /* words after the verb */
	const char *usage;
} verbs[] = {
    {"fault", WWTP_SIM_CMD_FAULT, 3, 4, "fault STATION DEVICE KIND [ARG]"},
    {"set", WWTP_SIM_CMD_SET, 3, 3, "set STATION PARAM VALUE"},
    {"unset", WWTP_SIM_CMD_UNSET, 2, 2, "unset STATION PARAM"},
    {"status", WWTP_SIM_CMD_STATUS, 3, 3, "status STATION DEVICE ok|calibrating|fault|auto"},
    {"get", WWTP_SIM_CMD_GET, 2, 2, "get STATION PARAM"},
    {"show", WWTP_SIM_CMD_SHOW, 2, 2, "show STATION DEVICE"},
    {"list", WWTP_SIM_CMD_LIST, 0, 0, "list"},
    {"help", WWTP_SIM_CMD_HELP, 0, 0, "help"},
    {"quit", WWTP_SIM_CMD_QUIT, 0, 0, "quit"},
};

int wwtp_sim_cmd_parse(const char *line, struct wwtp_sim_cmd *out, char *err, size_t errlen)
{
	char buf[WWTP_SIM_LINE_MAX];
	char *w[MAX_WORDS + 1];
	size_t len = strlen(line), nw = 0, v;
	char *p;

	if (len > 0 && line[len - 1] == '\r')
		len--; /* a telnet-style client ends lines with CR LF */
	if (len >= sizeof(buf))
		return say_err(err, errlen, "line too long (at most %zu bytes)", sizeof(buf) - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		/* Names are ASCII; anything else would only end up echoed
		 * into an answer that must stay one clean line. */
		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return say_err(err, errlen, "character 0x%02x is not allowed", c);
	}
	memcpy(buf, line, len);
	buf[len] = '\0';

	p = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (nw == MAX_WORDS + 1)
			return say_err(err, errlen, "too many words");
		w[nw++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	if (nw == 0)
		return say_err(err, errlen, "empty command (try help)");

	for (v = 0; v < NELEM(verbs); v++)
		if (strcmp(w[0], verbs[v].name) == 0)
			break;
	if (v == NELEM(verbs)) {
		/* The word is printable ASCII but may be long: quote a piece. */
		return say_err(err, errlen, "unknown command '%.40s' (try help)", w[0]);
	}
	if ((int)nw - 1 < verbs[v].min || (int)nw - 1 > verbs[v].max)
		return say_err(err, errlen, "usage: %s", verbs[v].usage);

	memset(out, 0, sizeof(*out));
	out->verb = verbs[v].verb;
	out->status = WWTP_SIM_STATUS_AUTO;
	if (nw >= 3) {
		int dev = out->verb == WWTP_SIM_CMD_FAULT || out->verb == WWTP_SIM_CMD_STATUS ||
			  out->verb == WWTP_SIM_CMD_SHOW;
		if (take_name(out->station, w[1], "station", err, errlen) != 0 ||
		    take_name(out->name, w[2], dev ? "device" : "param", err, errlen) != 0)
			return WWTP_ERR_INVAL;
	}
	switch (out->verb) {
	case WWTP_SIM_CMD_FAULT:
		return wwtp_sim_fault_parse(w[3], nw > 4 ? w[4] : NULL, &out->fault, err, errlen);
	case WWTP_SIM_CMD_SET:
		if (parse_num(w[3], 1, &out->value) != 0)
			return say_err(err, errlen, "not a number: '%.40s'", w[3]);
		return 0;
	case WWTP_SIM_CMD_STATUS:
		if (parse_status(w[3], &out->status) != 0)
			return say_err(err, errlen,
				       "status: ok, calibrating, fault or auto, not '%.40s'", w[3]);
		return 0;
	default:
		return 0;
	}
}

/* Splits "STATION/NAME=REST" into its parts, in buf. */
static int split_spec(const char *spec, char *buf, size_t cap, char **station, char **name,
		      char **rest, const char *form, char *err, size_t errlen)
{
	size_t len = strlen(spec);
	char *slash, *eq;

	if (len >= cap)
		return say_err(err, errlen, "too long");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)spec[i];
		if (c <= 0x20 || c > 0x7e)
			return say_err(err, errlen, "character 0x%02x is not allowed (%s)", c,
				       form);
	}
	memcpy(buf, spec, len + 1);
	slash = strchr(buf, '/');
	eq = strchr(buf, '=');
	if (!slash || !eq || eq < slash)
		return say_err(err, errlen, "expected %s", form);
	*slash = '\0';
	*eq = '\0';
	*station = buf;
	*name = slash + 1;
	*rest = eq + 1;
	return 0;
}

int wwtp_sim_fault_spec_parse(const char *spec, struct wwtp_sim_cmd *out, char *err, size_t errlen)
{
	static const char form[] = "STATION/DEVICE=KIND[:ARG]";
	char buf[WWTP_SIM_LINE_MAX];
	char *station, *device, *kind, *colon;

	if (split_spec(spec, buf, sizeof(buf), &station, &device, &kind, form, err, errlen) != 0)
		return WWTP_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	out->verb = WWTP_SIM_CMD_FAULT;
	out->status = WWTP_SIM_STATUS_AUTO;
	if (take_name(out->station, station, "station", err, errlen) != 0 ||
	    take_name(out->name, device, "device", err, errlen) != 0)
		return WWTP_ERR_INVAL;
	colon = strchr(kind, ':');
	if (colon)
		*colon = '\0';
	if (colon && !colon[1])
		return say_err(err, errlen, "nothing after ':' (%s)", form);
	return wwtp_sim_fault_parse(kind, colon ? colon + 1 : NULL, &out->fault, err, errlen);
}

int wwtp_sim_set_spec_parse(const char *spec, struct wwtp_sim_cmd *out, char *err, size_t errlen)
{
	static const char form[] = "STATION/PARAM=VALUE";
	char buf[WWTP_SIM_LINE_MAX];
	char *station, *param, *value;

	if (split_spec(spec, buf, sizeof(buf), &station, &param, &value, form, err, errlen) != 0)
		return WWTP_ERR_INVAL;
	memset(out, 0, sizeof(*out));
	out->verb = WWTP_SIM_CMD_SET;
	out->status = WWTP_SIM_STATUS_AUTO;
	if (take_name(out->station, station, "station", err, errlen) != 0 ||
	    take_name(out->name, param, "param", err, errlen) != 0)
		return WWTP_ERR_INVAL;
	if (parse_num(value, 1, &out->value) != 0)
		return say_err(err, errlen, "not a number: '%.40s'", value);
	return 0;
}
