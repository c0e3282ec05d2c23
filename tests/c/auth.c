/* Every AuthManager purpose through the C ABI (mw_auth_fields, mw_auth_begin, mw_auth_continue)
 * against the real test wiki (tests/wiki/with-wiki.sh sets the environment):
 *
 *   - bad input and calls that do not fit the session's state, refused before any request
 *     (the wiki's server log does not grow);
 *   - create with the form's captcha: PASS with the new name, the session still anonymous; a
 *     taken name FAILs with the form again, whose new captcha the next create echoes;
 *   - the RESTART path: a third-party login with an identity that has no account, RESTART,
 *     then create with "preservestate" (a name and the captcha, no password), after which the
 *     identity logs in as the new account;
 *   - link (REDIRECT, continue, PASS), unlink with the id mw_auth_fields lists, remove;
 *   - a password change: the old password FAILs, the new one PASSes;
 *   - mw_auth_fields_async, mw_auth_begin_async and mw_auth_continue_async.
 *
 * The test runs three times in one wiki (plain, valgrind, ASan), so every account and identity
 * it makes is named with a tag of its own (the process id and the time). JSON is read with
 * strstr (the library's output is compact serde_json). Also run under valgrind and ASan by
 * `make test`. */
#define _POSIX_C_SOURCE 200809L
#include "mwauth.h"
#include "check.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* --- one call's output, kept until the next call ------------------------------------------- */

typedef mw_result (*json_call)(mw_session *, const char *, char **);
static char *out;

static mw_result run(json_call fn, mw_session *s, const char *json) {
  mw_string_free(out);
  out = NULL;
  return fn(s, json, &out);
}

static mw_result info(mw_session *s) {
  mw_string_free(out);
  out = NULL;
  return mw_session_info(s, &out);
}

/* The raw (still JSON-escaped) text of the first string member `"key":"..."` at or after
 * `from`; 1 if found and it fit. Escaped text can go back into a JSON string as it is. */
static int string_member(const char *from, const char *key, char *buf, size_t size) {
  char needle[64];
  snprintf(needle, sizeof needle, "\"%s\":\"", key);
  const char *p = from ? strstr(from, needle) : NULL;
  if (p == NULL) return 0;
  p += strlen(needle);
  size_t n = 0;
  for (; *p != '\0' && *p != '"'; p++) {
    if (*p == '\\' && p[1] != '\0') {
      if (n + 2 >= size) return 0;
      buf[n++] = *p++;
    }
    if (n + 1 >= size) return 0;
    buf[n++] = *p;
  }
  buf[n] = '\0';
  return *p == '"';
}

/* The value of query parameter `name` in the first "redirecttarget" of `json`. */
static int redirect_param(const char *json, const char *name, char *buf, size_t size) {
  char target[1024], needle[64];
  if (!string_member(json, "redirecttarget", target, sizeof target)) return 0;
  snprintf(needle, sizeof needle, "%s=", name);
  for (const char *p = strstr(target, needle); p != NULL; p = strstr(p + 1, needle)) {
    if (p[-1] != '?' && p[-1] != '&') continue;
    p += strlen(needle);
    size_t n = strcspn(p, "&#");
    if (n == 0 || n >= size) return 0;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 1;
  }
  return 0;
}

/* The "id" of the request in `json`'s "requests" whose id ends with `suffix` (escaped). */
static int request_id(const char *json, const char *suffix, char *buf, size_t size) {
  const char *p = json ? strstr(json, "\"requests\":[") : NULL;
  while (p != NULL && (p = strstr(p, "\"id\":\"")) != NULL) {
    size_t m = strlen(suffix), n;
    if (string_member(p, "id", buf, size) && (n = strlen(buf)) >= m && strcmp(buf + n - m, suffix) == 0) return 1;
    p++;
  }
  return 0;
}

/* --- the wiki's server log: one line per request ------------------------------------------ */

static long logged_requests_now(const char *path) {
  FILE *f = fopen(path, "r");
  if (f == NULL) return -1;
  char line[4096];
  long n = 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (strstr(line, "]: POST ") != NULL || strstr(line, "]: GET ") != NULL) n++;
  fclose(f);
  return n;
}

