/* report.c - the monthly summary: stations in, documents out (see
 * report.h). The arithmetic is report_stats.c, the queries
 * report_query.c, the documents report_write.c; this file loads the
 * stations, runs the three in turn, writes the files and prints PDFs with
 * Chromium. */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../compliance/evaluator.h"
#include "../../compliance/limits.h"
#include "../../station/station_config.h"
#include "../../util/diag.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../ingest/influx.h"
#include "report_query.h"
#include "report_text.h"
#include "report_write.h"

#define REP_MOD "report"
/* Cap of one InfluxDB answer: a station's month of hourly rows is a few MB. */
#define REP_ANSWER_MAX ((size_t)256 << 20)
/* Cap of one document. */
#define REP_DOC_MAX ((size_t)64 << 20)
/* Chromium: at most this many at once, each at most this long. */
/* Stations read from InfluxDB at once. */
#ifndef REP_QUERY_JOBS
#define REP_QUERY_JOBS 2
#endif
/* A month's aggregates take InfluxDB seconds, not the milliseconds of a
 * write: the report waits at least this long for an answer. */
#define REP_QUERY_TIMEOUT_MS 300000
#define PDF_JOBS 4
#define PDF_TIMEOUT_MS 120000

extern char **environ;

/* ---- the model of a station ---- */

static void model_free(struct wwtp_report_station *m)
{
	if (!m)
		return;
	free(m->params);
	free(m->info);
	free(m->hours);
	free(m->alerts);
	free(m->conf);
	free(m->lab);
	free(m->res.p);
	wwtp_compl_clear(&m->compl );
	memset(m, 0, sizeof(*m));
}

/* Where Kq and Kf come from, as the station file says it (the loader's
 * own sentences are English: the documents word it themselves). */
static void basis_of(const struct wwtp_station *st, struct wwtp_report_station *m)
{
	const struct wwtp_limits_spec *sp = st->limits_spec;
	m->water_q_m3s = m->water_v_m3 = NAN;
	m->kq_how = WWTP_KQ_NONE;
	m->kf_how = WWTP_KF_NONE;
	if (!sp)
		return;
	if (isfinite(sp->kq))
		m->kq_how = WWTP_KQ_GIVEN;
	else if (sp->water == WWTP_WATER_RIVER)
		m->kq_how = isfinite(sp->flow_m3s) ? WWTP_KQ_RIVER : WWTP_KQ_RIVER_NODATA;
	else if (sp->water == WWTP_WATER_LAKE)
		m->kq_how = isfinite(sp->volume_m3) ? WWTP_KQ_LAKE : WWTP_KQ_LAKE_NODATA;
	else if (sp->water == WWTP_WATER_SEA)
		m->kq_how = WWTP_KQ_SEA;
	m->water_q_m3s = sp->flow_m3s;
	m->water_v_m3 = sp->volume_m3;
	if (isfinite(sp->kf))
		m->kf_how = WWTP_KF_GIVEN;
	else if (isfinite(sp->design_flow_m3d) || st->design_flow_m3d > 0)
		m->kf_how = WWTP_KF_DESIGN;
}

