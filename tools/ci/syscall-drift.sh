#!/bin/sh
# syscall-drift.sh PROFILE -- COMMAND...: run COMMAND (a test suite) under seccomp-observe and fail
# when it makes system calls PROFILE (the committed profile) does not allow, printing the difference.
#
#   sudo tools/ci/syscall-drift.sh seccomp/app.seccomp.json -- make test
#
# Exit status: 0 no new calls; 1 new calls (the diff is printed); the command's own status when it
# fails; 2 bad usage. The observed profile and its recording are left in $DRIFT_DIR (default
# ./syscall-drift) for the CI job to keep as artifacts, or to commit when the change is wanted.
set -u
if [ $# -lt 3 ] || [ "$2" != "--" ]; then
	echo "usage: $0 PROFILE -- COMMAND..." >&2
	exit 2
fi
profile=$1
shift 2
[ -r "$profile" ] || { echo "syscall-drift: cannot read $profile" >&2; exit 2; }
observe=${SECCOMP_OBSERVE:-seccomp-observe}
profile_tool=${SECCOMP_PROFILE:-seccomp-profile}
dir=${DRIFT_DIR:-syscall-drift}
mkdir -p "$dir"
"$observe" --quiet -o "$dir/observed.seccomp.json" -- "$@"
status=$?
if [ $status -ne 0 ]; then
	echo "syscall-drift: the command failed (exit $status); not comparing" >&2
	exit $status
fi
"$profile_tool" diff "$profile" "$dir/observed.recording.json" --fail-on-new
status=$?
if [ $status -eq 1 ]; then
	echo "syscall-drift: the command made system calls $profile does not allow (above, with counts)." >&2
	echo "syscall-drift: if they are wanted, take them in: seccomp-profile merge, or copy $dir/observed.seccomp.json" >&2
fi
exit $status
