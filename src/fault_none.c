/*
 * fault_none.c: the fault points of the shipped program (see fault.h):
 * none.
 */
#include "fault.h"

/* Does nothing: only build/projector-faults dies at fault points. */
void
fault_point(const char *point)
{
	(void)point;
}
