/*
 * berth-shim: the native replica shim, a drop-in for src/runtime/local/shim.ts. What its files share:
 * the limits, the buffers and records they pass each other, and the functions one file offers another.
 *
 *   json.c       JSON text (escaped like JSON.stringify) and atomic file writes (tmp + rename)
 *   log.c        the clocks, logs/current.log with rotation by size, the command's output line by line
 *                and the stderr tail
 *   files.c      signal and errno names, /proc start times, shim.json and exit.json
 *   probe.c      the replica's http and tcp probes, their changes written to probes.json
 *   berth-shim.c the command line, the child's start (session, pipes, env, exec report) and the poll
 *                loop that stops it and waits for it
 */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#define _GNU_SOURCE
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long to wait for the child's pipes to drain after it exited (a grandchild may hold them). */
#define DRAIN_TIMEOUT_MS 1000
/* Last stderr lines kept for exit.json, each cut at 500 UTF-16 code units like shim.ts. */
#define STDERR_TAIL_LINES 40
#define STDERR_TAIL_UNITS 500
/* A line longer than this is logged in pieces (shim.ts has no bound; a runaway line must not eat memory). */
#define MAX_LINE_BYTES (1024 * 1024)
/* `2026-12-06T20:24:54.123456Z` (a log record's time, 27 bytes) and its terminating NUL fit in this. */
#define ISO_LEN 32

/* json.c */

struct buf { char *data; size_t len, cap; };

void buf_add(struct buf *b, const char *s, size_t n);
void buf_str(struct buf *b, const char *s);
void buf_fmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_json_str(struct buf *b, const char *s, size_t n, size_t max_units);
int write_atomic(const char *path, const struct buf *b);

/* log.c */

struct log {
  char path[PATH_MAX + 16];
  int fd;
  long long size, max_bytes;
  int keep;
};
struct tail { char *lines[STDERR_TAIL_LINES]; size_t lens[STDERR_TAIL_LINES]; int start, count; };
struct stream {
  const char *name;
  int fd; /* read end, -1 once closed */
  char *data;
  size_t len, cap;
};

extern struct log logw;
extern struct tail stderr_tail;
int64_t now_ms_mono(void);
void iso_now(char out[ISO_LEN]);
int log_open(struct log *l);
int stream_read(struct stream *s);
void stream_close(struct stream *s);

/* files.c */

extern char shim_path[PATH_MAX], exit_path[PATH_MAX];
int signal_number(const char *name);
const char *errno_name(int e);
const char *signal_name(int no);
void write_shim_json(pid_t pid);
void write_exit_json(const char *code, const char *signal, const char *at, int with_tail);
void write_spawn_error(const char *file, int err);

/* probe.c */

struct pollfd;
extern char probes_path[PATH_MAX];
int probes_parse(const char *spec);
void probes_start(int64_t now);
int probes_pollfds(struct pollfd *fds);
int64_t probes_next(void);
void probes_step(const struct pollfd *fds, int nfds, int64_t now);
void probes_stop(void);

#endif
