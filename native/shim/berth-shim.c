/*
 * berth-shim: the native replica shim, a drop-in for src/runtime/local/shim.ts (same command line,
 * same files, byte for byte) at ~1 MB of memory instead of a Node process's ~40 MB.
 *
 * It owns one run of one replica's command: starts it in its own session and process group with
 * real pipes as stdout and stderr, records its identity (shim.json), timestamps every output line
 * into logs/current.log (rotated by size), turns SIGTERM/SIGINT into the stop signal to the group
 * then SIGKILL after the grace period, and records how the command ended (exit.json).
 *
 * Usage: berth-shim <replicaDir> <gracePeriodMs> <logMaxBytes> <logKeep> [stopSignal] -- <command...>
 * The shim's environment is the replica's; BERTH_CHILD_NODE_OPTIONS becomes the command's
 * NODE_OPTIONS, BERTH_CHILD_UMASK (octal) its umask.
 *
 * Linux only (signalfd, pipe2, /proc). One thread, one poll loop, no allocation per line beyond
 * the line buffers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How long to wait for the child's pipes to drain after it exited (a grandchild may hold them). */
#define DRAIN_TIMEOUT_MS 1000
/* Last stderr lines kept for exit.json, each cut at 500 UTF-16 code units like shim.ts. */
#define STDERR_TAIL_LINES 40
#define STDERR_TAIL_UNITS 500
/* A line longer than this is logged in pieces (shim.ts has no bound; a runaway line must not eat memory). */
#define MAX_LINE_BYTES (1024 * 1024)

/* ------------------------------------------------------------------ signals */

struct signame { const char *name; int no; };
/* Every name of os.constants.signals on Linux; aliases after the primary name (name of a number = first match). */
static const struct signame SIGNALS[] = {
  {"SIGHUP", SIGHUP}, {"SIGINT", SIGINT}, {"SIGQUIT", SIGQUIT}, {"SIGILL", SIGILL}, {"SIGTRAP", SIGTRAP},
  {"SIGABRT", SIGABRT}, {"SIGIOT", SIGIOT}, {"SIGBUS", SIGBUS}, {"SIGFPE", SIGFPE}, {"SIGKILL", SIGKILL},
  {"SIGUSR1", SIGUSR1}, {"SIGSEGV", SIGSEGV}, {"SIGUSR2", SIGUSR2}, {"SIGPIPE", SIGPIPE}, {"SIGALRM", SIGALRM},
  {"SIGTERM", SIGTERM}, {"SIGCHLD", SIGCHLD}, {"SIGSTKFLT", SIGSTKFLT}, {"SIGCONT", SIGCONT}, {"SIGSTOP", SIGSTOP},
  {"SIGTSTP", SIGTSTP}, {"SIGTTIN", SIGTTIN}, {"SIGTTOU", SIGTTOU}, {"SIGURG", SIGURG}, {"SIGXCPU", SIGXCPU},
  {"SIGXFSZ", SIGXFSZ}, {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH}, {"SIGIO", SIGIO},
  {"SIGPOLL", SIGPOLL}, {"SIGPWR", SIGPWR}, {"SIGSYS", SIGSYS},
};
#define NSIGNALS (sizeof SIGNALS / sizeof SIGNALS[0])

static int signal_number(const char *name) {
  for (size_t i = 0; i < NSIGNALS; i++)
    if (strcmp(SIGNALS[i].name, name) == 0) return SIGNALS[i].no;
  return -1;
}

static const char *signal_name(int no) {
  for (size_t i = 0; i < NSIGNALS; i++)
    if (SIGNALS[i].no == no) return SIGNALS[i].name;
  return NULL;
}

/* The name libuv gives an errno in Node's spawn errors (`spawn <file> <NAME>`). */
static const char *errno_name(int e) {
  switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOEXEC: return "ENOEXEC";
    case E2BIG: return "E2BIG";
    case ENOMEM: return "ENOMEM";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ETXTBSY: return "ETXTBSY";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EAGAIN: return "EAGAIN";
    case EIO: return "EIO";
    case ELIBBAD: return "ELIBBAD";
    default: return "UNKNOWN";
  }
}

static void kill_group(pid_t pgid, int sig) {
  /* kill(-0) would signal our own group, kill(-1) everything we may signal. */
  if (pgid > 1) kill(-pgid, sig);
}

/* ------------------------------------------------------------------ time */

