-- expect: 3: error: domain 'raw': counted must be true or false, not 'yes'
api { name = "mini", prefix = "mini_", version = "1.2.0", guard = "MINI_GIL_DISABLED", default_domain = "raw" }
domain { name = "raw", doc = "Raw.", counted = "yes" }
error { name = "inval", message = "invalid argument" }
error { name = "domain", message = "unknown domain" }
type { name = "state", kind = "opaque", doc = "A thread state." }
type { name = "build", kind = "enum", values = { { "gil", 1 }, { "free_threaded", 2 } }, doc = "The build." }
func { name = "version", returns = { "const char *", kind = "value" }, thread = "any", since = "1.0.0",
  impl = { ft = "mini__version", gil = "mini__version" }, doc = "The version string." }
func { name = "malloc", returns = { "void *", kind = "pointer" }, thread = "owner", since = "1.2.0", gil = "held",
  params = { { "mini_domain", "domain" }, { "size_t", "size" } },
  impl = { ft = "inline:malloc", gil = "mini__malloc" }, doc = "Allocate." }
