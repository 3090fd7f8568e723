/* world.h - attached and detached threads, and stopping the world, as
 * CPython's thread states attach, detach and park for its collector.
 *
 * A thread that has states is attached while it runs runtime code and
 * detached while it blocks; its states, current or not, go with it.  Each
 * build stops the world its own way: ft/world_ft.c parks attached threads
 * at safepoints, gil/world_gil.c holds the GIL.  state.c calls these on the
 * thread itself.
 */
#ifndef TSHEAP_WORLD_H
#define TSHEAP_WORLD_H

#include "tsheap_impl.h"

/* The calling thread made its first state: it joins the world, attached,
 * once no other thread holds the world stopped. */
void world_join(void);
/* Its last state ended, or it exits: it is out of the world. */
void world_quit(void);
/* Attached again (waiting while another thread holds the world stopped)
 * or detached; both for a thread that joined. */
void world_attach(void);
void world_detach(void);
int world_attached(void);   /* 1 for a thread that is not in the world */

/* Around fork(): the child's world is the forking thread alone, which still
 * holds the world stopped if it did. */
void world_fork_prepare(void);
void world_fork_parent(void);
void world_fork_child(void);

#endif
