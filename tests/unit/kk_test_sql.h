/*
 * A second connection to a test's database, as another process would open it: for
 * setting up states the API refuses to create and for reading what was stored. Include
 * after <cmocka.h>; static functions, marked unused so each file may use either.
 */
#ifndef KK_TEST_SQL_H
#define KK_TEST_SQL_H

#include <stdint.h>
#include <sqlite3.h>

/* Runs sql (one or more statements); fails the test on an error. */
static __attribute__((unused)) void
kk_test_sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* The integer in the first column of the one row sql returns; fails the test if there is
 * no row. */
static __attribute__((unused)) int64_t
kk_test_sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

#endif
