/* confchange.h - the alerts central raises for a measuring-configuration
 * change (issue 20 item 3; docs/alerts.md, "config_change"): one raw alert
 * of kind `config_change` per change a station's config message lists
 * (docs/mqtt.md, "Config"), about the point's param (or the device, for a
 * device's own settings, or the station), carrying the setting and its old
 * and new values.
 *
 * Its id is made of the station, the message's number and the change's
 * place, and it is dated by the message's time: a repeat of the message
 * (at-least-once delivery) makes the same alerts, which overwrite their
 * own points and records. Pure. */
#ifndef WWTP_CENTRAL_CONFCHANGE_H
#define WWTP_CENTRAL_CONFCHANGE_H

#include <stddef.h>

#include "decode.h"

#define WWTP_ALERT_KIND_CONFIG "config_change"
#define WWTP_CONFCHANGE_ID_MAX 160

/* The raw alert of cfg's change i into *out (pointing into cfg and id,
 * which must outlive it). 0, or WWTP_ERR_INVAL (not a config message, i
 * out of range). */
int wwtp_confchange_alert(const struct wwtp_in_msg *cfg, size_t i, char id[WWTP_CONFCHANGE_ID_MAX],
			  struct wwtp_in_msg *out);

/* One change in an inspector's words, without a heading: lang "vi":
 * "COD (outlet): hệ số (scale) 1 → 0,5" (numbers with the decimal comma
 * and a dot every three digits, "5.000"); "en": "COD (outlet): scale 1 →
 * 0.5". device "" and param NULL or "": a device's or the station's own
 * setting; from or to NULL: it was not there before, or is not now; the
 * settings "point" and "device" say added or removed. Pure; out is always
 * NUL-terminated. */
void wwtp_confchange_words(const char *lang, const char *station, const char *device,
			   const char *param, const char *setting, const char *from, const char *to,
			   char *out, size_t n);

#endif
