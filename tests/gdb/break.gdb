# Break on a function, read registers, arguments and a variable.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
printf "AT_START %d\n", $pc == &_start
break *gdb_add
continue
printf "AT_ADD %d\n", $pc == &gdb_add
printf "ARGS %u %u\n", *(unsigned *)($esp + 4), *(unsigned *)($esp + 8)
printf "MAGIC 0x%x\n", gdb_magic
printf "CS 0x%x\n", $cs
info registers eip eflags
continue
printf "SECOND_CALL_A %u\n", *(unsigned *)($esp + 4)
delete
continue
