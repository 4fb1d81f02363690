# cmake/guest_toolchain.cmake - the toolchain of the project's own Multiboot
# guests (tests/guests, tests/ring3, tests/gdb and the bench guests of
# bench/syscall/bench_guest.cmake): nasm, gcc -m32 with freestanding flags,
# ld -m elf_i386 with libgcc, and the runtime of tests/guests/lib (Multiboot
# entry, GDT with user segments, TSS, IDT, COM1 output, debug-exit).
#
# Guests are built with explicit commands rather than as CMake targets of the
# host toolchain so that none of the monitor's flags (-pie, -fPIC, 64-bit)
# leak into them.  Each folder compiles the runtime again into objects of its
# own (under ${CMAKE_CURRENT_BINARY_DIR}/obj) so that the folders build
# independently and no object is the output of two directories' rules.
#
#   guest_compile(<out-var> <source> <object-name> [DEBUG]
#                 [INCLUDES <dirs...>] [CFLAGS <extra C flags...>])
#   guest_runtime(<out-var> [DEBUG] [INCLUDES <dirs...>])
#   guest_elf(<name> SOURCES <files...> [RUNTIME <objects...>]
#             [OBJECTS <objects...>] [DEBUG] [INCLUDES <dirs...>]
#             [CFLAGS <extra C flags...>])
#
# DEBUG adds -g (C and nasm) and keeps the frame pointer (test guests, which
# gdb and crash dumps read); benchmark guests leave it out.  tests/guests/lib
# is always on the include path, before INCLUDES.
include_guard(GLOBAL)

find_program(NASM nasm REQUIRED)
find_program(GUEST_LD NAMES ld.bfd ld REQUIRED)

# The guard runs this once per configure, so the results go to the cache
# (INTERNAL: rewritten every time) where every folder sees them, not only
# the first one to include the module.
execute_process(COMMAND ${CMAKE_C_COMPILER} -m32 -print-libgcc-file-name
  OUTPUT_VARIABLE libgcc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT EXISTS "${libgcc}")
  message(FATAL_ERROR "guest toolchain: ${CMAKE_C_COMPILER} -m32 has no libgcc "
    "(\"${libgcc}\"); install the 32-bit multilib (gcc-multilib)")
endif()
set(GUEST_LIBGCC ${libgcc} CACHE INTERNAL "libgcc of gcc -m32, linked into every guest")

# Guests patch their own code (smc), so text is writable on purpose: silence
# the linker's RWX warning where the linker knows it.
execute_process(COMMAND ${GUEST_LD} --help OUTPUT_VARIABLE ld_help ERROR_QUIET)
set(ldflags -m elf_i386 -nostdlib --build-id=none -z max-page-size=0x1000 -z noexecstack)
if(ld_help MATCHES "no-warn-rwx-segments")
  list(APPEND ldflags --no-warn-rwx-segments)
endif()
set(GUEST_LDFLAGS ${ldflags} CACHE INTERNAL "ld flags of every guest")

get_filename_component(lib ${CMAKE_CURRENT_LIST_DIR}/../tests/guests/lib ABSOLUTE)
set(GUEST_RT_LIB ${lib} CACHE INTERNAL "the guests' runtime: entry.asm, rt.c, link.ld")

# Freestanding 32-bit code for a bare CPU: no PIC, no stack protector, no
# CET end-branch markers, no SSE (the guest never sets CR4.OSFXSR; FPU/SSE
# tests use it only from assembly), and no loops silently turned into memcpy
# calls.
set(GUEST_CFLAGS -m32 -march=i686 -O2 -std=gnu11 -Wall -Wextra
  -ffreestanding -fno-pic -fno-pie -nostdlib -fno-stack-protector
  -fcf-protection=none -mgeneral-regs-only -fno-asynchronous-unwind-tables
  -fno-tree-loop-distribute-patterns
  CACHE INTERNAL "C flags of every guest")

