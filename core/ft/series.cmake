# series.cmake - which mimalloc series the free-threaded backend is built on
# (core/ft/series.h), from the mimalloc that find_package(mimalloc) found.
# mimalloc's package version has no patch number, so it is read from the
# header, as mimalloc numbers it (MI_MALLOC_VERSION: 209 is 2.0.9).
#
# Sets TSHEAP_MIMALLOC_SERIES (2 or 3), TSHEAP_MIMALLOC_SOURCES, and
# TSHEAP_FAST_HEADERS: the hand-written headers that the generated one
# includes, copied beside it (tsheap-gen's --check looks only at its own
# outputs there) and installed with it.

set(TSHEAP_MIMALLOC_SUPPORTED "2.0.9 (Debian 12) and 3.0.1 (Debian 13)")
get_target_property(mi_includes mimalloc INTERFACE_INCLUDE_DIRECTORIES)
find_file(TSHEAP_MIMALLOC_H mimalloc.h PATHS ${mi_includes} NO_DEFAULT_PATH NO_CACHE)
if(NOT TSHEAP_MIMALLOC_H)
  message(FATAL_ERROR "tsheap: mimalloc ${mimalloc_VERSION} has no mimalloc.h in '${mi_includes}'")
endif()
file(STRINGS "${TSHEAP_MIMALLOC_H}" mi_define REGEX "^#define MI_MALLOC_VERSION [0-9]+")
string(REGEX MATCH "[0-9]+" TSHEAP_MIMALLOC_VERSION "${mi_define}")
if(TSHEAP_MIMALLOC_VERSION STREQUAL "209")
  set(TSHEAP_MIMALLOC_SERIES 2)
  set(TSHEAP_MIMALLOC_SOURCES core/ft/mimalloc2/series.c core/ft/mimalloc2/layout.c)
elseif(TSHEAP_MIMALLOC_VERSION STREQUAL "301")
  set(TSHEAP_MIMALLOC_SERIES 3)
  set(TSHEAP_MIMALLOC_SOURCES core/ft/mimalloc3/series.c)
else()
  message(FATAL_ERROR "tsheap: mimalloc '${TSHEAP_MIMALLOC_VERSION}' (MI_MALLOC_VERSION in "
    "${TSHEAP_MIMALLOC_H}) is not supported; tsheap builds on mimalloc ${TSHEAP_MIMALLOC_SUPPORTED}, "
    "each with a backend written from its source (core/ft/series.h)")
endif()
message(STATUS "tsheap: mimalloc ${TSHEAP_MIMALLOC_VERSION}, series ${TSHEAP_MIMALLOC_SERIES} backend")

set(TSHEAP_FAST_INCLUDE "${TSHEAP_GEN_DIR}/include")
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/core/ft/tsheap_fast.h
  "${TSHEAP_FAST_INCLUDE}/tsheap/tsheap_fast.h" COPYONLY)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/core/ft/mimalloc${TSHEAP_MIMALLOC_SERIES}/tsheap_fast_series.h
  "${TSHEAP_FAST_INCLUDE}/tsheap/tsheap_fast_series.h" COPYONLY)
set(TSHEAP_FAST_HEADERS "${TSHEAP_FAST_INCLUDE}/tsheap/tsheap_fast.h"
  "${TSHEAP_FAST_INCLUDE}/tsheap/tsheap_fast_series.h")