/* The count once the log has stopped growing (a request's line comes after its answer). */
static long logged_requests(const char *path) {
  long last = logged_requests_now(path);
  for (;;) {
    nanosleep(&(struct timespec){.tv_nsec = 300 * 1000 * 1000}, NULL);
    long now = logged_requests_now(path);
    if (now == last) return now;
    last = now;
  }
}

/* --- a logger: HTTP exchanges (level 10), and lines holding a secret ---------------------- */

typedef struct {
  pthread_mutex_t lock;
  int exchanges, leaks;
  const char *secrets[4];
} log_watch;

static void on_log(void *userdata, int level, const char *message) {
  log_watch *w = userdata;
  pthread_mutex_lock(&w->lock);
  if (level == 10) w->exchanges++;
  for (int i = 0; i < 4 && w->secrets[i] != NULL; i++)
    if (strstr(message, w->secrets[i]) != NULL) w->leaks++;
  if (level < 10 || level > 30) w->leaks++;
  pthread_mutex_unlock(&w->lock);
}

static int exchanges(log_watch *w) {
  pthread_mutex_lock(&w->lock);
  int n = w->exchanges;
  w->exchanges = 0;
  pthread_mutex_unlock(&w->lock);
  return n;
}

/* --- asynchronous calls ------------------------------------------------------------------- */

typedef struct {
  int calls;
  mw_result result;
  char *out;
  pthread_t thread;
} outcome;

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_changed = PTHREAD_COND_INITIALIZER;

static void on_done(void *userdata, mw_result result, char *out_json) {
  outcome *o = userdata;
  pthread_mutex_lock(&done_lock);
  o->calls++;
  o->result = result;
  mw_string_free(o->out); /* a second call, counted above */
  o->out = out_json;
  o->thread = pthread_self();
  pthread_cond_broadcast(&done_changed);
  pthread_mutex_unlock(&done_lock);
}

/* Waits (up to 60 s) for `o`'s done, then gives its output to `out`; the call's result. */
static mw_result wait_done(outcome *o) {
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 60;
  pthread_mutex_lock(&done_lock);
  while (o->calls == 0 && pthread_cond_timedwait(&done_changed, &done_lock, &deadline) == 0) {
  }
  mw_result r = o->calls == 0 ? (mw_result)-1 : o->result;
  mw_string_free(out);
  out = o->out;
  o->out = NULL;
  pthread_mutex_unlock(&done_lock);
  return r;
}

/* --- the flows ---------------------------------------------------------------------------- */

static const char *api, *idp_key, *idp_url, *captcha;
static char config[512];

static mw_session *new_session(void) {
  char *err = NULL;
  mw_session *s = mw_session_new(config, &err);
  CHECK(s != NULL, "mw_session_new: %s", err);
  mw_string_free(err);
  if (s == NULL) {
    finish("auth");
    exit(1);
  }
  return s;
}

/* A third-party login: REDIRECT, then continue with the identity's code. Returns the result of
 * the continuation (its output in `out`). */
static mw_result idp_login(mw_session *s, const char *identity) {
  if (run(mw_auth_begin, s, "{\"purpose\": \"login\", \"fields\": {\"mwauthtestLogin\": \"1\"}}") != MW_OK ||
      !has(out, "\"status\":\"REDIRECT\"")) {
    CHECK(0, "third-party login of %s: REDIRECT expected: %s", identity, out);
    return MW_ERR_INTERNAL;
  }
  char state[128], fields[512];
  CHECK(redirect_param(out, "state", state, sizeof state), "no state in the redirecttarget: %s", out);
  snprintf(fields, sizeof fields, "{\"mwauthtestCode\": \"%s:%s\", \"mwauthtestState\": \"%s\"}", idp_key, identity, state);
  return run(mw_auth_continue, s, fields);
}

/* Password login through mw_clientlogin. */
static mw_result password_login(mw_session *s, const char *user, const char *password) {
  char request[512];
  snprintf(request, sizeof request, "{\"username\": \"%s\", \"password\": \"%s\"}", user, password);
  return run(mw_clientlogin, s, request);
}

/* The create request for a name with a password, answering the captcha. */
static void create_request(char *buf, size_t size, const char *name, const char *password) {
  snprintf(buf, size,
           "{\"purpose\": \"create\", \"fields\": {\"username\": \"%s\", \"password\": \"%s\", \"retype\": \"%s\", "
           "\"captchaWord\": \"%s\"}}",
           name, password, password, captcha);
}

