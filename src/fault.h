/*
 * fault.h: named points where a test build of projector can be made to die.
 *
 * The crash tests run build/projector-faults, which links fault.c: there,
 * PROJECTOR_FAULT=POINT:N kills the process with SIGKILL the Nth time any
 * thread passes POINT ("before_commit", "after_commit"), so that a test can
 * stop it exactly between COMMIT and the ack. The shipped build/projector
 * links fault_none.c instead, where fault_point() does nothing.
 *
 * Memory: nothing is allocated.
 */
#ifndef FAULT_H
#define FAULT_H

void	fault_point(const char *point);

#endif /* FAULT_H */
