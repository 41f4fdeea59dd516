/* schedule.c - documents on schedule, archived and e-mailed (schedule.h). */
#include "schedule.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../compliance/period.h"
#include "../../util/buf.h"
#include "../../util/err.h"
#include "../../util/log.h"
#include "../../util/timeutil.h"
#include "../notify/compose.h"
#include "../notify/outbox.h"
#include "../notify/sched.h"
#include "../notify/send.h"
#include "report.h"
#include "report_stats.h"

#define MOD "report-schedule"
#define FILES_MAX 256
#define MAIL_MAX ((size_t)48 << 20) /* an e-mail with its attachments */
#define TICK_MS 30000		    /* how often the clock is looked at */
#define RETRY_MIN_S 30
#define RETRY_MAX_S 3600

struct wwtp_report_sched {
	const struct wwtp_central_cfg *cfg;
	char dir[WWTP_PATH_MAX];
	pthread_t th;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	volatile int cancel; /* set on stop: a run under way ends early */
	struct wwtp_nbox *ob;
	struct wwtp_sender *snd;
	/* per kind (month, quarter, year): the period that failed last, and
	 * when to try it again */
	char failed_id[3][16];
	int64_t retry_at[3];
	int failing[3];
	int send_attempt;    /* failed e-mail attempts in a row */
	int64_t since_ms;    /* 00:00 Hanoi of the day the archive was made */
	char skipped[3][16]; /* due before that: said once, not made */
	int64_t send_next_ms;
};

/* ---- what is due (pure) ---- */

/* 00:00 Hanoi time of y-m-d. */
static int64_t local_midnight(int y, int m, int d)
{
	char s[32];
	/* The 15th at noon UTC is in the local month; its start, then d - 1 days. */
	snprintf(s, sizeof s, "%04d-%02d", y, m);
	struct wwtp_report_period p;
	if (wwtp_report_period_parse(s, 0, &p) != 0)
		return INT64_MAX;
	return p.start_ms + (int64_t)(d - 1) * WWTP_DAY_MS;
}

size_t wwtp_report_due(const struct wwtp_central_report *rc, int64_t now_ms, char ids[3][16],
		       int64_t due_ms[3])
{
	int y, m, d, h, mi;
	size_t n = 0;

	wwtp_local_civil(now_ms, &y, &m, &d, &h, &mi);
	/* The month: the previous one once its day has come, else the one before. */
	int pm = m - 1, py = y;
	if (d < rc->day)
		pm--;
	while (pm < 1) {
		pm += 12;
		py--;
	}
	int dm = pm + 1, dy = py;
	if (dm > 12) {
		dm = 1;
		dy++;
	}
	if (py >= 2000) {
		snprintf(ids[n], 16, "%04d-%02d", py % 10000, pm % 100);
		due_ms[n++] = local_midnight(dy, dm, rc->day);
	}
	/* The quarter: the latest whose last month's quarter_day has come. */
	int q = (m - 1) / 3 + 1, qy = y;
	if (!(m == 3 * q && d >= rc->quarter_day)) {
		q--;
		if (q < 1) {
			q = 4;
			qy--;
		}
	}
	if (qy >= 2000) {
		snprintf(ids[n], 16, "%04d-Q%d", qy % 10000, q % 10);
		due_ms[n++] = local_midnight(qy, 3 * q, rc->quarter_day);
	}
	/* The year: on year_day of December. */
	int yy = (m == 12 && d >= rc->year_day) ? y : y - 1;
	if (yy >= 2000) {
		snprintf(ids[n], 16, "%04d", yy % 10000);
		due_ms[n++] = local_midnight(yy, 12, rc->year_day);
	}
	return n;
}

/* ---- files ---- */

