#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "timeutil.h"

static enum wwtp_log_level g_level = WWTP_LOG_INFO;
static const char *g_ident = "wwtp";
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

/* First and repeat intervals of the complain limiter. */
#define COMPLAIN_FIRST_MS 60000
#define COMPLAIN_MAX_MS 3600000

void wwtp_log_set_level(enum wwtp_log_level level)
{
	g_level = level;
}
void wwtp_log_set_ident(const char *ident)
{
	g_ident = ident;
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *wwtp_log_level_name(void)
{
	return level_names[g_level];
}

int wwtp_log_parse_level(const char *s, enum wwtp_log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum wwtp_log_level)i;
			return 0;
		}
	}
	return WWTP_ERR_INVAL;
}

static void vlog(enum wwtp_log_level level, const char *module, const char *fmt, va_list ap)
{
	static const char *tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};
	char ts[32];
	char msg[1024];

	if (level > g_level)
		return;
	wwtp_format_utc(wwtp_now_ms(), ts, sizeof(ts));
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One fprintf under a lock so lines of different threads never interleave. */
	pthread_mutex_lock(&g_lock);
	fprintf(stderr, "%s %s %s [%s] %s\n", ts, g_ident, tags[level], module, msg);
	fflush(stderr);
	pthread_mutex_unlock(&g_lock);
}

void wwtp_log(enum wwtp_log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, module, fmt, ap);
	va_end(ap);
}

void wwtp_complain(struct wwtp_complain *c, enum wwtp_log_level level, const char *module,
		   const char *fmt, ...)
{
	int64_t now = wwtp_mono_ms();
	char msg[900];
	va_list ap;

	if (c->interval_ms != 0 && now < c->next_ms) {
		c->suppressed++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->suppressed > 0)
		wwtp_log(level, module, "%s (repeated %llu times since last report)", msg,
			 (unsigned long long)c->suppressed);
	else
		wwtp_log(level, module, "%s", msg);
	c->interval_ms = c->interval_ms == 0 ? COMPLAIN_FIRST_MS : c->interval_ms * 2;
	if (c->interval_ms > COMPLAIN_MAX_MS)
		c->interval_ms = COMPLAIN_MAX_MS;
	c->next_ms = now + c->interval_ms;
	c->suppressed = 0;
}

void wwtp_complain_release(struct wwtp_complain *c, const char *module, const char *fmt, ...)
{
	char msg[900];
	va_list ap;

	if (c->interval_ms == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wwtp_log(WWTP_LOG_INFO, module, "%s", msg);
	c->interval_ms = 0;
	c->next_ms = 0;
	c->suppressed = 0;
}
