#include "err.h"

const char *wwtp_strerror(int err)
{
	switch (err) {
	case WWTP_OK:
		return "success";
	case WWTP_ERR_NOMEM:
		return "out of memory";
	case WWTP_ERR_INVAL:
		return "invalid argument or data";
	case WWTP_ERR_ERRNO:
		return "system error";
	case WWTP_ERR_TIMEOUT:
		return "timed out";
	case WWTP_ERR_PROTO:
		return "protocol error (malformed or corrupt frame)";
	case WWTP_ERR_EXCEPTION:
		return "device answered with a Modbus exception";
	case WWTP_ERR_CONFIG:
		return "invalid configuration";
	case WWTP_ERR_RANGE:
		return "value out of range";
	case WWTP_ERR_NOTFOUND:
		return "not found";
	case WWTP_ERR_CONN:
		return "not connected";
	case WWTP_ERR_FULL:
		return "queue full";
	case WWTP_ERR_MQTT:
		return "MQTT client error";
	case WWTP_ERR_NAN:
		return "no value (NaN or infinite)";
	}
	return "unknown error";
}
