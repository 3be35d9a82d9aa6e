/*
 * The machine's floor for fan-out over loopback TCP: what this kernel and
 * these cores can carry with no JavaScript, no uWS and no protocol at all.
 * S sender threads each write the same bytes to their share of N sockets,
 * as a server's loop (S = 1, fragcast's one thread) would; R receiver
 * threads read them with epoll into one reused buffer, as the bench's load
 * generator does. Both ends share the machine's cores, as
 * the bench's do. docs/benchmarks.md ("The machine's floor") quotes it.
 *
 *   gcc -O2 -pthread -o /tmp/loopback-floor bench/floor/loopback-floor.c
 *   /tmp/loopback-floor N SIZE RATE SECONDS [KEY_SIZE KEY_EVERY [RECEIVERS [SENDERS]]]
 *
 * RATE > 0: RATE passes a second; each pass sends SIZE bytes to every socket
 *   (every KEY_EVERY-th pass KEY_SIZE bytes, a keyframe). A receiver times
 *   the moment a socket has a whole pass against the moment the pass began:
 *   the fan-out's own delay, the floor under "server-added delay".
 * RATE = 0: passes back to back, as fast as the machine goes: the floor
 *   under delivered throughput.
 * A socket that does not take a whole write keeps the rest owed and is
 *   written first on the next pass, as uWS buffers a partial write.
 * Loopback only (127.0.0.1), bounded in sockets (<= 12,000) and time
 * (<= 120 s), and it stops by itself.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 12000
#define MAX_SECONDS 120
#define WARMUP_S 2
#define MAX_PASSES (1 << 20)
/* Delay histogram: 100 us buckets up to 2 s. */
#define BUCKET_US 100
#define BUCKETS 20000
#define READ_BUFFER (256 * 1024)

static int n_sockets, receivers = 1;
static long pass_size, key_size, key_every;
static double rate;
static int server_fd[MAX_SOCKETS], client_fd[MAX_SOCKETS];
static long owed[MAX_SOCKETS];
static char *payload;

/* Pass k ends at byte pass_end[k] of every socket's stream. */
static long pass_end[MAX_PASSES];
static _Atomic int measuring, stopping;
static int64_t window_from, window_to;

/* Sender s writes to sockets first .. first + count - 1; its pass k began at pass_start_ns[k]. */
struct sender {
  pthread_t thread;
  int first, count;
  int64_t *pass_start_ns;
  _Atomic long passes_begun;
  long passes, behind;
  double cpu_s;
};
static struct sender *senders;
static int n_senders = 1;
static int *sender_of; /* per socket */

struct receiver {
  pthread_t thread;
  int first, count;
  long *received;  /* per socket, cumulative */
  long *next_pass; /* per socket */
  uint64_t histogram[BUCKETS];
  uint64_t samples;
  uint64_t bytes_in_window;
  double cpu_s;
};

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static double thread_cpu_s(void) {
  struct rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void *receive(void *arg) {
  struct receiver *self = arg;
  static __thread char buffer[READ_BUFFER];
  int epoll = epoll_create1(0);
  if (epoll < 0) die("epoll_create1");
  for (int i = self->first; i < self->first + self->count; i++) {
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, client_fd[i], &event) < 0) die("epoll_ctl");
  }
  struct epoll_event events[256];
  double cpu_at_start = 0;
  int was_measuring = 0;
  while (!atomic_load(&stopping)) {
    int ready = epoll_wait(epoll, events, 256, 100);
    int now_measuring = atomic_load(&measuring);
    if (now_measuring && !was_measuring) cpu_at_start = thread_cpu_s();
    if (!now_measuring && was_measuring) self->cpu_s = thread_cpu_s() - cpu_at_start;
    was_measuring = now_measuring;
    for (int e = 0; e < ready; e++) {
      int i = (int)events[e].data.u32;
      ssize_t got;
      while ((got = recv(client_fd[i], buffer, READ_BUFFER, MSG_DONTWAIT)) > 0) {
        int local = i - self->first;
        self->received[local] += got;
        if (now_measuring) self->bytes_in_window += (uint64_t)got;
        if (rate <= 0) continue;
        int64_t at = now_ns();
        struct sender *from = &senders[sender_of[i]];
        long begun = atomic_load_explicit(&from->passes_begun, memory_order_acquire);
        while (self->next_pass[local] < begun && self->received[local] >= pass_end[self->next_pass[local]]) {
          if (now_measuring) {
            int64_t delay_us = (at - from->pass_start_ns[self->next_pass[local]]) / 1000;
            long bucket = delay_us / BUCKET_US;
            self->histogram[bucket < BUCKETS ? bucket : BUCKETS - 1]++;
            self->samples++;
          }
          self->next_pass[local]++;
        }
      }
      if (got == 0) die("a receiving socket closed");
      if (got < 0 && errno != EAGAIN) die("recv");
    }
  }
  if (was_measuring) self->cpu_s = thread_cpu_s() - cpu_at_start;
  return NULL;
}

