#!/bin/sh
# combine.sh: docs/benchmarks.md from the sections the benchmarks wrote in this run.
set -eu
cd "$(dirname "$0")/../../docs"
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M') UTC, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs."
	echo "Every comparison is against peers measured in the same run."
	for part in compiler:"Compiler: Docker's default profile against libseccomp" compile-time:"Compiler: time as argument rules grow" differential:"Compiler: agreement with libseccomp" observer:"Observer overhead" all:"Observer: every cgroup at once (--all)" harvest:"Fleet: harvesting through Prometheus" weighted:"Compiler: instructions per call weighted by a recording" launch:"Launch overhead" history:"Figures kept from earlier runs"; do
		file=benchmarks-${part%%:*}.md
		[ -f "$file" ] || continue
		echo
		echo "## ${part#*:}"
		echo
		cat "$file"
	done
} > benchmarks.md
echo "wrote docs/benchmarks.md"
