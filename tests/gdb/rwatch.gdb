# A read watchpoint: the load of gdb_magic in gdb_add stops the guest.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
break test_main
continue
rwatch gdb_magic
continue
printf "READ_IN_ADD %d\n", $pc >= (unsigned)&gdb_add && $pc < (unsigned)&gdb_add + 32
delete
continue
