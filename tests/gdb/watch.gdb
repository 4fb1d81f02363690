# A write watchpoint on a global: each store to it stops the guest.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
break test_main
continue
watch gdb_counter
continue
printf "IN_BUMP %d\n", $pc >= (unsigned)&gdb_bump && $pc < (unsigned)&gdb_bump + 32
continue
delete
continue
