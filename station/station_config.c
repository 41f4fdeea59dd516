/* station_config.c - loading a station file (and the device profiles it
 * names) into struct wwtp_station. The schema is the descriptor tables of
 * station_schema.c, walked by wwtp_walk(); this file adds what a table
 * cannot say: address bases, transport-specific keys, profiles, and the
 * checks across points and devices. docs/config.md is the user's view of
 * the same schema. */
#include "station_config.h"

#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../compliance/evaluator.h"
#include "../compliance/limits.h"
#include "../compliance/plausibility.h"
#include "../util/conffile.h"
#include "../util/err.h"
#include "station_schema.h"
#include "store_config.h"
#include "signing_config.h"
#include "tt10_config.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- loader state ---- */

struct profile {
	char name[WWTP_ID_MAX];
	int failed; /* problems already reported; devices using it add none */
	struct wwtp_point *points;
	size_t npoints;
	struct wwtp_status_src status; /* mode NONE if the profile has none */
};

struct loader {
	struct wwtp_ld ld;
	char dir[WWTP_PATH_MAX]; /* folder of the station file */
	char profiles_dir[WWTP_PATH_MAX];
	struct profile *profiles;
	size_t nprofiles;
	size_t refused; /* devices refused: their points are missing afterwards */
};

/* The bit of `key` in a mask returned by wwtp_walk(). */
static uint64_t opt_bit(const struct wwtp_opt *tab, size_t n, const char *key)
{
	for (size_t i = 0; i < n && i < 64; i++)
		if (strcmp(tab[i].key, key) == 0)
			return (uint64_t)1 << i;
	return 0;
}

/* "device 'outlet'" or "device #2" when the name is missing or unusable. */
static void label_of(char *buf, size_t n, const char *kind, const config_setting_t *grp,
		     const char *key, size_t idx)
{
	const char *name = NULL;
	if (grp && config_setting_is_group(grp))
		config_setting_lookup_string(grp, key, &name);
	if (name && *name && strlen(name) < WWTP_ID_MAX)
		snprintf(buf, n, "%s '%s'", kind, name);
	else
		snprintf(buf, n, "%s #%zu", kind, idx + 1);
}

/* Wire address from an address as written (see docs/config.md, address_base).
 * Returns -1 and reports when it is outside 0..65535 - (regs - 1). */
static long long wire_address(struct wwtp_ld *L, const config_setting_t *s, const char *what,
			      long long a, int base, enum wwtp_table t, int regs)
{
	long long w = a;
	if (base == 1) {
		if (a == 0) {
			wwtp_ld_problem(L, s,
					"%s: address 0 with address_base = 1 (the manual numbers "
					"registers from 1: write the number it gives, or set "
					"address_base = 0 for wire addresses)",
					what);
			return -1;
		}
		/* Modicon references carry the table in their first digit. */
		static const struct {
			enum wwtp_table t;
			long long lo5, lo6;
		} ref[] = {{WWTP_TABLE_HOLDING, 40001, 400001},
			   {WWTP_TABLE_INPUT, 30001, 300001},
			   {WWTP_TABLE_DISCRETE, 10001, 100001}};
		w = a - 1;
		for (size_t i = 0; i < NELEM(ref); i++) {
			if (ref[i].t != t)
				continue;
			if (a >= ref[i].lo5 && a <= ref[i].lo5 + 9998)
				w = a - ref[i].lo5;
			else if (a >= ref[i].lo6 && a <= ref[i].lo6 + 65535)
				w = a - ref[i].lo6;
		}
	}
	if (w < 0 || w + regs - 1 > 65535) {
		if (base == 1)
			wwtp_ld_problem(L, s,
					"%s: address %lld out of range (wire address %lld after "
					"address_base = 1; a %d-register value fits at 0..%d)",
					what, a, w, regs, 65536 - regs);
		else
			wwtp_ld_problem(L, s, "%s: address %lld out of range 0..%d", what, a,
					65536 - regs);
		return -1;
	}
	return w;
}

/* Reads a status group into *out (mode NONE on any problem). */
static void parse_status(struct loader *Lo, const config_setting_t *grp, int base,
			 const char *owner, struct wwtp_status_src *out)
{
	struct wwtp_ld *L = &Lo->ld;
	struct status_in si;
	char what[256];
	size_t before = wwtp_diag_count(L->diag);

	memset(&si, 0, sizeof(si));
	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "status of %s", owner);
	wwtp_walk(L, grp, wwtp_status_opts, wwtp_nstatus_opts, &si, what, NULL);
	if (wwtp_diag_count(L->diag) != before)
		return;
	long long w = wire_address(L, config_setting_get_member(grp, "address"), what, si.address,
				   base, si.s.table, 1);
	if (w < 0)
		return;
	if (si.s.mode == WWTP_STATUS_VALUE && si.s.calibrating == si.s.fault) {
		wwtp_ld_problem(L, grp,
				"%s: calibrating and fault are both %u: give each its own value",
				what, si.s.calibrating);
		return;
	}
	if (si.s.mode == WWTP_STATUS_BITS && (si.s.calibrating & si.s.fault)) {
		wwtp_ld_problem(L, grp, "%s: masks calibrating 0x%04x and fault 0x%04x share bits",
				what, si.s.calibrating, si.s.fault);
		return;
	}
	if (si.s.mode == WWTP_STATUS_BITS && !si.s.calibrating && !si.s.fault) {
		wwtp_ld_problem(L, grp, "%s: both masks are 0: set calibrating or fault", what);
		return;
	}
	*out = si.s;
	out->address = (uint16_t)w;
	out->line = (int)config_setting_source_line(grp);
}