/* Bad input and calls that do not fit the state: each refused before any request. */
static void refusals(const char *server_log) {
  char request[512];
  mw_session *s = new_session();
  log_watch w = {.lock = PTHREAD_MUTEX_INITIALIZER};
  CHECK(mw_session_set_logger(s, on_log, &w) == MW_OK, "set logger");
  long before = logged_requests(server_log);
  CHECK(before >= 0, "cannot read %s", server_log);

  static const struct {
    int fn; /* 0 fields, 1 begin, 2 continue */
    const char *json;
    mw_result result;
    const char *code;
  } cases[] = {
      {0, "{\"purpose\": \"nope\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"nope\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {0, "{\"purpose\": 1}", MW_ERR_ARGUMENT, "wrong_type"},
      {0, "{\"purpose\": \"create\", \"surprise\": 1}", MW_ERR_ARGUMENT, "unknown_key"},
      {0, "{\"purpose\": \"create\", \"messageformat\": \"pdf\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {0, "[]", MW_ERR_ARGUMENT, "wrong_type"},
      {1, "{\"purpose\": \"link\", \"preservestate\": true}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"change\", \"fields\": {\"password\": \"x\", \"retype\": \"x\"}}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"remove\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"unlink\", \"request\": \"\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"create\", \"request\": \"MediaWiki\\\\Auth\\\\PasswordAuthenticationRequest\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"unlink\", \"request\": \"x\", \"returnurl\": \"http://127.0.0.1/\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"create\", \"fields\": {\"createtoken\": \"x\"}}", MW_ERR_ARGUMENT, "invalid_value"},
      {1, "{\"purpose\": \"create\", \"fields\": {\"username\": 5}}", MW_ERR_ARGUMENT, "wrong_type"},
      {1, "{\"purpose\": \"create\", \"fields\": \"username\"}", MW_ERR_ARGUMENT, "wrong_type"},
      {1, "{\"purpose\": \"create\", \"preservestate\": \"yes\"}", MW_ERR_ARGUMENT, "wrong_type"},
      {1, "{\"purpose\": \"create\", \"fields\": {}", MW_ERR_ARGUMENT, "invalid_json"},
      {1, "{\"purpose\": \"create\", \"fields\": {\"username\": \"\xc3\x28\"}}", MW_ERR_ARGUMENT, "invalid_utf8"},
      {0, "\xff", MW_ERR_ARGUMENT, "invalid_utf8"},
      {2, "{\"logincontinue\": \"1\"}", MW_ERR_ARGUMENT, "invalid_value"},
      {2, "{\"OATHToken\": 123456}", MW_ERR_ARGUMENT, "wrong_type"},
      {2, "\"\xed\xa0\x80\"", MW_ERR_ARGUMENT, "invalid_utf8"}, /* a UTF-16 surrogate in UTF-8 */
      {1, NULL, MW_ERR_ARGUMENT, "null_argument"},
      {2, NULL, MW_ERR_ARGUMENT, "null_argument"},
      /* The state: link, change, remove and unlink need a login; continue needs a flow. */
      {0, "{\"purpose\": \"link\"}", MW_ERR_STATE, "not_logged_in"},
      {0, "{\"purpose\": \"unlink\"}", MW_ERR_STATE, "not_logged_in"},
      {1, "{\"purpose\": \"link\", \"fields\": {\"mwauthtestLink\": true}}", MW_ERR_STATE, "not_logged_in"},
      {1, "{\"purpose\": \"change\", \"request\": \"MediaWiki\\\\Auth\\\\PasswordAuthenticationRequest\", "
          "\"fields\": {\"password\": \"x\", \"retype\": \"x\"}}", MW_ERR_STATE, "not_logged_in"},
      {1, "{\"purpose\": \"remove\", \"request\": \"MediaWiki\\\\Auth\\\\TemporaryPasswordAuthenticationRequest\"}", MW_ERR_STATE, "not_logged_in"},
      {1, "{\"purpose\": \"unlink\", \"request\": \"x\"}", MW_ERR_STATE, "not_logged_in"},
      {2, "{\"OATHToken\": \"123456\"}", MW_ERR_STATE, "no_flow"},
      {2, "{}", MW_ERR_STATE, "no_flow"},
  };
  json_call fns[] = {mw_auth_fields, mw_auth_begin, mw_auth_continue};
  const char *names[] = {"mw_auth_fields", "mw_auth_begin", "mw_auth_continue"};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char code[64];
    snprintf(code, sizeof code, "\"code\":\"%s\"", cases[i].code);
    mw_result r = run(fns[cases[i].fn], s, cases[i].json);
    CHECK(r == cases[i].result && has(out, code) && has(out, "\"info\":\""), "case %zu: %s(%s): %s (%s)", i,
          names[cases[i].fn], cases[i].json ? cases[i].json : "NULL", mw_result_name(r), out);
  }

  /* NULL everywhere else: a NULL session, a NULL out_json (the result still says what). */
  CHECK(run(mw_auth_fields, NULL, "{\"purpose\": \"create\"}") == MW_ERR_ARGUMENT && has(out, "\"code\":\"null_argument\""),
        "NULL session: %s", out);
  CHECK(run(mw_auth_begin, NULL, "{\"purpose\": \"create\"}") == MW_ERR_ARGUMENT && has(out, "\"code\":\"null_argument\""),
        "NULL session: %s", out);
  CHECK(run(mw_auth_continue, NULL, "{}") == MW_ERR_ARGUMENT, "NULL session: %s", out);
  CHECK(mw_auth_begin(s, "{\"purpose\": \"nope\"}", NULL) == MW_ERR_ARGUMENT, "NULL out_json");
  CHECK(mw_auth_continue(s, "{}", NULL) == MW_ERR_STATE, "NULL out_json, no flow");
  CHECK(mw_auth_fields(s, "{\"purpose\": \"link\"}", NULL) == MW_ERR_STATE, "NULL out_json, not logged in");

  /* Credentials over plain http to a host that is not loopback: refused before any traffic. */
  mw_session *far = mw_session_new("{\"api_url\": \"http://wiki.example.invalid/w/api.php\"}", NULL);
  create_request(request, sizeof request, "MwCNever", "c never sent password");
  CHECK(run(mw_auth_begin, far, request) == MW_ERR_ARGUMENT && has(out, "\"code\":\"insecure_http\""), "insecure_http: %s", out);
  CHECK(!has(out, "c never sent password"), "the error holds the password");
  mw_session_free(far);

  /* The asynchronous calls refuse bad arguments at once and never call done. */
  outcome o = {0};
  CHECK(mw_auth_begin_async(NULL, "{\"purpose\": \"create\"}", on_done, &o) == MW_ERR_ARGUMENT &&
            has(last_async_error(), "\"code\":\"null_argument\""),
        "NULL session (async)");
  CHECK(mw_auth_begin_async(s, "{\"purpose\": \"create\"}", NULL, NULL) == MW_ERR_ARGUMENT, "NULL done (async)");
  CHECK(mw_auth_begin_async(s, "{\"purpose\": \"nope\"}", on_done, &o) == MW_ERR_ARGUMENT &&
            has(last_async_error(), "\"code\":\"invalid_value\""),
        "unknown purpose (async)");
  CHECK(mw_auth_fields_async(s, "\xff", on_done, &o) == MW_ERR_ARGUMENT && has(last_async_error(), "\"result\":1"),
        "invalid UTF-8 (async)");
  CHECK(mw_auth_continue_async(s, "{\"x\": [1]}", on_done, &o) == MW_ERR_ARGUMENT &&
            has(last_async_error(), "\"code\":\"wrong_type\""),
        "a list as a field (async)");
  CHECK(mw_auth_begin_async(s, NULL, on_done, &o) == MW_ERR_ARGUMENT, "NULL request (async)");
  /* A call that was queued still fails on the state, through done, before any request. */
  CHECK(mw_auth_continue_async(s, "{}", on_done, &o) == MW_OK, "continue queued: %s", last_async_error());
  CHECK(wait_done(&o) == MW_ERR_STATE && has(out, "\"code\":\"no_flow\""), "async continue without a flow: %s", out);
  CHECK(o.calls == 1, "done called %d times", o.calls);

  long after = logged_requests(server_log);
  CHECK(after == before, "the refusals made %ld requests", after - before);
  CHECK(exchanges(&w) == 0, "the refusals logged HTTP exchanges");

  /* The session is as it was: anonymous, and it works. */
  CHECK(info(s) == MW_OK && has(out, "\"logged_in\":false"), "info: %s", out);
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"create\", \"messageformat\": \"none\"}") == MW_OK && has(out, "\"captchaWord\":{"),
        "the create form after the refusals: %s", out);
  CHECK(exchanges(&w) == 1, "one request for the form");
  long then = logged_requests(server_log);
  CHECK(then == after + 1, "the server logged %ld requests for the form, not 1 (is the count right?)", then - after);
  CHECK(w.leaks == 0, "bad log lines");
  mw_session_free(s);
}