static int64_t now_ms_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define ISO_LEN 32
/* `2026-12-06T20:24:54.123Z` (Date#toISOString). */
static void iso_now(char out[ISO_LEN]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, ISO_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, ISO_LEN - n, ".%03uZ", (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

/* Field 22 of /proc/<pid>/stat (start time in clock ticks after boot), as procfs.ts reads it; 0 when unknown. */
static unsigned long long start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  /* The command name (field 2) may hold spaces and parentheses: count from after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* field 3 */
  for (int field = 3; field < 22; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  return strtoull(p, NULL, 10);
}

/* ------------------------------------------------------------------ JSON */

struct buf { char *data; size_t len, cap; };

static void buf_add(struct buf *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (b->len + n + 1 > cap) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) return; /* out of memory: the file is cut short rather than the shim dying */
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_fmt(struct buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not valid: each such byte then
 * reads as one U+FFFD (Node's decoder folds a truncated sequence into one; the JSON stays valid either way).
 */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) { len = 2; min = 0x80; }
  else if (c >= 0xE0 && c <= 0xEF) { len = 3; min = 0x800; }
  else if (c >= 0xF0 && c <= 0xF4) { len = 4; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/*
 * Appends `s` as a JSON string the way JSON.stringify writes it (\" \\ \b \f \n \r \t, other
 * control characters as \u00XX, everything else verbatim), invalid UTF-8 as U+FFFD. At most
 * `max_units` UTF-16 code units are written (0: no limit), like String#slice(0, max_units).
 */
static void buf_json_str(struct buf *b, const char *s, size_t n, size_t max_units) {
  const unsigned char *u = (const unsigned char *)s;
  size_t units = 0;
  buf_add(b, "\"", 1);
  for (size_t i = 0; i < n;) {
    size_t len = utf8_len(u + i, n - i);
    size_t w = len == 4 ? 2 : 1;
    if (max_units && units + w > max_units) break;
    units += w;
    if (len == 0) {
      buf_add(b, "\xEF\xBF\xBD", 3);
      i++;
      continue;
    }
    unsigned char c = u[i];
    if (len > 1) buf_add(b, s + i, len);
    else if (c == '"') buf_add(b, "\\\"", 2);
    else if (c == '\\') buf_add(b, "\\\\", 2);
    else if (c == '\b') buf_add(b, "\\b", 2);
    else if (c == '\f') buf_add(b, "\\f", 2);
    else if (c == '\n') buf_add(b, "\\n", 2);
    else if (c == '\r') buf_add(b, "\\r", 2);
    else if (c == '\t') buf_add(b, "\\t", 2);
    else if (c < 0x20) buf_fmt(b, "\\u%04x", c);
    else buf_add(b, s + i, 1);
    i += len;
  }
  buf_add(b, "\"", 1);
}

/* Writes `b` to `path` through `<path>.<pid>.tmp` and a rename, so a reader never sees half a file. */
static int write_atomic(const char *path, const struct buf *b) {
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t off = 0;
  while (off < b->len) {
    ssize_t w = write(fd, b->data + off, b->len - off);
    if (w < 0) {
      if (errno == EINTR) continue;
      close(fd);
      unlink(tmp);
      return -1;
    }
    off += (size_t)w;
  }
  close(fd);
  return rename(tmp, path);
}

/* ------------------------------------------------------------------ logs */

struct log {
  char path[PATH_MAX + 16];
  int fd;
  long long size, max_bytes;
  int keep;
};

static int log_open(struct log *l) {
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
  iso_now(ts);
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

struct tail { char *lines[STDERR_TAIL_LINES]; size_t lens[STDERR_TAIL_LINES]; int start, count; };

struct stream {
  const char *name;
  int fd; /* read end, -1 once closed */
  char *data;
  size_t len, cap;
};

static struct log logw;
static struct tail stderr_tail;

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
static int stream_read(struct stream *s) {
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
static void stream_close(struct stream *s) {
  if (s->len > 0) keep_line(s, s->data, s->len);
  s->len = 0;
  close(s->fd);
  s->fd = -1;
}

/* ------------------------------------------------------------------ files */

static char shim_path[PATH_MAX], exit_path[PATH_MAX];

static void write_shim_json(pid_t pid) {
  struct buf b = {0};
  buf_fmt(&b, "{\n  \"shimPid\": %d,\n  \"shimStartTime\": %llu,\n", (int)getpid(), start_time(getpid()));
  buf_fmt(&b, "  \"pid\": %d,\n  \"startTime\": %llu\n}\n", (int)pid, start_time(pid));
  write_atomic(shim_path, &b);
  free(b.data);
}

static void write_exit_json(const char *code, const char *signal, const char *at, int with_tail) {
  struct buf b = {0};
  buf_fmt(&b, "{\n  \"code\": %s,\n  \"signal\": ", code);
  if (signal) buf_json_str(&b, signal, strlen(signal), 0);
  else buf_str(&b, "null");
  buf_fmt(&b, ",\n  \"at\": \"%s\"", at);
  if (with_tail && stderr_tail.count > 0) {
    buf_str(&b, ",\n  \"stderrTail\": [");
    for (int i = 0; i < stderr_tail.count; i++) {
      int slot = (stderr_tail.start + i) % STDERR_TAIL_LINES;
      buf_str(&b, i ? ",\n    " : "\n    ");
      buf_json_str(&b, stderr_tail.lines[slot], stderr_tail.lens[slot], STDERR_TAIL_UNITS);
    }
    buf_str(&b, "\n  ]");
  }
  buf_str(&b, "\n}\n");
  write_atomic(exit_path, &b);
  free(b.data);
}

/* exit.json for a command that could not start, with the texts and codes of shim.ts's spawnError. */
static void write_spawn_error(const char *file, int err) {
  char at[ISO_LEN], node_msg[PATH_MAX + 64];
  iso_now(at);
  /* Node's spawn error message: `spawn <file> <CODE>`. */
  snprintf(node_msg, sizeof node_msg, "spawn %s %s", file, errno_name(err));
  const char *code;
  char *text = NULL;
  int r;
  if (err == ENOENT) {
    code = "exit.commandNotFound";
    r = asprintf(&text, "command not found: %s (%s)", file, node_msg);
  } else if (err == EACCES) {
    code = "exit.notExecutable";
    r = asprintf(&text, "permission denied: %s is not executable (%s)", file, node_msg);
  } else {
    code = "exit.error";
    r = asprintf(&text, "%s", node_msg);
  }
  const char *t = r >= 0 && text ? text : node_msg;
  struct buf b = {0};
  buf_fmt(&b, "{\n  \"code\": 127,\n  \"signal\": null,\n  \"at\": \"%s\",\n  \"error\": ", at);
  buf_json_str(&b, t, strlen(t), 0);
  buf_fmt(&b, ",\n  \"errorMessage\": {\n    \"code\": \"%s\",\n    \"params\": {\n", code);
  if (err == ENOENT || err == EACCES) {
    buf_str(&b, "      \"file\": ");
    buf_json_str(&b, file, strlen(file), 0);
    buf_str(&b, ",\n");
  }
  buf_str(&b, "      \"error\": ");
  buf_json_str(&b, node_msg, strlen(node_msg), 0);
  buf_str(&b, "\n    },\n    \"text\": ");
  buf_json_str(&b, t, strlen(t), 0);
  buf_str(&b, "\n  }\n}\n");
  write_atomic(exit_path, &b);
  free(b.data);
  if (r >= 0) free(text);
}

/* ------------------------------------------------------------------ setup */

static void usage(void) {
  fputs("usage: shim <replicaDir> <gracePeriodMs> <logMaxBytes> <logKeep> [stopSignal] -- <command...>\n", stderr);
  exit(2);
}

static void mkdirs(const char *path) {
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s", path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    mkdir(p, 0777);
    *s = '/';
  }
  mkdir(p, 0777);
}

/* The command's environment: ours without NODE_OPTIONS and BERTH_CHILD_UMASK, BERTH_CHILD_NODE_OPTIONS renamed. */
static char **child_env(void) {
  size_t n = 0;
  while (environ[n]) n++;
  char **env = calloc(n + 1, sizeof *env);
  if (!env) return environ;
  size_t k = 0;
  const char *child_node_options = NULL;
  for (size_t i = 0; i < n; i++) {
    const char *e = environ[i];
    if (strncmp(e, "BERTH_CHILD_NODE_OPTIONS=", 25) == 0) child_node_options = e + 25;
    else if (strncmp(e, "NODE_OPTIONS=", 13) == 0 || strncmp(e, "BERTH_CHILD_UMASK=", 18) == 0) continue;
    else env[k++] = (char *)e;
  }
  if (child_node_options) {
    size_t len = strlen(child_node_options) + 14;
    char *v = malloc(len);
    if (v) {
      snprintf(v, len, "NODE_OPTIONS=%s", child_node_options);
      env[k++] = v;
    }
  }
  env[k] = NULL;
  return env;
}

int main(int argc, char **argv) {
  int sep = -1;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--") == 0) { sep = i; break; }
  if (sep < 5 || sep > 6 || sep + 1 >= argc || argv[1][0] == '\0') usage();
  const char *dir = argv[1];
  double grace_ms = strtod(argv[2], NULL);
  logw.max_bytes = (long long)strtod(argv[3], NULL);
  logw.keep = (int)strtol(argv[4], NULL, 10);
  int stop_signal = sep == 6 ? signal_number(argv[5]) : SIGTERM;
  if (stop_signal < 0) usage();
  char **command = argv + sep + 1;

  const char *umask_text = getenv("BERTH_CHILD_UMASK");
  char *end = NULL;
  long child_umask = umask_text ? strtol(umask_text, &end, 8) : -1;
  if (umask_text && end == umask_text) child_umask = -1;

  char logs[PATH_MAX];
  snprintf(shim_path, sizeof shim_path, "%s/shim.json", dir);
  snprintf(exit_path, sizeof exit_path, "%s/exit.json", dir);
  snprintf(logs, sizeof logs, "%s/logs", dir);
  snprintf(logw.path, sizeof logw.path, "%s/current.log", logs);
  mkdirs(logs);
  if (log_open(&logw) < 0) {
    perror("berth-shim: logs/current.log");
    return 1;
  }

  /* Signals are read from a signalfd: blocked from the start, so a stop cannot come between two steps. */
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  signal(SIGPIPE, SIG_IGN);

  int out[2], errp[2], report[2];
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0 || sfd < 0) {
    write_spawn_error(command[0], errno);
    return 0;
  }
  char **env = child_env();

  pid_t pid = fork();
  if (pid < 0) {
    write_spawn_error(command[0], errno);
    return 0;
  }
  if (pid == 0) {
    /* The command: its own session and process group, default signals, /dev/null as stdin. */
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();
    if (child_umask >= 0) umask((mode_t)child_umask);
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0 && in != 0) { dup2(in, 0); close(in); }
    if (dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0) goto failed;
    environ = env;
    execvp(command[0], command);
  failed:;
    int e = errno;
    ssize_t w = write(report[1], &e, sizeof e);
    (void)w;
    _exit(127);
  }

  close(out[1]);
  close(errp[1]);
  close(report[1]);
  /* The exec either closes the report pipe (success) or writes its errno into it. */
  int exec_errno = 0;
  ssize_t r;
  do r = read(report[0], &exec_errno, sizeof exec_errno);
  while (r < 0 && errno == EINTR);
  close(report[0]);
  if (r == (ssize_t)sizeof exec_errno) {
    waitpid(pid, NULL, 0);
    close(out[0]);
    close(errp[0]);
    close(logw.fd);
    write_spawn_error(command[0], exec_errno);
    return 0;
  }

  write_shim_json(pid);

  struct stream streams[2] = {{"stdout", out[0], NULL, 0, 0}, {"stderr", errp[0], NULL, 0, 0}};
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  fcntl(errp[0], F_SETFL, O_NONBLOCK);

  int exited = 0, stopping = 0;
  int64_t kill_at = -1, drain_until = -1;
  char exit_code[16] = "null", at[ISO_LEN] = "";
  const char *exit_signal = NULL;

  for (;;) {
    int open_streams = (streams[0].fd >= 0) + (streams[1].fd >= 0);
    if (exited && (open_streams == 0 || now_ms_mono() >= drain_until)) break;

    int64_t now = now_ms_mono();
    if (kill_at >= 0 && now >= kill_at) {
      kill_group(pid, SIGKILL);
      kill_at = -1;
    }
    int64_t wake = -1;
    if (kill_at >= 0) wake = kill_at;
    if (exited && (wake < 0 || drain_until < wake)) wake = drain_until;
    int timeout = wake < 0 ? -1 : (int)(wake > now ? wake - now : 0);

    struct pollfd fds[3] = {{sfd, POLLIN, 0}, {streams[0].fd, POLLIN, 0}, {streams[1].fd, POLLIN, 0}};
    int pr = poll(fds, 3, timeout);
    if (pr < 0 && errno != EINTR) break;
    if (pr <= 0) continue;

    for (int i = 0; i < 2; i++) {
      if (streams[i].fd < 0 || !(fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (!stream_read(&streams[i])) stream_close(&streams[i]);
    }

    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        int s = (int)si.ssi_signo;
        if ((s == SIGTERM || s == SIGINT) && !stopping) {
          stopping = 1;
          kill_group(pid, stop_signal);
          kill_at = now_ms_mono() + (int64_t)(grace_ms > 0 ? grace_ms : 0);
        }
        /* SIGHUP: ignored, the shim has no terminal to lose. */
      }
      int status;
      if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
        exited = 1;
        iso_now(at);
        if (WIFEXITED(status)) snprintf(exit_code, sizeof exit_code, "%d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status)) exit_signal = signal_name(WTERMSIG(status));
        drain_until = now_ms_mono() + DRAIN_TIMEOUT_MS;
      }
    }
  }

  /* Leftovers of the group would keep the port or the pipes: a replica ends as a whole. */
  kill_group(pid, SIGKILL);
  for (int i = 0; i < 2; i++) {
    if (streams[i].fd < 0) continue;
    while (stream_read(&streams[i]) && streams[i].len < MAX_LINE_BYTES) {
      struct pollfd p = {streams[i].fd, POLLIN, 0};
      if (poll(&p, 1, 0) <= 0) break;
    }
    stream_close(&streams[i]);
  }
  if (logw.fd >= 0) close(logw.fd);
  write_exit_json(exit_code, exit_signal, at, 1);
  return 0;
}
