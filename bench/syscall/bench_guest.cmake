# bench/syscall/bench_guest.cmake - building Multiboot benchmark guests on the
# test guests' runtime (tests/guests/lib: GDT with user segments, TSS, IDT,
# COM1 output, debug-exit).  Included by bench/syscall, bench/ring3 and
# bench/paging.  The runtime is compiled again into each folder's own objects
# (tests/guests is never touched), with the test guests' freestanding flags.
#
#   bench_guest(<name> SOURCES <.c/.asm...> [CFLAGS <extra C flags...>]
#               [EXTRA_OBJECTS <objects...>])
#
# builds ${CMAKE_CURRENT_BINARY_DIR}/<name>.elf (linked at 1 MiB with
# tests/guests/lib/link.ld) and returns its path in BENCH_GUEST_ELF.
include_guard(DIRECTORY)

find_program(NASM nasm REQUIRED)
find_program(BENCH_GUEST_LD NAMES ld.bfd ld REQUIRED)
execute_process(COMMAND ${CMAKE_C_COMPILER} -m32 -print-libgcc-file-name
  OUTPUT_VARIABLE BENCH_GUEST_LIBGCC OUTPUT_STRIP_TRAILING_WHITESPACE)
execute_process(COMMAND ${BENCH_GUEST_LD} --help OUTPUT_VARIABLE bench_ld_help ERROR_QUIET)
set(BENCH_GUEST_LDFLAGS -m elf_i386 -nostdlib --build-id=none -z max-page-size=0x1000 -z noexecstack)
if(bench_ld_help MATCHES "no-warn-rwx-segments")
  list(APPEND BENCH_GUEST_LDFLAGS --no-warn-rwx-segments)
endif()

get_filename_component(BENCH_RT_LIB ${CMAKE_CURRENT_LIST_DIR}/../../tests/guests/lib ABSOLUTE)
set(BENCH_COMMON ${CMAKE_CURRENT_LIST_DIR})

# The test guests' flags: no PIC, no SSE in compiled code, no libc calls
# synthesised from loops.
set(BENCH_GUEST_CFLAGS -m32 -march=i686 -O2 -std=gnu11 -Wall -Wextra
  -ffreestanding -fno-pic -fno-pie -nostdlib -fno-stack-protector
  -fcf-protection=none -mgeneral-regs-only -fno-asynchronous-unwind-tables
  -fno-tree-loop-distribute-patterns
  -I${BENCH_RT_LIB} -I${BENCH_COMMON} -I${CMAKE_CURRENT_SOURCE_DIR})

# bench_guest_compile(<out-var> <source> <object-name> [extra C flags...])
function(bench_guest_compile out src objname)
  set(obj ${CMAKE_CURRENT_BINARY_DIR}/obj/${objname}.o)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/obj)
  if(src MATCHES "\\.asm$")
    add_custom_command(OUTPUT ${obj}
      COMMAND ${NASM} -f elf32 -I${BENCH_COMMON}/ -MD ${obj}.d -o ${obj} ${src}
      DEPENDS ${src} DEPFILE ${obj}.d VERBATIM)
  else()
    add_custom_command(OUTPUT ${obj}
      COMMAND ${CMAKE_C_COMPILER} ${BENCH_GUEST_CFLAGS} ${ARGN} -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src} DEPFILE ${obj}.d VERBATIM)
  endif()
  set(${out} ${obj} PARENT_SCOPE)
endfunction()

function(bench_guest name)
  cmake_parse_arguments(G "" "" "SOURCES;CFLAGS;EXTRA_OBJECTS" ${ARGN})
  bench_guest_compile(o1 ${BENCH_RT_LIB}/entry.asm rt_entry)
  bench_guest_compile(o2 ${BENCH_RT_LIB}/rt.c rt)
  bench_guest_compile(o3 ${BENCH_COMMON}/bench_guest.c bench_guest)
  bench_guest_compile(o4 ${BENCH_COMMON}/user.asm bench_user)
  set(objs ${o1} ${o2} ${o3} ${o4})
  foreach(src ${G_SOURCES})
    get_filename_component(base ${src} NAME)
    bench_guest_compile(obj ${src} ${name}_${base} ${G_CFLAGS})
    list(APPEND objs ${obj})
  endforeach()
  list(APPEND objs ${G_EXTRA_OBJECTS})
  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  add_custom_command(OUTPUT ${elf}
    COMMAND ${BENCH_GUEST_LD} ${BENCH_GUEST_LDFLAGS} -T ${BENCH_RT_LIB}/link.ld -o ${elf}
            ${objs} ${BENCH_GUEST_LIBGCC}
    DEPENDS ${objs} ${BENCH_RT_LIB}/link.ld VERBATIM)
  set(BENCH_GUEST_ELF ${elf} PARENT_SCOPE)
endfunction()
