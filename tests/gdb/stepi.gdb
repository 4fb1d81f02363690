# Single-step ten instructions through a straight line of known length.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
break *gdb_straight
continue
stepi 10
printf "STEPPED %d %d\n", $pc - (unsigned)&gdb_straight, $eax
stepi
printf "ONE_MORE %d %d\n", $pc - (unsigned)&gdb_straight, $eax
delete
continue
