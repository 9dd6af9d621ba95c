/*
 * scmp-oracle: a test-only reference built on libseccomp.
 *
 * Reads a resolved policy on stdin, builds the filter with libseccomp the way
 * runc translates an OCI profile, and answers queries by running the exported
 * classic-BPF program in an interpreter written here (independent of the
 * Swift emulator under test).  Never linked into the product.
 *
 * Input, one directive per line (numbers in C syntax, e.g. 0x7fff0000):
 *   optimize N                      SCMP_FLTATR_CTL_OPTIMIZE (1 linear, 2 tree)
 *   default RET                     default action, as a seccomp return value
 *   arch NAME                       libseccomp arch name (x86_64, x86, x32, ...)
 *   rule RET NAME N [IDX OP V V2]*  one profile entry for one syscall name;
 *                                   OP is one of ne lt le eq ge gt masked_eq
 *   build                           create the filter (prints "unknown NAME"
 *                                   for names libseccomp cannot resolve)
 *   ours PATH                       also run this raw filter (little-endian
 *                                   struct sock_filter[]) for every query
 *   q AUDITARCH NR A0..A5 EXPECTED  run one query against the filter(s); prints
 *                                   "mismatch ..." when either differs
 *   export PATH                     write libseccomp's raw filter to PATH
 *   count AUDITARCH LO HI           mean/max instructions over NR in [LO,HI]
 *                                   with zero arguments (prints "count ...")
 *   steps AUDITARCH NR A0..A5       prints "steps N RET": instructions executed
 *                                   by libseccomp's filter for one call
 *   resolve ARCH NAME               prints "nr ARCH NAME N": libseccomp's number
 *                                   for NAME on ARCH, -1 if it has none
 * At EOF prints "checked N mismatches M".
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct prog {
	struct sock_filter *insns;
	size_t len;
};

struct query {
	uint32_t nr, arch;
	uint64_t ip;
	uint64_t args[6];
};

/* Loads a 32-bit word of struct seccomp_data (little-endian host). */
static int load_word(const struct query *q, uint32_t off, uint32_t *out)
{
	unsigned char buf[64];
	if (off % 4 != 0 || off + 4 > sizeof(buf))
		return -1;
	memcpy(buf, &q->nr, 4);
	memcpy(buf + 4, &q->arch, 4);
	memcpy(buf + 8, &q->ip, 8);
	memcpy(buf + 16, q->args, 48);
	memcpy(out, buf + off, 4);
	return 0;
}

/* Runs a seccomp cBPF program; returns the return value, or 0xdeadbeef on a
 * malformed program. *steps receives the number of instructions executed. */
static uint32_t run(const struct prog *p, const struct query *q, unsigned *steps)
{
	uint32_t A = 0, X = 0, mem[BPF_MEMWORDS] = {0};
	size_t pc = 0;
	*steps = 0;
	while (pc < p->len) {
		const struct sock_filter *f = &p->insns[pc];
		uint32_t src;
		(*steps)++;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
				if (load_word(q, f->k, &A))
					return 0xdeadbeef;
			} else if (f->code == (BPF_LD | BPF_IMM)) {
				A = f->k;
			} else if (f->code == (BPF_LD | BPF_MEM)) {
				A = mem[f->k % BPF_MEMWORDS];
			} else if (f->code == (BPF_LD | BPF_W | BPF_LEN)) {
				A = 64;
			} else {
				return 0xdeadbeef;
			}
			pc++;
			break;
		case BPF_LDX:
			if (f->code == (BPF_LDX | BPF_IMM))
				X = f->k;
			else if (f->code == (BPF_LDX | BPF_MEM))
				X = mem[f->k % BPF_MEMWORDS];
			else if (f->code == (BPF_LDX | BPF_W | BPF_LEN))
				X = 64;
			else
				return 0xdeadbeef;
			pc++;
			break;
		case BPF_ST:
			mem[f->k % BPF_MEMWORDS] = A;
			pc++;
			break;
		case BPF_STX:
			mem[f->k % BPF_MEMWORDS] = X;
			pc++;
			break;
		case BPF_ALU:
			src = BPF_SRC(f->code) == BPF_X ? X : f->k;
			switch (BPF_OP(f->code)) {
			case BPF_ADD: A += src; break;
			case BPF_SUB: A -= src; break;
			case BPF_MUL: A *= src; break;
			case BPF_DIV: if (!src) return 0xdeadbeef; A /= src; break;
			case BPF_AND: A &= src; break;
			case BPF_OR: A |= src; break;
			case BPF_LSH: A <<= (src & 31); break;
			case BPF_RSH: A >>= (src & 31); break;
			case BPF_NEG: A = -A; break;
			default: return 0xdeadbeef;
			}
			pc++;
			break;
		case BPF_JMP:
			src = BPF_SRC(f->code) == BPF_X ? X : f->k;
			if (BPF_OP(f->code) == BPF_JA) {
				pc += 1 + f->k;
				break;
			}
			{
				int taken;
				switch (BPF_OP(f->code)) {
				case BPF_JEQ: taken = A == src; break;
				case BPF_JGT: taken = A > src; break;
				case BPF_JGE: taken = A >= src; break;
				case BPF_JSET: taken = (A & src) != 0; break;
				default: return 0xdeadbeef;
				}
				pc += 1 + (taken ? f->jt : f->jf);
			}
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? A : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				X = A;
			else
				A = X;
			pc++;
			break;
		default:
			return 0xdeadbeef;
		}
	}
	return 0xdeadbeef;
}

