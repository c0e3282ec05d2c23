/* The asynchronous calls through the C ABI against the real test wiki (tests/wiki/with-wiki.sh
 * sets the environment): arguments checked at once, `done` called exactly once on one of the
 * library's threads, a bounded pool, mw_session_free waiting for pending calls, and a log
 * callback that blocks on the caller's thread (as one into an event loop does) without
 * deadlocking the library. Also run under valgrind and ASan by `make test`. */
#define _GNU_SOURCE
#include "mwauth.h"
#include "check.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* One call's outcome, filled in by `done`. */
typedef struct {
  int calls;           /* how many times done ran: must end at 1 */
  mw_result result;
  char *out;
  pthread_t thread;
} outcome;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int finished;

static void on_done(void *userdata, mw_result result, char *out_json) {
  outcome *o = userdata;
  pthread_mutex_lock(&lock);
  o->calls++;
  o->result = result;
  if (o->out != NULL) mw_string_free(o->out); /* a second call, counted above */
  o->out = out_json;
  o->thread = pthread_self();
  finished++;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
}

/* Waits until `count` calls have finished since the counter was last reset. */
static int wait_finished(int count) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  int ok = 1;
  pthread_mutex_lock(&lock);
  while (finished < count && ok)
    ok = pthread_cond_timedwait(&changed, &lock, &deadline) == 0;
  pthread_mutex_unlock(&lock);
  return ok;
}

static void reset(outcome *o, int n) {
  for (int i = 0; i < n; i++) {
    mw_string_free(o[i].out);
    memset(&o[i], 0, sizeof o[i]);
  }
  pthread_mutex_lock(&lock);
  finished = 0;
  pthread_mutex_unlock(&lock);
}

static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  if (d == NULL) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* --- a log callback that waits for the main thread, as a callback into an event loop does --- */
static int logger_entered, logger_release;

static void blocking_logger(void *userdata, int level, const char *message) {
  (void)userdata;
  (void)level;
  (void)message;
  pthread_mutex_lock(&lock);
  if (!logger_release) {
    logger_entered = 1;
    pthread_cond_broadcast(&changed);
    while (!logger_release) pthread_cond_wait(&changed, &lock);
  }
  pthread_mutex_unlock(&lock);
}

static mw_session *freed_inside_done;
static int freed_inside_done_returned;

static void free_in_done(void *userdata, mw_result result, char *out_json) {
  (void)userdata;
  (void)result;
  mw_string_free(out_json);
  mw_session_free(freed_inside_done);
  pthread_mutex_lock(&lock);
  freed_inside_done_returned = 1;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
}

static const char *USERINFO = "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}";