int main(void) {
  api = env("MWAUTH_TEST_API_URL");
  idp_key = env("MWAUTH_TEST_IDP_KEY");
  idp_url = env("MWAUTH_TEST_IDP_URL");
  captcha = env("MWAUTH_TEST_CAPTCHA_ANSWER");
  const char *question = env("MWAUTH_TEST_CAPTCHA_QUESTION");
  const char *server_log = env("MWAUTH_TEST_SERVER_LOG");
  snprintf(config, sizeof config, "{\"api_url\": \"%s\", \"user_agent\": \"mwauth-c-test/1.0\"}", api);

  /* Names of this run's accounts and identities. */
  char tag[32];
  snprintf(tag, sizeof tag, "%d%05ld", (int)getpid(), (long)(time(NULL) % 100000));
  char user[64], user2[64], async_user[64], idp_create[64], idp_user[80], idp_link[64];
  snprintf(user, sizeof user, "MwCNew%s", tag);
  snprintf(user2, sizeof user2, "MwCNew%sb", tag);
  snprintf(async_user, sizeof async_user, "MwCAsync%s", tag);
  snprintf(idp_create, sizeof idp_create, "c-create-%s", tag);
  snprintf(idp_user, sizeof idp_user, "MwIdp-%s", idp_create);
  snprintf(idp_link, sizeof idp_link, "c-link-%s", tag);
  char password[64], new_password[64];
  snprintf(password, sizeof password, "c test password %s", tag);
  snprintf(new_password, sizeof new_password, "c test new password %s", tag);
  char request[1024], pattern[256];

  refusals(server_log);

  /* --- create, with the captcha the form asks ------------------------------------------- */
  mw_session *s = new_session();
  log_watch w = {.lock = PTHREAD_MUTEX_INITIALIZER, .secrets = {password, new_password}};
  CHECK(mw_session_set_logger(s, on_log, &w) == MW_OK, "set logger");
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"create\", \"messageformat\": \"none\"}") == MW_OK, "create form: %s", out);
  CHECK(has(out, "\"captchaId\":{\"type\":\"hidden\",\"value\":\""), "hidden captchaId: %s", out);
  snprintf(pattern, sizeof pattern, "\"captchaInfo\":{\"type\":\"null\",\"value\":\"%s\"", question);
  CHECK(has(out, pattern), "the question in captchaInfo: %s", out);
  CHECK(has(out, "\"captchaWord\":{") && has(out, "\"username\":{") && has(out, "\"retype\":{"), "the form's fields: %s", out);
  CHECK(has(out, "\"canpreservestate\":false") && has(out, "\"haspreservedstate\":false"), "nothing preserved: %s", out);
  create_request(request, sizeof request, user, password);
  CHECK(run(mw_auth_begin, s, request) == MW_OK, "create %s: %s", user, out);
  snprintf(pattern, sizeof pattern, "\"username\":\"%s\"", user);
  CHECK(has(out, "\"status\":\"PASS\"") && has(out, pattern), "create %s: %s", user, out);
  CHECK(exchanges(&w) == 2, "create: authmanagerinfo, then createaccount");
  CHECK(info(s) == MW_OK && has(out, "\"logged_in\":false") && has(out, "\"username\":null"),
        "a create does not log the session in: %s", out);
  CHECK(run(mw_request, s, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}") == MW_OK && has(out, "\"anon\":true"),
        "the wiki agrees: %s", out);
  CHECK(run(mw_auth_continue, s, "{}") == MW_ERR_STATE && has(out, "\"code\":\"no_flow\""), "PASS ended the flow: %s", out);

  /* A taken name: FAIL (MW_ERR_LOGIN) with the form again, whose new captcha id the next create
   * sends back without another mw_auth_fields. */
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"create\"}") == MW_OK, "create form: %s", out);
  exchanges(&w);
  CHECK(run(mw_auth_begin, s, request) == MW_ERR_LOGIN, "create %s again: %s", user, out);
  CHECK(has(out, "\"status\":\"FAIL\"") && has(out, "\"code\":\"userexists\"") && has(out, "\"messagecode\":\"userexists\""),
        "a taken name: %s", out);
  CHECK(has(out, "\"fields\":{") && has(out, "\"captchaId\":{\"type\":\"hidden\",\"value\":\""), "the FAIL holds the form: %s", out);
  CHECK(!has(out, password), "the output holds the password");
  create_request(request, sizeof request, user2, password);
  CHECK(run(mw_auth_begin, s, request) == MW_OK && has(out, "\"status\":\"PASS\""), "create %s with the FAIL's captcha: %s", user2, out);
  CHECK(exchanges(&w) == 3, "createaccount, the form after the FAIL, createaccount");
  /* A wrong captcha. */
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"create\"}") == MW_OK, "create form: %s", out);
  snprintf(request, sizeof request,
           "{\"purpose\": \"create\", \"fields\": {\"username\": \"%sc\", \"password\": \"%s\", \"retype\": \"%s\", "
           "\"captchaWord\": \"%s0\"}}",
           user, password, password, captcha);
  CHECK(run(mw_auth_begin, s, request) == MW_ERR_LOGIN && has(out, "\"code\":\"captcha-createaccount-fail\""),
        "a wrong captcha: %s", out);
  CHECK(w.leaks == 0, "%d log lines held a password or a bad level", w.leaks);
  mw_session_free(s);

  /* --- the RESTART path: an identity with no account gets one ---------------------------- */
  s = new_session();
  CHECK(idp_login(s, idp_create) == MW_ERR_LOGIN, "an unknown identity: %s", out);
  CHECK(has(out, "\"status\":\"RESTART\"") && has(out, "\"code\":\"authmanager-authn-no-local-user-link\"") &&
            has(out, "\"canpreservestate\":true"),
        "RESTART: %s", out);
  CHECK(run(mw_auth_continue, s, "{}") == MW_ERR_STATE && has(out, "\"code\":\"no_flow\""), "RESTART ended the flow: %s", out);
  CHECK(info(s) == MW_OK && has(out, "\"logged_in\":false"), "not logged in after RESTART: %s", out);
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"create\", \"messageformat\": \"none\"}") == MW_OK, "create form: %s", out);
  snprintf(pattern, sizeof pattern, "\"preservedusername\":\"%s\"", idp_user);
  CHECK(has(out, "\"canpreservestate\":true") && has(out, "\"haspreservedstate\":true") && has(out, pattern),
        "the create form after the RESTART: %s", out);
  CHECK(has(out, "\"captchaId\":{\"type\":\"hidden\""), "the create form asks the captcha: %s", out);
  snprintf(request, sizeof request,
           "{\"purpose\": \"create\", \"preservestate\": true, \"fields\": {\"username\": \"%s\", \"captchaWord\": \"%s\"}}",
           idp_user, captcha);
  CHECK(run(mw_auth_begin, s, request) == MW_OK, "create %s with preservestate: %s", idp_user, out);
  snprintf(pattern, sizeof pattern, "\"username\":\"%s\"", idp_user);
  CHECK(has(out, "\"status\":\"PASS\"") && has(out, pattern), "create with preservestate: %s", out);
  CHECK(info(s) == MW_OK && has(out, "\"logged_in\":false"), "still anonymous: %s", out);
  mw_session_free(s);
  s = new_session();
  CHECK(idp_login(s, idp_create) == MW_OK && has(out, "\"status\":\"PASS\"") && has(out, pattern),
        "the identity now logs in as %s: %s", idp_user, out);
  CHECK(info(s) == MW_OK && has(out, "\"logged_in\":true") && has(out, pattern) && has(out, "\"auth\":\"clientlogin\""),
        "info: %s", out);
  mw_session_free(s);

  /* --- link, unlink, remove ------------------------------------------------------------- */
  s = new_session();
  CHECK(password_login(s, user, password) == MW_OK && has(out, "\"status\":\"PASS\""), "log in as %s: %s", user, out);
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"link\", \"messageformat\": \"none\"}") == MW_OK &&
            has(out, "LinkAuthenticationRequest") && has(out, "\"mwauthtestLink\":{\"type\":\"button\""),
        "link form: %s", out);
  CHECK(run(mw_auth_begin, s, "{\"purpose\": \"link\", \"fields\": {\"mwauthtestLink\": true}}") == MW_OK &&
            has(out, "\"status\":\"REDIRECT\""),
        "link: %s", out);
  char state[128], target[1024];
  CHECK(redirect_param(out, "state", state, sizeof state), "state in the redirecttarget: %s", out);
  CHECK(string_member(out, "redirecttarget", target, sizeof target) && strncmp(target, idp_url, strlen(idp_url)) == 0,
        "the redirecttarget is the identity provider's: %s", out);
  snprintf(request, sizeof request, "{\"mwauthtestCode\": \"%s:%s\", \"mwauthtestState\": \"%s\"}", idp_key, idp_link, state);
  /* Bad input leaves the flow as it was; so does mw_clientlogin_step, which continues only a
   * login (a link flow is not one). */
  CHECK(run(mw_auth_begin, s, "{\"purpose\": \"nope\"}") == MW_ERR_ARGUMENT, "bad purpose during the link: %s", out);
  CHECK(run(mw_auth_begin, s, "{\"purpose\": \"unlink\"}") == MW_ERR_ARGUMENT, "unlink without request: %s", out);
  CHECK(run(mw_auth_continue, s, "{\"mwauthtestCode\": 1}") == MW_ERR_ARGUMENT, "a number as a field: %s", out);
  CHECK(run(mw_clientlogin_step, s, request) == MW_ERR_STATE && has(out, "\"code\":\"no_flow\""),
        "mw_clientlogin_step in a link flow: %s", out);
  CHECK(run(mw_auth_continue, s, request) == MW_OK && has(out, "\"status\":\"PASS\""), "link continued: %s", out);
  CHECK(run(mw_auth_continue, s, "{}") == MW_ERR_STATE && has(out, "\"code\":\"no_flow\""), "PASS ended the link flow: %s", out);
  CHECK(info(s) == MW_OK && has(out, "\"logged_in\":true"), "still logged in: %s", out);
  mw_session *other = new_session();
  snprintf(pattern, sizeof pattern, "\"username\":\"%s\"", user);
  CHECK(idp_login(other, idp_link) == MW_OK && has(out, pattern), "the linked identity logs in as %s: %s", user, out);
  mw_session_free(other);
  /* A link FAIL: the same identity again. */
  CHECK(run(mw_auth_begin, s, "{\"purpose\": \"link\", \"fields\": {\"mwauthtestLink\": true}}") == MW_OK &&
            redirect_param(out, "state", state, sizeof state),
        "link again: %s", out);
  snprintf(request, sizeof request, "{\"mwauthtestCode\": \"%s:%s\", \"mwauthtestState\": \"%s\"}", idp_key, idp_link, state);
  CHECK(run(mw_auth_continue, s, request) == MW_ERR_LOGIN && has(out, "\"code\":\"mwauthtestauth-already-linked\""),
        "linked already: %s", out);

  char id[512], bad[1024];
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"unlink\"}") == MW_OK, "unlink form: %s", out);
  snprintf(pattern, sizeof pattern, "IdentityAuthenticationRequest:%s", idp_link);
  CHECK(request_id(out, pattern, id, sizeof id), "no request for %s: %s", idp_link, out);
  snprintf(request, sizeof request, "{\"purpose\": \"unlink\", \"request\": \"%s\"}", id);
  CHECK(run(mw_auth_begin, s, request) == MW_OK && has(out, "\"status\":\"success\""), "unlink %s: %s", id, out);
  CHECK(run(mw_auth_begin, s, request) == MW_ERR_API && has(out, "\"code\":\"badrequest\""), "unlink again: %s", out);
  snprintf(bad, sizeof bad, "{\"purpose\": \"unlink\", \"request\": \"%sx\"}", id);
  CHECK(run(mw_auth_begin, s, bad) == MW_ERR_API && has(out, "\"code\":\"badrequest\""), "unlink of an unknown id: %s", out);
  CHECK(run(mw_auth_begin, s, "{\"purpose\": \"remove\", \"request\": \"MediaWiki\\\\Auth\\\\PasswordAuthenticationRequest\"}") ==
                MW_ERR_API && has(out, "\"code\":\"badrequest\""),
        "remove the password: %s", out);
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"remove\"}") == MW_OK &&
            request_id(out, "TemporaryPasswordAuthenticationRequest", id, sizeof id),
        "remove form: %s", out);
  snprintf(request, sizeof request, "{\"purpose\": \"remove\", \"request\": \"%s\"}", id);
  CHECK(run(mw_auth_begin, s, request) == MW_OK && has(out, "\"status\":\"success\""), "remove %s: %s", id, out);
  other = new_session();
  CHECK(idp_login(other, idp_link) == MW_ERR_LOGIN && has(out, "\"status\":\"RESTART\""), "the unlinked identity: %s", out);
  mw_session_free(other);

  /* --- change the password -------------------------------------------------------------- */
  CHECK(run(mw_auth_fields, s, "{\"purpose\": \"change\", \"messageformat\": \"none\"}") == MW_OK &&
            request_id(out, "PasswordAuthenticationRequest", id, sizeof id) && has(out, "\"retype\":{"),
        "change form: %s", out);
  snprintf(request, sizeof request, "{\"purpose\": \"change\", \"request\": \"%s\", \"fields\": {\"password\": \"%s\", \"retype\": \"%sx\"}}",
           id, new_password, new_password);
  CHECK(run(mw_auth_begin, s, request) == MW_ERR_API && has(out, "\"code\":\"badretype\""), "a retype that differs: %s", out);
  snprintf(request, sizeof request, "{\"purpose\": \"change\", \"request\": \"%s\", \"fields\": {\"password\": \"%s\", \"retype\": \"%s\"}}",
           id, new_password, new_password);
  CHECK(run(mw_auth_begin, s, request) == MW_OK && has(out, "\"status\":\"success\""), "change: %s", out);
  CHECK(!has(out, new_password), "the output holds the password");
  snprintf(pattern, sizeof pattern, "\"name\":\"%s\"", user);
  CHECK(run(mw_request, s, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}") == MW_OK && has(out, pattern),
        "still logged in after the change: %s", out);
  mw_session_free(s);
  s = new_session();
  CHECK(password_login(s, user, password) == MW_ERR_LOGIN && has(out, "\"code\":\"wrongpassword\""), "the old password: %s", out);
  CHECK(password_login(s, user, new_password) == MW_OK && has(out, "\"status\":\"PASS\""), "the new password: %s", out);
  mw_session_free(s);

  /* --- asynchronous: the form, a create, a continue with no flow ------------------------- */
  s = new_session();
  outcome o = {0};
  CHECK(mw_auth_fields_async(s, "{\"purpose\": \"create\"}", on_done, &o) == MW_OK, "fields queued: %s", last_async_error());
  CHECK(wait_done(&o) == MW_OK && has(out, "\"captchaId\":{"), "async create form: %s", out);
  CHECK(!pthread_equal(o.thread, pthread_self()), "done ran on a thread of the library");
  memset(&o, 0, sizeof o);
  create_request(request, sizeof request, async_user, password);
  CHECK(mw_auth_begin_async(s, request, on_done, &o) == MW_OK, "create queued: %s", last_async_error());
  CHECK(mw_async_error() == NULL, "no error after a queued call");
  snprintf(pattern, sizeof pattern, "\"username\":\"%s\"", async_user);
  CHECK(wait_done(&o) == MW_OK && has(out, "\"status\":\"PASS\"") && has(out, pattern), "async create: %s", out);
  CHECK(o.calls == 1 && !pthread_equal(o.thread, pthread_self()), "done once, on a thread of the library");
  memset(&o, 0, sizeof o);
  CHECK(mw_auth_continue_async(s, "{}", on_done, &o) == MW_OK, "continue queued: %s", last_async_error());
  CHECK(wait_done(&o) == MW_ERR_STATE && has(out, "\"code\":\"no_flow\""), "async continue after PASS: %s", out);
  mw_session_free(s);
  s = new_session();
  CHECK(password_login(s, async_user, password) == MW_OK, "the async account logs in: %s", out);
  mw_session_free(s);

  mw_string_free(out);
  out = NULL;
  return finish("auth");
}