/* a/b into out; 0, or -1 when it does not fit (then out is ""). */
static int join(char *out, size_t n, const char *a, const char *b)
{
	int r = snprintf(out, n, "%s/%s", a, b);
	if (r < 0 || (size_t)r >= n) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	chmod(p, 0700); /* archived files are read-only */
	remove(p);
	return 0;
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int fsync_path(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int exists(const char *dir, const char *name)
{
	char p[PATH_MAX];
	struct stat sb;
	join(p, sizeof p, dir, name);
	return stat(p, &sb) == 0;
}

/* Writes data to path through path.tmp, fsynced, renamed. 0 or -1. */
static int put_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int r = snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (r < 0 || (size_t)r >= sizeof tmp)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int bad = len && write(fd, data, len) != (ssize_t)len;
	bad |= fsync(fd) != 0;
	bad |= fchmod(fd, mode) != 0;
	bad |= close(fd) != 0;
	if (bad || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The names of the regular files of dir (not dot files), sorted. */
static size_t list_files(const char *dir, char (*names)[NAME_MAX + 1], size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(names[n++], NAME_MAX + 1, "%s", e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	return n;
}

/* SHA-256 of a file as hex. 0 or -1. */
static int sha256_file(const char *path, char hex[65])
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536], out[crypto_hash_sha256_BYTES];
	FILE *f = fopen(path, "rbe");
	size_t r;
	if (!f)
		return -1;
	crypto_hash_sha256_init(&st);
	while ((r = fread(buf, 1, sizeof buf, f)) > 0)
		crypto_hash_sha256_update(&st, buf, r);
	int bad = ferror(f);
	fclose(f);
	if (bad)
		return -1;
	crypto_hash_sha256_final(&st, out);
	sodium_bin2hex(hex, 65, out, sizeof out);
	return 0;
}

static int read_whole(const char *path, struct wwtp_buf *b)
{
	FILE *f = fopen(path, "rbe");
	char chunk[65536];
	size_t r;
	int rc = 0;
	if (!f)
		return WWTP_ERR_ERRNO;
	while (rc == 0 && (r = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = wwtp_buf_add(b, chunk, r);
	if (ferror(f))
		rc = WWTP_ERR_ERRNO;
	fclose(f);
	return rc;
}

/* ---- numbers ---- */

/* n numbers of this year (Hanoi time), from DIR/.numbers/YYYY, written
 * back before any is used: a crash leaves a gap, never a number twice. */
static unsigned reserve_numbers(void *ctx, size_t n)
{
	struct wwtp_report_sched *s = ctx;
	char p[PATH_MAX], line[32];
	int y, m, d, h, mi;
	unsigned last = 0;

	wwtp_local_civil(wwtp_now_ms(), &y, &m, &d, &h, &mi);
	char yy[16];
	snprintf(yy, sizeof yy, "%04d", y);
	if (join(p, sizeof p, s->dir, ".numbers") != 0)
		return 0;
	mkdir(p, 0700);
	char dirp[PATH_MAX];
	memcpy(dirp, p, sizeof dirp);
	if (join(p, sizeof p, dirp, yy) != 0)
		return 0;
	FILE *f = fopen(p, "re");
	if (f) {
		if (fgets(line, sizeof line, f))
			last = (unsigned)strtoul(line, NULL, 10);
		fclose(f);
	}
	int len = snprintf(line, sizeof line, "%u\n", last + (unsigned)n);
	if (put_file(p, line, (size_t)len, 0600) != 0) {
		LOG_ERROR(MOD, "cannot write %s: %s: the documents are left unnumbered", p,
			  strerror(errno));
		return 0;
	}
	return last + 1;
}

/* ---- the words of the e-mail ---- */

static void period_words(const char *id, int en, char *out, size_t n)
{
	static const char *const roman[] = {"", "I", "II", "III", "IV"};
	size_t len = strlen(id);
	int q = len == 7 ? id[6] - '0' : 0;
	if (len == 4)
		snprintf(out, n, en ? "year %s" : "năm %s", id);
	else if (id[5] == 'Q')
		snprintf(out, n, en ? "quarter %s of %.4s" : "quý %s năm %.4s",
			 roman[q >= 1 && q <= 4 ? q : 0], id);
	else
		snprintf(out, n, en ? "month %.2s/%.4s" : "tháng %.2s/%.4s", id + 5, id);
}

/* ---- one run ---- */

static int kind_of(const char *id)
{
	return strlen(id) == 4 ? WWTP_PERIOD_YEAR
	       : id[5] == 'Q'  ? WWTP_PERIOD_QUARTER
			       : WWTP_PERIOD_MONTH;
}

/* One e-mail per address into the outbox, named ID-K.eml, the envelope's
 * recipient on its first line. */
static int queue_mails(struct wwtp_report_sched *s, const char *id, const char *work,
		       char (*names)[NAME_MAX + 1], size_t nfiles, char (*sums)[65])
{
	const struct wwtp_central_report *rc = &s->cfg->report;
	int en = strcmp(rc->lang, "en") == 0;
	struct wwtp_mail_part parts[FILES_MAX];
	struct wwtp_buf data[FILES_MAX], text, mail;
	size_t np = 0, npdf = 0;
	char per[64], subject[256], when[32], msgid[WWTP_NOTIFY_ADDR_MAX + 96], path[PATH_MAX];
	int ret = 0;

	for (size_t i = 0; i < nfiles; i++)
		npdf += strstr(names[i], ".pdf") != NULL;
	/* The PDFs; without them (no browser), the HTML documents. */
	for (size_t i = 0; i < nfiles && ret == 0; i++) {
		const char *ext = strrchr(names[i], '.');
		if (!ext || strcmp(ext, npdf ? ".pdf" : ".html") != 0)
			continue;
		wwtp_buf_init(&data[np], MAIL_MAX);
		join(path, sizeof path, work, names[i]);
		ret = read_whole(path, &data[np]);
		parts[np].name = names[i];
		parts[np].type = npdf ? "application/pdf" : "text/html; charset=UTF-8";
		parts[np].data = data[np].data ? data[np].data : "";
		parts[np].len = data[np].len;
		np++;
	}
	period_words(id, en, per, sizeof per);
	wwtp_notify_hanoi_time(wwtp_now_ms(), when, sizeof when);
	snprintf(subject, sizeof subject,
		 en ? "[Wastewater monitoring] Reports of the %s"
		    : "[Giám sát nước thải] Báo cáo %s",
		 per);
	wwtp_buf_init(&text, (size_t)1 << 20);
	wwtp_buf_printf(&text,
			en ? "%s sends the reports of the %s, made on %s (Hanoi time).\n\n"
			     "Files and their SHA-256 (the archive keeps them, read-only):\n"
			   : "%s gửi các báo cáo %s, lập lúc %s (giờ Hà Nội).\n\n"
			     "Các tệp và mã SHA-256 (bản lưu chỉ đọc trong kho lưu trữ):\n",
			rc->issuer, per, when);
	for (size_t i = 0; i < nfiles; i++)
		wwtp_buf_printf(&text, "%s  %s\n", sums[i], names[i]);
	wwtp_buf_adds(
	    &text, en ? "\nSent automatically. An archived document is never replaced: a "
			"correction is a new document with its own number.\n"
		      : "\nThư gửi tự động. Văn bản đã lưu không bị thay thế: văn bản đính chính "
			"(nếu có) là văn bản mới, có số mới.\n");
	const char *at = strrchr(s->cfg->notify.smtp.from, '@');
	wwtp_buf_init(&mail, MAIL_MAX);
	for (size_t k = 0; k < rc->nemails && ret == 0; k++) {
		char name[WWTP_OB_NAME_MAX];
		snprintf(msgid, sizeof msgid, "wwtp-report.%s.%lld.%zu%s", id,
			 (long long)wwtp_now_ms(), k, at ? at : "@localhost");
		wwtp_buf_reset(&mail);
		wwtp_buf_printf(&mail, "RCPT %s\n", rc->emails[k]);
		ret = wwtp_notify_mail_attached(s->cfg->notify.smtp.from, rc->emails[k], subject,
						text.data, parts, np, msgid, wwtp_now_ms(), &mail);
		if (ret == WWTP_ERR_FULL) {
			/* Too large for one e-mail: the text alone, the files stay
			 * in the archive. */
			LOG_WARN(MOD, "the documents of %s are over %zu MB: e-mailed without them",
				 id, MAIL_MAX >> 20);
			wwtp_buf_reset(&mail);
			wwtp_buf_printf(&mail, "RCPT %s\n", rc->emails[k]);
			ret = wwtp_notify_mail_attached(s->cfg->notify.smtp.from, rc->emails[k],
							subject, text.data, NULL, 0, msgid,
							wwtp_now_ms(), &mail);
		}
		snprintf(name, sizeof name, "%s-%zu.eml", id, k);
		if (ret == 0 && wwtp_nbox_put(s->ob, WWTP_OB_OUT, name, mail.data, mail.len) != 0)
			ret = WWTP_ERR_ERRNO;
	}
	wwtp_buf_free(&mail);
	wwtp_buf_free(&text);
	for (size_t i = 0; i < np; i++)
		wwtp_buf_free(&data[i]);
	return ret;
}

/* Makes, archives and queues the documents of period id. 0 or WWTP_ERR_*
 * (logged by the caller). */
static int run_period(struct wwtp_report_sched *s, const char *id)
{
	const struct wwtp_central_cfg *cfg = s->cfg;
	char work[PATH_MAX], final[PATH_MAX], path[PATH_MAX];
	static char names[FILES_MAX][NAME_MAX + 1]; /* the schedule's one thread */
	static char sums[FILES_MAX][65];
	struct wwtp_buf list;
	int rc;

	int r = snprintf(work, sizeof work, "%s/.work-%s", s->dir, id);
	if (r < 0 || (size_t)r >= sizeof work)
		return WWTP_ERR_RANGE;
	join(final, sizeof final, s->dir, id);
	rm_tree(work);
	if (mkdir(work, 0755) != 0) {
		LOG_ERROR(MOD, "cannot make %s: %s", work, strerror(errno));
		return WWTP_ERR_ERRNO;
	}
	struct wwtp_report_opts o = {.month = id,
				     .kind = kind_of(id),
				     .lang = cfg->report.lang,
				     .out_dir = work,
				     .pdf = WWTP_REPORT_PDF_AUTO,
				     .chromium =
					 cfg->report.chromium[0] ? cfg->report.chromium : NULL,
				     .reserve = reserve_numbers,
				     .reserve_ctx = s,
				     .cancel = &s->cancel};
	FILE *quiet = fopen("/dev/null", "we");
	rc = quiet ? wwtp_report_run(cfg, &o, quiet) : WWTP_ERR_ERRNO;
	if (quiet)
		fclose(quiet);
	if (rc != 0) {
		rm_tree(work);
		return rc;
	}
	size_t n = list_files(work, names, FILES_MAX);
	wwtp_buf_init(&list, (size_t)1 << 20);
	for (size_t i = 0; i < n && rc == 0; i++) {
		join(path, sizeof path, work, names[i]);
		if (sha256_file(path, sums[i]) != 0 || fsync_path(path, O_RDONLY) != 0 ||
		    chmod(path, 0444) != 0)
			rc = WWTP_ERR_ERRNO;
		else
			rc = wwtp_buf_printf(&list, "%s  %s\n", sums[i], names[i]);
	}
	if (rc == 0 && join(path, sizeof path, work, "SHA256SUMS") != 0)
		rc = WWTP_ERR_RANGE;
	if (rc == 0 && put_file(path, list.data ? list.data : "", list.len, 0444) != 0)
		rc = WWTP_ERR_ERRNO;
	wwtp_buf_free(&list);
	/* The e-mails are queued before the folder takes its name: a crash in
	 * between leaves mails of a period without its folder, removed at the
	 * next start, and the period made again. */
	if (rc == 0 && s->snd && cfg->report.nemails)
		rc = queue_mails(s, id, work, names, n, sums);
	if (rc == 0 && (fsync_path(work, O_RDONLY | O_DIRECTORY) != 0 || rename(work, final) != 0))
		rc = WWTP_ERR_ERRNO;
	if (rc != 0) {
		LOG_ERROR(MOD, "cannot archive the documents of %s in %s: %s", id, final,
			  wwtp_strerror(rc));
		rm_tree(work);
		return rc;
	}
	chmod(final, 0555);
	fsync_path(s->dir, O_RDONLY | O_DIRECTORY);
	LOG_INFO(MOD, "%s: %zu files archived in %s (SHA256SUMS)%s", id, n, final,
		 s->snd && cfg->report.nemails ? ", e-mails queued" : "");
	return 0;
}

/* ---- sending ---- */

static void send_queued(struct wwtp_report_sched *s)
{
	char(*names)[WWTP_OB_NAME_MAX] = NULL;
	size_t cnt = 0;
	struct wwtp_buf b;

	if (!s->snd || wwtp_now_ms() < s->send_next_ms)
		return;
	if (wwtp_nbox_list(s->ob, WWTP_OB_OUT, &names, &cnt) != 0)
		return;
	wwtp_buf_init(&b, MAIL_MAX + 1024);
	for (size_t i = 0; i < cnt; i++) {
		char why[256] = "";
		wwtp_buf_reset(&b);
		if (wwtp_nbox_get(s->ob, WWTP_OB_OUT, names[i], MAIL_MAX + 1024, &b) != 0)
			continue;
		char *nl = b.data ? memchr(b.data, '\n', b.len) : NULL;
		if (!nl || strncmp(b.data, "RCPT ", 5) != 0) {
			LOG_ERROR(MOD, "outbox file %s is not an e-mail: set aside", names[i]);
			wwtp_nbox_set_aside(s->ob, WWTP_OB_OUT, names[i]);
			continue;
		}
		*nl = '\0';
		size_t off = (size_t)(nl + 1 - b.data);
		int rc = wwtp_send_mail(s->snd, b.data + 5, nl + 1, b.len - off, why, sizeof why);
		if (rc != 0) {
			s->send_attempt++;
			s->send_next_ms = wwtp_now_ms() + wwtp_notify_backoff_ms(
							      s->send_attempt, RETRY_MIN_S * 1000LL,
							      RETRY_MAX_S * 1000LL);
			/* Once per outage, then at the back-off's pace. */
			if (s->send_attempt == 1 || (s->send_attempt & (s->send_attempt - 1)) == 0)
				LOG_WARN(MOD, "%s to %s not sent (attempt %d): %s; retried later",
					 names[i], b.data + 5, s->send_attempt, why);
			break;
		}
		if (s->send_attempt)
			LOG_INFO(MOD, "the mail server takes the documents again");
		s->send_attempt = 0;
		LOG_INFO(MOD, "%s sent to %s", names[i], b.data + 5);
		wwtp_nbox_del(s->ob, WWTP_OB_OUT, names[i]);
	}
	wwtp_buf_free(&b);
	free(names);
}

/* ---- the thread ---- */

static void start_cleanup(struct wwtp_report_sched *s)
{
	static char names[FILES_MAX][NAME_MAX + 1];
	char p[PATH_MAX];
	DIR *d = opendir(s->dir);
	struct dirent *e;
	size_t n = 0;
	/* Runs that a stop interrupted. */
	while (d && (e = readdir(d)) && n < FILES_MAX)
		if (strncmp(e->d_name, ".work-", 6) == 0)
			snprintf(names[n++], NAME_MAX + 1, "%s", e->d_name);
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		join(p, sizeof p, s->dir, names[i]);
		LOG_WARN(MOD, "%s: a run stopped half-way: removed, the period is made again", p);
		rm_tree(p);
	}
	/* Their e-mails, queued before the folder was named. */
	char(*mails)[WWTP_OB_NAME_MAX] = NULL;
	size_t cnt = 0;
	if (wwtp_nbox_list(s->ob, WWTP_OB_OUT, &mails, &cnt) != 0)
		return;
	for (size_t i = 0; i < cnt; i++) {
		char id[16];
		const char *dash = strrchr(mails[i], '-');
		size_t len = dash ? (size_t)(dash - mails[i]) : 0;
		if (!len || len >= sizeof id)
			continue;
		memcpy(id, mails[i], len);
		id[len] = '\0';
		if (!exists(s->dir, id))
			wwtp_nbox_del(s->ob, WWTP_OB_OUT, mails[i]);
	}
	free(mails);
}

/* 00:00 Hanoi time of the day the archive was made (DIR/.created, written
 * at the first start). */
static int64_t archive_since(struct wwtp_report_sched *s)
{
	char p[PATH_MAX], line[32];
	int64_t since = 0;
	if (join(p, sizeof p, s->dir, ".created") != 0)
		return 0;
	FILE *f = fopen(p, "re");
	if (f) {
		if (fgets(line, sizeof line, f))
			since = strtoll(line, NULL, 10);
		fclose(f);
		if (since > 0)
			return since;
	}
	since = wwtp_local_day_start(wwtp_now_ms());
	int len = snprintf(line, sizeof line, "%lld\n", (long long)since);
	if (put_file(p, line, (size_t)len, 0644) != 0)
		LOG_WARN(MOD, "cannot write %s: %s", p, strerror(errno));
	return since;
}

static void send_queued(struct wwtp_report_sched *s);

static void tick(struct wwtp_report_sched *s, int64_t now)
{
	char ids[3][16];
	int64_t due[3];
	size_t n = wwtp_report_due(&s->cfg->report, now, ids, due);
	for (size_t i = 0; i < n && !s->cancel; i++) {
		int k = kind_of(ids[i]);
		if (now < due[i] || exists(s->dir, ids[i]))
			continue;
		if (due[i] < s->since_ms) {
			/* A new archive does not fill itself with the past. */
			if (strcmp(s->skipped[k], ids[i]) != 0)
				LOG_INFO(MOD,
					 "%s was due before this archive was made: not made on "
					 "schedule (wwtp-central report makes it)",
					 ids[i]);
			snprintf(s->skipped[k], sizeof s->skipped[k], "%s", ids[i]);
			continue;
		}
		if (strcmp(s->failed_id[k], ids[i]) == 0 && now < s->retry_at[k])
			continue;
		LOG_INFO(MOD, "%s is due (since %lld ms ago): making its documents", ids[i],
			 (long long)(now - due[i]));
		int rc = run_period(s, ids[i]);
		if (rc == 0) {
			send_queued(s); /* before the next period's run, which takes minutes */
			if (s->failing[k])
				LOG_INFO(MOD, "%s: made after %d failed runs", ids[i],
					 s->failing[k]);
			s->failing[k] = 0;
			s->failed_id[k][0] = '\0';
			continue;
		}
		if (s->cancel)
			break; /* stopping: made at the next start */
		s->failing[k]++;
		snprintf(s->failed_id[k], sizeof s->failed_id[k], "%s", ids[i]);
		s->retry_at[k] = now + (int64_t)s->cfg->report.retry_s * 1000;
		if (s->failing[k] == 1 || (s->failing[k] & (s->failing[k] - 1)) == 0)
			LOG_WARN(MOD,
				 "%s: the documents could not be made (%s, run %d); tried again "
				 "in %d s",
				 ids[i], wwtp_strerror(rc), s->failing[k], s->cfg->report.retry_s);
	}
}

static void *sched_main(void *arg)
{
	struct wwtp_report_sched *s = arg;
	int64_t start = wwtp_mono_ms();

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		pthread_mutex_unlock(&s->lock);
		if (wwtp_mono_ms() - start >= (int64_t)s->cfg->report.delay_s * 1000)
			tick(s, wwtp_now_ms());
		send_queued(s);
		pthread_mutex_lock(&s->lock);
		if (s->stop)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t wait = TICK_MS;
		int64_t left = (int64_t)s->cfg->report.delay_s * 1000 - (wwtp_mono_ms() - start);
		if (left > 0 && left < wait)
			wait = left;
		ts.tv_sec += (time_t)(wait / 1000);
		ts.tv_nsec += (long)(wait % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int wwtp_report_sched_start(const struct wwtp_central_cfg *cfg, struct wwtp_report_sched **out)
{
	struct wwtp_report_sched *s = calloc(1, sizeof(*s));
	char p[PATH_MAX];
	int rc;

	*out = NULL;
	if (!s)
		return WWTP_ERR_NOMEM;
	s->cfg = cfg;
	snprintf(s->dir, sizeof s->dir, "%s", cfg->report.dir);
	if (mkdir(s->dir, 0755) != 0 && errno != EEXIST) {
		LOG_ERROR(MOD, "cannot make the archive %s: %s", s->dir, strerror(errno));
		free(s);
		return WWTP_ERR_ERRNO;
	}
	rc = join(p, sizeof p, s->dir, ".outbox") == 0 ? wwtp_nbox_open(p, &s->ob) : WWTP_ERR_RANGE;
	if (rc == 0 && cfg->report.nemails && cfg->notify.has_smtp)
		rc = wwtp_sender_new(&cfg->notify.smtp, cfg->notify.timeout_s, &s->snd);
	if (rc != 0) {
		wwtp_nbox_close(s->ob);
		free(s);
		return rc;
	}
	s->since_ms = archive_since(s);
	start_cleanup(s);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->th, NULL, sched_main, s) != 0) {
		LOG_ERROR(MOD, "cannot start the schedule's thread");
		wwtp_report_sched_stop(s);
		return WWTP_ERR_NOMEM;
	}
	s->started = 1;
	LOG_INFO(MOD,
		 "documents on the %d of each month, quarters on the %d, the year on %d/12; "
		 "archive %s, %zu addresses",
		 cfg->report.day, cfg->report.quarter_day, cfg->report.year_day, s->dir,
		 cfg->report.nemails);
	*out = s;
	return 0;
}

void wwtp_report_sched_stop(struct wwtp_report_sched *s)
{
	if (!s)
		return;
	if (s->started) {
		s->cancel = 1;
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->th, NULL);
	}
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	wwtp_sender_free(s->snd);
	wwtp_nbox_close(s->ob);
	free(s);
}
