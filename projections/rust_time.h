/*
 * rust_time.h: the times of the GamingAPI Rust feed (read-model.md section
 * 2, "Event time"): ISO-8601 text in the contract's form, parsed into
 * milliseconds since the epoch, and milliseconds written as the one TEXT
 * form the database stores, which compares as a string in time order. The
 * calendar is worked out here, from civil dates to days and back, so that
 * no timegm(), time zone or locale is involved.
 *
 * Memory: nothing here allocates; the caller provides every buffer.
 */
#ifndef RUST_TIME_H
#define RUST_TIME_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SS.sssZ" and its NUL. */
#define RUST_TIME_LEN	25

/* An event time: milliseconds since the epoch, and the same as stored. */
struct rust_time {
	int64_t		 ms;
	char		 text[RUST_TIME_LEN];
};

int	rust_time_parse(const char *s, size_t len, int64_t *ms);
int	rust_time_format(int64_t ms, char *buf, size_t len);

#endif /* RUST_TIME_H */
