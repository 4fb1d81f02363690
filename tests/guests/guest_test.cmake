# tests/guests/guest_test.cmake - registering one run of a test guest with
# ctest (tests/guests and tests/ring3).
#
#   guest_test(<test-name> <elf> STATUS <vmm exit status> [EXPECT <regex>...]
#              [ARGS <vmm args...>] [WRAPPER <command...>])
#
# runs <elf> under vmm through run-guest.sh, which requires the exit status
# and output that matches every EXPECT regex; a guest that passes (status 1)
# must also print PASS, so that a guest stopping early cannot look like a
# pass.  WRAPPER, when given, comes first on the command line: a script that
# runs the rest and checks more (tests/ring3/run-escape.sh).  Label "guest",
# 60 s timeout.
include_guard(GLOBAL)

function(guest_test test elf)
  cmake_parse_arguments(T "BIOS" "STATUS" "EXPECT;ARGS;WRAPPER" ${ARGN})
  if(T_STATUS STREQUAL "")
    message(FATAL_ERROR "guest_test(${test}): no STATUS")
  endif()
  set(expect ${T_EXPECT})
  set(opts)
  if(T_BIOS)
    list(APPEND opts --bios)        # the guest is a firmware image (vmm --bios)
  endif()
  if(T_STATUS EQUAL 1)
    list(APPEND expect "^PASS$")
  endif()
  foreach(re ${expect})
    list(APPEND opts --expect-output ${re})
  endforeach()
  add_test(NAME ${test}
    COMMAND ${T_WRAPPER} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/run-guest.sh ${opts}
            $<TARGET_FILE:vmm> ${elf} ${T_STATUS} ${T_ARGS})
  set_tests_properties(${test} PROPERTIES LABELS guest TIMEOUT 60)
endfunction()

# guest_record(<test-name> <elf> STATUS <status> [EXPECT <regex>...] [ARGS <args...>])
# keeps the guest and what it must give in the global property
# VMM_GUEST_RUNS, one shell line each:
#   guest NAME STATUS 'ELF' NARGS 'ARG'... 'REGEX'...
# so that another engine can run the same guests with the same checks
# (tests/kvm/run-guests.sh: under --accel kvm in a nested VM).
function(guest_record test elf)
  cmake_parse_arguments(T "" "STATUS" "EXPECT;ARGS" ${ARGN})
  list(LENGTH T_ARGS nargs)
  set(line "guest ${test} ${T_STATUS} '${elf}' ${nargs}")
  foreach(word ${T_ARGS} ${T_EXPECT})
    string(REPLACE "'" "'\\''" word "${word}")
    string(APPEND line " '${word}'")
  endforeach()
  set_property(GLOBAL APPEND PROPERTY VMM_GUEST_RUNS "${line}")
endfunction()
