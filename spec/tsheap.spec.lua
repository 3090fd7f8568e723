-- The tsheap API.  tsheap-gen turns this file into the public header, the two
-- variant stubs, the SWIG interface and the API reference; nothing else states
-- these names.  Only the constructors below exist in here: no os, io or require.

api {
  name = "tsheap",
  prefix = "tsheap_",
  version = "0.2.0",
  guard = "TSHEAP_GIL_DISABLED",
  default_domain = "object",
  doc = [[Per-thread-state heaps: one mimalloc heap per allocation domain in the
free-threaded build, one global lock and a pymalloc-style arena allocator in the GIL build.]],
}

domain { name = "raw",    doc = "Memory that holds no objects: buffers, strings, internal tables." }
domain { name = "object", doc = "Objects that the garbage collector does not track." }
domain { name = "gc",     doc = "Objects that the garbage collector tracks; allocations are counted.", counted = true }

-- Error codes, in order; 0 is success.
error { name = "nomem",      message = "out of memory" }
error { name = "inval",      message = "invalid argument" }
error { name = "domain",     message = "unknown domain" }
error { name = "overflow",   message = "size computation overflows" }
error { name = "nostate",    message = "the calling thread has no current thread state" }
error { name = "not_owner",  message = "the thread state belongs to another thread" }
error { name = "ended",      message = "the domain or thread state has ended" }
error { name = "not_discardable", message = "the domain was not created discardable; release it instead" }
error { name = "limit",      message = "a resource limit of the allocator was reached" }
error { name = "abi",        message = "header and library do not match (build or spec)" }
error { name = "gil",        message = "the calling thread does not hold the GIL, or already holds it" }
error { name = "detached",   message = "the calling thread is detached; attach it first" }
error { name = "world",      message = "the world is not stopped by the calling thread, or already is" }

type { name = "state", kind = "opaque",
  doc = "A thread state: bound to the thread that created it, one heap per domain." }

type { name = "lua_heap", kind = "opaque",
  doc = "What tsheap_lua_alloc needs as its ud: a state, a domain, a memory cap and the bytes in use." }

type { name = "build", kind = "enum", values = {
  { "gil", 1, "the GIL build (libtsheap)" },
  { "free_threaded", 2, "the free-threaded build (libtsheapt)" },
}, doc = "Which build of the library is loaded." }

type { name = "end_mode", kind = "enum", values = {
  { "release", 0, "live blocks stay valid and are freed later by whoever holds them" },
  { "discard", 1, "every block of the domain is freed at once" },
}, doc = "How a domain of a thread state ends." }

type { name = "domain_stats", kind = "struct", fields = {
  { "size_t",   "live_blocks", "blocks allocated and not yet freed" },
  { "size_t",   "live_bytes",  "usable bytes of those blocks" },
  { "uint64_t", "allocations", "allocations since the counter was last reset" },
  { "uint64_t", "threshold",   "collection threshold for the counter (0: never due)" },
}, doc = "Statistics of one domain of a thread state." }

type { name = "visit_fn", kind = "callback", returns = "int", params = {
  { "void *", "block" }, { "size_t", "size" }, { "void *", "arg" },
}, doc = "Called for each live block; return nonzero to stop the visit." }

