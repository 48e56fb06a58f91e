/*
 * The machine's own timer floor, outside .NET: one thread pinned to each CPU and one free thread, each sleeping to
 * absolute deadlines 1 ms apart (clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME) and recording how late it woke.
 * Nothing else runs in this process, so lateness here is the kernel's and the hypervisor's: a vCPU the host did not run,
 * a wake-up the host delivered late. docs/BENCHMARKS.md ("The machine's floor") says how to read it.
 *
 *   gcc -O2 -pthread -o /tmp/probe benchmarks/machine-floor/probe.c && /tmp/probe 60
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static const long long Period = 1000000; /* ns between deadlines */
static int seconds;

static long long now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int compare(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void *run(void *arg)
{
    long cpu = (long)arg;
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
            fprintf(stderr, "cannot pin to cpu %ld\n", cpu);
            return NULL;
        }
    }

    long long capacity = (long long)seconds * 1000000000LL / Period + 1, n = 0, over3 = 0, over5 = 0;
    long long *late = malloc(sizeof *late * capacity);
    long long start = now(), end = start + seconds * 1000000000LL, due = start + Period;
    while (due < end && n < capacity) {
        struct timespec at = { due / 1000000000LL, due % 1000000000LL };
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL);
        long long woke = now(), lateness = woke - due;
        late[n++] = lateness;
        over3 += lateness > 3000000;
        over5 += lateness > 5000000;
        due += Period;
        if (due < woke) {
            due = woke + Period; /* skip deadlines slept through, as the heartbeat engine does */
        }
    }

    qsort(late, n, sizeof *late, compare);
    char name[16];
    snprintf(name, sizeof name, cpu >= 0 ? "cpu %ld" : "unpinned", cpu);
    printf("%-8s %lld wake-ups: p50 %lld us, p99 %lld us, p99.9 %lld us, max %lld us; > 3 ms: %lld, > 5 ms: %lld\n",
           name, n, late[n / 2] / 1000, late[n * 99 / 100] / 1000, late[n * 999 / 1000] / 1000, late[n - 1] / 1000, over3, over5);
    free(late);
    return NULL;
}

int main(int argc, char **argv)
{
    seconds = argc > 1 ? atoi(argv[1]) : 0;
    if (seconds <= 0) {
        fprintf(stderr, "usage: %s SECONDS (a whole number of seconds to measure, e.g. 60)\n", argv[0]);
        return 2;
    }

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    pthread_t threads[65];
    long count = 0;
    for (long cpu = -1; cpu < cpus && count < 65; cpu++) {
        pthread_create(&threads[count++], NULL, run, (void *)cpu);
    }

    for (long i = 0; i < count; i++) {
        pthread_join(threads[i], NULL);
    }

    return 0;
}
