# The monitor commands of the stub.
set pagination off
set confirm off
target remote 127.0.0.1:@PORT@
break test_main
continue
monitor info stats
monitor info tlb
monitor info idle
monitor help
delete
continue