-- Functions.  thread: "owner" (the state's own thread only) or "any".
-- builds: the builds that have the function (both by default); impl names what
-- implements it in each of them.  "inline:<op>" is a header fast path.
-- gil: "held" means the caller holds the GIL in the GIL build (a _nogil entry
-- point that takes it is generated); "take" means the function takes it itself.
-- swig = false keeps a function for C callers only.

func { name = "version", returns = { "const char *", kind = "value" }, thread = "any", since = "0.1.0",
  impl = { ft = "tsheap__version", gil = "tsheap__version" },
  doc = "The library's version string." }

func { name = "loaded_build", returns = { "tsheap_build", kind = "value" }, thread = "any", since = "0.1.0",
  impl = { ft = "tsheap__build", gil = "tsheap__build" },
  doc = "Which build of the library this process has loaded." }

func { name = "mimalloc_version", returns = { "int", kind = "value" }, thread = "any", since = "0.1.0",
  impl = { ft = "tsheap__mimalloc_version", gil = "tsheap__mimalloc_version" },
  doc = [[The mimalloc the library was built on, as mimalloc numbers its versions (209 for 2.0.9,
301 for 3.0.1); each series has a backend of its own.]] }

func { name = "abi", returns = { "uint32_t", kind = "value" }, thread = "any", since = "0.1.0",
  impl = { ft = "tsheap__abi", gil = "tsheap__abi" },
  doc = "The library's ABI tag; equals TSHEAP_ABI of the header it was built with." }

func { name = "strerror", returns = { "const char *", kind = "value" }, thread = "any", since = "0.1.0",
  params = { { "tsheap_status", "status" } },
  impl = { ft = "tsheap__strerror", gil = "tsheap__strerror" },
  doc = "The message of a status code; never NULL." }

func { name = "last_error", returns = { "tsheap_status", kind = "value" }, thread = "any", since = "0.1.0",
  impl = { ft = "tsheap__last_error", gil = "tsheap__last_error" },
  doc = "The status of the calling thread's last failed call that returns a pointer." }

func { name = "state_create", returns = { "tsheap_status", kind = "status" }, thread = "any", since = "0.1.0",
  abi = true, gil = "take",
  params = { { "unsigned", "discardable", doc = "bit mask of domains that may end by discard (TSHEAP_DOMAIN_BIT)" },
             { "tsheap_state **", "out", dir = "out", ownership = "caller" } },
  impl = { ft = "tsheap__state_create", gil = "tsheap__state_create" },
  doc = "Create a thread state bound to the calling thread and make it current." }

func { name = "state_current", returns = { "tsheap_state *", kind = "value", nullable = true }, thread = "any",
  since = "0.1.0",
  impl = { ft = "tsheap__state_current", gil = "tsheap__state_current" },
  doc = "The calling thread's current state, or NULL." }

func { name = "state_switch", returns = { "tsheap_status", kind = "status" }, thread = "owner", since = "0.1.0",
  gil = "take",
  params = { { "tsheap_state *", "state", nullable = true } },
  impl = { ft = "tsheap__state_switch", gil = "tsheap__state_switch" },
  doc = "Make a state of the calling thread current; NULL detaches the current one." }

func { name = "state_owned", returns = { "int", kind = "value" }, thread = "any", since = "0.1.0",
  params = { { "const tsheap_state *", "state" } },
  impl = { ft = "tsheap__owns", gil = "tsheap__owns" },
  doc = "1 if the calling thread owns the state, else 0." }

func { name = "state_end_domain", returns = { "tsheap_status", kind = "status" }, thread = "owner",
  since = "0.1.0", gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" }, { "tsheap_end_mode", "mode" } },
  impl = { ft = "tsheap__state_end_domain", gil = "tsheap__state_end_domain" },
  doc = "End one domain of a state by release or discard; later allocation there fails." }

func { name = "state_end", returns = { "tsheap_status", kind = "status" }, thread = "any", since = "0.1.0",
  gil = "take",
  params = { { "tsheap_state *", "state", ownership = "transfer" } },
  impl = { ft = "tsheap__state_end", gil = "tsheap__state_end" },
  doc = [[Release every domain still open and free the state.  Only its owner may end a
live state; any thread may end one whose thread has exited.]] }

func { name = "malloc", returns = { "void *", kind = "pointer" }, thread = "owner", since = "0.1.0",
  gil = "held",
  params = { { "tsheap_domain", "domain" }, { "size_t", "size" } },
  impl = { ft = "inline:malloc", gil = "tsheap__gil_malloc" },
  doc = "Allocate from the current state's heap of a domain; NULL and last_error on failure." }

func { name = "zalloc", returns = { "void *", kind = "pointer" }, thread = "owner", since = "0.1.0",
  gil = "held",
  params = { { "tsheap_domain", "domain" }, { "size_t", "size" } },
  impl = { ft = "inline:zalloc", gil = "tsheap__gil_zalloc" },
  doc = "As malloc, zero-filled." }

func { name = "mallocn", returns = { "void *", kind = "pointer" }, thread = "owner", since = "0.1.0",
  gil = "held",
  params = { { "tsheap_domain", "domain" }, { "size_t", "count" }, { "size_t", "size" } },
  impl = { ft = "inline:mallocn", gil = "tsheap__gil_mallocn" },
  doc = "Allocate an array of count elements of size bytes; overflow is an error." }

func { name = "calloc", returns = { "void *", kind = "pointer" }, thread = "owner", since = "0.1.0",
  gil = "held",
  params = { { "tsheap_domain", "domain" }, { "size_t", "count" }, { "size_t", "size" } },
  impl = { ft = "inline:calloc", gil = "tsheap__gil_calloc" },
  doc = "As mallocn, zero-filled." }

func { name = "realloc", returns = { "void *", kind = "pointer" }, thread = "owner", since = "0.1.0",
  gil = "held",
  params = { { "tsheap_domain", "domain" }, { "void *", "block", nullable = true, ownership = "transfer" },
             { "size_t", "size" } },
  impl = { ft = "tsheap__ft_realloc", gil = "tsheap__gil_realloc" },
  doc = "Resize a block into the current state's heap of a domain; on failure the block is untouched." }

func { name = "malloc_aligned", returns = { "void *", kind = "pointer" }, thread = "owner", since = "0.1.0",
  gil = "held",
  params = { { "tsheap_domain", "domain" }, { "size_t", "size" }, { "size_t", "alignment" } },
  impl = { ft = "inline:malloc_aligned", gil = "tsheap__gil_malloc_aligned" },
  doc = "Allocate with an alignment that is a power of two." }

func { name = "free", returns = { "void", kind = "void" }, thread = "any", since = "0.1.0",
  gil = "held",
  params = { { "void *", "block", nullable = true, ownership = "transfer" } },
  impl = { ft = "inline:free", gil = "tsheap__gil_free" },
  doc = "Free a block from any thread, including threads tsheap never saw." }

func { name = "block_size", returns = { "size_t", kind = "value" }, thread = "any", since = "0.1.0",
  gil = "held",
  params = { { "const void *", "block", nullable = true } },
  impl = { ft = "inline:block_size", gil = "tsheap__gil_block_size" },
  doc = "The usable size of a live block (0 for NULL)." }

func { name = "state_malloc", returns = { "tsheap_status", kind = "status" }, thread = "owner", since = "0.1.0",
  gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" }, { "size_t", "size" },
             { "void **", "out", dir = "out", ownership = "caller" } },
  impl = { ft = "tsheap__state_malloc", gil = "tsheap__state_malloc" },
  doc = "Allocate from a named state of the calling thread, current or not." }