/* Reads one point group. Returns 0 when it is valid. */
static int parse_point(struct loader *Lo, const config_setting_t *grp, size_t idx, int base,
		       const char *owner, struct wwtp_point *out)
{
	struct wwtp_ld *L = &Lo->ld;
	struct point_in pi;
	char what[256], pl[96];
	size_t before = wwtp_diag_count(L->diag);

	label_of(pl, sizeof(pl), "point", grp, "param", idx);
	snprintf(what, sizeof(what), "%s of %s", pl, owner);
	if (!config_setting_is_group(grp)) {
		wwtp_ld_problem(L, grp, "%s must be a group { param = ...; }, not %s", what,
				wwtp_cfg_type_name(config_setting_type(grp)));
		return -1;
	}
	memset(&pi, 0, sizeof(pi));
	uint64_t bad = 0;
	uint64_t present = wwtp_walk(L, grp, wwtp_point_opts, wwtp_npoint_opts, &pi, what, &bad);
	if (pi.status)
		parse_status(Lo, pi.status, base, what, &pi.p.status);
	/* The profile's (or the file's) own bounds; the defaults fill the rest
	 * once every point is known (load_plausibility). */
	wwtp_plaus_unset(&pi.p.plaus);
	if (pi.plausible &&
	    wwtp_plaus_parse_group(pi.plausible, L->file, what, NULL, &pi.p.plaus, L->diag) != 0)
		return -1;
	/* The checks below combine table, type, bit and address: only when all
	 * four are usable (bit may be absent), so one mistake gives one message. */
	uint64_t need = opt_bit(wwtp_point_opts, wwtp_npoint_opts, "table") |
			opt_bit(wwtp_point_opts, wwtp_npoint_opts, "type") |
			opt_bit(wwtp_point_opts, wwtp_npoint_opts, "address");
	uint64_t bit = opt_bit(wwtp_point_opts, wwtp_npoint_opts, "bit");
	if ((present & need) != need || (bad & (need | bit)))
		return -1;

	struct wwtp_point *p = &pi.p;
	bool bit_table = p->table == WWTP_TABLE_COIL || p->table == WWTP_TABLE_DISCRETE;
	if (bit_table && p->type != WWTP_TYPE_BOOL)
		wwtp_ld_problem(L, grp, "%s: a %s point must have type = \"bool\", not \"%s\"",
				what, wwtp_table_name(p->table), wwtp_type_name(p->type));
	if (!bit_table && p->type == WWTP_TYPE_BOOL)
		wwtp_ld_problem(L, grp,
				"%s: type \"bool\" is only for coil and discrete tables; for one "
				"bit of a register write type = \"uint16\"; bit = N;",
				what);
	if (p->bit >= 0 && bit_table)
		wwtp_ld_problem(L, grp, "%s: bit applies only to holding and input registers",
				what);
	if (p->bit >= 0 && !bit_table && p->type != WWTP_TYPE_INT16 && p->type != WWTP_TYPE_UINT16)
		wwtp_ld_problem(
		    L, grp,
		    "%s: bit is only allowed on int16 or uint16 points, not %s (read the "
		    "register as uint16 to pick a bit)",
		    what, wwtp_type_name(p->type));
	long long w = wire_address(L, config_setting_get_member(grp, "address"), what, pi.address,
				   base, p->table, wwtp_type_regs(p->type));
	if (wwtp_diag_count(L->diag) != before || w < 0)
		return -1;
	p->address = (uint16_t)w;
	p->line = (int)config_setting_source_line(grp);
	if (wwtp_ld_source(L, grp, p->source, sizeof(p->source)) != 0) {
		wwtp_ld_problem(L, grp, "%s: file path too long (at most %zu bytes)", what,
				sizeof(p->source) - 1);
		return -1;
	}
	*out = *p;
	return 0;
}

/* Parses a list of points, appending the valid ones to *pts. */
static void parse_points(struct loader *Lo, const config_setting_t *list, int base,
			 const char *owner, struct wwtp_point **pts, size_t *n)
{
	int len = config_setting_length(list);
	if (len <= 0)
		return;
	struct wwtp_point *grown = realloc(*pts, (*n + (size_t)len) * sizeof(**pts));
	if (!grown) {
		Lo->ld.nomem = 1;
		return;
	}
	*pts = grown;
	for (int i = 0; i < len; i++) {
		const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
		if (g && parse_point(Lo, g, (size_t)i, base, owner, &grown[*n]) == 0)
			(*n)++;
	}
}

