/* test_acl.c - the broker's ACL and configuration from the registry
 * (central/admin/acl.c): what each user is granted, and the
 * registries that must be refused rather than turned into a weak ACL. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../central/admin/acl.h"
#include "../../util/err.h"

static const struct wwtp_acl_station two[] = {
    {.id = "kcn-a", .prefix = "wwtp", .username = "kcn-a", .source = "a.cfg"},
    {.id = "kcn-b", .prefix = "wwtp", .username = "gw-b", .source = "b.cfg"},
};

static struct wwtp_acl_opts opts(enum wwtp_acl_auth auth)
{
	struct wwtp_acl_opts o = {
	    .central_user = "wwtp-central",
	    .central_prefix = "wwtp",
	    .auth = auth,
	    .port = 8883,
	    .bind = "",
	    .cafile = "/etc/ca.crt",
	    .certfile = "/etc/s.crt",
	    .keyfile = "/etc/s.key",
	    .password_file = "/etc/mosquitto/passwd",
	    .acl_path = "/etc/mosquitto/acl",
	};
	return o;
}

/* The lines of `text` after "user NAME", up to the next blank line. */
static char *section(const char *text, const char *user)
{
	char head[128];
	snprintf(head, sizeof(head), "\nuser %s\n", user);
	const char *p = strstr(text, head);
	if (!p)
		return NULL;
	p += strlen(head);
	const char *e = strstr(p, "\n\n"); /* sections are separated by a blank line */
	size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
	return strndup(p, n);
}

static void test_grants(void **state)
{
	struct wwtp_acl_opts o = opts(WWTP_ACL_CERT);
	struct wwtp_buf acl, conf;
	char why[256];
	(void)state;
	wwtp_buf_init(&acl, 1 << 20);
	wwtp_buf_init(&conf, 1 << 20);
	assert_int_equal(wwtp_acl_generate(two, 2, &o, &acl, &conf, why, sizeof(why)), 0);

	/* Nothing granted before the first user line (it would apply to
	 * everyone). */
	const char *first = strstr(acl.data, "\nuser ");
	assert_non_null(first);
	assert_null(memmem(acl.data, (size_t)(first - acl.data), "\ntopic", 6));

	char *c = section(acl.data, "wwtp-central");
	assert_non_null(c);
	assert_non_null(strstr(c, "topic read wwtp/#\n"));
	/* It publishes the acknowledgements, and nothing else. */
	assert_non_null(strstr(c, "topic write wwtp/+/ack\n"));
	assert_null(strstr(strstr(c, "topic write wwtp/+/ack\n") + 12, "write"));
	assert_ptr_equal(strstr(c, "write"), strstr(c, "topic write wwtp/+/ack\n") + 6);
	free(c);

	char *a = section(acl.data, "kcn-a");
	assert_non_null(a);
	for (size_t k = 0; k < wwtp_acl_nleaves; k++) {
		char want[128];
		snprintf(want, sizeof(want), "topic write wwtp/kcn-a/%s\n",
			 wwtp_acl_station_leaves[k]);
		assert_non_null(strstr(a, want));
	}
	/* Its own topics only, and no read but its own acknowledgements. */
	assert_null(strstr(a, "kcn-b"));
	assert_non_null(strstr(a, "topic read wwtp/kcn-a/ack\n"));
	assert_ptr_equal(strstr(a, "read"), strstr(a, "topic read wwtp/kcn-a/ack\n") + 6);
	assert_null(strstr(strstr(a, "read") + 4, "read"));
	assert_null(strstr(a, "#"));
	assert_null(strstr(a, "+"));
	free(a);

	/* A station's user name is its own (not its id) when it has one. */
	char *b = section(acl.data, "gw-b");
	assert_non_null(b);
	assert_non_null(strstr(b, "topic write wwtp/kcn-b/telemetry\n"));
	free(b);
	assert_null(section(acl.data, "kcn-b"));

	/* Certificate mode: CN as user name, certificate required, no
	 * password file, nobody anonymous, the ACL used. */
	assert_non_null(strstr(conf.data, "allow_anonymous false\n"));
	assert_non_null(strstr(conf.data, "acl_file /etc/mosquitto/acl\n"));
	/* The central side's queue must not drop readings the gateways let go. */
	assert_non_null(strstr(conf.data, "\nmax_queued_messages 0\n"));
	assert_non_null(strstr(conf.data, "\nmax_inflight_messages 0\n"));
	assert_non_null(strstr(conf.data, "listener 8883\n"));
	assert_non_null(strstr(conf.data, "require_certificate true\n"));
	assert_non_null(strstr(conf.data, "use_identity_as_username true\n"));
	assert_null(strstr(conf.data, "password_file"));
	assert_non_null(strstr(conf.data, "cafile /etc/ca.crt\n"));
	wwtp_buf_free(&acl);
	wwtp_buf_free(&conf);
}

