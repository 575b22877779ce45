/*
 * The replica's http and tcp probes, run by the shim itself (Kubernetes semantics, as probes.ts's
 * ProbeWorker): an attempt every period after the initial delay (a readiness probe every
 * startup-poll ms until it is ready), the verdict flips after successThreshold successes or
 * failureThreshold failures. Only changes are written, to probes.json, which the control plane
 * watches: while nothing changes, a probe costs the control plane nothing.
 *
 * The probes come in BERTH_SHIM_PROBES, one per line:
 *   <name> <http|tcp> <port> <timeoutMs> <periodMs> <initialDelayMs> <failureThreshold> <successThreshold> <startupPollMs> [path]
 * Each attempt is a new connection to 127.0.0.1:<port>; http sends a GET with Connection: close and
 * reads up to the end of the response head (2xx/3xx pass), with probes.ts's texts for every failure.
 */
#include "shim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

char probes_path[PATH_MAX];

/* Longest response head an http probe reads (Node's own default limit, as probes.ts). */
#define MAX_HEAD_BYTES (16 * 1024)
#define MAX_PROBES 4

struct probe {
  char name[16];
  int http, port, timeout_ms, period_ms, initial_delay_ms, failure_threshold, success_threshold, startup_poll_ms;
  char path[1024];
  /* the attempt in flight */
  int fd, sent;
  int64_t due, deadline;
  char head[MAX_HEAD_BYTES + 1];
  size_t head_len;
  /* the verdict */
  int successes, failures, verdict; /* verdict: -1 none yet, 0 failing, 1 passing */
  long downs;                       /* how many times the verdict became failing */
  struct buf finding;               /* the last attempt's code and params, as JSON */
};

static struct probe probes[MAX_PROBES];
static int nprobes;

int probes_parse(const char *spec) {
  while (spec && *spec && nprobes < MAX_PROBES) {
    const char *eol = strchr(spec, '\n');
    size_t n = eol ? (size_t)(eol - spec) : strlen(spec);
    char line[1200];
    if (n < sizeof line) {
      memcpy(line, spec, n);
      line[n] = '\0';
      struct probe *p = &probes[nprobes];
      char kind[8] = "";
      int used = 0;
      int got = sscanf(line, "%15s %7s %d %d %d %d %d %d %d %n", p->name, kind, &p->port, &p->timeout_ms,
                       &p->period_ms, &p->initial_delay_ms, &p->failure_threshold, &p->success_threshold,
                       &p->startup_poll_ms, &used);
      if (got == 9 && (strcmp(kind, "http") == 0 || strcmp(kind, "tcp") == 0)) {
        p->http = kind[0] == 'h';
        snprintf(p->path, sizeof p->path, "%s", line + used);
        if (p->failure_threshold < 1) p->failure_threshold = 1;
        if (p->success_threshold < 1) p->success_threshold = 1;
        if (p->period_ms < 1) p->period_ms = 1;
        p->fd = -1;
        p->verdict = -1;
        nprobes++;
      }
    }
    spec = eol ? eol + 1 : NULL;
  }
  return nprobes;
}

static void write_probes(void) {
  struct buf b = {0};
  buf_str(&b, "{");
  for (int i = 0; i < nprobes; i++) {
    struct probe *p = &probes[i];
    buf_fmt(&b, "%s\n  \"%s\": {\"verdict\": %s, \"downs\": %ld", i ? "," : "", p->name,
            p->verdict < 0 ? "null" : p->verdict ? "true" : "false", p->downs);
    if (p->finding.len) {
      buf_str(&b, ", ");
      buf_add(&b, p->finding.data, p->finding.len);
    }
    buf_str(&b, "}");
  }
  buf_str(&b, "\n}\n");
  write_atomic(probes_path, &b);
  free(b.data);
}

/* probes.json before shim.json: a run whose shim.json is there and probes.json not has no shim probes. */
void probes_start(int64_t now) {
  for (int i = 0; i < nprobes; i++) probes[i].due = now + probes[i].initial_delay_ms;
  if (nprobes) write_probes();
}

static void close_attempt(struct probe *p) {
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
  p->head_len = 0;
  p->sent = 0;
}

/* The attempt's outcome: its finding (`"code": ..., "params": {...}` without braces), then the verdict. */
static void settle(struct probe *p, int ok, const struct buf *finding, int64_t now) {
  close_attempt(p);
  int changed = p->finding.len != finding->len || memcmp(p->finding.data, finding->data, finding->len) != 0;
  if (changed) {
    p->finding.len = 0;
    buf_add(&p->finding, finding->data, finding->len);
  }
  if (ok) {
    p->successes++;
    p->failures = 0;
    if (p->verdict != 1 && p->successes >= p->success_threshold) {
      p->verdict = 1;
      changed = 1;
    }
  } else {
    p->failures++;
    p->successes = 0;
    if (p->verdict != 0 && p->failures >= p->failure_threshold) {
      p->verdict = 0;
      p->downs++;
      changed = 1;
    }
  }
  if (changed) write_probes();
  int starting = p->startup_poll_ms > 0 && p->verdict != 1;
  p->due = now + (starting && p->startup_poll_ms < p->period_ms ? p->startup_poll_ms : p->period_ms);
}

