/*
 * monitor/stats.h - counters printed by --stats as `key: value` lines
 * grouped by mechanism, or by --stats=json as one JSON object.
 *
 * Contract: the counters are struct stats (cpu/counters.h), which every
 * layer bumps; this is the report of them, and stats_exit_name() names the
 * run loop's exit reasons in it.
 */
#ifndef MONITOR_STATS_H
#define MONITOR_STATS_H

#include <stdint.h>
#include <stdio.h>
#include "cpu/counters.h"

void stats_print(const struct stats *s, FILE *out);
/* The same as one JSON object; `more` (or NULL) holds the counters kept
 * outside struct stats as the text report prints them: a "# name: meaning"
 * line per group, then its "key: value" lines (lines before the first
 * group line count as "devices"). */
void stats_print_json(const struct stats *s, const char *more, FILE *out);
const char *stats_exit_name(int reason);

#endif