static int model_init(struct wwtp_report_station *m, const struct wwtp_station *st,
		      const struct wwtp_report_period *p)
{
	struct wwtp_regulation *reg = NULL;
	size_t np = 0;

	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof m->id, "%s", st->id);
	snprintf(m->name, sizeof m->name, "%s", st->name);
	for (size_t d = 0; d < st->ndevices && m->dev.ndevices < WWTP_REG_DEVICES; d++) {
		snprintf(m->dev.devices[m->dev.ndevices].name, sizeof m->dev.devices[0].name, "%s",
			 st->devices[d].name);
		m->dev.devices[m->dev.ndevices++].interval_ms = st->devices[d].interval_ms;
	}
	snprintf(m->dev.id, sizeof m->dev.id, "%s", st->id);
	snprintf(m->district, sizeof m->district, "%s", st->district);
	m->plan_review = st->plan_review;
	m->design_m3d = st->design_flow_m3d > 0 ? st->design_flow_m3d : 0;
	m->min_availability =
	    st->evaluation ? st->evaluation->min_availability : WWTP_EVAL_DEFAULT_MIN_AVAILABILITY;
	m->kq = m->kf = NAN;
	if (st->limits) {
		m->has_limits = 1;
		snprintf(m->regulation, sizeof m->regulation, "%s", st->limits->regulation);
		snprintf(m->column, sizeof m->column, "%s", st->limits->column);
		m->kq = st->limits->kq;
		m->kf = st->limits->kf;
		snprintf(m->kq_basis, sizeof m->kq_basis, "%s", st->limits->kq_basis);
		snprintf(m->kf_basis, sizeof m->kf_basis, "%s", st->limits->kf_basis);
		/* Only for the parameters' names: the limits are st->limits. */
		if (st->limits_file[0] && wwtp_regulation_load(st->limits_file, NULL, &reg) != 0)
			reg = NULL;
		snprintf(m->limits_file, sizeof m->limits_file, "%s", st->limits_file);
		if (reg) {
			snprintf(m->reg_code, sizeof m->reg_code, "%s", wwtp_regulation_code(reg));
			snprintf(m->reg_title_vi, sizeof m->reg_title_vi, "%s",
				 wwtp_regulation_title_vi(reg));
			snprintf(m->reg_title_en, sizeof m->reg_title_en, "%s",
				 wwtp_regulation_title_en(reg));
			snprintf(m->reg_issued_by, sizeof m->reg_issued_by, "%s",
				 wwtp_regulation_issued_by(reg));
		}
		basis_of(st, m);
	}
	for (size_t d = 0; d < st->ndevices; d++)
		np += st->devices[d].npoints;
	m->params = calloc(np ? np : 1, sizeof(*m->params));
	m->info = calloc(np ? np : 1, sizeof(*m->info));
	m->hours = calloc(np ? np * p->nhours : 1, sizeof(*m->hours));
	m->res.p = calloc(np ? np : 1, sizeof(*m->res.p));
	if (!m->params || !m->info || !m->hours || !m->res.p) {
		wwtp_regulation_free(reg);
		return WWTP_ERR_NOMEM;
	}
	/* As the monitor builds its flag params (monitor.c), so that the
	 * month's flag follows the same rules as the live one. */
	for (size_t d = 0; d < st->ndevices; d++)
		for (size_t k = 0; k < st->devices[d].npoints; k++) {
			const struct wwtp_point *pt = &st->devices[d].points[k];
			struct wwtp_flag_param *fp = &m->params[m->nparams];
			struct wwtp_report_pinfo *in = &m->info[m->nparams];
			const struct wwtp_limit *lim =
			    st->limits ? wwtp_limits_find(st->limits, pt->param) : NULL;
			m->nparams++;
			snprintf(fp->name, sizeof fp->name, "%s", pt->param);
			snprintf(fp->unit, sizeof fp->unit, "%s", pt->unit);
			snprintf(fp->device, sizeof fp->device, "%s", st->devices[d].name);
			fp->cmax_min = fp->cmax_max = NAN;
			in->c_min = in->c_max = NAN;
			in->kq = in->kf = 1;
			if (lim && lim->has_limit) {
				fp->has_limit = 1;
				fp->is_range = lim->is_range;
				fp->cmax_min = lim->cmax_min;
				fp->cmax_max = lim->cmax_max;
				in->c_min = lim->c_min;
				in->c_max = lim->c_max;
				in->kq = lim->kq;
				in->kf = lim->kf;
				in->factors_applied = lim->factors_applied;
				in->overridden = lim->overridden;
				in->confidence = lim->confidence;
				snprintf(in->source, sizeof in->source, "%s", lim->source);
			}
			const struct wwtp_reg_param *rp =
			    reg ? wwtp_regulation_find_param(reg, pt->param) : NULL;
			if (rp) {
				snprintf(in->name_vi, sizeof in->name_vi, "%s", rp->name_vi);
				snprintf(in->name_en, sizeof in->name_en, "%s", rp->name_en);
			}
		}
	for (size_t i = 0; i < m->nparams * p->nhours; i++)
		wwtp_report_hour_init(&m->hours[i]);
	wwtp_regulation_free(reg);
	return 0;
}

