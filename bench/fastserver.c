/*
 * A tiny HTTP/1.1 keep-alive server for the benchmarks: answers every request with the same small
 * JSON (an action=query&meta=siteinfo answer) at once, so that what is measured is the client.
 *
 *   fastserver ADDR PORTFILE [CERT KEY]
 *
 * Listens on ADDR (a loopback address) on a free port, writes the port to PORTFILE, serves until
 * SIGTERM/SIGINT. With CERT and KEY (PEM) it speaks TLS. One thread per connection (blocking I/O),
 * small stacks. Two paths are its own and are not counted:
 *   /__stats  {"accepted": A, "requests": R, "open": O, "max_in_flight": M} since the last reset,
 *             not counting itself; M: the most requests it was answering at once (from the
 *             whole request read to the answer's first write, so never more than the client had
 *             in flight)
 *   /__reset  zeroes the counters
 * Both answer with Connection: close. A request whose first line holds "bench_delay_us=N" (a
 * query parameter) is answered after N microseconds, so that requests in flight overlap.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef WITH_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

static const char BODY[] =
    "{\"batchcomplete\":true,\"query\":{\"general\":{\"mainpage\":\"Main Page\","
    "\"base\":\"http://127.0.0.1/index.php/Main_Page\",\"sitename\":\"BenchWiki\","
    "\"generator\":\"MediaWiki 1.39.10\",\"phpversion\":\"8.2.29\",\"phpsapi\":\"cli-server\","
    "\"dbtype\":\"sqlite\",\"lang\":\"en\",\"case\":\"first-letter\",\"rights\":\"\","
    "\"timezone\":\"UTC\",\"timeoffset\":0,\"maxarticlesize\":2097152,\"wikiid\":\"benchwiki\"}}}";

static atomic_long accepted, requests, open_conns, in_flight, max_in_flight;
#ifdef WITH_TLS
static SSL_CTX *ctx;
#endif

struct conn {
  int fd;
#ifdef WITH_TLS
  SSL *ssl;
#endif
};

static ssize_t conn_read(struct conn *c, char *buf, size_t n) {
#ifdef WITH_TLS
  if (c->ssl) {
    int r = SSL_read(c->ssl, buf, (int)n);
    return r > 0 ? r : -1;
  }
#endif
  for (;;) {
    ssize_t r = read(c->fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

static int conn_write(struct conn *c, const char *buf, size_t n) {
  while (n > 0) {
    ssize_t w;
#ifdef WITH_TLS
    if (c->ssl) {
      int r = SSL_write(c->ssl, buf, (int)n);
      w = r > 0 ? r : -1;
    } else
#endif
      w = write(c->fd, buf, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    buf += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Case-insensitive search for a header name at the start of a line; returns its value or NULL. */