int main(void) {
  const char *api = env("MWAUTH_TEST_API_URL");
  const char *user = env("MWAUTH_TEST_BOT_USER");
  const char *password = env("MWAUTH_TEST_BOT_PASSWORD");
  enum { IN_FLIGHT = 64 };
  static outcome o[IN_FLIGHT];

  char config[512];
  snprintf(config, sizeof config, "{\"api_url\": \"%s\", \"user_agent\": \"mwauth-c-test/1.0\"}", api);
  char *err = NULL;
  mw_session *s = mw_session_new(config, &err);
  CHECK(s != NULL, "session: %s", err);
  if (s == NULL) return finish("async");

  /* Bad arguments: refused at once, done never called, the reason from mw_async_error. */
  CHECK(mw_request_async(NULL, USERINFO, on_done, &o[0]) == MW_ERR_ARGUMENT, "NULL session");
  CHECK(has(last_async_error(), "\"code\":\"null_argument\""), "NULL session's error");
  CHECK(mw_request_async(s, USERINFO, NULL, NULL) == MW_ERR_ARGUMENT, "NULL done");
  CHECK(mw_request_async(s, "{\"params\": ", on_done, &o[0]) == MW_ERR_ARGUMENT, "bad JSON");
  CHECK(has(last_async_error(), "\"code\":\"invalid_json\""), "bad JSON's error");
  CHECK(mw_request_async(s, "{\"params\": {\"action\": {\"x\": 1}}}", on_done, &o[0]) == MW_ERR_ARGUMENT, "bad type");
  CHECK(mw_login_async(s, "{\"username\": \"x\"}", on_done, &o[0]) == MW_ERR_ARGUMENT, "no password");
  CHECK(mw_request_async(s, "\xff", on_done, &o[0]) == MW_ERR_ARGUMENT, "invalid UTF-8");
  CHECK(has(last_async_error(), "\"result\":1"), "error carries its result");
  usleep(100 * 1000);
  CHECK(o[0].calls == 0, "done is never called for a refused call");

  /* Log in, then many requests in flight at once. */
  char credentials[256];
  snprintf(credentials, sizeof credentials, "{\"username\": \"%s\", \"password\": \"%s\"}", user, password);
  CHECK(mw_login_async(s, credentials, on_done, &o[0]) == MW_OK, "login queued: %s", last_async_error());
  CHECK(mw_async_error() == NULL, "no error after a call that was queued");
  CHECK(wait_finished(1), "login finished");
  CHECK(o[0].result == MW_OK && has(o[0].out, "\"status\":\"PASS\""), "login: %s", o[0].out);
  CHECK(!pthread_equal(o[0].thread, pthread_self()), "done ran on the library's thread");
  CHECK(o[0].out == NULL || strstr(o[0].out, password) == NULL, "no password in the output");
  reset(o, IN_FLIGHT);

  int threads_before = thread_count();
  for (int i = 0; i < IN_FLIGHT; i++)
    CHECK(mw_request_async(s, USERINFO, on_done, &o[i]) == MW_OK, "request %d: %s", i, last_async_error());
  int threads_during = thread_count();
  CHECK(wait_finished(IN_FLIGHT), "all %d requests finished", IN_FLIGHT);
  int right = 0, once = 0;
  for (int i = 0; i < IN_FLIGHT; i++) {
    right += o[i].result == MW_OK && has(o[i].out, "\"name\":\"MwBot\"");
    once += o[i].calls == 1;
  }
  CHECK(right == IN_FLIGHT, "%d of %d answers right", right, IN_FLIGHT);
  CHECK(once == IN_FLIGHT, "%d of %d done called once", once, IN_FLIGHT);
  /* The pool is 8 threads by default, whatever the calls in flight. */
  CHECK(thread_count() - threads_before <= 8 && threads_during - threads_before <= 8,
        "threads: %d before, %d during, %d after", threads_before, threads_during, thread_count());
  reset(o, IN_FLIGHT);

  /* A log callback that waits for this thread: while it blocks a pool thread, this thread's own
   * synchronous calls, an exclusive login among them, and replacing the logger, all go on. */
  CHECK(mw_session_set_logger(s, blocking_logger, NULL) == MW_OK, "set logger");
  CHECK(mw_request_async(s, USERINFO, on_done, &o[0]) == MW_OK, "request with a blocking logger");
  pthread_mutex_lock(&lock);
  while (!logger_entered) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
  alarm(60); /* a deadlock fails the test instead of hanging it */
  char *out = NULL;
  CHECK(mw_session_set_logger(s, NULL, NULL) == MW_OK, "logger replaced while one runs");
  CHECK(mw_request(s, USERINFO, &out) == MW_OK && has(out, "\"name\":\"MwBot\""), "sync request: %s", out);
  mw_string_free(out);
  out = NULL;
  CHECK(mw_login(s, credentials, &out) == MW_OK, "exclusive login: %s", out);
  mw_string_free(out);
  alarm(0);
  pthread_mutex_lock(&lock);
  logger_release = 1;
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  CHECK(wait_finished(1), "the blocked call finished");
  CHECK(o[0].result == MW_OK, "its answer: %s", o[0].out);
  reset(o, IN_FLIGHT);

  /* mw_session_free with calls pending: each done exactly once, before it returns; calls that
   * had not started report "closed". */
  for (int i = 0; i < IN_FLIGHT; i++)
    CHECK(mw_request_async(s, USERINFO, on_done, &o[i]) == MW_OK, "request %d before free", i);
  mw_session_free(s);
  pthread_mutex_lock(&lock);
  int done_by_free = finished;
  pthread_mutex_unlock(&lock);
  CHECK(done_by_free == IN_FLIGHT, "%d of %d done before mw_session_free returned", done_by_free, IN_FLIGHT);
  int ok = 0, closed = 0;
  once = 0;
  for (int i = 0; i < IN_FLIGHT; i++) {
    ok += o[i].result == MW_OK;
    closed += o[i].result == MW_ERR_STATE && has(o[i].out, "\"code\":\"closed\"");
    once += o[i].calls == 1;
  }
  CHECK(ok + closed == IN_FLIGHT && closed > 0, "%d answered, %d closed", ok, closed);
  CHECK(once == IN_FLIGHT, "%d of %d done called once", once, IN_FLIGHT);
  printf("async: free with %d pending: %d answered, %d closed\n", IN_FLIGHT, ok, closed);
  reset(o, IN_FLIGHT);

  /* Freeing a session from inside its own done returns (the library frees it afterwards). */
  freed_inside_done = mw_session_new(config, NULL);
  CHECK(mw_request_async(freed_inside_done, USERINFO, free_in_done, NULL) == MW_OK, "queued");
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&lock);
  while (!freed_inside_done_returned &&
         pthread_cond_timedwait(&changed, &lock, &deadline) == 0) {
  }
  CHECK(freed_inside_done_returned, "mw_session_free inside done returned");
  pthread_mutex_unlock(&lock);

  return finish("async");
}
