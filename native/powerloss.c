/*
 * deliverylab's power-loss and disk-fault layer: an LD_PRELOAD interposer on the calls SQLite makes
 * to write its files (open, pwrite, write, ftruncate, fsync, fdatasync, close).
 *
 * Writes go through to the file as usual (so every process sees them, as through a real page cache),
 * but before each write to a tracked file the bytes it overwrites and the file's size are appended to
 * an undo journal beside it (`<file>.undo`). An fsync or fdatasync of the file makes everything
 * written so far durable: the journal is emptied. A power loss is then: SIGKILL every process of
 * the node, and roll each tracked file back through its journal (lab/cluster/power-loss.ts), which
 * leaves exactly what was last synced. The journal itself needs no sync: SIGKILL keeps the
 * operating system's page cache, and the lab rolls back before anything else touches the files.
 *
 * Disk faults: while the file named by DL_DISK_FAULT_FILE exists and holds EIO or ENOSPC, every write,
 * truncate and sync of a tracked file fails with that error.
 *
 * Environment:
 *   DL_POWERLOSS_PREFIX  track files whose path starts with this (absolute); the -shm file, which
 *                        SQLite rebuilds on recovery, and the journals themselves are never tracked.
 *   DL_DISK_FAULT_FILE   the fault switch described above (optional).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_FD 65536
#define UNDO_MAGIC 0x444c5055u /* "UPLD" */

/* One undo record: the file was `old_size` bytes long and held `old_len` bytes at `offset` (then `old_len` bytes follow). */
struct undo_record {
  uint32_t magic;
  uint32_t old_len;
  uint64_t offset;
  uint64_t old_size;
};

struct tracked {
  int undo_fd; /* the file's undo journal, opened O_APPEND */
};

static struct tracked *table[MAX_FD];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *prefix;
static size_t prefix_len;
static const char *fault_file;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off64_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);

__attribute__((constructor)) static void init(void) {
  real_open = dlsym(RTLD_NEXT, "open");
  real_open64 = dlsym(RTLD_NEXT, "open64");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_openat64 = dlsym(RTLD_NEXT, "openat64");
  real_close = dlsym(RTLD_NEXT, "close");
  real_write = dlsym(RTLD_NEXT, "write");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
  real_pwritev = dlsym(RTLD_NEXT, "pwritev");
  real_ftruncate = dlsym(RTLD_NEXT, "ftruncate");
  real_ftruncate64 = dlsym(RTLD_NEXT, "ftruncate64");
  real_fsync = dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
  prefix = getenv("DL_POWERLOSS_PREFIX");
  prefix_len = prefix ? strlen(prefix) : 0;
  fault_file = getenv("DL_DISK_FAULT_FILE");
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* After an open of `path` returned `fd`: track it when it is one of the node's durable files. */
static void maybe_track(int dirfd, const char *path, int fd) {
  if (fd < 0 || fd >= MAX_FD || prefix_len == 0 || path == NULL) return;
  char full[PATH_MAX * 2];
  if (path[0] == '/') {
    snprintf(full, sizeof full, "%s", path);
  } else {
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
      if (getcwd(base, sizeof base) == NULL) return;
    } else {
      char link[64];
      snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
      ssize_t n = readlink(link, base, sizeof base - 1);
      if (n < 0) return;
      base[n] = '\0';
    }
    snprintf(full, sizeof full, "%s/%s", base, path);
  }
  if (strncmp(full, prefix, prefix_len) != 0 || ends_with(full, "-shm") || ends_with(full, ".undo")) return;
  char undo[PATH_MAX * 2 + 8];
  snprintf(undo, sizeof undo, "%s.undo", full);
  int ufd = real_open(undo, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (ufd < 0) return;
  struct tracked *t = malloc(sizeof *t);
  if (t == NULL) { real_close(ufd); return; }
  t->undo_fd = ufd;
  pthread_mutex_lock(&table_lock);
  struct tracked *old = table[fd];
  table[fd] = t;
  pthread_mutex_unlock(&table_lock);
  if (old) { real_close(old->undo_fd); free(old); }
}

static struct tracked *tracked_fd(int fd) {
  if (fd < 0 || fd >= MAX_FD) return NULL;
  return __atomic_load_n(&table[fd], __ATOMIC_ACQUIRE);
}

/* The error the disk fault switch asks for, or 0. */
static int disk_fault(void) {
  if (fault_file == NULL) return 0;
  int fd = real_open(fault_file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[16] = {0};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  real_close(fd);
  if (n <= 0) return 0;
  if (strncmp(buf, "ENOSPC", 6) == 0) return ENOSPC;
  if (strncmp(buf, "EIO", 3) == 0) return EIO;
  return 0;
}

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = real_write(fd, p, len);
    if (n < 0) { if (errno == EINTR) continue; return -1; }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Appends to the undo journal what [offset, offset+len) of the file holds now, and its size. */
static int save_undo(int fd, struct tracked *t, uint64_t offset, uint64_t len) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -1;
  uint64_t size = (uint64_t)st.st_size;
  uint64_t old_len = offset >= size ? 0 : (offset + len > size ? size - offset : len);
  size_t total = sizeof(struct undo_record) + old_len;
  char *rec = malloc(total);
  if (rec == NULL) return -1;
  struct undo_record h = { UNDO_MAGIC, (uint32_t)old_len, offset, size };
  memcpy(rec, &h, sizeof h);
  uint64_t got = 0;
  while (got < old_len) {
    ssize_t n = pread(fd, rec + sizeof h + got, old_len - got, (off_t)(offset + got));
    if (n <= 0) { if (n < 0 && errno == EINTR) continue; free(rec); return -1; }
    got += (uint64_t)n;
  }
  int r = write_all(t->undo_fd, rec, total);
  free(rec);
  return r;
}

/* Runs a write to a tracked file with its undo record first, both under the journal's lock. */
#define GUARDED_WRITE(fd, offset, len, call)                                  \
  do {                                                                       \
    struct tracked *t_ = tracked_fd(fd);                                     \
    if (t_ == NULL) return call;                                             \
    int e_ = disk_fault();                                                   \
    if (e_) { errno = e_; return -1; }                                       \
    flock(t_->undo_fd, LOCK_EX);                                             \
    if (save_undo(fd, t_, (uint64_t)(offset), (uint64_t)(len)) != 0) {      \
      flock(t_->undo_fd, LOCK_UN);                                           \
      errno = EIO;                                                           \
      return -1;                                                             \
    }                                                                        \
    ssize_t r_ = call;                                                       \
    int saved_ = errno;                                                      \
    flock(t_->undo_fd, LOCK_UN);                                             \
    errno = saved_;                                                          \
    return r_;                                                               \
  } while (0)

ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset) { GUARDED_WRITE(fd, offset, len, real_pwrite(fd, buf, len, offset)); }
ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t offset) { GUARDED_WRITE(fd, offset, len, real_pwrite64(fd, buf, len, offset)); }

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
  size_t len = 0;
  for (int i = 0; i < iovcnt; i++) len += iov[i].iov_len;
  GUARDED_WRITE(fd, offset, len, real_pwritev(fd, iov, iovcnt, offset));
}