static void connect_all(void) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = 0 };
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
  if (listen(listener, 4096) < 0) die("listen");
  if (getsockname(listener, (struct sockaddr *)&address, &length) < 0) die("getsockname");
  int one = 1;
  for (int i = 0; i < n_sockets; i++) {
    client_fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (client_fd[i] < 0) die("socket");
    if (connect(client_fd[i], (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) die("connect");
    server_fd[i] = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
    if (server_fd[i] < 0) die("accept4");
    /* As uWS sets it on every socket it accepts. */
    setsockopt(server_fd[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  close(listener);
}

/* Writes what socket i owes, from one shared buffer as a server sends one fragment to all. */
static void flush(int i) {
  while (owed[i] > 0) {
    ssize_t wrote = send(server_fd[i], payload, owed[i] < key_size ? owed[i] : key_size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (wrote < 0) {
      if (errno == EAGAIN) break;
      die("send");
    }
    owed[i] -= wrote;
  }
}

static void *send_passes(void *arg) {
  struct sender *self = arg;
  int64_t period_ns = rate > 0 ? (int64_t)(1e9 / rate) : 0, next_at = now_ns();
  double cpu_at_start = 0;
  int was_measuring = 0;
  for (long pass = 0; pass < MAX_PASSES;) {
    int64_t now = now_ns();
    if (!was_measuring && now >= window_from) {
      cpu_at_start = thread_cpu_s();
      was_measuring = 1;
      /* The receivers measure from the first sender's start. */
      if (self == senders) atomic_store(&measuring, 1);
    }
    if (now >= window_to) break;
    if (period_ns) {
      if (now < next_at) {
        struct timespec pause = { .tv_sec = 0, .tv_nsec = next_at - now };
        nanosleep(&pause, NULL);
        continue;
      }
      if (now - next_at > period_ns) self->behind++;
      next_at += period_ns;
    }
    long size = pass_end[pass] - (pass ? pass_end[pass - 1] : 0);
    self->pass_start_ns[pass] = now_ns();
    atomic_store_explicit(&self->passes_begun, pass + 1, memory_order_release);
    for (int i = self->first; i < self->first + self->count; i++) {
      owed[i] += size;
      flush(i);
    }
    self->passes = ++pass;
  }
  self->cpu_s = thread_cpu_s() - cpu_at_start;
  return NULL;
}

static double max_delay_ms(const uint64_t *histogram) {
  for (int b = BUCKETS - 1; b >= 0; b--)
    if (histogram[b]) return (b + 1) * BUCKET_US / 1000.0;
  return 0;
}

static double percentile(const uint64_t *histogram, uint64_t samples, double p) {
  uint64_t rank = (uint64_t)(p * (double)samples), seen = 0;
  for (int b = 0; b < BUCKETS; b++) {
    seen += histogram[b];
    if (seen > rank) return (b + 1) * BUCKET_US / 1000.0;
  }
  return BUCKETS * BUCKET_US / 1000.0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s N SIZE RATE SECONDS [KEY_SIZE KEY_EVERY [RECEIVERS [SENDERS]]]\n", argv[0]);
    return 2;
  }
  n_sockets = atoi(argv[1]);
  pass_size = atol(argv[2]);
  rate = atof(argv[3]);
  int seconds = atoi(argv[4]);
  key_size = argc > 6 ? atol(argv[5]) : pass_size;
  key_every = argc > 6 ? atol(argv[6]) : 0;
  if (argc > 7) receivers = atoi(argv[7]);
  if (argc > 8) n_senders = atoi(argv[8]);
  if (n_sockets < 1 || n_sockets > MAX_SOCKETS || seconds < 1 || seconds > MAX_SECONDS || pass_size < 1 ||
      key_size < pass_size || receivers < 1 || receivers > 16 || n_senders < 1 || n_senders > 16 || n_senders > n_sockets) {
    fprintf(stderr, "out of bounds: 1 <= N <= %d, 1 <= SECONDS <= %d, KEY_SIZE >= SIZE, 1 <= RECEIVERS, SENDERS <= 16\n", MAX_SOCKETS, MAX_SECONDS);
    return 2;
  }
  payload = malloc((size_t)key_size);
  memset(payload, 0x5a, (size_t)key_size);
  sender_of = calloc((size_t)n_sockets, sizeof(int));
  connect_all();

  struct receiver *threads = calloc((size_t)receivers, sizeof *threads);
  for (int r = 0, first = 0; r < receivers; r++) {
    threads[r].first = first;
    threads[r].count = n_sockets / receivers + (r < n_sockets % receivers);
    threads[r].received = calloc((size_t)threads[r].count, sizeof(long));
    threads[r].next_pass = calloc((size_t)threads[r].count, sizeof(long));
    first += threads[r].count;
    pthread_create(&threads[r].thread, NULL, receive, &threads[r]);
  }

  int64_t start = now_ns();
  window_from = start + (int64_t)WARMUP_S * 1000000000;
  window_to = window_from + (int64_t)seconds * 1000000000;
  for (long k = 0, end = 0; k < MAX_PASSES; k++) {
    end += key_every && k % key_every == 0 ? key_size : pass_size;
    pass_end[k] = end;
  }
  senders = calloc((size_t)n_senders, sizeof *senders);
  for (int t = 0, first = 0; t < n_senders; t++) {
    senders[t].first = first;
    senders[t].count = n_sockets / n_senders + (t < n_sockets % n_senders);
    senders[t].pass_start_ns = calloc(MAX_PASSES, sizeof(int64_t));
    for (int i = first; i < first + senders[t].count; i++) sender_of[i] = t;
    first += senders[t].count;
  }
  for (int t = 0; t < n_senders; t++) pthread_create(&senders[t].thread, NULL, send_passes, &senders[t]);
  for (int t = 0; t < n_senders; t++) pthread_join(senders[t].thread, NULL);
  atomic_store(&measuring, 0);
  usleep(200000);
  atomic_store(&stopping, 1);

  uint64_t bytes = 0, samples = 0;
  double receiver_cpu_s = 0, sender_cpu_s = 0;
  long passes = 0, behind = 0;
  for (int t = 0; t < n_senders; t++) {
    sender_cpu_s += senders[t].cpu_s;
    passes = senders[t].passes; /* the same schedule in every sender */
    if (senders[t].behind > behind) behind = senders[t].behind; /* the latest sender's */
  }
  static uint64_t histogram[BUCKETS];
  for (int r = 0; r < receivers; r++) {
    pthread_join(threads[r].thread, NULL);
    bytes += threads[r].bytes_in_window;
    samples += threads[r].samples;
    receiver_cpu_s += threads[r].cpu_s;
    for (int b = 0; b < BUCKETS; b++) histogram[b] += threads[r].histogram[b];
  }
  long owed_total = 0;
  for (int i = 0; i < n_sockets; i++) owed_total += owed[i];
  printf("sockets %d, pass %ld B (keyframe %ld B every %ld), rate %s, %d s, %d sender and %d receiver thread(s)\n", n_sockets, pass_size,
         key_size, key_every, rate > 0 ? argv[3] : "as fast as it goes", seconds, n_senders, receivers);
  printf("delivered %.2f Gbit/s; sender %.2f cores, receivers %.2f cores\n", bytes * 8.0 / seconds / 1e9, sender_cpu_s / seconds,
         receiver_cpu_s / seconds);
  if (rate > 0) {
    double offered = (double)n_sockets * ((key_every ? (key_size + (key_every - 1) * pass_size) / (double)key_every : pass_size)) * rate * 8;
    printf("offered %.2f Gbit/s; passes begun late %ld of %ld; owed at the end %.1f MB\n", offered / 1e9, behind, passes, owed_total / 1e6);
    printf("fan-out delay (pass begun -> socket has it all) over %llu samples: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
           (unsigned long long)samples, percentile(histogram, samples, 0.5), percentile(histogram, samples, 0.9),
           percentile(histogram, samples, 0.99), max_delay_ms(histogram));
  }
  for (int i = 0; i < n_sockets; i++) {
    close(server_fd[i]);
    close(client_fd[i]);
  }
  return 0;
}
