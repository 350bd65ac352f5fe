/*
 * export.h: the `archive export` command: an account's archived history as
 * JSON Lines, one message a line, in sequence order:
 *
 *   {"seq":12,"stored":"2026-11-27T21:21:08.965Z","stored_ms":1795...,
 *    "subject":"v0.rust.servers.7.events.started","payload":"{...}"}
 *
 * A payload (or subject) that is not UTF-8, or holds a NUL byte, is written
 * in base64 instead, flagged by "encoding":"base64" (or
 * "subject_encoding":"base64"), so that every byte comes back.
 *
 * It reads the archive read-only, beside a running worker, up to the mark
 * the archive had when the export began.
 *
 * Memory: nothing is kept.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

int	export_archive(const struct config_account *acct, uint64_t from_seq,
	    uint64_t to_seq, FILE *out, char *err, size_t errlen);

#endif /* EXPORT_H */
