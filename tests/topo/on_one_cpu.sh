#!/bin/sh
# Runs "$@" restricted (taskset) to the first CPU this process may use: CPU 0 may not be
# allowed on a CI machine.
cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[-,].*//') || exit 1
exec taskset -c "$cpu" "$@"