static int join_path(char *out, size_t n, const char *dir, const char *name, const char *ext)
{
	int w = snprintf(out, n, "%s/%s%s", dir, name, ext);
	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

/* Reports libconfig's parse error of the file L is reading. */
static void parse_error(struct wwtp_ld *L, const config_t *cf)
{
	const char *ef = config_error_file(cf), *text = config_error_text(cf);
	char file[512];
	int w;

	/* An error in an @include'd file is named relative to the include folder. */
	if (!ef || strcmp(ef, L->file) == 0 || ef[0] == '/' || !L->include_dir)
		w = snprintf(file, sizeof(file), "%s", ef ? ef : L->file);
	else
		w = snprintf(file, sizeof(file), "%s/%s", L->include_dir, ef);
	(void)w; /* a cut name is still the best message there is */
	if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
		wwtp_diag_add(L->diag, file, 0, "cannot read file");
	else
		wwtp_diag_add(L->diag, file, config_error_line(cf), "%s",
			      text ? text : "syntax error");
}

/* Reads a parsed profile file into pr (points, device-wide status). */
static void read_profile(struct loader *Lo, const config_t *cf, struct profile *pr,
			 const char *name)
{
	struct wwtp_ld *L = &Lo->ld;
	struct prof_in in;
	struct prof_hdr hdr;
	char what[128];

	memset(&in, 0, sizeof(in));
	memset(&hdr, 0, sizeof(hdr));
	snprintf(what, sizeof(what), "profile '%s'", name);
	wwtp_walk(L, config_root_setting(cf), wwtp_prof_top_opts, wwtp_nprof_top_opts, &in, "",
		  NULL);
	if (in.profile) {
		wwtp_walk(L, in.profile, wwtp_prof_hdr_opts, wwtp_nprof_hdr_opts, &hdr, what, NULL);
		if (hdr.name[0] && strcmp(hdr.name, name) != 0)
			wwtp_ld_problem(
			    L, config_setting_get_member(in.profile, "name"),
			    "%s: name '%s' differs from the file name %s.cfg: make them "
			    "the same",
			    what, hdr.name, name);
	}
	if (in.status)
		parse_status(Lo, in.status, hdr.address_base, what, &pr->status);
	if (in.points) {
		parse_points(Lo, in.points, hdr.address_base, what, &pr->points, &pr->npoints);
		if (config_setting_length(in.points) == 0)
			wwtp_ld_problem(L, in.points,
					"%s: points is empty: list the instrument's points", what);
	}
}

/* Loads profile `name` once per station load; NULL if it failed. */
static struct profile *get_profile(struct loader *Lo, const char *name, const config_setting_t *ref,
				   const char *owner)
{
	struct wwtp_ld *L = &Lo->ld;
	for (size_t i = 0; i < Lo->nprofiles; i++)
		if (strcmp(Lo->profiles[i].name, name) == 0)
			return Lo->profiles[i].failed ? NULL : &Lo->profiles[i];

	struct profile *grown = realloc(Lo->profiles, (Lo->nprofiles + 1) * sizeof(*grown));
	if (!grown) {
		L->nomem = 1;
		return NULL;
	}
	Lo->profiles = grown;
	struct profile *pr = &grown[Lo->nprofiles++];
	memset(pr, 0, sizeof(*pr));
	snprintf(pr->name, sizeof(pr->name), "%s", name); /* checked: < WWTP_ID_MAX */
	pr->failed = 1;

	char path[WWTP_PATH_MAX];
	struct stat sb;
	if (join_path(path, sizeof(path), Lo->profiles_dir, name, ".cfg") != 0) {
		wwtp_ld_problem(L, ref, "%s: profile path %s/%s.cfg is too long", owner,
				Lo->profiles_dir, name);
		return NULL;
	}
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		wwtp_ld_problem(L, ref,
				"%s: unknown profile '%s': no file %s (profiles are read from %s; "
				"set profiles_dir or check the name)",
				owner, name, path, Lo->profiles_dir);
		return NULL;
	}

	const char *saved_file = L->file, *saved_inc = L->include_dir;
	size_t before = wwtp_diag_count(L->diag);
	config_t cf;
	config_init(&cf);
	config_set_include_dir(&cf, Lo->profiles_dir);
	L->file = path;
	L->include_dir = Lo->profiles_dir;
	int crc = wwtp_conffile_check(path, Lo->profiles_dir, L->diag);
	if (crc == WWTP_ERR_NOMEM)
		L->nomem = 1;
	else if (crc == 0 && config_read_file(&cf, path))
		read_profile(Lo, &cf, pr, name);
	else if (crc == 0)
		parse_error(L, &cf);
	config_destroy(&cf);
	L->file = saved_file;
	L->include_dir = saved_inc;
	if (wwtp_diag_count(L->diag) != before || L->nomem)
		return NULL;
	pr->failed = 0;
	return pr;
}

/* Index of the point with `param` among pts[0..n), or n. */
static size_t find_param(const struct wwtp_point *pts, size_t n, const char *param)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(pts[i].param, param) == 0)
			return i;
	return n;
}

static void list_params(char *buf, size_t n, const struct wwtp_point *pts, size_t np)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < np; i++) {
		int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", pts[i].param);
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
}

/* Copies the profile's points into the device, applying omit then rename.
 * Returns the number of points taken from the profile. */
static size_t apply_profile(struct loader *Lo, const struct dev_in *di, const struct profile *pr,
			    const char *what, struct wwtp_point **pts, size_t *n)
{
	struct wwtp_ld *L = &Lo->ld;
	char known[400];
	bool *drop = calloc(pr->npoints + 1, sizeof(bool));
	struct wwtp_point *out = malloc((pr->npoints + 1) * sizeof(*out));
	if (!drop || !out) {
		free(drop);
		free(out);
		L->nomem = 1;
		return 0;
	}
	memcpy(out, pr->points, pr->npoints * sizeof(*out));
	list_params(known, sizeof(known), pr->points, pr->npoints);

	int len = di->omit ? config_setting_length(di->omit) : 0;
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(di->omit, (unsigned)i);
		const char *s = e ? config_setting_get_string(e) : NULL;
		size_t k = s ? find_param(pr->points, pr->npoints, s) : pr->npoints;
		if (!s)
			wwtp_ld_problem(L, e, "%s: omit lists params as strings, not %s", what,
					e ? wwtp_cfg_type_name(config_setting_type(e)) : "?");
		else if (k == pr->npoints)
			wwtp_ld_problem(
			    L, e, "%s: omit: profile '%s' has no point '%.*s' (its points: %s)",
			    what, pr->name, WWTP_ID_MAX, s, known);
		else
			drop[k] = true;
	}
	len = di->rename ? config_setting_length(di->rename) : 0;
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(di->rename, (unsigned)i);
		const char *from = e ? config_setting_name(e) : NULL;
		const char *to = e ? config_setting_get_string(e) : NULL;
		size_t k = from ? find_param(pr->points, pr->npoints, from) : pr->npoints;
		if (!e || !from)
			continue;
		if (!to) {
			wwtp_ld_problem(
			    L, e, "%s: rename.%.*s must be a string (the new param), not %s", what,
			    WWTP_ID_MAX, from, wwtp_cfg_type_name(config_setting_type(e)));
		} else if (k == pr->npoints) {
			wwtp_ld_problem(
			    L, e, "%s: rename: profile '%s' has no point '%.*s' (its points: %s)",
			    what, pr->name, WWTP_ID_MAX, from, known);
		} else if (drop[k]) {
			wwtp_ld_problem(L, e, "%s: rename: point '%s' is also omitted", what, from);
		} else if (!*to || strlen(to) >= WWTP_ID_MAX ||
			   strspn(to, CS_PARAM) != strlen(to)) {
			wwtp_ld_problem(L, e,
					"%s: rename.%s \"%.*s\" is not a valid param (1..%d of %s)",
					what, from, WWTP_ID_MAX, to, WWTP_ID_MAX - 1, HINT_PARAM);
		} else {
			memcpy(out[k].param, to, strlen(to) + 1);
		}
	}
	size_t kept = 0;
	for (size_t i = 0; i < pr->npoints; i++)
		if (!drop[i])
			out[kept++] = out[i];
	free(drop);
	*pts = out;
	*n = kept;
	return kept;
}