static const char *header(const char *head, const char *name) {
  size_t len = strlen(name);
  for (const char *p = strstr(head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
    if (strncasecmp(p + 2, name, len) == 0 && p[2 + len] == ':') {
      const char *v = p + 3 + len;
      while (*v == ' ') v++;
      return v;
    }
  }
  return NULL;
}

static void *serve(void *arg) {
  struct conn c = *(struct conn *)arg;
  free(arg);
  atomic_fetch_add(&open_conns, 1);
#ifdef WITH_TLS
  if (ctx) {
    c.ssl = SSL_new(ctx);
    SSL_set_fd(c.ssl, c.fd);
    if (SSL_accept(c.ssl) <= 0) goto done;
  }
#endif
  char buf[65536];
  size_t have = 0;
  for (;;) {
    char *end;
    /* Read until a full head is buffered. */
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
      if (have == sizeof buf - 1) goto done;
      ssize_t r = conn_read(&c, buf + have, sizeof buf - 1 - have);
      if (r <= 0) goto done;
      have += (size_t)r;
    }
    size_t head_len = (size_t)(end - buf) + 4;
    char saved = buf[head_len - 2];
    buf[head_len - 2] = '\0'; /* head as a string, ending with one CRLF */
    const char *cl = header(buf, "Content-Length");
    size_t body_len = cl ? strtoul(cl, NULL, 10) : 0;
    const char *connection = header(buf, "Connection");
    int close_after = (connection && strncasecmp(connection, "close", 5) == 0) ||
                      strstr(buf, " HTTP/1.0\r\n") != NULL;
    int is_stats = strncmp(buf, "GET /__stats", 12) == 0;
    int is_reset = strncmp(buf, "GET /__reset", 12) == 0;
    long delay_us = 0;
    const char *line_end = strstr(buf, "\r\n"), *d = memmem(buf, (size_t)(line_end - buf), "bench_delay_us=", 15);
    if (d) delay_us = atol(d + 15);
    buf[head_len - 2] = saved;
    /* Drop the body; what follows it is the next request. */
    size_t need = head_len + body_len;
    if (have >= need) {
      memmove(buf, buf + need, have - need);
      have -= need;
    } else {
      size_t left = need - have;
      have = 0;
      while (left > 0) {
        ssize_t r = conn_read(&c, buf, left < sizeof buf ? left : sizeof buf);
        if (r <= 0) goto done;
        left -= (size_t)r;
      }
    }

    char out[2048];
    int n;
    if (is_stats || is_reset) {
      if (is_reset) {
        atomic_store(&accepted, 1); /* this connection: reported as 0 below */
        atomic_store(&requests, 0);
        atomic_store(&max_in_flight, 0);
      }
      char body[256];
      int bn = snprintf(body, sizeof body,
                        "{\"accepted\":%ld,\"requests\":%ld,\"open\":%ld,\"max_in_flight\":%ld}\n",
                        atomic_load(&accepted) - 1, atomic_load(&requests),
                        atomic_load(&open_conns) - 1, atomic_load(&max_in_flight));
      n = snprintf(out, sizeof out,
                   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                   "Connection: close\r\n\r\n%s",
                   bn, body);
      conn_write(&c, out, (size_t)n);
      if (is_reset) atomic_fetch_sub(&accepted, 1);
      goto done;
    }
    atomic_fetch_add(&requests, 1);
    long now_in = atomic_fetch_add(&in_flight, 1) + 1, seen = atomic_load(&max_in_flight);
    while (now_in > seen && !atomic_compare_exchange_weak(&max_in_flight, &seen, now_in)) {
    }
    if (delay_us > 0) usleep((useconds_t)delay_us);
    /* Out of flight before the answer goes: the client may send its next request as soon as it
     * has read this one, and that must not find this one still counted. */
    atomic_fetch_sub(&in_flight, 1);
    n = snprintf(out, sizeof out,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
                 "Content-Length: %zu\r\n%s\r\n%s",
                 sizeof BODY - 1, close_after ? "Connection: close\r\n" : "", BODY);
    if (conn_write(&c, out, (size_t)n) < 0 || close_after) goto done;
  }
done:
#ifdef WITH_TLS
  if (c.ssl) {
    SSL_shutdown(c.ssl);
    SSL_free(c.ssl);
  }
#endif
  close(c.fd);
  atomic_fetch_sub(&open_conns, 1);
  return NULL;
}

static void on_signal(int sig) {
  (void)sig;
  _exit(0);
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 5) {
    fprintf(stderr, "usage: %s ADDR PORTFILE [CERT KEY]\n", argv[0]);
    return 2;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  signal(SIGPIPE, SIG_IGN);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  if (argc == 5) {
#ifdef WITH_TLS
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[3]) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1) {
      ERR_print_errors_fp(stderr);
      return 1;
    }
#else
    fprintf(stderr, "built without TLS\n");
    return 2;
#endif
  }
  struct sockaddr_in sa = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "ADDR must be a loopback IPv4 address\n");
    return 2;
  }
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  socklen_t len = sizeof sa;
  if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 4096) < 0 ||
      getsockname(ls, (struct sockaddr *)&sa, &len) < 0) {
    perror("bind/listen");
    return 1;
  }
  FILE *pf = fopen(argv[2], "w");
  if (!pf) {
    perror(argv[2]);
    return 1;
  }
  fprintf(pf, "%d\n", ntohs(sa.sin_port));
  fclose(pf);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  for (;;) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        usleep(1000);
        continue;
      }
      perror("accept");
      return 1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    atomic_fetch_add(&accepted, 1);
    struct conn *c = calloc(1, sizeof *c);
    c->fd = fd;
    pthread_t t;
    if (pthread_create(&t, &attr, serve, c) != 0) {
      close(fd);
      free(c);
    }
  }
}