func { name = "state_calloc", returns = { "tsheap_status", kind = "status" }, thread = "owner", since = "0.1.0",
  gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" }, { "size_t", "count" },
             { "size_t", "size" }, { "void **", "out", dir = "out", ownership = "caller" } },
  impl = { ft = "tsheap__state_calloc", gil = "tsheap__state_calloc" },
  doc = "Allocate a zeroed array from a named state of the calling thread." }

func { name = "gc_due", returns = { "int", kind = "value" }, thread = "owner", since = "0.1.0",
  gil = "held",
  params = { { "tsheap_domain", "domain" } },
  impl = { ft = "inline:gc_due", gil = "tsheap__gil_gc_due" },
  doc = "1 when the current state's allocation counter of a domain reached its threshold." }

func { name = "state_set_threshold", returns = { "tsheap_status", kind = "status" }, thread = "owner",
  since = "0.1.0", gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" }, { "uint64_t", "threshold" } },
  impl = { ft = "tsheap__state_set_threshold", gil = "tsheap__state_set_threshold" },
  doc = "Set the collection threshold of a domain (0: never due)." }

func { name = "state_reset_count", returns = { "tsheap_status", kind = "status" }, thread = "owner",
  since = "0.1.0", gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" } },
  impl = { ft = "tsheap__state_reset_count", gil = "tsheap__state_reset_count" },
  doc = "Reset the allocation counter of a domain, as a collector does after collecting." }