/* Reports overlapping registers (and a bit used twice) among a device's points. */
struct span {
	int table;
	long start, end;
	int bit;
	size_t idx;
};
static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->bit != y->bit)
		return x->bit < y->bit ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static void check_overlaps(struct loader *Lo, const struct wwtp_device *d, const char *what)
{
	struct span *sp = malloc((d->npoints + 1) * sizeof(*sp));
	if (!sp) {
		Lo->ld.nomem = 1;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < d->npoints; i++) {
		const struct wwtp_point *p = &d->points[i];
		sp[n++] = (struct span){(int)p->table, p->address,
					p->address + wwtp_type_regs(p->type) - 1, p->bit, i};
	}
	qsort(sp, n, sizeof(*sp), span_cmp);
	long max_end = -1;
	size_t max_idx = 0;
	int table = -1;
	for (size_t i = 0; i < n; i++) {
		const struct wwtp_point *p = &d->points[sp[i].idx];
		if (sp[i].table != table) {
			table = sp[i].table;
			max_end = -1;
		}
		if (sp[i].bit >= 0) {
			/* Bits of one register may be shared, but not the same bit twice. */
			if (i > 0 && sp[i - 1].bit == sp[i].bit && sp[i - 1].table == sp[i].table &&
			    sp[i - 1].start == sp[i].start) {
				const struct wwtp_point *q = &d->points[sp[i - 1].idx];
				wwtp_diag_add(Lo->ld.diag, p->source, p->line,
					      "%s: point '%s' reads bit %d of %s %u, as point '%s' "
					      "(%s:%d) does: remove one",
					      what, p->param, p->bit, wwtp_table_name(p->table),
					      p->address, q->param, q->source, q->line);
			}
			continue;
		}
		if (sp[i].start <= max_end) {
			const struct wwtp_point *q = &d->points[max_idx];
			wwtp_diag_add(Lo->ld.diag, p->source, p->line,
				      "%s: point '%s' (%s %ld..%ld) overlaps point '%s' (%s:%d, %s "
				      "%u..%d): fix the address or the type",
				      what, p->param, wwtp_table_name(p->table), sp[i].start,
				      sp[i].end, q->param, q->source, q->line,
				      wwtp_table_name(q->table), q->address,
				      q->address + wwtp_type_regs(q->type) - 1);
		}
		if (sp[i].end > max_end) {
			max_end = sp[i].end;
			max_idx = sp[i].idx;
		}
	}
	free(sp);
}

/* Reads one device group into *d. Returns 0 when valid. */
static int parse_device(struct loader *Lo, const config_setting_t *grp, size_t idx,
			struct wwtp_device *d)
{
	struct wwtp_ld *L = &Lo->ld;
	struct dev_in di;
	char what[96];
	size_t before = wwtp_diag_count(L->diag);

	memset(&di, 0, sizeof(di));
	label_of(what, sizeof(what), "device", grp, "name", idx);
	if (!config_setting_is_group(grp)) {
		wwtp_ld_problem(L, grp, "%s must be a group { name = ...; }, not %s", what,
				wwtp_cfg_type_name(config_setting_type(grp)));
		return -1;
	}
	uint64_t present = wwtp_walk(L, grp, wwtp_device_opts, wwtp_ndevice_opts, &di, what, NULL);
	*d = di.d;
	d->line = (int)config_setting_source_line(grp);

	/* Keys of the other transport are mistakes (a half-edited device), not
	 * noise. Checked only when the transport itself is valid. */
	const char *tstr = NULL;
	config_setting_lookup_string(grp, "transport", &tstr);
	bool tvalid = tstr && (strcmp(tstr, "tcp") == 0 || strcmp(tstr, "rtu") == 0);
	const char *tname = d->transport == WWTP_TRANSPORT_TCP ? "tcp" : "rtu";
	unsigned mine = d->transport == WWTP_TRANSPORT_TCP ? WWTP_OPT_TCP : WWTP_OPT_RTU;
	for (size_t i = 0; tvalid && i < wwtp_ndevice_opts; i++) {
		const struct wwtp_opt *o = &wwtp_device_opts[i];
		bool has = present & ((uint64_t)1 << i);
		if ((o->flags & (WWTP_OPT_TCP | WWTP_OPT_RTU)) && !(o->flags & mine) && has)
			wwtp_ld_problem(
			    L, config_setting_get_member(grp, o->key),
			    "%s: key '%s' does not apply to transport \"%s\": remove it", what,
			    o->key, tname);
		if ((o->flags & mine) && (o->flags & WWTP_OPT_REQ) && !has)
			wwtp_ld_problem(L, grp,
					"%s: missing required key '%s' for transport \"%s\": %s",
					what, o->key, tname, o->hint ? o->hint : "add it");
	}
	if (tvalid && d->transport == WWTP_TRANSPORT_RTU && d->unit_id > 247)
		wwtp_ld_problem(L, config_setting_get_member(grp, "unit_id"),
				"%s: unit_id %d out of range 0..247 (for transport \"rtu\")", what,
				d->unit_id);
	char sub[160];
	snprintf(sub, sizeof(sub), "rs485 of %s", what);
	wwtp_walk(L, di.rs485, wwtp_rs485_opts, wwtp_nrs485_opts, &d->rs485, sub, NULL);

