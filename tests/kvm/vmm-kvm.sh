#!/bin/sh
# vmm with the KVM engine, for scripts that take a vmm to run (kvm.gdb).
exec /bin/vmm --accel kvm "$@"
