/* The clocks, logs/current.log (one timestamped record per line, rotated by size) and the command's output. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

struct log logw;
struct tail stderr_tail;

/* ------------------------------------------------------------------ time */

int64_t now_ms_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock as RFC 3339 UTC with `digits` fraction digits (3 or 6). */
static void iso_clock(char out[ISO_LEN], int digits) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
  if (digits == 6) snprintf(out + n, ISO_LEN - n, ".%06luZ", (unsigned long)(ts.tv_nsec / 1000) % 1000000ul);
  else snprintf(out + n, ISO_LEN - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

/* `2026-12-06T20:24:54.123Z` (Date#toISOString): exit.json's times, as shim.ts writes them. */
void iso_now(char out[ISO_LEN]) { iso_clock(out, 3); }

/* `2026-12-06T20:24:54.123456Z`: a log record's time (logFiles.ts wallClockMs, formatLogRecord). */
static void iso_now_us(char out[ISO_LEN]) { iso_clock(out, 6); }

/* ------------------------------------------------------------------ logs */

int log_open(struct log *l) {
  l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (l->fd < 0) return -1;
  struct stat st;
  l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
  return 0;
}

static void log_rotate(struct log *l) {
  char from[PATH_MAX + 48], to[PATH_MAX + 48];
  close(l->fd);
  snprintf(to, sizeof to, "%s.%d", l->path, l->keep);
  unlink(to);
  for (int i = l->keep - 1; i >= 1; i--) {
    snprintf(from, sizeof from, "%s.%d", l->path, i);
    snprintf(to, sizeof to, "%s.%d", l->path, i + 1);
    rename(from, to); /* that generation may not exist yet */
  }
  snprintf(to, sizeof to, "%s.1", l->path);
  rename(l->path, to);
  if (log_open(l) < 0) l->fd = -1;
}

/* One record: `<ISO time> <stream> <text>\n` (logFiles.ts formatLogRecord), written in one call. */
static void log_write(struct log *l, const char *stream, const char *text, size_t n) {
  char head[ISO_LEN + 16];
  char ts[ISO_LEN];
  iso_now_us(ts);
  int hn = snprintf(head, sizeof head, "%s %s ", ts, stream);
  long long len = hn + (long long)n + 1;
  if (l->size > 0 && l->size + len > l->max_bytes) log_rotate(l);
  if (l->fd < 0) return;
  struct iovec iov[3] = {{head, (size_t)hn}, {(void *)text, n}, {"\n", 1}};
  ssize_t w;
  do w = writev(l->fd, iov, 3);
  while (w < 0 && errno == EINTR);
  l->size += len;
}

/* ------------------------------------------------------------------ the command's output */

static void keep_line(struct stream *s, const char *line, size_t n) {
  log_write(&logw, s->name, line, n);
  if (strcmp(s->name, "stderr") != 0) return;
  /* Raw bytes are kept (the UTF-16 cut is made when written); 2000 bytes hold any 500 units. */
  size_t k = n > 4 * STDERR_TAIL_UNITS ? 4 * STDERR_TAIL_UNITS : n;
  char *copy = malloc(k ? k : 1);
  if (!copy) return;
  memcpy(copy, line, k);
  int slot;
  if (stderr_tail.count < STDERR_TAIL_LINES) slot = (stderr_tail.start + stderr_tail.count++) % STDERR_TAIL_LINES;
  else {
    slot = stderr_tail.start;
    free(stderr_tail.lines[slot]);
    stderr_tail.start = (stderr_tail.start + 1) % STDERR_TAIL_LINES;
  }
  stderr_tail.lines[slot] = copy;
  stderr_tail.lens[slot] = k;
}

/* Reads what is there; logs every complete line. Returns 0 at end of stream. */
int stream_read(struct stream *s) {
  if (s->cap - s->len < 4096) {
    size_t cap = s->cap ? s->cap * 2 : 8192;
    char *d = realloc(s->data, cap);
    if (!d) return 1;
    s->data = d;
    s->cap = cap;
  }
  ssize_t n = read(s->fd, s->data + s->len, s->cap - s->len);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 1 : 0;
  if (n == 0) return 0;
  size_t scan = s->len;
  s->len += (size_t)n;
  size_t begin = 0;
  for (size_t i = scan; i < s->len; i++) {
    if (s->data[i] != '\n') continue;
    keep_line(s, s->data + begin, i - begin);
    begin = i + 1;
  }
  if (s->len - begin >= MAX_LINE_BYTES) {
    keep_line(s, s->data + begin, s->len - begin);
    begin = s->len;
  }
  memmove(s->data, s->data + begin, s->len - begin);
  s->len -= begin;
  return 1;
}

/* At end of stream: the unterminated last line, if any. */
void stream_close(struct stream *s) {
  if (s->len > 0) keep_line(s, s->data, s->len);
  s->len = 0;
  close(s->fd);
  s->fd = -1;
}