ssize_t write(int fd, const void *buf, size_t len) {
  if (tracked_fd(fd) == NULL) return real_write(fd, buf, len);
  int flags = fcntl(fd, F_GETFL);
  off_t at;
  if (flags >= 0 && (flags & O_APPEND)) {
    struct stat st;
    at = fstat(fd, &st) == 0 ? st.st_size : 0;
  } else {
    at = lseek(fd, 0, SEEK_CUR);
  }
  GUARDED_WRITE(fd, at, len, real_write(fd, buf, len));
}

static int guarded_truncate(int fd, off64_t length, int (*call)(int, off64_t)) {
  struct tracked *t = tracked_fd(fd);
  if (t == NULL) return call(fd, length);
  int e = disk_fault();
  if (e) { errno = e; return -1; }
  flock(t->undo_fd, LOCK_EX);
  struct stat st;
  int ok = fstat(fd, &st) == 0;
  /* Shrinking: the bytes cut off are saved; growing: the old size alone says what to cut back to. */
  if (ok && (uint64_t)length < (uint64_t)st.st_size) ok = save_undo(fd, t, (uint64_t)length, (uint64_t)st.st_size - (uint64_t)length) == 0;
  else if (ok) ok = save_undo(fd, t, (uint64_t)st.st_size, 0) == 0;
  if (!ok) { flock(t->undo_fd, LOCK_UN); errno = EIO; return -1; }
  int r = call(fd, length);
  int saved = errno;
  flock(t->undo_fd, LOCK_UN);
  errno = saved;
  return r;
}

static int call_ftruncate(int fd, off64_t length) { return real_ftruncate(fd, (off_t)length); }
static int call_ftruncate64(int fd, off64_t length) { return real_ftruncate64(fd, length); }
int ftruncate(int fd, off_t length) { return guarded_truncate(fd, length, call_ftruncate); }
int ftruncate64(int fd, off64_t length) { return guarded_truncate(fd, length, call_ftruncate64); }

/* A sync makes everything written to the file so far durable (whichever process wrote it): the journal is emptied. */
static int guarded_sync(int fd, int (*call)(int)) {
  struct tracked *t = tracked_fd(fd);
  if (t == NULL) return call(fd);
  int e = disk_fault();
  if (e) { errno = e; return -1; }
  flock(t->undo_fd, LOCK_EX);
  int r = call(fd);
  int saved = errno;
  if (r == 0) real_ftruncate(t->undo_fd, 0);
  flock(t->undo_fd, LOCK_UN);
  errno = saved;
  return r;
}

int fsync(int fd) { return guarded_sync(fd, real_fsync); }
int fdatasync(int fd) { return guarded_sync(fd, real_fdatasync); }

int close(int fd) {
  if (fd >= 0 && fd < MAX_FD && tracked_fd(fd) != NULL) {
    pthread_mutex_lock(&table_lock);
    struct tracked *t = table[fd];
    table[fd] = NULL;
    pthread_mutex_unlock(&table_lock);
    if (t) { real_close(t->undo_fd); free(t); }
  }
  return real_close(fd);
}

static mode_t mode_of(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* The open calls, each passing the mode through when the flags call for one, then tracking the new fd. */
#define OPEN_WRAPPER(name, real)                             \
  int name(const char *path, int flags, ...) {               \
    va_list ap;                                              \
    va_start(ap, flags);                                     \
    mode_t mode = mode_of(flags, ap);                        \
    va_end(ap);                                              \
    int fd = real(path, flags, mode);                        \
    maybe_track(AT_FDCWD, path, fd);                         \
    return fd;                                               \
  }
#define OPENAT_WRAPPER(name, real)                           \
  int name(int dirfd, const char *path, int flags, ...) {    \
    va_list ap;                                              \
    va_start(ap, flags);                                     \
    mode_t mode = mode_of(flags, ap);                        \
    va_end(ap);                                              \
    int fd = real(dirfd, path, flags, mode);                 \
    maybe_track(dirfd, path, fd);                            \
    return fd;                                               \
  }

OPEN_WRAPPER(open, real_open)
OPEN_WRAPPER(open64, real_open64)
OPENAT_WRAPPER(openat, real_openat)
OPENAT_WRAPPER(openat64, real_openat64)
