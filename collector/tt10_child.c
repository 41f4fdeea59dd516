/* tt10_child.c - starts and watches wwtp-tt10-upload (see tt10_child.h). */
#include "tt10_child.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../util/log.h"
#include "../util/timeutil.h"

#define MOD "tt10"
#define PROGRAM "wwtp-tt10-upload"
#define RESTART_FIRST_MS 1000
#define RESTART_MAX_MS 60000
#define STOP_WAIT_MS 5000
#define ARGV_MAX 10

struct wwtp_tt10_child {
	char path[PATH_MAX];
	char *argv[ARGV_MAX];
	pid_t pid;	       /* 0: not running */
	int64_t started_ms;    /* monotonic */
	int64_t restart_at_ms; /* monotonic, when pid is 0 */
	int64_t backoff_ms;
	struct wwtp_complain complain;
};

/* Next to the running program (the build folder, /usr/bin), else the
 * first on PATH: resolved before fork, so that the child only calls
 * execv. */
static int find_program(const char *given, char *out, size_t n)
{
	char self[PATH_MAX];
	ssize_t len;

	if (given) {
		int w = snprintf(out, n, "%s", given);
		return w > 0 && (size_t)w < n ? 0 : -1;
	}
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len > 0) {
		self[len] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			int w = snprintf(out, n, "%s/%s", self, PROGRAM);
			if (w > 0 && (size_t)w < n && access(out, X_OK) == 0)
				return 0;
		}
	}
	const char *p = getenv("PATH");
	while (p && *p) {
		const char *e = strchr(p, ':');
		size_t dl = e ? (size_t)(e - p) : strlen(p);
		int w = snprintf(out, n, "%.*s/%s", (int)dl, p, PROGRAM);
		if (dl > 0 && w > 0 && (size_t)w < n && access(out, X_OK) == 0)
			return 0;
		p = e ? e + 1 : NULL;
	}
	return -1;
}

static int spawn(struct wwtp_tt10_child *c, int64_t now)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0) {
		wwtp_complain(&c->complain, WWTP_LOG_ERROR, MOD, "cannot start %s: %s", c->path,
			      strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec: the
		 * collector has threads. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0); /* the collector is already gone */
		/* The store, the broker's socket and the bus stay the
		 * collector's. */
		if (close_range(3, ~0U, 0) != 0)
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
		execv(c->path, c->argv);
		static const char msg[] = "wwtp-collector: cannot run wwtp-tt10-upload\n";
		ssize_t w = write(2, msg, sizeof(msg) - 1);
		(void)w;
		_exit(127);
	}
	c->pid = pid;
	c->started_ms = now;
	LOG_INFO(MOD, "uploads run in %s (pid %ld)", c->path, (long)pid);
	return 0;
}

struct wwtp_tt10_child *wwtp_tt10_child_start(const struct wwtp_tt10_child_opts *o)
{
	struct wwtp_tt10_child *c = calloc(1, sizeof(*c));
	int n = 0;

	if (!c) {
		LOG_ERROR(MOD, "out of memory");
		return NULL;
	}
	c->complain = (struct wwtp_complain)WWTP_COMPLAIN_INIT;
	c->backoff_ms = RESTART_FIRST_MS;
	if (find_program(o->program, c->path, sizeof(c->path)) != 0) {
		LOG_ERROR(MOD,
			  "cannot find %s next to this program or on PATH: the tt10 files are "
			  "written but not sent (install it with wwtp-collector)",
			  o->program ? o->program : PROGRAM);
		free(c);
		return NULL;
	}
	c->argv[n++] = strdup(PROGRAM);
	c->argv[n++] = strdup("-c");
	c->argv[n++] = strdup(o->config);
	c->argv[n++] = strdup("--log-level");
	c->argv[n++] = strdup(wwtp_log_level_name());
	if (o->profiles_dir) {
		c->argv[n++] = strdup("--profiles");
		c->argv[n++] = strdup(o->profiles_dir);
	}
	if (o->limits_dir) {
		c->argv[n++] = strdup("--limits-dir");
		c->argv[n++] = strdup(o->limits_dir);
	}
	for (int i = 0; i < n; i++)
		if (!c->argv[i]) {
			LOG_ERROR(MOD, "out of memory");
			wwtp_tt10_child_stop(c);
			return NULL;
		}
	if (spawn(c, wwtp_mono_ms()) != 0) {
		wwtp_tt10_child_stop(c);
		return NULL;
	}
	return c;
}

void wwtp_tt10_child_wake(struct wwtp_tt10_child *c)
{
	if (c && c->pid > 0)
		kill(c->pid, SIGUSR1);
}

void wwtp_tt10_child_check(struct wwtp_tt10_child *c, int64_t now_ms)
{
	int status;

	if (!c)
		return;
	if (c->pid > 0) {
		pid_t w = waitpid(c->pid, &status, WNOHANG);
		if (w != c->pid)
			return;
		c->pid = 0;
		/* One that ran a while was fine until now: start again soon. */
		if (now_ms - c->started_ms > RESTART_MAX_MS)
			c->backoff_ms = RESTART_FIRST_MS;
		c->restart_at_ms = now_ms + c->backoff_ms;
		if (WIFSIGNALED(status))
			wwtp_complain(&c->complain, WWTP_LOG_ERROR, MOD,
				      "%s ended by signal %d: started again in %lld s", c->path,
				      WTERMSIG(status), (long long)(c->backoff_ms / 1000));
		else
			wwtp_complain(&c->complain, WWTP_LOG_ERROR, MOD,
				      "%s exited with status %d: started again in %lld s", c->path,
				      WEXITSTATUS(status), (long long)(c->backoff_ms / 1000));
		c->backoff_ms =
		    c->backoff_ms * 2 > RESTART_MAX_MS ? RESTART_MAX_MS : c->backoff_ms * 2;
		return;
	}
	if (now_ms >= c->restart_at_ms && spawn(c, now_ms) == 0 && c->complain.interval_ms != 0)
		wwtp_complain_release(&c->complain, MOD, "%s started again", c->path);
}

void wwtp_tt10_child_stop(struct wwtp_tt10_child *c)
{
	if (!c)
		return;
	if (c->pid > 0) {
		int status;
		kill(c->pid, SIGTERM);
		for (int waited = 0; waitpid(c->pid, &status, WNOHANG) == 0; waited += 50) {
			if (waited >= STOP_WAIT_MS) {
				LOG_WARN(MOD, "%s did not stop within %d s: killed", c->path,
					 STOP_WAIT_MS / 1000);
				kill(c->pid, SIGKILL);
				waitpid(c->pid, &status, 0);
				break;
			}
			struct timespec ts = {0, 50 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	for (int i = 0; i < ARGV_MAX; i++)
		free(c->argv[i]);
	free(c);
}
