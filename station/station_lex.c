/* station_lex.c - a scan of a station or profile file for integer literals
 * that libconfig 1.5 would silently change: it stores 5000000000 as
 * 705032704 and 0xFFFFFFFF as -1, so no range check on the tree can see
 * them. Comments and strings are skipped; the rest is tokenised just enough
 * to find numbers. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station_schema.h"

#define SCAN_MAX_BYTES (1024 * 1024)

static int is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '*';
}

/* Checks one number token t[0..len) found at line `line`. */
static int check_literal(struct wwtp_ld *L, const char *path, int line, const char *t, size_t len)
{
	char tok[64];
	size_t n = len < sizeof(tok) - 1 ? len : sizeof(tok) - 1;
	int is_long = 0, hex = 0;
	const char *digits = t;

	memcpy(tok, t, n);
	tok[n] = '\0';
	if (len >= sizeof(tok) - 1) {
		/* A number no one writes on purpose; floats this long still parse. */
		if (!strpbrk(tok, ".eE") ||
		    (n > 2 && (tok[1] == 'x' || tok[1] == 'X' || tok[2] == 'x' || tok[2] == 'X'))) {
			wwtp_diag_add(L->diag, path, line, "number %.20s... is too long", tok);
			return 1;
		}
		return 0;
	}
	while (n > 0 && (tok[n - 1] == 'L' || tok[n - 1] == 'l')) {
		tok[--n] = '\0';
		is_long = 1;
	}
	if (*digits == '-' || *digits == '+')
		digits++;
	if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
		hex = 1;
	if (!hex && strpbrk(tok, ".eE"))
		return 0; /* a float: libconfig handles it (inf is caught later) */
	if (is_long)
		return 0; /* 64-bit literal: parsed as such */
	errno = 0;
	char *end = NULL;
	long long v = strtoll(tok, &end, hex ? 16 : 10);
	if (end == tok || *end != '\0')
		return 0; /* not a plain number: libconfig will report the syntax */
	if (hex ? (errno == ERANGE || v < 0 || v > INT_MAX)
		: (errno == ERANGE || v < INT_MIN || v > INT_MAX)) {
		wwtp_diag_add(L->diag, path, line,
			      "integer %s does not fit in 32 bits (libconfig would silently change "
			      "it): use a value in range",
			      tok);
		return 1;
	}
	return 0;
}

int wwtp_scan_int_literals(struct wwtp_ld *L, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0; /* the parser reports unreadable files */
	char *buf = malloc(SCAN_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		L->nomem = 1;
		return 0;
	}
	size_t len = fread(buf, 1, SCAN_MAX_BYTES + 1, f);
	fclose(f);
	if (len > SCAN_MAX_BYTES) {
		free(buf);
		wwtp_diag_add(L->diag, path, 0, "file is larger than %d bytes: not a station file",
			      SCAN_MAX_BYTES);
		return 1;
	}
	int problems = 0, line = 1;
	size_t i = 0;
	while (i < len) {
		char c = buf[i];
		if (c == '\n') {
			line++;
			i++;
		} else if (c == '"') {
			for (i++; i < len && buf[i] != '"'; i++) {
				if (buf[i] == '\\' && i + 1 < len)
					i++;
				if (buf[i] == '\n')
					line++;
			}
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < len && buf[i + 1] == '/')) {
			while (i < len && buf[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && buf[i + 1] == '*') {
			for (i += 2;
			     i < len && !(buf[i] == '*' && i + 1 < len && buf[i + 1] == '/'); i++)
				if (buf[i] == '\n')
					line++;
			i += 2;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			   c == '*' || c == '@') {
			for (i++; i < len && is_name_char((unsigned char)buf[i]); i++)
				;
		} else if ((c >= '0' && c <= '9') ||
			   ((c == '-' || c == '+' || c == '.') && i + 1 < len &&
			    buf[i + 1] >= '0' && buf[i + 1] <= '9')) {
			size_t start = i;
			for (i++; i < len; i++) {
				char d = buf[i];
				int exp_sign = (d == '-' || d == '+') &&
					       (buf[i - 1] == 'e' || buf[i - 1] == 'E') &&
					       !(buf[start] == '0' && i > start + 1 &&
						 (buf[start + 1] == 'x' || buf[start + 1] == 'X'));
				if (!(is_name_char((unsigned char)d) && d != '-' && d != '*') &&
				    d != '.' && !exp_sign)
					break;
			}
			problems += check_literal(L, path, line, buf + start, i - start);
		} else {
			i++;
		}
	}
	free(buf);
	return problems;
}
