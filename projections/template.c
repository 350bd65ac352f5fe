/*
 * template.c: a projection that does nothing, to copy when making a new one
 * (after SQLite's ext/misc/templatevtab.c). It is complete and tested
 * (tests/unit/test_proj_template.c) but not in projections_builtin.
 *
 * To make a projection called "example":
 *
 *  1. Copy this file to projections/example.c and tests/unit/
 *     test_proj_template.c to tests/unit/test_proj_example.c. Replace every
 *     "template" with "example" (TEMPLATE with EXAMPLE) in both.
 *  2. Write its tables in migrations/example/0001_init.sql (tables, then
 *     the public views over them). Never edit a migration that has shipped:
 *     add 0002_... instead, and raise .version when the fold logic changes.
 *  3. List those tables in example_tables (registry_check() wants at least
 *     one; this template owns none) and the NATS filters it needs in
 *     example_subjects ('*' is one token; the shapes are in read-model.md
 *     section 2, and their filters in rust_subjects, which .subjects may
 *     use whole or from RUST_SUBJECTS_PLAYER on).
 *  4. Write its statements in example_sql, one enum value each, with
 *     UPSERTs (INSERT ... ON CONFLICT DO UPDATE) rather than a SELECT and
 *     a branch. They are prepared once, in init() (stmt_state_new()), and
 *     finalized by fini (stmt_state_free); apply() takes each with
 *     stmt_state_at() and never prepares. A state that holds more than
 *     statements keeps them with stmt_prepare() and stmt_finalize().
 *  5. In apply(): classify the subject (rust_subject_parse()), check the
 *     payload of each kind it reads (rust_event_check()) and every field
 *     it reads (rust_event_field()), all before the first write, so that a
 *     poison event writes nothing; then resolve the event time
 *     (rust_event_time()) and write. Bind the subject's spans and payload
 *     strings with stmt_bind_span() (no copy, no malloc) and run with
 *     stmt_done(). Return PROJ_POISON for bad input, PROJ_FAIL for SQLite
 *     errors.
 *  6. If its tables keep something of events parked for it (from the subject
 *     alone), write a parked() hook, as session_history does.
 *  7. Add &proj_example to projections.h and to projections_builtin in
 *     projections.c, after the projections whose tables its views read:
 *     that order is the migration order.
 *  8. Add the contract's rules to the tests, including every poison case,
 *     and run them under valgrind and the sanitizers.
 */
#include "projections.h"
#include "rust_event.h"
#include "rust_subject.h"
#include "rust_time.h"
#include "stmt.h"

enum template_stmt {
	TEMPLATE_NOOP,
	TEMPLATE_NSTMT
};

/*
 * Replace with the statements the projection writes with. This one writes
 * nothing: it returns its parameters, so that the template runs through
 * prepare, bind, step and finalize like a real projection.
 */
static const char *const template_sql[TEMPLATE_NSTMT] = {
	[TEMPLATE_NOOP] = "SELECT ?1, ?2"
};

static const char *const template_subjects[] = {
	"v0.rust.servers.*.events.started",
	NULL
};

static const char *const template_tables[] = {
	NULL
};

static int
template_init(sqlite3 *db, void **state, char *err, size_t errlen)
{
	return stmt_state_new(db, template_sql, TEMPLATE_NSTMT, state, err,
	    errlen);
}

static enum proj_result
template_apply(void *state, const struct event *ev, char *err, size_t errlen)
{
	sqlite3_stmt *st = stmt_state_at(state, TEMPLATE_NOOP);
	struct rust_subject sub;
	struct rust_time t;

	/* Subjects it does not know change nothing. */
	if (rust_subject_parse(ev->subject, &sub) != RUST_STARTED)
		return PROJ_OK;
	/* Everything it reads is checked before the first write. */
	if (rust_event_check(ev, sub.kind, err, errlen) == -1 ||
	    rust_event_time(ev, sub.kind, &t, err, errlen) == -1)
		return PROJ_POISON;
	stmt_bind_span(st, 1, sub.server_id);
	sqlite3_bind_text(st, 2, t.text, -1, SQLITE_STATIC);
	return stmt_done(st, err, errlen) == -1 ? PROJ_FAIL : PROJ_OK;
}

const struct projection proj_template = {
	PROJECTION_HEADER,
	.name = "template",
	.version = 1,
	.subjects = template_subjects,
	.tables = template_tables,
	.init = template_init,
	.apply = template_apply,
	.parked = NULL,
	.fini = stmt_state_free
};
