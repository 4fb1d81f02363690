# Reading and writing guest memory; an unmapped address is an error, not a
# crash.  The error ends the command file, so it comes last: gdb then
# detaches on exit and the guest runs to its end.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
break *gdb_bump
continue
printf "SUM_AFTER %u\n", gdb_sum
set var gdb_sum = 0x5a5a5a5a
printf "PATCHED 0x%x\n", gdb_sum
delete
x/x 0x10000000
