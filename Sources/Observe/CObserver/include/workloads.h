/*
 * seccomp-observe --all, kernel side: load bpf/workloads.bpf.c (every cgroup
 * on the host, a slot each), read its counters through mmap, and give the
 * slots of removed cgroups back once they are drained.
 */
#ifndef SECCOMP_FORGE_WORKLOADS_H
#define SECCOMP_FORGE_WORKLOADS_H

#include <stddef.h>
#include <stdint.h>
#include "observer_limits.h"

struct sf_workloads;

/* Loads and attaches with `slots` slots (0: SF_ALL_DEFAULT_WORKLOADS), observing the
 * cgroups at or below `root_cgroup_id` (0: every cgroup).
 * Returns 0, or a negative errno with a message in err. */
int sf_workloads_open(struct sf_workloads **out, uint32_t slots, uint64_t root_cgroup_id, char *err, size_t errlen);

/* The number of slots, and the bytes of kernel memory the maps were sized for. */
uint32_t sf_workloads_slot_count(const struct sf_workloads *w);
uint64_t sf_workloads_map_bytes(const struct sf_workloads *w);

/* The counters, read in place: counts[(slot * SF_ALL_ROWS + row) * SF_SLOTS + nr]. */
const volatile uint64_t *sf_workloads_counts(const struct sf_workloads *w);

/* Fills ids[i] (cgroup id) and slots[i] for every cgroup holding a slot, at most
 * `max`; returns how many, or -errno. */
int sf_workloads_slots(struct sf_workloads *w, uint64_t *ids, uint32_t *slots, uint32_t max);

/* Takes one removed cgroup from the release queue: 0 and its id, or -ENOENT. */
int sf_workloads_next_gone(struct sf_workloads *w, uint64_t *id);

/* The path (below the hierarchy's root) the kernel reported when the cgroup was
 * made during the observation: 0, or -ENOENT. */
int sf_workloads_name(struct sf_workloads *w, uint64_t id, char *path, size_t size);

/* Forgets a drained cgroup: zeroes its slot's counters and puts the slot back in the free queue. */
int sf_workloads_release(struct sf_workloads *w, uint64_t id, uint32_t slot);

/* Calls the kernel did not run the counting program for (its recursion misses). */
uint64_t sf_workloads_skipped(struct sf_workloads *w);

/* health[SF_ALL_HEALTH], summed over CPUs. */
int sf_workloads_health(struct sf_workloads *w, uint64_t *health);

/* Stops counting (the maps stay readable), and unloads everything. */
void sf_workloads_detach(struct sf_workloads *w);
void sf_workloads_close(struct sf_workloads *w);

#endif
