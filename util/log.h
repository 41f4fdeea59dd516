/* log.h - leveled logging to stderr, the module named in every line, and a
 * rate limiter for faults that last (after collectd's c_complain), so that a
 * device unplugged for a week does not fill the SD card. Thread-safe. */
#ifndef WWTP_LOG_H
#define WWTP_LOG_H

#include <stdint.h>

enum wwtp_log_level { WWTP_LOG_ERROR = 0, WWTP_LOG_WARN, WWTP_LOG_INFO, WWTP_LOG_DEBUG };

/* Messages above this level are dropped. Default WWTP_LOG_INFO. */
void wwtp_log_set_level(enum wwtp_log_level level);
/* Parses "error", "warn", "info", "debug"; returns 0 or WWTP_ERR_INVAL. */
int wwtp_log_parse_level(const char *s, enum wwtp_log_level *out);
/* The current level as wwtp_log_parse_level reads it ("info"): handed to a
 * child program so that it logs as much as its parent. */
const char *wwtp_log_level_name(void);
/* Prefix lines with a program name ("wwtp-collector"). */
void wwtp_log_set_ident(const char *ident);

void wwtp_log(enum wwtp_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_ERROR(mod, ...) wwtp_log(WWTP_LOG_ERROR, mod, __VA_ARGS__)
#define LOG_WARN(mod, ...) wwtp_log(WWTP_LOG_WARN, mod, __VA_ARGS__)
#define LOG_INFO(mod, ...) wwtp_log(WWTP_LOG_INFO, mod, __VA_ARGS__)
#define LOG_DEBUG(mod, ...) wwtp_log(WWTP_LOG_DEBUG, mod, __VA_ARGS__)

/* A fault that may repeat. The first occurrence is logged at once; while it
 * goes on, it is logged again at most once per interval, doubling up to
 * max_interval_ms, with the number of repeats suppressed in between.
 * wwtp_complain_release() logs the recovery once, if a fault was logged. */
struct wwtp_complain {
	int64_t next_ms;     /* monotonic time before which repeats are muted */
	int64_t interval_ms; /* current mute interval; 0 = no fault active */
	uint64_t suppressed; /* repeats muted since the last line */
};

#define WWTP_COMPLAIN_INIT                                                                         \
	{                                                                                          \
		0, 0, 0                                                                            \
	}

void wwtp_complain(struct wwtp_complain *c, enum wwtp_log_level level, const char *module,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void wwtp_complain_release(struct wwtp_complain *c, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
