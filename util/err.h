/* err.h - the project's one error convention.
 *
 * Every fallible function returns 0 on success or one of these negative
 * codes. WWTP_ERR_ERRNO means "look at errno" (as mosquitto's
 * MOSQ_ERR_ERRNO): the caller that handles it logs strerror(errno) once. */
#ifndef WWTP_ERR_H
#define WWTP_ERR_H

enum wwtp_err {
	WWTP_OK = 0,
	WWTP_ERR_NOMEM = -1,	 /* allocation failed */
	WWTP_ERR_INVAL = -2,	 /* bad argument or bad input data */
	WWTP_ERR_ERRNO = -3,	 /* system call failed: see errno */
	WWTP_ERR_TIMEOUT = -4,	 /* peer did not answer in time */
	WWTP_ERR_PROTO = -5,	 /* malformed frame: bad CRC, wrong length, wrong unit */
	WWTP_ERR_EXCEPTION = -6, /* the Modbus device answered with an exception */
	WWTP_ERR_CONFIG = -7,	 /* configuration is invalid */
	WWTP_ERR_RANGE = -8,	 /* value outside what the type or field allows */
	WWTP_ERR_NOTFOUND = -9,	 /* named thing does not exist */
	WWTP_ERR_CONN = -10,	 /* not connected / connection lost */
	WWTP_ERR_FULL = -11,	 /* bounded queue or buffer is full */
	WWTP_ERR_MQTT = -12,	 /* the MQTT client library refused */
	WWTP_ERR_NAN = -13,	 /* decoded value is NaN or infinite: no value */
};

/* Human-readable text for a code; never NULL. */
const char *wwtp_strerror(int err);

#endif