func { name = "state_stats", returns = { "tsheap_status", kind = "status" }, thread = "owner", since = "0.1.0",
  gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" },
             { "tsheap_domain_stats *", "out", dir = "out" } },
  impl = { ft = "tsheap__state_stats", gil = "tsheap__state_stats" },
  doc = "Statistics of a domain; live counts are computed on demand." }

func { name = "state_visit", returns = { "tsheap_status", kind = "status" }, thread = "owner", since = "0.1.0",
  gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" },
             { "tsheap_visit_fn", "visitor" }, { "void *", "arg", nullable = true } },
  impl = { ft = "tsheap__state_visit", gil = "tsheap__state_visit" },
  doc = [[Call visitor for every live block of a domain, on the owner's thread only: mimalloc
lets no other thread walk a heap while its owner runs.  The visitor must not allocate or free
in that domain.  The free-threaded build reports a block asked with an alignment above 16 as
the mimalloc block that holds it: at or below its address, with a size that covers it.]] }

-- The world: attached and detached threads, stopping the world for a collector.  A thread is
-- in the world while it has states, which go with it whether current or not.

func { name = "detach", swig = false, returns = { "tsheap_status", kind = "status" }, thread = "any",
  since = "0.2.0",
  impl = { ft = "tsheap__detach", gil = "tsheap__detach" },
  doc = [[Detach the calling thread before it blocks (I/O, a wait): a stop of the world no longer
waits for it.  A detached thread makes no tsheap call but attach, frees included; in the
free-threaded build its allocations and its states' owner calls fail with TSHEAP_E_DETACHED.
No lock and no system call unless a stop is pending.  TSHEAP_E_NOSTATE for a thread that has
no state.]] }

func { name = "attach", swig = false, returns = { "tsheap_status", kind = "status" }, thread = "any",
  since = "0.2.0",
  impl = { ft = "tsheap__attach", gil = "tsheap__attach" },
  doc = [[Attach the calling thread again, waiting while another thread holds the world stopped.
A thread is attached when it makes its first state.  No lock and no system call unless a stop
is pending.  TSHEAP_E_NOSTATE for a thread that has no state.]] }

func { name = "safepoint", swig = false, returns = { "void", kind = "void" }, thread = "any", since = "0.2.0",
  impl = { ft = "inline:safepoint", gil = "tsheap__safepoint" },
  doc = [[Park here if another thread is stopping the world, until it starts it again: call it in
the runtime's loops (an eval breaker).  One load and one branch when no stop is pending.
In the GIL build it lets any thread waiting for the GIL have it, as tsheap_gil_yield does.]] }

func { name = "world_stop", swig = false, returns = { "tsheap_status", kind = "status" }, thread = "any",
  since = "0.2.0",
  impl = { ft = "tsheap__world_stop", gil = "tsheap__world_stop" },
  doc = [[Stop the world: return once every other attached thread is parked at a safepoint and no
detached one can attach.  Callers are served one at a time; the caller needs no state.  In the
GIL build the world is stopped by holding the GIL, which this takes (a thread that holds it
lets it go at its next safepoint).  TSHEAP_E_WORLD if the caller holds the world stopped.]] }

func { name = "world_start", swig = false, returns = { "tsheap_status", kind = "status" }, thread = "any",
  since = "0.2.0",
  impl = { ft = "tsheap__world_start", gil = "tsheap__world_start" },
  doc = "Start the world again.  TSHEAP_E_WORLD unless the caller stopped it." }

