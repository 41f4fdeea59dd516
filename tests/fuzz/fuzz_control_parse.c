/* fuzz_control_parse.c - the simulator's control commands and fault specs
 * (firmware-sim/control_parse.c): a line from the control port
 * (wwtp_sim_cmd_parse), --fault and --set specs from the command line, and
 * a fault kind with its argument. The first byte picks which; the rest is
 * the text.
 *
 * Promises checked (control_parse.h): a refusal says why in one clean line
 * (the control port sends it back as its answer); what is accepted has
 * names of 1..47 printable characters and a fault with its argument in
 * bounds (a silence lasts at least a millisecond); and a fault written by
 * wwtp_sim_fault_format reads back as the same fault. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../firmware-sim/control_parse.h"
#include "../../payload/payload.h"
#include "../../util/err.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int clean_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static void check_name(const char *s)
{
	size_t n = strnlen(s, WWTP_ID_MAX);
	FUZZ_ASSERT(n >= 1 && n < WWTP_ID_MAX);
	for (; *s; s++)
		FUZZ_ASSERT((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f);
}

static void check_fault(const struct wwtp_sim_fault *f)
{
	char text[64], spec[96], err[WWTP_SIM_ERR_MAX];
	struct wwtp_sim_cmd back;

	switch (f->kind) {
	case WWTP_SIM_FAULT_DELAY:
		FUZZ_ASSERT(f->ms >= 0 && f->ms <= WWTP_SIM_DELAY_MAX_MS);
		break;
	case WWTP_SIM_FAULT_SILENT:
		FUZZ_ASSERT(f->ms >= 1 && f->ms <= WWTP_SIM_SILENT_MAX_S * 1000);
		break;
	case WWTP_SIM_FAULT_DROP:
		FUZZ_ASSERT(f->p >= 0.0 && f->p <= 1.0);
		break;
	case WWTP_SIM_FAULT_EXCEPTION:
		FUZZ_ASSERT(f->code >= 1 && f->code <= 255);
		break;
	case WWTP_SIM_FAULT_BAD_ADDRESS:
		FUZZ_ASSERT(f->address >= 0 && f->address <= 65535);
		break;
	default:
		FUZZ_ASSERT(f->kind >= WWTP_SIM_FAULT_NONE &&
			    f->kind <= WWTP_SIM_FAULT_BAD_ADDRESS);
		break;
	}
	/* Format, read back through a --fault spec: the same fault. */
	int n = wwtp_sim_fault_format(f, text, sizeof(text));
	FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(text));
	snprintf(spec, sizeof(spec), "s/d=%s", text);
	int rc = wwtp_sim_fault_spec_parse(spec, &back, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "fault written as '%s' does not read back: %s\n", text, err);
	FUZZ_ASSERT(rc == 0);
	FUZZ_ASSERT(back.fault.kind == f->kind && back.fault.ms == f->ms &&
		    back.fault.code == f->code && back.fault.address == f->address &&
		    back.fault.p == f->p);
}

static void check_cmd(const struct wwtp_sim_cmd *c)
{
	switch (c->verb) {
	case WWTP_SIM_CMD_FAULT:
		check_name(c->station);
		check_name(c->name);
		check_fault(&c->fault);
		break;
	case WWTP_SIM_CMD_SET:
	case WWTP_SIM_CMD_UNSET:
	case WWTP_SIM_CMD_GET:
	case WWTP_SIM_CMD_SHOW:
		check_name(c->station);
		check_name(c->name);
		break;
	case WWTP_SIM_CMD_STATUS:
		check_name(c->station);
		check_name(c->name);
		FUZZ_ASSERT(c->status == WWTP_READING_OK || c->status == WWTP_READING_CALIBRATING ||
			    c->status == WWTP_READING_FAULT || c->status == WWTP_SIM_STATUS_AUTO);
		break;
	case WWTP_SIM_CMD_LIST:
	case WWTP_SIM_CMD_HELP:
	case WWTP_SIM_CMD_QUIT:
		break;
	default:
		FUZZ_ASSERT(!"a known verb");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wwtp_sim_cmd cmd;
	struct wwtp_sim_fault f;
	char err[WWTP_SIM_ERR_MAX];
	int rc;

	if (size == 0)
		return 0;
	char *text = fuzz_strndup(data + 1, size - 1);
	memset(err, 0, sizeof(err));
	switch (data[0] % 4) {
	case 0:
		rc = wwtp_sim_cmd_parse(text, &cmd, err, sizeof(err));
		if (rc == 0)
			check_cmd(&cmd);
		else
			FUZZ_ASSERT(clean_line(err)); /* the control port's answer */
		break;
	case 1:
		rc = wwtp_sim_fault_spec_parse(text, &cmd, err, sizeof(err));
		if (rc == 0)
			check_cmd(&cmd);
		break;
	case 2:
		rc = wwtp_sim_set_spec_parse(text, &cmd, err, sizeof(err));
		if (rc == 0)
			check_cmd(&cmd);
		break;
	default: {
		/* KIND[:ARG] as the parts of a spec, any bytes in them. */
		char *colon = strchr(text, ':');
		if (colon)
			*colon = '\0';
		rc = wwtp_sim_fault_parse(text, colon ? colon + 1 : NULL, &f, err, sizeof(err));
		if (rc == 0)
			check_fault(&f);
		break;
	}
	}
	FUZZ_ASSERT(rc == 0 || rc == WWTP_ERR_INVAL);
	if (fuzz_verbose())
		fprintf(stderr, "%s\n", rc == 0 ? "accepted" : err);
	if (rc != 0)
		FUZZ_ASSERT(err[0] != '\0' && memchr(err, '\0', sizeof(err)) != NULL);
	free(text);
	return 0;
}
