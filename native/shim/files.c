/* Names of signals and errnos, start times from /proc, and the files the runtime reads: shim.json and exit.json. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char shim_path[PATH_MAX], exit_path[PATH_MAX];

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

int signal_number(const char *name) {
  for (size_t i = 0; i < NSIGNALS; i++)
    if (strcmp(SIGNALS[i].name, name) == 0) return SIGNALS[i].no;
  return -1;
}

const char *signal_name(int no) {
  for (size_t i = 0; i < NSIGNALS; i++)
    if (SIGNALS[i].no == no) return SIGNALS[i].name;
  return NULL;
}

/* The name libuv gives an errno in Node's errors (`spawn <file> <NAME>`, `connect <NAME> <address>`). */
const char *errno_name(int e) {
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
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EADDRINUSE: return "EADDRINUSE";
    case EPIPE: return "EPIPE";
    default: return "UNKNOWN";
  }
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

/* ------------------------------------------------------------------ files */

void write_shim_json(pid_t pid) {
  struct buf b = {0};
  buf_fmt(&b, "{\n  \"shimPid\": %d,\n  \"shimStartTime\": %llu,\n", (int)getpid(), start_time(getpid()));
  buf_fmt(&b, "  \"pid\": %d,\n  \"startTime\": %llu\n}\n", (int)pid, start_time(pid));
  write_atomic(shim_path, &b);
  free(b.data);
}

void write_exit_json(const char *code, const char *signal, const char *at, int with_tail) {
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
void write_spawn_error(const char *file, int err) {
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
