/*
 * test_support.c: the test support library tests itself (tests/support/).
 *
 * The integration tests trust natsd, publish, proc and tmp to tell the truth
 * about servers, streams and processes; this binary checks that they do,
 * against a real nats-server: the 600-event fixture lands as sequences 1 to
 * 600 with its exact bytes (invalid JSON included), survives a SIGKILL and a
 * restart on the same port, and child processes report exit codes, signals
 * and timeouts. Run from the repository root (the fixture path is relative).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <nats/nats.h>

#include "itest.h"
#include "natsd.h"
#include "proc.h"
#include "publish.h"
#include "tmp.h"

#define FIXTURE		"tests/fixtures/gamingapi-small/events.jsonl"
#define FIXTURE_EVENTS	600
#define STREAM		"everything"

struct fixture {
	struct natsd	 d;
	char		 dir[512];	/* scratch dir for files of the test */
	int		 skip;		/* no nats-server on this machine */
};

static const char *const subjects[] = { "v0.rust.servers.>" };

static int
setup(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if (tmp_dir("test-support-", f->dir, sizeof(f->dir)) == -1) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	natsd_release(&f->d);
	tmp_rm_rf(f->dir);
	free(f);
	return 0;
}

static void
connect_js(const char *url, natsConnection **nc, jsCtx **js)
{
	char err[1024];

	if (publish_connect(url, nc, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	if (publish_js(*nc, js, err, sizeof(err)) == -1)
		fail_msg("%s", err);
}

/* Checks the stream's counters and that it is stored in files. */
static void
check_stream(jsCtx *js, uint64_t msgs, uint64_t first, uint64_t last)
{
	jsStreamInfo *si = NULL;
	jsErrCode jerr = 0;

	assert_int_equal(js_GetStreamInfo(&si, js, STREAM, NULL, &jerr),
	    NATS_OK);
	assert_int_equal(si->State.Msgs, msgs);
	assert_int_equal(si->State.FirstSeq, first);
	assert_int_equal(si->State.LastSeq, last);
	assert_int_equal(si->Config->Storage, js_FileStorage);
	assert_int_equal(si->Config->Retention, js_LimitsPolicy);
	jsStreamInfo_Destroy(si);
}

/*
 * Reads every stored message back and compares subject and data with the
 * fixture line of the same number. Returns how many payloads were not JSON,
 * so the caller can see that the bad ones went through untouched too.
 */
static int
check_stored_bytes(jsCtx *js)
{
	json_t *line, *payload, *parsed;
	natsMsg *msg;
	jsErrCode jerr;
	FILE *fp;
	char *buf = NULL;
	size_t cap = 0;
	uint64_t seq = 0;
	int not_json = 0;

	assert_non_null(fp = fopen(FIXTURE, "r"));
	while (getline(&buf, &cap, fp) != -1) {
		seq++;
		assert_non_null(line = json_loads(buf, JSON_ALLOW_NUL, NULL));
		payload = json_object_get(line, "payload");
		msg = NULL;
		jerr = 0;
		assert_int_equal(js_GetMsg(&msg, js, STREAM, seq, NULL, &jerr),
		    NATS_OK);
		assert_string_equal(natsMsg_GetSubject(msg),
		    json_string_value(json_object_get(line, "subject")));
		assert_int_equal(natsMsg_GetDataLength(msg),
		    json_string_length(payload));
		assert_memory_equal(natsMsg_GetData(msg),
		    json_string_value(payload), json_string_length(payload));
		parsed = json_loadb(json_string_value(payload),
		    json_string_length(payload), 0, NULL);
		if (parsed == NULL)
			not_json++;
		json_decref(parsed);
		natsMsg_Destroy(msg);
		json_decref(line);
	}
	free(buf);
	fclose(fp);
	assert_int_equal(seq, FIXTURE_EVENTS);
	return not_json;
}

static void
test_tmp(void **state)
{
	struct fixture *f = *state;
	char dir[512], path[1024], outside[1024], *text;
	size_t len;
	struct stat st;

	assert_int_equal(tmp_dir("test-tmp-", dir, sizeof(dir)), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);

	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/file", dir);
	assert_int_equal(tmp_write_file(path, "one\ntwo\n"), 0);
	assert_int_equal(tmp_read_file(path, &text, &len), 0);
	assert_int_equal(len, 8);
	assert_string_equal(text, "one\ntwo\n");
	free(text);

	/* rm -rf removes a link, never what it points to. */
	snprintf(outside, sizeof(outside), "%s/keep", f->dir);
	assert_int_equal(tmp_write_file(outside, "kept"), 0);
	snprintf(path, sizeof(path), "%s/sub/link", dir);
	assert_int_equal(symlink(f->dir, path), 0);

	assert_int_equal(tmp_rm_rf(dir), 0);
	assert_int_equal(stat(dir, &st), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(stat(outside, &st), 0);
	assert_int_equal(tmp_rm_rf(dir), 0);

	/* A buffer too small for the path is refused, not overrun. */
	assert_int_equal(tmp_dir("test-tmp-", dir, 8), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_int_equal(tmp_read_file(path, &text, &len), -1);
}

static void
test_proc_exit_code(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { "/bin/sh", "-c", "echo hi; echo oops >&2; exit 3",
	    NULL };
	char out[1024], errpath[1024], *text;
	int code = -1;

	snprintf(out, sizeof(out), "%s/out", f->dir);
	snprintf(errpath, sizeof(errpath), "%s/err", f->dir);
	assert_int_equal(proc_run(argv, 5000, &code, out, errpath), 0);
	assert_int_equal(code, 3);
	assert_int_equal(tmp_read_file(out, &text, NULL), 0);
	assert_string_equal(text, "hi\n");
	free(text);
	assert_int_equal(tmp_read_file(errpath, &text, NULL), 0);
	assert_string_equal(text, "oops\n");
	free(text);

	/* proc_run truncates: a second run shows only its own output. */
	assert_int_equal(proc_run(argv, 5000, &code, out, NULL), 0);
	assert_int_equal(tmp_read_file(out, &text, NULL), 0);
	assert_string_equal(text, "hi\n");
	free(text);
}

static void
test_proc_timeout_and_signal(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { "/bin/sh", "-c", "exec sleep 30", NULL };
	struct proc p;
	struct timespec t0, t1;
	char log[1024], err[256];
	int status, code = -1;

	snprintf(log, sizeof(log), "%s/log", f->dir);
	assert_int_equal(proc_start(&p, argv, log, err, sizeof(err)), 0);
	assert_int_equal(proc_wait(&p, 50, &status), -1);
	assert_int_equal(errno, ETIMEDOUT);
	assert_int_equal(proc_signal(&p, SIGTERM), 0);
	assert_int_equal(proc_wait(&p, 5000, &status), 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(proc_exit_code(status), 128 + SIGTERM);
	/* Reaped: waiting again returns the same status, signalling fails. */
	assert_int_equal(proc_wait(&p, 0, &status), 0);
	assert_int_equal(proc_exit_code(status), 128 + SIGTERM);
	assert_int_equal(proc_signal(&p, SIGTERM), -1);
	assert_int_equal(errno, ESRCH);
	proc_release(&p);

	/* proc_stop: a child that obeys SIGTERM needs no SIGKILL. */
	assert_int_equal(proc_start(&p, argv, log, err, sizeof(err)), 0);
	assert_int_equal(proc_stop(&p, 5000, &status), 0);
	assert_int_equal(proc_exit_code(status), 128 + SIGTERM);

	/* proc_run kills what overruns its timeout, and says so. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(proc_run(argv, 100, &code, NULL, NULL), -1);
	assert_int_equal(errno, ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	assert_int_equal(code, -1);
}

static void
test_proc_env_and_exec_failure(void **state)
{
	struct fixture *f = *state;
	char *const argv[] = { "/bin/sh", "-c",
	    "echo \"$TS_A-${TS_B-unset}-${TS_C}\"", NULL };
	const char *const env[] = { "TS_A=1", "TS_B", "TS_C=x=y", NULL };
	char *const missing[] = { "/nonexistent/projector", NULL };
	char out[1024], err[256], *text;
	struct proc p;
	int code = -1;

	snprintf(out, sizeof(out), "%s/env", f->dir);
	assert_int_equal(setenv("TS_B", "inherited", 1), 0);
	assert_int_equal(setenv("TS_C", "old", 1), 0);
	assert_int_equal(proc_run_env(argv, env, 5000, &code, out, NULL), 0);
	assert_int_equal(code, 0);
	assert_int_equal(tmp_read_file(out, &text, NULL), 0);
	assert_string_equal(text, "1-unset-x=y\n");
	free(text);
	/* The test's own environment is untouched. */
	assert_null(getenv("TS_A"));
	assert_string_equal(getenv("TS_B"), "inherited");
	unsetenv("TS_B");
	unsetenv("TS_C");

	/* A program that cannot run is an error of proc_start, not a 127. */
	assert_int_equal(proc_start(&p, missing, NULL, err, sizeof(err)), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "cannot run /nonexistent/projector"));
	proc_release(&p);
	assert_int_equal(proc_run(missing, 1000, &code, NULL, NULL), -1);
}

static void
test_natsd_publish_restart(void **state)
{
	struct fixture *f = *state;
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	uint64_t count = 0, msgs = 0, last = 0;
	char err[1024];
	int port;

	itest_start_natsd(&f->d, NULL);
	assert_true(natsd_running(&f->d));
	assert_true(f->d.port > 0);
	assert_non_null(strstr(f->d.url, "nats://127.0.0.1:"));

	connect_js(f->d.url, &nc, &js);
	if (publish_create_stream(nc, STREAM, subjects, 1, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	/* Same name and configuration again: the server says it exists. */
	assert_int_equal(publish_create_stream(nc, STREAM, subjects, 1, err,
	    sizeof(err)), 0);
	if (publish_file(js, STREAM, FIXTURE, &count, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(count, FIXTURE_EVENTS);
	check_stream(js, FIXTURE_EVENTS, 1, FIXTURE_EVENTS);
	assert_true(check_stored_bytes(js) > 0);

	/* Crash and come back on the same port: the file store keeps all. */
	port = f->d.port;
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	if (natsd_kill(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_false(natsd_running(&f->d));
	assert_int_equal(natsd_kill(&f->d, err, sizeof(err)), -1);
	if (natsd_restart(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(f->d.port, port);
	connect_js(f->d.url, &nc, &js);
	check_stream(js, FIXTURE_EVENTS, 1, FIXTURE_EVENTS);

	/* A clean stop and restart (restart stops a running server first). */
	if (publish_one(js, "v0.rust.servers.9.events.started", "\0x", 2, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	if (natsd_restart(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(f->d.port, port);
	connect_js(f->d.url, &nc, &js);
	if (publish_stream_info(nc, STREAM, &msgs, &last, err,
	    sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(msgs, FIXTURE_EVENTS + 1);
	assert_int_equal(last, FIXTURE_EVENTS + 1);

	/* A subject outside the stream is refused, not silently dropped. */
	assert_int_equal(publish_one(js, "elsewhere", "x", 1, err,
	    sizeof(err)), -1);
	assert_int_equal(publish_stream_info(nc, "nosuch", NULL, NULL, err,
	    sizeof(err)), -1);

	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	if (natsd_stop(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_false(natsd_running(&f->d));
}

static void
test_natsd_config(void **state)
{
	struct fixture *f = *state;
	natsConnection *nc = NULL;
	char config[1024], url[128], err[1024];

	snprintf(config, sizeof(config), "%s/auth.conf", f->dir);
	assert_int_equal(tmp_write_file(config,
	    "authorization {\n  user: ts\n  password: secret\n}\n"), 0);
	itest_start_natsd(&f->d, config);

	/* The config is in force, and stays so across a restart. */
	assert_int_equal(publish_connect(f->d.url, &nc, err, sizeof(err)), -1);
	snprintf(url, sizeof(url), "nats://ts:secret@127.0.0.1:%d", f->d.port);
	if (publish_connect(url, &nc, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
	nc = NULL;
	if (natsd_kill(&f->d, err, sizeof(err)) == -1 ||
	    natsd_restart(&f->d, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	assert_int_equal(publish_connect(f->d.url, &nc, err, sizeof(err)), -1);
	if (publish_connect(url, &nc, err, sizeof(err)) == -1)
		fail_msg("%s", err);
	natsConnection_Destroy(nc);
}

static void
test_natsd_bad_config(void **state)
{
	struct fixture *f = *state;
	char config[1024], err[1024];

	snprintf(config, sizeof(config), "%s/bad.conf", f->dir);
	assert_int_equal(tmp_write_file(config, "listen: {{{\n"), 0);
	if (natsd_start(&f->d, config, err, sizeof(err)) == 0)
		fail_msg("a broken config started a server");
	if (strstr(err, "cannot run") != NULL)
		skip();
	/* It says why, and leaves nothing running or on disk. */
	assert_non_null(strstr(err, "exited with status"));
	assert_false(natsd_running(&f->d));
	assert_string_equal(f->d.dir, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tmp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_exit_code, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_proc_timeout_and_signal,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_env_and_exec_failure,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_natsd_publish_restart,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_natsd_config, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_natsd_bad_config, setup,
		    teardown),
	};
	int rc;

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* cnats keeps threads and global state; free them for the leak checkers. */
	nats_CloseAndWait(5000);
	return rc;
}
