# bench/syscall/bench_guest.cmake - building Multiboot benchmark guests on the
# test guests' runtime (tests/guests/lib: GDT with user segments, TSS, IDT,
# COM1 output, debug-exit).  Included by bench/syscall, bench/ring3 and
# bench/paging.  The toolchain is cmake/guest_toolchain.cmake's: the runtime
# is compiled again into each folder's own objects (tests/guests is never
# touched), with the test guests' freestanding flags.
#
#   bench_guest(<name> SOURCES <.c/.asm...> [CFLAGS <extra C flags...>]
#               [EXTRA_OBJECTS <objects...>])
#
# builds ${CMAKE_CURRENT_BINARY_DIR}/<name>.elf (linked at 1 MiB with
# tests/guests/lib/link.ld) and returns its path in BENCH_GUEST_ELF.
include_guard(DIRECTORY)

include(${CMAKE_CURRENT_LIST_DIR}/../../cmake/guest_toolchain.cmake)
set(BENCH_COMMON ${CMAKE_CURRENT_LIST_DIR})

# No DEBUG: benchmark code keeps the frame-pointer register free.
function(bench_guest name)
  cmake_parse_arguments(G "" "" "SOURCES;CFLAGS;EXTRA_OBJECTS" ${ARGN})
  set(opts INCLUDES ${BENCH_COMMON} ${CMAKE_CURRENT_SOURCE_DIR})
  guest_runtime(rt ${opts})
  guest_compile(o3 ${BENCH_COMMON}/bench_guest.c bench_guest ${opts})
  guest_compile(o4 ${BENCH_COMMON}/user.asm bench_user ${opts})
  guest_elf(${name} ${opts} CFLAGS ${G_CFLAGS} RUNTIME ${rt} ${o3} ${o4}
    SOURCES ${G_SOURCES} OBJECTS ${G_EXTRA_OBJECTS})
  set(BENCH_GUEST_ELF ${GUEST_ELF} PARENT_SCOPE)
endfunction()
