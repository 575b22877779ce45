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
 * NODE_OPTIONS, BERTH_CHILD_UMASK (octal) its umask; BERTH_SHIM_PROBES (probe.c) lists the http and
 * tcp probes the shim runs itself. None of the three reaches the command.
 *
 * Linux only (signalfd, pipe2, /proc). One thread, one poll loop, no allocation per line beyond
 * the line buffers. This file: the command line, the child's start and the loop that stops it and
 * waits for it; shim.h says what the other files hold.
 */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void kill_group(pid_t pgid, int sig) {
  /* kill(-0) would signal our own group, kill(-1) everything we may signal. */
  if (pgid > 1) kill(-pgid, sig);
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

/* The command's environment: ours without NODE_OPTIONS, BERTH_CHILD_UMASK and BERTH_SHIM_PROBES, BERTH_CHILD_NODE_OPTIONS renamed. */
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
    else if (strncmp(e, "NODE_OPTIONS=", 13) == 0 || strncmp(e, "BERTH_CHILD_UMASK=", 18) == 0 ||
             strncmp(e, "BERTH_SHIM_PROBES=", 18) == 0)
      continue;
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
  snprintf(probes_path, sizeof probes_path, "%s/probes.json", dir);
  probes_parse(getenv("BERTH_SHIM_PROBES"));
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

  probes_start(now_ms_mono());
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
    int64_t wake = probes_next();
    if (kill_at >= 0 && (wake < 0 || kill_at < wake)) wake = kill_at;
    if (exited && (wake < 0 || drain_until < wake)) wake = drain_until;
    int timeout = wake < 0 ? -1 : (int)(wake > now ? wake - now : 0);

    struct pollfd fds[8] = {{sfd, POLLIN, 0}, {streams[0].fd, POLLIN, 0}, {streams[1].fd, POLLIN, 0}};
    int nprobe_fds = probes_pollfds(fds + 3);
    int pr = poll(fds, (nfds_t)(3 + nprobe_fds), timeout);
    if (pr < 0 && errno != EINTR) break;
    probes_step(fds + 3, pr > 0 ? nprobe_fds : 0, now_ms_mono());
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
          probes_stop();
          kill_group(pid, stop_signal);
          kill_at = now_ms_mono() + (int64_t)(grace_ms > 0 ? grace_ms : 0);
        }
        /* SIGHUP: ignored, the shim has no terminal to lose. */
      }
      int status;
      if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
        exited = 1;
        probes_stop();
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
