/*
 * rust_time.c: the times of the GamingAPI Rust feed (see rust_time.h).
 */
#include <stdio.h>

#include "rust_time.h"

#define RUST_TIME_DAY_MS	INT64_C(86400000)

/*
 * The event times the database can hold: 0000-01-01T00:00:00.000Z to
 * 9999-12-31T23:59:59.999Z, the years YYYY can spell. A time outside them is
 * not ISO (read-model.md section 2, "Event time").
 */
#define RUST_TIME_MS_MIN	INT64_C(-62167219200000)
#define RUST_TIME_MS_MAX	INT64_C(253402300799999)

/* Reads n ASCII digits (never the locale's) into *v. */
static int
rust_time_digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

static int
rust_time_month_days(int y, int m)
{
	static const int days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard
 * Hinnant's days_from_civil), so that no timegm() or time zone is involved.
 */
static int64_t
rust_time_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The inverse of rust_time_days_from_civil(). */
static void
rust_time_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/*
 * Parses the len bytes at s as ISO-8601 in the contract's form:
 * YYYY-MM-DDTHH:MM:SS, an optional fraction of one or more digits (cut to
 * milliseconds, never rounded), then an optional Z or +HH:MM/-HH:MM (none
 * means UTC). Every field is range-checked, the day against its month and
 * leap year. Sets *ms to milliseconds since the epoch, UTC. Returns 0, or -1
 * when s is anything else (lowercase t or z, a space, a culture format such
 * as "6/17/2023 5:04:12 PM") or lies outside years 0000-9999 once in UTC.
 */
int
rust_time_parse(const char *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, nd, oh, om, off = 0;
	size_t i = 19;
	int64_t v;

	if (len < 19 || !rust_time_digits(s, 4, &y) || s[4] != '-' ||
	    !rust_time_digits(s + 5, 2, &mo) || s[7] != '-' ||
	    !rust_time_digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !rust_time_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !rust_time_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !rust_time_digits(s + 17, 2, &sec))
		return -1;
	if (i < len && s[i] == '.') {
		for (i++, nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 3)
				frac = frac * 10 + (s[i] - '0');
		if (nd == 0)
			return -1;
		for (; nd < 3; nd++)
			frac *= 10;
	}
	if (i < len && s[i] == 'Z')
		i++;
	else if (i < len && (s[i] == '+' || s[i] == '-')) {
		if (len - i < 6 || !rust_time_digits(s + i + 1, 2, &oh) ||
		    s[i + 3] != ':' || !rust_time_digits(s + i + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
		i += 6;
	}
	if (i != len || mo < 1 || mo > 12 || d < 1 ||
	    d > rust_time_month_days(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	v = rust_time_days_from_civil(y, mo, d) * RUST_TIME_DAY_MS +
	    ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + frac -
	    (int64_t)off * 60000;
	if (v < RUST_TIME_MS_MIN || v > RUST_TIME_MS_MAX)
		return -1;
	*ms = v;
	return 0;
}

/*
 * Writes ms as YYYY-MM-DDTHH:MM:SS.sssZ (UTC) into buf, which holds len
 * bytes, at least RUST_TIME_LEN. Returns 0, or -1 when buf is too small or
 * ms lies outside years 0000-9999.
 */
int
rust_time_format(int64_t ms, char *buf, size_t len)
{
	int64_t days, rem;
	int y, m, d;

	if (ms < RUST_TIME_MS_MIN || ms > RUST_TIME_MS_MAX ||
	    len < RUST_TIME_LEN)
		return -1;
	days = ms / RUST_TIME_DAY_MS;
	rem = ms % RUST_TIME_DAY_MS;
	if (rem < 0) {
		days--;
		rem += RUST_TIME_DAY_MS;
	}
	rust_time_civil_from_days(days, &y, &m, &d);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
	    (int)(rem / 3600000), (int)(rem / 60000 % 60),
	    (int)(rem / 1000 % 60), (int)(rem % 1000));
	return 0;
}