# guest_compile(<out-var> <source> <object-name> [DEBUG] [INCLUDES <dirs...>]
#               [CFLAGS <extra C flags...>]): one object, from nasm (.asm) or
# C, as obj/<object-name>.o; its path goes to <out-var>.
function(guest_compile out src objname)
  cmake_parse_arguments(C "DEBUG" "" "INCLUDES;CFLAGS" ${ARGN})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/obj)
  set(obj ${dir}/${objname}.o)
  file(MAKE_DIRECTORY ${dir})
  set(dbg)
  set(cdbg)
  if(C_DEBUG)
    set(dbg -g)
    set(cdbg -g -fno-omit-frame-pointer)
  endif()
  set(incs ${GUEST_RT_LIB} ${C_INCLUDES})
  if(src MATCHES "\\.asm$")
    # nasm joins -I and the file name as they are: the prefix needs its '/'.
    list(TRANSFORM incs PREPEND -I)
    list(TRANSFORM incs APPEND /)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${NASM} -f elf32 ${dbg} ${incs} -MD ${obj}.d -o ${obj} ${src}
      DEPENDS ${src} DEPFILE ${obj}.d
      COMMENT "Assembling guest object ${objname}.o" VERBATIM)
  else()
    list(TRANSFORM incs PREPEND -I)
    add_custom_command(OUTPUT ${obj}
      COMMAND ${CMAKE_C_COMPILER} ${GUEST_CFLAGS} ${cdbg} ${incs} ${C_CFLAGS}
              -MD -MF ${obj}.d -c ${src} -o ${obj}
      DEPENDS ${src} DEPFILE ${obj}.d
      COMMENT "Compiling guest object ${objname}.o" VERBATIM)
  endif()
  set(${out} ${obj} PARENT_SCOPE)
endfunction()

# guest_runtime(<out-var> [DEBUG] [INCLUDES <dirs...>]): tests/guests/lib's
# entry and C runtime compiled into this folder (obj/rt_entry.o, obj/rt.o),
# in link order.  Call it once per folder; when several guests of a folder
# link these objects, build them in one target the guests' targets depend
# on (add_dependencies), or parallel make builds them twice at once.
function(guest_runtime out)
  guest_compile(entry ${GUEST_RT_LIB}/entry.asm rt_entry ${ARGN})
  guest_compile(rt ${GUEST_RT_LIB}/rt.c rt ${ARGN})
  set(${out} ${entry} ${rt} PARENT_SCOPE)
endfunction()

# guest_elf(<name> SOURCES <files...> [RUNTIME <objects...>]
#           [OBJECTS <objects...>] [DEBUG] [INCLUDES <dirs...>]
#           [CFLAGS <extra C flags...>]): compiles each source (relative to
# the current source folder, or absolute) as obj/<name>_<file>.o and links
# RUNTIME, the sources' objects, OBJECTS and libgcc, in that order, at 1 MiB
# with tests/guests/lib/link.ld into ${CMAKE_CURRENT_BINARY_DIR}/<name>.elf.
# Its path goes to GUEST_ELF; the caller adds the target that builds it.
function(guest_elf name)
  cmake_parse_arguments(G "DEBUG" "" "SOURCES;RUNTIME;OBJECTS;INCLUDES;CFLAGS" ${ARGN})
  if(NOT G_SOURCES)
    message(FATAL_ERROR "guest_elf(${name}): no SOURCES")
  endif()
  set(opts INCLUDES ${G_INCLUDES} CFLAGS ${G_CFLAGS})
  if(G_DEBUG)
    list(APPEND opts DEBUG)
  endif()
  set(objs ${G_RUNTIME})
  foreach(src ${G_SOURCES})
    get_filename_component(path ${src} ABSOLUTE)
    get_filename_component(base ${src} NAME)
    guest_compile(obj ${path} ${name}_${base} ${opts})
    list(APPEND objs ${obj})
  endforeach()
  list(APPEND objs ${G_OBJECTS})
  set(elf ${CMAKE_CURRENT_BINARY_DIR}/${name}.elf)
  add_custom_command(OUTPUT ${elf}
    COMMAND ${GUEST_LD} ${GUEST_LDFLAGS} -T ${GUEST_RT_LIB}/link.ld -o ${elf} ${objs} ${GUEST_LIBGCC}
    DEPENDS ${objs} ${GUEST_RT_LIB}/link.ld
    COMMENT "Linking guest ${name}.elf" VERBATIM)
  set(GUEST_ELF ${elf} PARENT_SCOPE)
endfunction()