static void fail(struct probe *p, const char *code, const char *error, int64_t now) {
  struct buf f = {0};
  buf_fmt(&f, "\"code\": \"%s\", \"params\": {", code);
  if (p->http) {
    buf_str(&f, "\"path\": ");
    buf_json_str(&f, p->path, strlen(p->path), 0);
  } else {
    buf_fmt(&f, "\"address\": \"127.0.0.1:%d\"", p->port);
  }
  if (error) {
    buf_str(&f, ", \"error\": ");
    buf_json_str(&f, error, strlen(error), 0);
  } else {
    buf_fmt(&f, ", \"timeoutMs\": %d", p->timeout_ms);
  }
  buf_str(&f, "}");
  settle(p, 0, &f, now);
  free(f.data);
}

/* A socket error in Node's words: `connect ECONNREFUSED 127.0.0.1:8080`, `read ECONNRESET`. */
static void fail_errno(struct probe *p, const char *syscall, int err, int64_t now) {
  char text[128];
  if (strcmp(syscall, "connect") == 0)
    snprintf(text, sizeof text, "connect %s 127.0.0.1:%d", errno_name(err), p->port);
  else
    snprintf(text, sizeof text, "%s %s", syscall, errno_name(err));
  fail(p, p->http ? "probe.httpError" : "probe.tcpError", text, now);
}

static void begin(struct probe *p, int64_t now) {
  p->deadline = now + p->timeout_ms;
  p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0) {
    fail_errno(p, "connect", errno, now);
    return;
  }
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)p->port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(p->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) fail_errno(p, "connect", errno, now);
}

/* The connection is up: tcp has passed; http sends its request. */
static void connected(struct probe *p, int64_t now) {
  if (!p->http) {
    struct buf f = {0};
    buf_fmt(&f, "\"code\": \"probe.tcpConnected\", \"params\": {\"address\": \"127.0.0.1:%d\"}", p->port);
    settle(p, 1, &f, now);
    free(f.data);
    return;
  }
  int one = 1;
  setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char req[1200];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: berth-probe\r\nConnection: close\r\n\r\n",
                   p->path, p->port);
  if (n < 0 || (size_t)n >= sizeof req || send(p->fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
    fail_errno(p, "write", errno ? errno : EIO, now);
    return;
  }
  p->sent = 1;
}

/* Reads what came; settles once the head is whole (an interim 1xx response is skipped). */
static void readable(struct probe *p, int64_t now) {
  for (;;) {
    if (p->head_len >= MAX_HEAD_BYTES) {
      fail(p, "probe.httpError", "Parse Error: Header overflow", now);
      return;
    }
    ssize_t r = read(p->fd, p->head + p->head_len, MAX_HEAD_BYTES - p->head_len);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      fail_errno(p, "read", errno, now);
      return;
    }
    if (r == 0) {
      fail(p, "probe.httpError", "socket hang up", now);
      return;
    }
    p->head_len += (size_t)r;
    p->head[p->head_len] = '\0';
    for (;;) {
      char *end = strstr(p->head, "\r\n\r\n");
      if (!end) break;
      int status = 0;
      if (strncmp(p->head, "HTTP/", 5) != 0 || !(p->head[5] >= '0' && p->head[5] <= '9') || p->head[6] != '.' ||
          !(p->head[7] >= '0' && p->head[7] <= '9') || p->head[8] != ' ' || sscanf(p->head + 9, "%3d", &status) != 1 ||
          status < 100 || (p->head[12] != ' ' && p->head[12] != '\r')) {
        fail(p, "probe.httpError", "Parse Error: Expected HTTP/", now);
        return;
      }
      if (status < 200) {
        size_t rest = p->head_len - (size_t)(end + 4 - p->head);
        memmove(p->head, end + 4, rest);
        p->head_len = rest;
        p->head[rest] = '\0';
        continue;
      }
      struct buf f = {0};
      buf_fmt(&f, "\"code\": \"probe.httpStatus\", \"params\": {\"status\": %d, \"path\": ", status);
      buf_json_str(&f, p->path, strlen(p->path), 0);
      buf_str(&f, "}");
      settle(p, status >= 200 && status < 400, &f, now);
      free(f.data);
      return;
    }
  }
}

int probes_pollfds(struct pollfd *fds) {
  int n = 0;
  for (int i = 0; i < nprobes; i++) {
    struct probe *p = &probes[i];
    if (p->fd < 0) continue;
    fds[n].fd = p->fd;
    fds[n].events = p->sent ? POLLIN : POLLOUT;
    fds[n].revents = 0;
    n++;
  }
  return n;
}

int64_t probes_next(void) {
  int64_t next = -1;
  for (int i = 0; i < nprobes; i++) {
    int64_t t = probes[i].fd >= 0 ? probes[i].deadline : probes[i].due;
    if (next < 0 || t < next) next = t;
  }
  return next;
}

void probes_step(const struct pollfd *fds, int nfds, int64_t now) {
  for (int k = 0; k < nfds; k++) {
    if (!fds[k].revents) continue;
    for (int i = 0; i < nprobes; i++) {
      struct probe *p = &probes[i];
      if (p->fd != fds[k].fd) continue;
      if (!p->sent) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) fail_errno(p, "connect", err, now);
        else if (fds[k].revents & POLLOUT) connected(p, now);
      } else {
        readable(p, now);
      }
      break;
    }
  }
  for (int i = 0; i < nprobes; i++) {
    struct probe *p = &probes[i];
    if (p->fd >= 0 && now >= p->deadline)
      fail(p, p->http ? "probe.httpTimeout" : "probe.tcpTimeout", NULL, now);
    else if (p->fd < 0 && now >= p->due)
      begin(p, now);
  }
}

/* The command is stopping or gone: no more attempts. */
void probes_stop(void) {
  for (int i = 0; i < nprobes; i++) close_attempt(&probes[i]);
  nprobes = 0;
}