func { name = "world_stopped", swig = false, returns = { "int", kind = "value" }, thread = "any", since = "0.2.0",
  impl = { ft = "tsheap__world_stopped", gil = "tsheap__world_stopped" },
  doc = "1 if the calling thread holds the world stopped." }

-- Lua: a lua_Alloc on a state's domain, for lua_newstate(tsheap_lua_alloc, heap).

func { name = "lua_heap_create", swig = false, returns = { "tsheap_status", kind = "status" }, thread = "owner",
  since = "0.1.0", gil = "take",
  params = { { "tsheap_state *", "state" }, { "tsheap_domain", "domain" },
             { "size_t", "cap", doc = "most bytes the Lua state may hold; 0 for no cap" },
             { "tsheap_lua_heap **", "out", dir = "out", ownership = "caller" } },
  impl = { ft = "tsheap__lua_heap_create", gil = "tsheap__lua_heap_create" },
  doc = [[Make the ud of a lua_State whose memory comes from a domain of a state of the calling
thread.  Close the lua_State and destroy the heap before the state or the domain ends.]] }

func { name = "lua_heap_used", swig = false, returns = { "size_t", kind = "value" }, thread = "any", since = "0.1.0",
  params = { { "const tsheap_lua_heap *", "heap" } },
  impl = { ft = "tsheap__lua_heap_used", gil = "tsheap__lua_heap_used" },
  doc = "Bytes the Lua state holds now, as Lua counts them; 0 after lua_close." }

func { name = "lua_heap_destroy", swig = false, returns = { "tsheap_status", kind = "status" }, thread = "any", since = "0.1.0",
  params = { { "tsheap_lua_heap *", "heap", ownership = "transfer" } },
  impl = { ft = "tsheap__lua_heap_destroy", gil = "tsheap__lua_heap_destroy" },
  doc = "Free the ud after lua_close.  TSHEAP_E_INVAL while the Lua state still holds memory." }

func { name = "lua_alloc", swig = false, returns = { "void *", kind = "value", nullable = true }, thread = "owner",
  since = "0.1.0", gil = "held",
  params = { { "void *", "ud" }, { "void *", "block", nullable = true, ownership = "transfer" },
             { "size_t", "osize" }, { "size_t", "nsize" } },
  impl = { ft = "tsheap__lua_alloc", gil = "tsheap__lua_alloc" },
  doc = [[A lua_Alloc (Lua 5.1 to 5.4): ud is a tsheap_lua_heap.  Growth past the cap fails as
Lua expects; a shrink never fails; called on the state's own thread.]] }

func { name = "gil_acquire", swig = false, builds = { "gil" }, returns = { "tsheap_status", kind = "status" }, thread = "any", since = "0.1.0",
  impl = { gil = "tsheap__gil_acquire" },
  doc = "Take the library's global lock (not recursive: TSHEAP_E_GIL if already held)." }

func { name = "gil_release", swig = false, builds = { "gil" }, returns = { "tsheap_status", kind = "status" }, thread = "any", since = "0.1.0",
  impl = { gil = "tsheap__gil_release" },
  doc = "Drop the library's global lock (TSHEAP_E_GIL if the caller does not hold it)." }

func { name = "gil_yield", swig = false, builds = { "gil" }, returns = { "tsheap_status", kind = "status" }, thread = "any", since = "0.1.0",
  impl = { gil = "tsheap__gil_yield" },
  doc = [[Let a thread that waits for the library's global lock have it, then take it back: for a
caller that holds it for long stretches (TSHEAP_E_GIL if the caller does not hold it).  Costs
a load when nobody waits.]] }

func { name = "gil_held", builds = { "gil" }, returns = { "int", kind = "value" }, thread = "any", since = "0.1.0",
  impl = { gil = "tsheap__gil_held_here" },
  doc = "1 if the calling thread holds the library's global lock." }
