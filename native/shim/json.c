/* JSON text written the way JSON.stringify writes it, and files replaced atomically. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void buf_add(struct buf *b, const char *s, size_t n) {
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

void buf_str(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void buf_fmt(struct buf *b, const char *fmt, ...) {
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
void buf_json_str(struct buf *b, const char *s, size_t n, size_t max_units) {
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
int write_atomic(const char *path, const struct buf *b) {
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
