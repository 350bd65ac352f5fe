/*
 * fault.c: the fault points of build/projector-faults (see fault.h). Never
 * linked into the shipped program.
 *
 * The point asked for and the count of passes are the only global state of
 * this file, as they are of the process under test: PROJECTOR_FAULT names
 * one point for the whole process, whichever thread passes it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include "fault.h"
#include "log.h"

static pthread_once_t	fault_once = PTHREAD_ONCE_INIT;
static char		fault_name[64];
static long		fault_at;	/* die at this pass */
static long		fault_passes;

static void
fault_init(void)
{
	const char *s = getenv("PROJECTOR_FAULT");
	const char *colon;

	if (s == NULL || (colon = strchr(s, ':')) == NULL)
		return;
	snprintf(fault_name, sizeof(fault_name), "%.*s", (int)(colon - s), s);
	fault_at = strtol(colon + 1, NULL, 10);
}

/* Kills the process with SIGKILL at the chosen pass of the chosen point. */
void
fault_point(const char *point)
{
	pthread_once(&fault_once, fault_init);
	if (fault_name[0] == '\0' || strcmp(point, fault_name) != 0)
		return;
	if (__atomic_add_fetch(&fault_passes, 1, __ATOMIC_SEQ_CST) == fault_at) {
		log_warn("fault point reached, killing myself", "point=%s n=%ld",
		    point, fault_at);
		raise(SIGKILL);
	}
}