static void test_auth_modes(void **state)
{
	struct wwtp_acl_opts o = opts(WWTP_ACL_PASSWORD);
	struct wwtp_buf acl, conf;
	char why[256];
	enum wwtp_acl_auth m;
	(void)state;
	wwtp_buf_init(&acl, 1 << 20);
	wwtp_buf_init(&conf, 1 << 20);
	o.bind = "10.0.0.1";
	o.port = 18883;
	assert_int_equal(wwtp_acl_generate(two, 2, &o, &acl, &conf, why, sizeof(why)), 0);
	assert_non_null(strstr(conf.data, "password_file /etc/mosquitto/passwd\n"));
	assert_non_null(strstr(conf.data, "require_certificate false\n"));
	assert_non_null(strstr(conf.data, "listener 18883 10.0.0.1\n"));
	assert_null(strstr(conf.data, "use_identity_as_username"));
	wwtp_buf_reset(&acl);
	wwtp_buf_reset(&conf);
	o.auth = WWTP_ACL_BOTH;
	assert_int_equal(wwtp_acl_generate(two, 2, &o, &acl, &conf, why, sizeof(why)), 0);
	assert_non_null(strstr(conf.data, "password_file /etc/mosquitto/passwd\n"));
	assert_non_null(strstr(conf.data, "require_certificate true\n"));
	assert_null(strstr(conf.data, "use_identity_as_username"));
	wwtp_buf_free(&acl);
	wwtp_buf_free(&conf);

	assert_int_equal(wwtp_acl_parse_auth("cert", &m), 0);
	assert_int_equal(m, WWTP_ACL_CERT);
	assert_int_equal(wwtp_acl_parse_auth("both", &m), 0);
	assert_int_equal(m, WWTP_ACL_BOTH);
	assert_int_equal(wwtp_acl_parse_auth("none", &m), WWTP_ERR_INVAL);
}

/* Generation must fail, naming `want`. */
static void refused(const struct wwtp_acl_station *st, size_t n, const struct wwtp_acl_opts *o,
		    const char *want)
{
	struct wwtp_buf acl, conf;
	char why[512] = "";
	wwtp_buf_init(&acl, 1 << 20);
	wwtp_buf_init(&conf, 1 << 20);
	assert_int_equal(wwtp_acl_generate(st, n, o, &acl, &conf, why, sizeof(why)),
			 WWTP_ERR_INVAL);
	if (!strstr(why, want))
		fail_msg("want \"%s\" in \"%s\"", want, why);
	wwtp_buf_free(&acl);
	wwtp_buf_free(&conf);
}

static void test_refusals(void **state)
{
	struct wwtp_acl_opts o = opts(WWTP_ACL_CERT);
	(void)state;
	/* Shared credentials would let one plant publish as another. */
	struct wwtp_acl_station dup[] = {
	    {.id = "kcn-a", .prefix = "wwtp", .username = "gw", .source = "a.cfg"},
	    {.id = "kcn-b", .prefix = "wwtp", .username = "gw", .source = "b.cfg"},
	};
	refused(dup, 2, &o, "share the user name \"gw\"");
	struct wwtp_acl_station central[] = {
	    {.id = "kcn-a", .prefix = "wwtp", .username = "wwtp-central", .source = "a.cfg"},
	};
	refused(central, 1, &o, "central side's user name");
	/* Names an ACL line cannot carry safely. */
	struct wwtp_acl_station bad[] = {
	    {.id = "kcn-a", .prefix = "wwtp", .username = "a b", .source = "a.cfg"},
	};
	refused(bad, 1, &o, "user name \"a b\"");
	bad[0].username = "a\ntopic readwrite #";
	refused(bad, 1, &o, "user name");
	bad[0].username = "ok";
	bad[0].prefix = "wwtp/#";
	refused(bad, 1, &o, "wildcard");
	o.central_prefix = "wwtp/+";
	refused(two, 2, &o, "topic prefix");
	o = opts(WWTP_ACL_PASSWORD);
	o.password_file = "";
	refused(two, 2, &o, "broker file name");
	o = opts(WWTP_ACL_CERT);
	o.acl_path = "/x\nallow_anonymous true";
	refused(two, 2, &o, "line break");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grants),
	    cmocka_unit_test(test_auth_modes),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
