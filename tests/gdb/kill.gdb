# kill ends the run (vmm exit status 14).
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
break gdb_add
continue
kill