/* ---- the month of every station asked for ---- */

struct month {
	struct wwtp_report_period period;
	struct wwtp_report_station *st;
	size_t n;
	int64_t generated_ms;
};

static void month_free(struct month *mo)
{
	for (size_t i = 0; mo->st && i < mo->n; i++)
		model_free(&mo->st[i]);
	free(mo->st);
	memset(mo, 0, sizeof(*mo));
}

static int valid_id(const char *s)
{
	if (!s[0] || strlen(s) >= WWTP_ID_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

/* Stations are read from InfluxDB by a few threads at once: InfluxDB
 * aggregates a station's month on its own cores, and the fleet report is
 * what the web page waits for. Each thread has its own client and buffer;
 * the stations are handed out by an index under a mutex. */
struct query_pool {
	const struct wwtp_central_cfg *cfg;
	const volatile int *cancel;
	struct month *mo;
	pthread_mutex_t lock;
	size_t next;
	int rc; /* the first error */
	char err[512];
};

/* The days of the period summed, with every gap (completeness.h). */
static int month_completeness(struct wwtp_influx **ix, const struct wwtp_central_cfg *cfg,
			      const struct wwtp_report_period *p, struct wwtp_report_station *s,
			      char *err, size_t errlen)
{
	int64_t now = wwtp_now_ms(), first;
	int rc = wwtp_compl_first(ix, &cfg->influx, &s->dev, p->until_ms < now ? p->until_ms : now,
				  &first, err, errlen);
	if (rc != 0)
		return rc == WWTP_ERR_NOMEM ? rc : WWTP_ERR_CONN;
	for (int64_t d = p->start_ms; d < p->until_ms; d += 86400000LL) {
		struct wwtp_compl c;
		rc = wwtp_compl_day(ix, &cfg->influx, &s->dev, d, now, first, cfg->lost_after_s, &c,
				    err, errlen);
		if (rc != 0)
			return rc == WWTP_ERR_NOMEM ? rc : WWTP_ERR_CONN;
		rc = wwtp_compl_add(&s->compl, &c);
		wwtp_compl_clear(&c);
		if (rc != 0)
			return rc;
	}
	/* The document has room for some: the longest. */
	wwtp_compl_sort_longest(&s->compl );
	s->has_compl = 1;
	return 0;
}

static void *query_worker(void *arg)
{
	struct query_pool *qp = arg;
	struct wwtp_influx *ix = NULL;
	struct wwtp_buf answer;
	char err[512] = "";
	struct wwtp_central_influx ic = qp->cfg->influx;
	if (ic.timeout_ms < REP_QUERY_TIMEOUT_MS)
		ic.timeout_ms = REP_QUERY_TIMEOUT_MS;
	int rc = wwtp_influx_new(&ic, &ix);

	if (rc != 0) {
		snprintf(err, sizeof err, "cannot make the InfluxDB client for %s",
			 qp->cfg->influx.url);
		rc = rc == WWTP_ERR_NOMEM ? rc : WWTP_ERR_CONN;
	}
	wwtp_buf_init(&answer, REP_ANSWER_MAX);
	for (;;) {
		pthread_mutex_lock(&qp->lock);
		if (rc != 0 && qp->rc == 0) {
			qp->rc = rc;
			snprintf(qp->err, sizeof qp->err, "%s", err);
		}
		if (qp->rc == 0 && qp->cancel && *qp->cancel) {
			qp->rc = WWTP_ERR_TIMEOUT;
			snprintf(qp->err, sizeof qp->err, "%s", "stopped");
		}
		size_t i = qp->rc == 0 && qp->next < qp->mo->n ? qp->next++ : SIZE_MAX;
		pthread_mutex_unlock(&qp->lock);
		if (i == SIZE_MAX)
			break;
		struct wwtp_report_station *s = &qp->mo->st[i];
		const struct wwtp_report_period *p = &qp->mo->period;
		rc = wwtp_report_query_station(ix, p, s, &answer, err, sizeof err);
		if (rc == WWTP_ERR_PROTO)
			rc = WWTP_ERR_CONN; /* InfluxDB answered, but not with data */
		if (rc == 0)
			rc = month_completeness(&ix, qp->cfg, p, s, err, sizeof err);
		if (rc == 0)
			rc = wwtp_report_compute(p, &qp->cfg->flags, s->min_availability, s->params,
						 s->nparams, s->design_m3d, s->hours, s->alerts,
						 s->nalerts, &s->res);
		if (rc != 0 && !err[0])
			snprintf(err, sizeof err, "station %s: %s", s->id, wwtp_strerror(rc));
	}
	wwtp_buf_free(&answer);
	wwtp_influx_free(ix);
	return NULL;
}

static int query_all(const struct wwtp_central_cfg *cfg, struct month *mo,
		     const volatile int *cancel, char *err, size_t errlen)
{
	struct query_pool qp = {.cfg = cfg, .cancel = cancel, .mo = mo, .rc = 0};
	pthread_t th[REP_QUERY_JOBS];
	size_t nth = mo->n < REP_QUERY_JOBS ? mo->n : REP_QUERY_JOBS, started = 0;

	pthread_mutex_init(&qp.lock, NULL);
	for (; started < nth; started++)
		if (pthread_create(&th[started], NULL, query_worker, &qp) != 0)
			break;
	if (started == 0) /* no thread at all: do it here */
		query_worker(&qp);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&qp.lock);
	if (qp.rc != 0)
		snprintf(err, errlen, "%s", qp.err);
	return qp.rc;
}

/* Loads, queries and computes. err gets a sentence on failure. */
static int month_build(const struct wwtp_central_cfg *cfg, const char *month, int kind,
		       const char *only, const volatile int *cancel, struct month *mo, char *err,
		       size_t errlen)
{
	struct wwtp_load_opts lo = {.profiles_dir = NULL};
	struct wwtp_station **stations = NULL;
	struct wwtp_diag *diag = NULL;
	size_t nst = 0;
	int rc;

	memset(mo, 0, sizeof(*mo));
	mo->generated_ms = wwtp_now_ms();
	if (only && !only[0])
		only = NULL;
	if (wwtp_report_period_parse(month, mo->generated_ms, &mo->period) != 0 ||
	    (kind >= 0 && mo->period.kind != kind)) {
		static const char *const how[] = {"month '%s': give it as YYYY-MM (e.g. 2026-10)",
						  "quarter '%s': give it as YYYY-Qn (e.g. 2026-Q4)",
						  "year '%s': give it as YYYY (e.g. 2026)"};
		char f[80];
		snprintf(f, sizeof f, "bad %s", how[kind >= 0 && kind <= 2 ? kind : 0]);
		snprintf(err, errlen, f, month ? month : "");
		return WWTP_ERR_INVAL;
	}
	if (only && !valid_id(only)) {
		snprintf(err, errlen, "bad station id '%s': ids are made of a-z, 0-9 and '-'",
			 only);
		return WWTP_ERR_INVAL;
	}
	diag = wwtp_diag_new();
	if (!diag)
		return WWTP_ERR_NOMEM;
	if (cfg->profiles_dir[0])
		lo.profiles_dir = cfg->profiles_dir;
	rc = wwtp_station_load_dir(cfg->stations_dir, &lo, &stations, &nst, diag);
	if (rc != 0) {
		snprintf(err, errlen,
			 "the station files of %s do not load (%zu problems; "
			 "run wwtp-central -c %s --check)",
			 cfg->stations_dir, wwtp_diag_count(diag), cfg->path);
		wwtp_diag_free(diag);
		return rc == WWTP_ERR_NOMEM ? rc : WWTP_ERR_CONFIG;
	}
	wwtp_diag_free(diag);

	mo->st = calloc(nst, sizeof(*mo->st));
	if (!mo->st) {
		wwtp_station_list_free(stations, nst);
		return WWTP_ERR_NOMEM;
	}
	for (size_t i = 0; i < nst; i++) {
		if (only && strcmp(stations[i]->id, only) != 0)
			continue;
		rc = model_init(&mo->st[mo->n], stations[i], &mo->period);
		mo->n++;
		if (rc != 0)
			break;
	}
	wwtp_station_list_free(stations, nst);
	if (rc != 0) {
		month_free(mo);
		return rc;
	}
	if (mo->n == 0) {
		snprintf(err, errlen, "no station '%s' in %s", only ? only : "", cfg->stations_dir);
		month_free(mo);
		return WWTP_ERR_NOTFOUND;
	}

	rc = query_all(cfg, mo, cancel, err, errlen);
	if (rc != 0) {
		if (!err[0])
			snprintf(err, errlen, "%s", wwtp_strerror(rc));
		month_free(mo);
	}
	return rc;
}

static const struct wwtp_report_station **month_list(const struct month *mo)
{
	const struct wwtp_report_station **l = calloc(mo->n ? mo->n : 1, sizeof(*l));
	for (size_t i = 0; l && i < mo->n; i++)
		l[i] = &mo->st[i];
	return l;
}

/* ---- for the web page ---- */

int wwtp_report_render(const struct wwtp_central_cfg *cfg, const char *month, const char *station,
		       const char *lang, int csv, struct wwtp_buf *out, char *err, size_t errlen)
{
	char dummy[8];
	struct month mo;
	int lg, rc;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (!cfg || !out)
		return WWTP_ERR_INVAL;
	if (wwtp_report_lang_parse(lang, &lg) != 0) {
		snprintf(err, errlen, "bad language '%s': vi or en", lang);
		return WWTP_ERR_INVAL;
	}
	rc = month_build(cfg, month, WWTP_PERIOD_MONTH, station, NULL, &mo, err, errlen);
	if (rc != 0)
		return rc;
	const struct wwtp_report_station **l = month_list(&mo);
	int fleet = !station || !station[0];
	struct wwtp_report_doc doc = {&cfg->report, 0, mo.generated_ms};
	if (!l)
		rc = WWTP_ERR_NOMEM;
	else if (csv)
		rc = wwtp_report_csv_params(&mo.period, l, mo.n, out);
	else if (fleet)
		rc = wwtp_report_doc_fleet(&mo.period, l, mo.n, lg, &doc, out);
	else
		rc = wwtp_report_doc_station(&mo.period, l[0], lg, &doc, out);
	if (rc != 0 && !err[0])
		snprintf(err, errlen, "the report does not fit: %s", wwtp_strerror(rc));
	free(l);
	month_free(&mo);
	return rc;
}

int wwtp_report_render_html(const struct wwtp_central_cfg *cfg, const char *month,
			    const char *station, const char *lang, struct wwtp_buf *out, char *err,
			    size_t errlen)
{
	return wwtp_report_render(cfg, month, station, lang, 0, out, err, errlen);
}

/* ---- files ---- */

/* Writes buf to dir/name through a temporary file and a rename, so that a
 * reader never sees half a document. 0 or WWTP_ERR_ERRNO (logged). */
static int write_file(const char *dir, const char *name, const struct wwtp_buf *b, char *path,
		      size_t n)
{
	char tmp[PATH_MAX];
	snprintf(path, n, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		LOG_ERROR(REP_MOD, "cannot write %s: %s", tmp, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	size_t len = b->len;
	int bad = (len && fwrite(b->data, 1, len, f) != len);
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		LOG_ERROR(REP_MOD, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return WWTP_ERR_ERRNO;
	}
	return 0;
}

/* ---- PDFs ---- */

/* The browser to print with: opt as given when it has a '/', else the
 * first of opt (or chromium, chromium-browser) found in PATH. */
static int find_browser(const char *opt, char *out, size_t n)
{
	const char *names[] = {opt, opt ? NULL : "chromium", opt ? NULL : "chromium-browser"};
	const char *path = getenv("PATH");

	for (size_t i = 0; i < 3; i++) {
		if (!names[i])
			continue;
		if (strchr(names[i], '/')) {
			snprintf(out, n, "%s", names[i]);
			return access(out, X_OK) == 0 ? 0 : -1;
		}
		for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
			const char *e = strchr(p, ':');
			size_t len = e ? (size_t)(e - p) : strlen(p);
			snprintf(out, n, "%.*s/%s", (int)len, len ? p : ".", names[i]);
			if (access(out, X_OK) == 0)
				return 0;
			p += len + (e ? 1 : 0);
		}
	}
	return -1;
}

/* file:// URL of an absolute path, percent-encoding what a URL reserves. */
static void file_url(const char *abs, char *out, size_t n)
{
	size_t j = (size_t)snprintf(out, n, "file://");
	for (const unsigned char *s = (const unsigned char *)abs; *s && j + 4 < n; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("/-._~", *s))
			out[j++] = (char)*s;
		else
			j += (size_t)snprintf(out + j, n - j, "%%%02X", *s);
	}
	out[j < n ? j : n - 1] = '\0';
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

struct pdf_job {
	char html[PATH_MAX], pdf[PATH_MAX], profile[PATH_MAX];
	pid_t pid;
	int64_t deadline;
	int done, ok;
};

static int pdf_start(const char *browser, struct pdf_job *j)
{
	char url[PATH_MAX * 3 + 16], outarg[PATH_MAX + 32], profarg[PATH_MAX + 32], absp[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;

	if (!realpath(j->html, absp))
		return -1;
	snprintf(j->profile, sizeof j->profile, "%s/wwtp-report-chromium.XXXXXX",
		 tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(j->profile))
		return -1;
	file_url(absp, url, sizeof url);
	snprintf(outarg, sizeof outarg, "--print-to-pdf=%s", j->pdf);
	snprintf(profarg, sizeof profarg, "--user-data-dir=%s", j->profile);
	char *argv[] = {(char *)browser,
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-background-networking",
			"--disable-extensions",
			"--no-first-run",
			"--no-default-browser-check",
			"--no-pdf-header-footer",
			profarg,
			outarg,
			url,
			NULL};
	posix_spawn_file_actions_init(&fa);
	/* Chromium is chatty on both streams (D-Bus, GPU): not our output. */
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	/* Its own process group, so that a timeout kills its helpers too. */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	unlink(j->pdf);
	int rc = posix_spawn(&j->pid, browser, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	j->deadline = wwtp_mono_ms() + PDF_TIMEOUT_MS;
	return 0;
}

static int is_pdf(const char *path)
{
	char head[5] = {0};
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(head, 1, 4, f);
	fclose(f);
	return n == 4 && memcmp(head, "%PDF", 4) == 0;
}

static void pdf_finish(struct pdf_job *j, int status)
{
	j->done = 1;
	j->ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && is_pdf(j->pdf);
	if (j->profile[0])
		nftw(j->profile, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Prints every job, PDF_JOBS at a time (all stopped once *cancel is
 * set). Returns how many failed. */
static size_t pdf_run(const char *browser, struct pdf_job *jobs, size_t n,
		      const volatile int *cancel)
{
	size_t next = 0, running = 0, failed = 0;

	while ((next < n && !(cancel && *cancel)) || running > 0) {
		while (running < PDF_JOBS && next < n && !(cancel && *cancel)) {
			if (pdf_start(browser, &jobs[next]) != 0) {
				LOG_ERROR(REP_MOD, "cannot start %s for %s: %s", browser,
					  jobs[next].html, strerror(errno));
				jobs[next].done = 1;
				failed++;
			} else {
				running++;
			}
			next++;
		}
		for (size_t i = 0; i < next; i++) {
			struct pdf_job *j = &jobs[i];
			int status = 0;
			if (j->done || j->pid <= 0)
				continue;
			pid_t r = waitpid(j->pid, &status, WNOHANG);
			if (r == 0 && cancel && *cancel)
				j->deadline = 0; /* stopping: as a timeout, without waiting */
			if (r == 0 && wwtp_mono_ms() > j->deadline) {
				LOG_ERROR(REP_MOD, "%s took over %d s on %s: stopped", browser,
					  PDF_TIMEOUT_MS / 1000, j->html);
				kill(-j->pid, SIGKILL);
				waitpid(j->pid, &status, 0);
				status = 1 << 8;
				r = j->pid;
			}
			if (r == j->pid || (r < 0 && errno == ECHILD)) {
				pdf_finish(j, status);
				running--;
				if (!j->ok) {
					failed++;
					LOG_ERROR(REP_MOD, "%s did not print %s", browser, j->pdf);
				}
			}
		}
		if (running > 0)
			wwtp_sleep_ms(50, NULL);
	}
	return failed;
}

/* ---- the command ---- */

int wwtp_report_run(const struct wwtp_central_cfg *cfg, const struct wwtp_report_opts *o, FILE *out)
{
	char err[512] = "", browser[PATH_MAX], path[PATH_MAX], name[WWTP_ID_MAX + 64];
	struct month mo;
	struct wwtp_buf doc;
	struct pdf_job *jobs = NULL;
	size_t njobs = 0;
	int lang, rc, have_browser = 0;
	struct wwtp_report_opts oo = *o;

	if (!oo.chromium && cfg->report.chromium[0])
		oo.chromium = cfg->report.chromium;
	o = &oo;
	if (wwtp_report_lang_parse(o->lang		 ? o->lang
				   : cfg->report.lang[0] ? cfg->report.lang
							 : NULL,
				   &lang) != 0) {
		fprintf(stderr, "wwtp-central report: bad language '%s': vi or en\n", o->lang);
		return WWTP_ERR_INVAL;
	}
	if (!o->out_dir || !o->out_dir[0]) {
		fprintf(stderr, "wwtp-central report: the output folder is required: --out DIR\n");
		return WWTP_ERR_INVAL;
	}
	if (o->pdf != WWTP_REPORT_PDF_OFF) {
		have_browser = find_browser(o->chromium, browser, sizeof browser) == 0;
		if (!have_browser && o->pdf == WWTP_REPORT_PDF_ON) {
			fprintf(stderr,
				"wwtp-central report: --pdf: no browser %s found (install Debian's "
				"chromium, or give --chromium PATH)\n",
				o->chromium ? o->chromium : "chromium or chromium-browser in PATH");
			return WWTP_ERR_ERRNO;
		}
	}
	rc = month_build(cfg, o->month, o->kind, o->station, o->cancel, &mo, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "wwtp-central report: %s\n", err);
		return rc;
	}
	if (mkdir(o->out_dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "wwtp-central report: cannot make %s: %s\n", o->out_dir,
			strerror(errno));
		month_free(&mo);
		return WWTP_ERR_ERRNO;
	}
	const struct wwtp_report_station **l = month_list(&mo);
	jobs = calloc(mo.n + 1, sizeof(*jobs));
	if (!l || !jobs) {
		free(l);
		free(jobs);
		month_free(&mo);
		return WWTP_ERR_NOMEM;
	}
	wwtp_buf_init(&doc, REP_DOC_MAX);
	int fleet = !o->station || !o->station[0];
	unsigned first = o->number;
	if (o->reserve)
		first = o->reserve(o->reserve_ctx, mo.n + (fleet ? 1 : 0));
	const char *ym = mo.period.id;
	for (size_t i = 0; rc == 0 && i <= mo.n; i++) {
		int is_fleet = i == mo.n;
		if (is_fleet && !fleet)
			break;
		const char *base = is_fleet ? "fleet" : "station-";
		/* The HTML, its CSV, then (later, all at once) its PDF. */
		wwtp_buf_reset(&doc);
		struct wwtp_report_doc dm = {&cfg->report, first ? first + (unsigned)i : 0,
					     mo.generated_ms};
		rc = is_fleet ? wwtp_report_doc_fleet(&mo.period, l, mo.n, lang, &dm, &doc)
			      : wwtp_report_doc_station(&mo.period, l[i], lang, &dm, &doc);
		snprintf(name, sizeof name, "%s%s-%s.html", base, is_fleet ? "" : l[i]->id, ym);
		if (rc == 0)
			rc = write_file(o->out_dir, name, &doc, path, sizeof path);
		if (rc == 0) {
			fprintf(out, "%s\n", path);
			if (have_browser) {
				struct pdf_job *j = &jobs[njobs++];
				snprintf(j->html, sizeof j->html, "%s", path);
				snprintf(j->pdf, sizeof j->pdf, "%.*s.pdf", (int)(strlen(path) - 5),
					 path);
			}
		}
		wwtp_buf_reset(&doc);
		if (rc == 0)
			rc = wwtp_report_csv_params(&mo.period, is_fleet ? l : &l[i],
						    is_fleet ? mo.n : 1, &doc);
		snprintf(name, sizeof name, "%s%s-%s.csv", base, is_fleet ? "" : l[i]->id, ym);
		if (rc == 0)
			rc = write_file(o->out_dir, name, &doc, path, sizeof path);
		if (rc == 0)
			fprintf(out, "%s\n", path);
		if (rc == 0 && is_fleet) {
			wwtp_buf_reset(&doc);
			rc = wwtp_report_csv_stations(&mo.period, l, mo.n, &doc);
			snprintf(name, sizeof name, "fleet-%s-stations.csv", ym);
			if (rc == 0)
				rc = write_file(o->out_dir, name, &doc, path, sizeof path);
			if (rc == 0)
				fprintf(out, "%s\n", path);
		}
	}
	if (rc != 0 && rc != WWTP_ERR_ERRNO)
		fprintf(stderr, "wwtp-central report: cannot make a document: %s\n",
			wwtp_strerror(rc));
	if (rc == 0 && o->pdf != WWTP_REPORT_PDF_OFF && !have_browser)
		fprintf(out,
			"PDF skipped: no browser to print with (%s not found; install Debian's "
			"chromium, or give --chromium PATH)\n",
			o->chromium ? o->chromium : "chromium or chromium-browser in PATH");
	if (rc == 0 && njobs) {
		size_t failed = pdf_run(browser, jobs, njobs, o->cancel);
		for (size_t i = 0; i < njobs; i++)
			if (jobs[i].ok)
				fprintf(out, "%s\n", jobs[i].pdf);
		if (failed) {
			fprintf(stderr, "wwtp-central report: %zu of %zu PDFs not printed by %s\n",
				failed, njobs, browser);
			rc = WWTP_ERR_ERRNO;
		}
		if (o->cancel && *o->cancel)
			rc = WWTP_ERR_TIMEOUT; /* stopped: some PDFs were not even started */
	}
	wwtp_buf_free(&doc);
	free(jobs);
	free(l);
	month_free(&mo);
	return rc;
}