	struct profile *pr = NULL;
	bool profile_failed = false;
	if (d->profile[0]) {
		pr = get_profile(Lo, d->profile, config_setting_get_member(grp, "profile"), what);
		profile_failed = pr == NULL;
	} else if ((di.rename || di.omit) && !config_setting_get_member(grp, "profile")) {
		wwtp_ld_problem(L, di.rename ? di.rename : di.omit,
				"%s: rename and omit apply to a profile's points: add profile = "
				"\"...\" or remove them",
				what);
	}
	if (di.status)
		parse_status(Lo, di.status, d->address_base, what, &d->status);
	else if (pr)
		d->status = pr->status;

	size_t nprof = 0;
	d->points = NULL;
	d->npoints = 0;
	if (pr)
		nprof = apply_profile(Lo, &di, pr, what, &d->points, &d->npoints);
	if (di.points) {
		struct wwtp_point *own = NULL;
		size_t nown = 0;
		parse_points(Lo, di.points, d->address_base, what, &own, &nown);
		struct wwtp_point *grown =
		    realloc(d->points, (d->npoints + nown + 1) * sizeof(*grown));
		if (!grown) {
			L->nomem = 1;
		} else {
			d->points = grown;
			/* A device's point replaces the profile point of the same param. */
			for (size_t i = 0; i < nown; i++) {
				size_t k = find_param(d->points, nprof, own[i].param);
				if (k < nprof)
					d->points[k] = own[i];
				else
					d->points[d->npoints++] = own[i];
			}
		}
		free(own);
	}
	if (d->npoints == 0 && !profile_failed && wwtp_diag_count(L->diag) == before)
		wwtp_ld_problem(L, grp, "%s: no points: add points = ( ... ) or profile = \"...\"",
				what);
	for (size_t i = 0; i < d->npoints; i++) {
		const struct wwtp_point *p = &d->points[i];
		int regs = wwtp_type_regs(p->type);
		if (p->table >= WWTP_TABLE_HOLDING && regs > d->max_regs)
			wwtp_diag_add(L->diag, p->source, p->line,
				      "%s: point '%s' needs %d registers but max_regs is %d: raise "
				      "max_regs",
				      what, p->param, regs, d->max_regs);
	}
	check_overlaps(Lo, d, what);
	return wwtp_diag_count(L->diag) != before ? -1 : 0;
}

/* Checks across devices: names, params, slaves, serial line settings. */
struct owned_point {
	const struct wwtp_point *p;
	const struct wwtp_device *d;
	size_t order; /* position in the file: the later one is reported */
};
static int cmp_point_param(const void *a, const void *b)
{
	const struct owned_point *x = a, *y = b;
	int c = strcmp(x->p->param, y->p->param);
	if (c)
		return c;
	return x->order < y->order ? -1 : (x->order > y->order);
}

/* Whether a point's source is "<dir>/<profile>.cfg". */
static bool ends_with_profile(const char *source, const char *profile)
{
	size_t ls = strlen(source), lp = strlen(profile);
	return ls > lp + 5 && source[ls - lp - 5] == '/' &&
	       strncmp(source + ls - lp - 4, profile, lp) == 0 &&
	       strcmp(source + ls - 4, ".cfg") == 0;
}

static void check_station(struct loader *Lo, const struct wwtp_station *st)
{
	struct wwtp_diag *dg = Lo->ld.diag;
	const char *file = st->path;
	size_t total = 0;

	for (size_t i = 0; i < st->ndevices; i++) {
		const struct wwtp_device *a = &st->devices[i];
		total += a->npoints;
		for (size_t j = 0; j < i; j++) {
			const struct wwtp_device *b = &st->devices[j];
			if (strcmp(a->name, b->name) == 0)
				wwtp_diag_add(dg, file, a->line,
					      "device '%s' is defined twice (first at line %d): "
					      "rename one",
					      a->name, b->line);
			bool same_link = a->transport == b->transport &&
					 (a->transport == WWTP_TRANSPORT_TCP
					      ? strcmp(a->host, b->host) == 0 && a->port == b->port
					      : strcmp(a->serial, b->serial) == 0);
			if (same_link && a->unit_id == b->unit_id)
				wwtp_diag_add(
				    dg, file, a->line,
				    "device '%s': same slave as device '%s' (line %d): "
				    "unit_id %d on the same %s: give each its own unit_id",
				    a->name, b->name, b->line, a->unit_id,
				    a->transport == WWTP_TRANSPORT_TCP ? "host and port"
								       : "serial port");
			if (same_link && a->transport == WWTP_TRANSPORT_RTU &&
			    (a->baud != b->baud || a->parity != b->parity ||
			     a->data_bits != b->data_bits || a->stop_bits != b->stop_bits))
				wwtp_diag_add(dg, file, a->line,
					      "device '%s': serial %s runs at %d %c%d%d for device "
					      "'%s' (line %d) but %d %c%d%d here: one bus has one "
					      "setting",
					      a->name, a->serial, b->baud, b->parity, b->data_bits,
					      b->stop_bits, b->name, b->line, a->baud, a->parity,
					      a->data_bits, a->stop_bits);
		}
	}
	struct owned_point *all = malloc((total + 1) * sizeof(*all));
	if (!all) {
		Lo->ld.nomem = 1;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < st->ndevices; i++) {
		for (size_t j = 0; j < st->devices[i].npoints; j++) {
			all[n] =
			    (struct owned_point){&st->devices[i].points[j], &st->devices[i], n};
			n++;
		}
	}
	qsort(all, n, sizeof(*all), cmp_point_param);
	for (size_t i = 1; i < n; i++) {
		const struct owned_point *a = &all[i], *b = &all[i - 1];
		if (strcmp(a->p->param, b->p->param) != 0)
			continue;
		/* A profile's point is fixed in the station file (rename, omit),
		 * so that is where the message points. */
		bool from_profile =
		    a->d->profile[0] && ends_with_profile(a->p->source, a->d->profile);
		char origin[WWTP_ID_MAX + 32] = "";
		if (from_profile)
			snprintf(origin, sizeof(origin), " (from profile '%s')", a->d->profile);
		wwtp_diag_add(
		    dg, from_profile ? st->path : a->p->source,
		    from_profile ? a->d->line : a->p->line,
		    "device '%s': param '%s'%s is already published by device '%s' (point "
		    "at %s:%d): each param once per station (rename one, e.g. %s_in%s)",
		    a->d->name, a->p->param, origin, b->d->name, b->p->source, b->p->line,
		    a->p->param, from_profile ? ", with rename = { ... }" : "");
	}
	free(all);
}