static int read_prog(const char *path, struct prog *p)
{
	FILE *f = fopen(path, "rb");
	long size;
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	p->len = (size_t)size / sizeof(struct sock_filter);
	p->insns = malloc((size_t)size + 1);
	if (!p->insns || fread(p->insns, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int parse_op(const char *s, enum scmp_compare *op)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{"ne", SCMP_CMP_NE}, {"lt", SCMP_CMP_LT}, {"le", SCMP_CMP_LE},
		{"eq", SCMP_CMP_EQ}, {"ge", SCMP_CMP_GE}, {"gt", SCMP_CMP_GT},
		{"masked_eq", SCMP_CMP_MASKED_EQ},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(s, ops[i].name)) {
			*op = ops[i].op;
			return 0;
		}
	return -1;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "scmp-oracle: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
	exit(3);
}

/* runc splits an entry into one rule per condition when any argument index
 * repeats, and skips entries whose action equals the default. */
static void add_entry(scmp_filter_ctx ctx, uint32_t def, uint32_t act, const char *name,
		      struct scmp_arg_cmp *conds, unsigned n)
{
	int nr = seccomp_syscall_resolve_name(name);
	int repeats = 0, rc;
	unsigned seen[6] = {0};
	if (nr == __NR_SCMP_ERROR) {
		printf("unknown %s\n", name);
		return;
	}
	if (act == def)
		return;
	for (unsigned i = 0; i < n; i++)
		if (++seen[conds[i].arg] > 1)
			repeats = 1;
	if (repeats) {
		for (unsigned i = 0; i < n; i++) {
			rc = seccomp_rule_add_array(ctx, act, nr, 1, &conds[i]);
			if (rc)
				die(name, rc);
		}
		return;
	}
	rc = seccomp_rule_add_array(ctx, act, nr, n, conds);
	if (rc)
		die(name, rc);
}

int main(void)
{
	char line[4096];
	scmp_filter_ctx ctx = NULL;
	uint32_t def = SCMP_ACT_ALLOW;
	int optimize = 1, have_ours = 0, built = 0;
	struct prog theirs = {0}, ours = {0};
	unsigned long checked = 0, mismatches = 0;
	char pending_arches[16][32];
	int narches = 0;
	struct {
		uint32_t act;
		char name[64];
		struct scmp_arg_cmp conds[16];
		unsigned n;
	} *rules = NULL;
	size_t nrules = 0, caprules = 0;

	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (fgets(line, sizeof(line), stdin)) {
		char *tok = strtok(line, " \t\n");
		if (!tok || tok[0] == '#')
			continue;
		if (!strcmp(tok, "resolve")) {
			const char *arch = strtok(NULL, " \t\n");
			const char *name = strtok(NULL, " \t\n");
			uint32_t token = seccomp_arch_resolve_name(arch);
			int nr = token ? seccomp_syscall_resolve_name_arch(token, name) : -1;
			printf("nr %s %s %d\n", arch, name, nr < 0 ? -1 : nr);
		} else if (!strcmp(tok, "optimize")) {
			optimize = atoi(strtok(NULL, " \t\n"));
		} else if (!strcmp(tok, "default")) {
			def = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
		} else if (!strcmp(tok, "arch")) {
			if (narches < 16)
				snprintf(pending_arches[narches++], 32, "%s", strtok(NULL, " \t\n"));
		} else if (!strcmp(tok, "rule")) {
			if (nrules == caprules) {
				caprules = caprules ? caprules * 2 : 64;
				rules = realloc(rules, caprules * sizeof(*rules));
			}
			rules[nrules].act = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
			snprintf(rules[nrules].name, 64, "%s", strtok(NULL, " \t\n"));
			rules[nrules].n = (unsigned)atoi(strtok(NULL, " \t\n"));
			for (unsigned i = 0; i < rules[nrules].n && i < 16; i++) {
				struct scmp_arg_cmp *c = &rules[nrules].conds[i];
				c->arg = (unsigned)atoi(strtok(NULL, " \t\n"));
				if (parse_op(strtok(NULL, " \t\n"), &c->op)) {
					fprintf(stderr, "scmp-oracle: bad op\n");
					return 3;
				}
				c->datum_a = strtoull(strtok(NULL, " \t\n"), NULL, 0);
				c->datum_b = strtoull(strtok(NULL, " \t\n"), NULL, 0);
			}
			nrules++;
		} else if (!strcmp(tok, "build")) {
			int rc;
			ctx = seccomp_init(def);
			if (!ctx)
				die("seccomp_init", EINVAL);
			/* The arch the profile does not cover is killed, as ours does. */
			rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
			if (rc)
				die("badarch", rc);
			rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)optimize);
			if (rc)
				die("optimize", rc);
			seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
			for (int i = 0; i < narches; i++) {
				uint32_t token = seccomp_arch_resolve_name(pending_arches[i]);
				if (!token)
					die(pending_arches[i], EINVAL);
				rc = seccomp_arch_add(ctx, token);
				if (rc)
					die(pending_arches[i], rc);
			}
			for (size_t i = 0; i < nrules; i++)
				add_entry(ctx, def, rules[i].act, rules[i].name, rules[i].conds, rules[i].n);
			{
				char path[] = "/tmp/scmp-oracle-XXXXXX";
				int fd = mkstemp(path);
				if (fd < 0)
					die("mkstemp", errno);
				rc = seccomp_export_bpf(ctx, fd);
				if (rc)
					die("export", rc);
				close(fd);
				if (read_prog(path, &theirs))
					die("read export", errno);
				unlink(path);
			}
			built = 1;
			printf("length %zu\n", theirs.len);
		} else if (!strcmp(tok, "ours")) {
			if (read_prog(strtok(NULL, " \t\n"), &ours))
				die("ours", errno);
			have_ours = 1;
		} else if (!strcmp(tok, "export")) {
			FILE *f = fopen(strtok(NULL, " \t\n"), "wb");
			if (!f || !built)
				die("export", EINVAL);
			fwrite(theirs.insns, sizeof(struct sock_filter), theirs.len, f);
			fclose(f);
		} else if (!strcmp(tok, "q")) {
			struct query q = {0};
			uint32_t expected, got, got_ours;
			unsigned steps;
			q.arch = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
			q.nr = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
			for (int i = 0; i < 6; i++)
				q.args[i] = strtoull(strtok(NULL, " \t\n"), NULL, 0);
			expected = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
			got = run(&theirs, &q, &steps);
			checked++;
			got_ours = have_ours ? run(&ours, &q, &steps) : expected;
			if (got != expected || got_ours != expected) {
				mismatches++;
				if (mismatches <= 100000)
					printf("mismatch arch=0x%08x nr=%u args=%#" PRIx64 ",%#" PRIx64 ",%#" PRIx64
					       ",%#" PRIx64 ",%#" PRIx64 ",%#" PRIx64
					       " libseccomp=0x%08x ours=0x%08x expected=0x%08x\n",
					       q.arch, q.nr, q.args[0], q.args[1], q.args[2], q.args[3],
					       q.args[4], q.args[5], got, got_ours, expected);
			}
		} else if (!strcmp(tok, "steps")) {
			struct query q = {0};
			unsigned steps;
			q.arch = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
			q.nr = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
			for (int i = 0; i < 6; i++)
				q.args[i] = strtoull(strtok(NULL, " \t\n"), NULL, 0);
			uint32_t r = run(&theirs, &q, &steps);
			printf("steps %u 0x%08x\n", steps, r);
		} else if (!strcmp(tok, "count")) {
			struct query q = {0};
			unsigned long lo, hi, total = 0, max = 0, steps_u;
			unsigned steps;
			q.arch = (uint32_t)strtoul(strtok(NULL, " \t\n"), NULL, 0);
			lo = strtoul(strtok(NULL, " \t\n"), NULL, 0);
			hi = strtoul(strtok(NULL, " \t\n"), NULL, 0);
			for (unsigned long nr = lo; nr <= hi; nr++) {
				q.nr = (uint32_t)nr;
				run(&theirs, &q, &steps);
				steps_u = steps;
				total += steps_u;
				if (steps_u > max)
					max = steps_u;
			}
			printf("count mean %.3f max %lu\n", (double)total / (double)(hi - lo + 1), max);
		} else {
			fprintf(stderr, "scmp-oracle: unknown directive %s\n", tok);
			return 3;
		}
	}
	printf("checked %lu mismatches %lu\n", checked, mismatches);
	if (ctx)
		seccomp_release(ctx);
	return 0;
}
