# Detach in the middle: the guest runs on to its end without the debugger.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
break gdb_bump
continue
detach