static void dir_of(char *out, size_t n, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(out, n, ".");
	else if (slash == path)
		snprintf(out, n, "/");
	else
		snprintf(out, n, "%.*s", (int)(slash - path), path);
}

static bool is_dir(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The folder of regulation files: the caller's, the file's limits_dir
 * (relative to the file's folder), else the first that exists of
 * "<file's folder>/../limits" (as for profiles), "<profiles folder>/../limits"
 * (a station file copied elsewhere and loaded with an explicit profiles
 * folder) and WWTP_LIMITS_DIR in the working folder (the compliance core's
 * own default). When none exists the first is named in the message.
 * Returns 0 or -1 (too long). */
static int limits_folder(const struct loader *Lo, const struct top_in *top,
			 const struct wwtp_load_opts *opts, char *out, size_t n)
{
	int w;
	if (opts && opts->limits_dir)
		w = snprintf(out, n, "%s", opts->limits_dir);
	else if (top->limits_dir[0] == '/')
		w = snprintf(out, n, "%s", top->limits_dir);
	else if (top->limits_dir[0])
		w = snprintf(out, n, "%s/%s", Lo->dir, top->limits_dir);
	else {
		w = snprintf(out, n, "%s/../limits", Lo->dir);
		if (w >= 0 && (size_t)w < n && !is_dir(out)) {
			char alt[WWTP_PATH_MAX];
			int wa = snprintf(alt, sizeof(alt), "%s/../limits", Lo->profiles_dir);
			if (wa >= 0 && (size_t)wa < sizeof(alt) && is_dir(alt))
				w = snprintf(out, n, "%s", alt);
			else if (is_dir(WWTP_LIMITS_DIR))
				w = snprintf(out, n, "%s", WWTP_LIMITS_DIR);
		}
	}
	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

/* The `limits` group: parsed by compliance/, then the regulation is found by
 * id and the effective limits computed, so that a wrong id, column or
 * override is a load error (and --check catches it), not a surprise when
 * the collector starts judging. */
static void load_limits(struct loader *Lo, const struct top_in *top,
			const struct wwtp_load_opts *opts, struct wwtp_station *st)
{
	struct wwtp_ld *L = &Lo->ld;

	if (!top->limits)
		return;

	struct wwtp_limits_spec *spec = malloc(sizeof(*spec));
	if (!spec) {
		L->nomem = 1;
		return;
	}
	st->limits_spec = spec;
	if (wwtp_limits_spec_parse(top->limits, st->path, spec, L->diag) != 0)
		return;
	/* Kf follows the plant's design flow unless the permit gives Kf (or the
	 * limits group its own flow): one figure, written once in the file. */
	if (!isfinite(spec->kf) && !isfinite(spec->design_flow_m3d) && st->design_flow_m3d > 0)
		spec->design_flow_m3d = st->design_flow_m3d;

	const config_setting_t *at = config_setting_get_member(top->limits, "regulation");
	char dir[WWTP_PATH_MAX], path[WWTP_PATH_MAX];
	if (limits_folder(Lo, top, opts, dir, sizeof(dir)) != 0) {
		wwtp_ld_problem(L, at,
				"limits: the path of the folder of regulation files is too long");
		return;
	}
	/* The finder's own message names only the folder: it is repeated here
	 * at the line of the station file that asked for the id. */
	struct wwtp_diag *found = wwtp_diag_new();
	if (!found) {
		L->nomem = 1;
		return;
	}
	int rc = wwtp_regulation_find_file(dir, spec->regulation, path, sizeof(path), found);
	if (rc == WWTP_ERR_NOMEM) {
		L->nomem = 1;
	} else if (rc == WWTP_ERR_RANGE) {
		wwtp_ld_problem(L, at, "limits: the path of regulation \"%s\" in %s is too long",
				spec->regulation, dir);
	} else if (rc != 0) {
		const char *why = wwtp_diag_get(found, 0);
		wwtp_ld_problem(L, at,
				"limits: regulation \"%s\" not found: %s (fix the id, or set "
				"limits_dir or --limits-dir to the folder of regulation files)",
				spec->regulation, why ? why : wwtp_strerror(rc));
	}
	wwtp_diag_free(found);
	if (rc != 0)
		return;

	struct wwtp_regulation *reg = NULL;
	size_t before = wwtp_diag_count(L->diag);
	rc = wwtp_regulation_load(path, L->diag, &reg);
	if (rc == WWTP_ERR_NOMEM) {
		L->nomem = 1;
		return;
	}
	if (rc != 0) {
		if (wwtp_diag_count(L->diag) == before)
			wwtp_diag_add(L->diag, path, 0, "%s", wwtp_strerror(rc));
		wwtp_ld_problem(L, at, "limits: regulation file %s has problems (above)", path);
		return;
	}
	rc = wwtp_limits_effective(reg, spec, &st->limits, L->diag);
	wwtp_regulation_free(reg);
	if (rc == WWTP_ERR_NOMEM)
		L->nomem = 1;
	else if (rc == 0)
		memcpy(st->limits_file, path, sizeof(st->limits_file));
}

/* The defaults file: the file's plausibility_file (relative to its folder),
 * else the first that exists of "<file's folder>/../plausibility.cfg" and
 * "<profiles folder>/../plausibility.cfg". None is not an error: only the
 * bounds of profiles and of the station are then checked. */
static int plausibility_path(const struct loader *Lo, const struct top_in *top, char *out, size_t n)
{
	int w;
	if (top->plausibility_file[0] == '/')
		w = snprintf(out, n, "%s", top->plausibility_file);
	else if (top->plausibility_file[0])
		w = snprintf(out, n, "%s/%s", Lo->dir, top->plausibility_file);
	else {
		struct stat sb;
		w = snprintf(out, n, "%s/../plausibility.cfg", Lo->dir);
		if (w >= 0 && (size_t)w < n && stat(out, &sb) != 0)
			w = snprintf(out, n, "%s/../plausibility.cfg", Lo->profiles_dir);
		if (w >= 0 && (size_t)w < n && stat(out, &sb) != 0)
			out[0] = '\0';
	}
	return (w < 0 || (size_t)w >= n) ? -1 : 0;
}

static struct wwtp_point *point_named(struct wwtp_station *st, const char *param)
{
	for (size_t i = 0; i < st->ndevices; i++)
		for (size_t k = 0; k < st->devices[i].npoints; k++)
			if (strcmp(st->devices[i].points[k].param, param) == 0)
				return &st->devices[i].points[k];
	return NULL;
}

/* Each point's plausibility bounds (docs/plausibility.md): the station's
 * `plausibility` list over the profile's point over the defaults file. */
static void load_plausibility(struct loader *Lo, const struct top_in *top, struct wwtp_station *st)
{
	struct wwtp_ld *L = &Lo->ld;
	struct wwtp_plaus_defaults *defs = NULL;
	char path[WWTP_PATH_MAX];

	if (plausibility_path(Lo, top, path, sizeof(path)) != 0) {
		wwtp_diag_add(L->diag, st->path, 0, "plausibility_file: path too long");
		return;
	}
	if (path[0]) {
		int rc = wwtp_plaus_defaults_load(path, L->diag, &defs);
		if (rc == WWTP_ERR_NOMEM) {
			L->nomem = 1;
			return;
		}
	}
	int len = top->plausibility ? config_setting_length(top->plausibility) : 0;
	for (int i = 0; i < len; i++) {
		const config_setting_t *g = config_setting_get_elem(top->plausibility, (unsigned)i);
		char param[WWTP_ID_MAX] = "";
		struct wwtp_plaus b;
		wwtp_plaus_unset(&b);
		if (wwtp_plaus_parse_group(g, L->file, "plausibility", param, &b, L->diag) != 0)
			continue;
		struct wwtp_point *p = point_named(st, param);
		if (!p) {
			if (Lo->refused == 0) /* else perhaps a point of the refused device */
				wwtp_ld_problem(L, g, "plausibility: no point measures '%.*s'", 48,
						param);
			continue;
		}
		wwtp_plaus_fill(&b, &p->plaus);
		p->plaus = b;
	}
	for (size_t i = 0; i < st->ndevices; i++)
		for (size_t k = 0; k < st->devices[i].npoints; k++) {
			struct wwtp_point *p = &st->devices[i].points[k];
			struct wwtp_plaus d;
			wwtp_plaus_defaults_get(defs, p->param, &d);
			wwtp_plaus_fill(&p->plaus, &d);
			if (p->plaus.flat_s < 0)
				p->plaus.flat_s = 0;
			p->plaus.on = wwtp_plaus_any(&p->plaus);
			if (isfinite(p->plaus.min) && isfinite(p->plaus.max) &&
			    p->plaus.min > p->plaus.max)
				wwtp_diag_add(L->diag, p->source, p->line,
					      "point '%s': plausible min %g is above max %g (after "
					      "the defaults of %s)",
					      p->param, p->plaus.min, p->plaus.max,
					      path[0] ? path : "no file");
		}
	wwtp_plaus_defaults_free(defs);
}

/* The `limits` group, then `evaluation` (the defaults when absent). */
static void load_compliance(struct loader *Lo, const struct top_in *top,
			    const struct wwtp_load_opts *opts, struct wwtp_station *st)
{
	load_limits(Lo, top, opts, st);
	if (Lo->ld.nomem)
		return;
	st->evaluation = malloc(sizeof(*st->evaluation));
	if (!st->evaluation) {
		Lo->ld.nomem = 1;
		return;
	}
	wwtp_eval_config_parse(top->evaluation, st->path, st->evaluation, Lo->ld.diag);
}

static int load_tree(struct loader *Lo, config_t *cf, const struct wwtp_load_opts *opts,
		     struct wwtp_station *st)
{
	struct wwtp_ld *L = &Lo->ld;
	struct top_in top;
	memset(&top, 0, sizeof(top));

	wwtp_walk(L, config_root_setting(cf), wwtp_top_opts, wwtp_ntop_opts, &top, "", NULL);
	if (top.station) {
		wwtp_walk(L, top.station, wwtp_station_opts, wwtp_nstation_opts, st, "station",
			  NULL);
		st->plan_review = strcmp(st->plan, "review") == 0;
	}

	/* The caller's folder wins over the file's, which wins over the default. */
	int w;
	if (opts && opts->profiles_dir)
		w = snprintf(Lo->profiles_dir, sizeof(Lo->profiles_dir), "%s", opts->profiles_dir);
	else if (top.profiles_dir[0] == '/')
		w = snprintf(Lo->profiles_dir, sizeof(Lo->profiles_dir), "%s", top.profiles_dir);
	else if (top.profiles_dir[0])
		w = snprintf(Lo->profiles_dir, sizeof(Lo->profiles_dir), "%s/%s", Lo->dir,
			     top.profiles_dir);
	else
		w = snprintf(Lo->profiles_dir, sizeof(Lo->profiles_dir), "%s/../profiles", Lo->dir);
	if (w < 0 || (size_t)w >= sizeof(Lo->profiles_dir))
		wwtp_diag_add(L->diag, st->path, 0, "profiles folder path is too long");

	if (top.devices) {
		int len = config_setting_length(top.devices);
		if (len == 0)
			wwtp_ld_problem(L, top.devices,
					"devices is empty: add at least one device");
		st->devices = calloc((size_t)len + 1, sizeof(*st->devices));
		if (!st->devices)
			return WWTP_ERR_NOMEM;
		for (int i = 0; i < len && !L->nomem; i++) {
			const config_setting_t *g =
			    config_setting_get_elem(top.devices, (unsigned)i);
			struct wwtp_device *d = &st->devices[st->ndevices];
			if (!g)
				continue;
			if (parse_device(Lo, g, (size_t)i, d) == 0) {
				st->ndevices++;
			} else {
				Lo->refused++;
				free(d->points);
				memset(d, 0, sizeof(*d));
			}
		}
	}
	if (top.mqtt) {
		wwtp_walk(L, top.mqtt, wwtp_mqtt_opts, wwtp_nmqtt_opts, &st->mqtt, "mqtt", NULL);
		if (st->mqtt.uri[0] && !strstr(st->mqtt.uri, "://"))
			wwtp_ld_problem(L, config_setting_get_member(top.mqtt, "uri"),
					"mqtt: uri \"%.*s\" has no scheme: write e.g. "
					"\"tcp://127.0.0.1:1883\"",
					64, st->mqtt.uri);
		size_t tp = strlen(st->mqtt.topic_prefix);
		if (tp &&
		    (st->mqtt.topic_prefix[0] == '/' || st->mqtt.topic_prefix[tp - 1] == '/' ||
		     strstr(st->mqtt.topic_prefix, "//")))
			wwtp_ld_problem(L, config_setting_get_member(top.mqtt, "topic_prefix"),
					"mqtt: topic_prefix must not start or end with '/' or hold "
					"an empty level");
		const char *akey;
		const char *why = wwtp_mqtt_auth_problem(&st->mqtt.auth, st->mqtt.uri, &akey);
		if (why)
			wwtp_ld_problem(L, config_setting_get_member(top.mqtt, akey), "mqtt: %s",
					why);
		if (!st->mqtt.client_id[0])
			snprintf(st->mqtt.client_id, sizeof(st->mqtt.client_id),
				 "wwtp-collector-%s", st->id); /* id < 48, fits in 96 */
	}
	wwtp_store_cfg_parse(L, top.store, &st->store);
	wwtp_signing_cfg_parse(L, top.signing, &st->signing);
	check_station(Lo, st);
	if (!L->nomem)
		load_compliance(Lo, &top, opts, st);
	if (!L->nomem)
		load_plausibility(Lo, &top, st);
	/* After the devices: its params must be theirs. With a device refused,
	 * its params would be "not a param of this station": consequences, not
	 * causes; the group is checked once the devices load. */
	if (!L->nomem && top.tt10 && Lo->refused == 0)
		wwtp_tt10_config_load(L, top.tt10, Lo->dir, st);
	return L->nomem ? WWTP_ERR_NOMEM : 0;
}

int wwtp_station_load(const char *path, const struct wwtp_load_opts *opts,
		      struct wwtp_station **out, struct wwtp_diag *diag)
{
	struct wwtp_diag *own = NULL;
	struct loader Lo;
	struct stat sb;
	int rc = 0;

	if (out)
		*out = NULL;
	if (!diag)
		diag = own = wwtp_diag_new(); /* the caller does not want messages */
	if (!diag)
		return WWTP_ERR_NOMEM;
	if (!path || !out) {
		wwtp_diag_add(diag, path ? path : "?", 0, "internal: no path or no result pointer");
		wwtp_diag_free(own);
		return WWTP_ERR_CONFIG;
	}
	size_t before = wwtp_diag_count(diag);
	memset(&Lo, 0, sizeof(Lo));
	Lo.ld.diag = diag;
	Lo.ld.file = path;
	if (strlen(path) >= WWTP_PATH_MAX) {
		wwtp_diag_add(diag, path, 0, "path too long (at most %d bytes)", WWTP_PATH_MAX - 1);
		wwtp_diag_free(own);
		return WWTP_ERR_CONFIG;
	}
	if (stat(path, &sb) != 0) {
		wwtp_diag_add(diag, path, 0, "cannot read station file: %s", strerror(errno));
		wwtp_diag_free(own);
		return WWTP_ERR_CONFIG;
	}
	if (!S_ISREG(sb.st_mode)) {
		wwtp_diag_add(diag, path, 0,
			      "not a station file: it is a folder, a FIFO or a device");
		wwtp_diag_free(own);
		return WWTP_ERR_CONFIG;
	}
	dir_of(Lo.dir, sizeof(Lo.dir), path);
	Lo.ld.include_dir = Lo.dir;

	struct wwtp_station *st = calloc(1, sizeof(*st));
	if (!st) {
		wwtp_diag_free(own);
		return WWTP_ERR_NOMEM;
	}
	memcpy(st->path, path, strlen(path) + 1);

	config_t cf;
	config_init(&cf);
	config_set_include_dir(&cf, Lo.dir); /* @include is relative to the file */
	/* Refused files (a FIFO, too big, a NUL byte, in it or in what it
	 * includes) never reach libconfig. */
	int crc = wwtp_conffile_check(path, Lo.dir, diag);
	if (crc == WWTP_ERR_NOMEM)
		Lo.ld.nomem = 1;
	else if (crc == 0 && config_read_file(&cf, path))
		rc = load_tree(&Lo, &cf, opts, st);
	else if (crc == 0)
		parse_error(&Lo.ld, &cf);
	config_destroy(&cf);
	for (size_t i = 0; i < Lo.nprofiles; i++)
		free(Lo.profiles[i].points);
	free(Lo.profiles);

	if (rc == 0 && Lo.ld.nomem)
		rc = WWTP_ERR_NOMEM;
	if (rc == 0 && wwtp_diag_count(diag) != before)
		rc = WWTP_ERR_CONFIG;
	if (rc != 0) {
		if (wwtp_diag_count(diag) == before)
			wwtp_diag_add(diag, path, 0, "%s", wwtp_strerror(rc));
		wwtp_station_free(st);
		wwtp_diag_free(own);
		return rc;
	}
	*out = st;
	wwtp_diag_free(own);
	return 0;
}
