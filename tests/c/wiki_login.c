/* A bot's day through the C ABI against the real test wiki (tests/wiki/with-wiki.sh sets the
 * environment): log in, read, edit with a csrf token, share the session among threads, log out.
 * Also run under valgrind by `make test`. */
#include "mwauth.h"
#include "check.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_lines;
static int log_leaks;
static const char *secret;

static void on_log(void *userdata, int level, const char *message) {
  (void)userdata;
  pthread_mutex_lock(&log_lock);
  log_lines++;
  if (strstr(message, secret) != NULL) log_leaks++;
  if (level < 10 || level > 30) log_leaks++;
  pthread_mutex_unlock(&log_lock);
}

static void *reader(void *arg) {
  mw_session *s = arg;
  long ok = 0;
  for (int i = 0; i < 3; i++) {
    char *out = NULL;
    if (mw_request(s, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}", &out) == MW_OK &&
        has(out, "\"name\":\"MwBot\""))
      ok++;
    mw_string_free(out);
  }
  return (void *)ok;
}

int main(void) {
  const char *api = env("MWAUTH_TEST_API_URL");
  const char *user = env("MWAUTH_TEST_BOT_USER");
  secret = env("MWAUTH_TEST_BOT_PASSWORD");

  char config[512];
  snprintf(config, sizeof config, "{\"api_url\": \"%s\", \"user_agent\": \"mwauth-c-test/1.0\", \"assert\": \"bot\"}", api);
  char *err = NULL;
  mw_session *s = mw_session_new(config, &err);
  CHECK(s != NULL, "session: %s", err);
  if (s == NULL) return finish("wiki_login");
  CHECK(mw_session_set_logger(s, on_log, NULL) == MW_OK, "set logger");

  char credentials[256], *out = NULL;
  snprintf(credentials, sizeof credentials, "{\"username\": \"%s\", \"password\": \"%s\"}", user, "wrong-password-0123456789abcdefgh");
  CHECK(mw_login(s, credentials, &out) == MW_ERR_LOGIN && has(out, "\"code\":\"Failed\"") && has(out, "\"reason\":\"wrongpassword\""),
        "wrong password: %s", out);
  mw_string_free(out);

  snprintf(credentials, sizeof credentials, "{\"username\": \"%s\", \"password\": \"%s\"}", user, secret);
  out = NULL;
  CHECK(mw_login(s, credentials, &out) == MW_OK && has(out, "\"status\":\"PASS\"") && has(out, "\"username\":\"MwBot\""),
        "login: %s", out);
  CHECK(!has(out, secret), "the login output holds the password");
  mw_string_free(out);

  out = NULL;
  CHECK(mw_session_info(s, &out) == MW_OK && has(out, "\"logged_in\":true") && has(out, "\"auth\":\"botpassword\""),
        "info: %s", out);
  mw_string_free(out);

  out = NULL;
  CHECK(mw_request(s, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\", \"uiprop\": [\"groups\", \"rights\"]}}", &out) == MW_OK &&
            has(out, "\"bot\""),
        "userinfo: %s", out);
  mw_string_free(out);

  out = NULL;
  CHECK(mw_request(s, "{\"params\": {\"action\": \"edit\", \"title\": \"C test page\", \"text\": \"Written from C.\", "
                      "\"summary\": \"mwauth C test\", \"bot\": true}, \"token\": \"csrf\"}", &out) == MW_OK &&
            has(out, "\"result\":\"Success\""),
        "edit: %s", out);
  mw_string_free(out);

  pthread_t threads[4];
  for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, reader, s);
  long total = 0;
  for (int i = 0; i < 4; i++) {
    void *ok;
    pthread_join(threads[i], &ok);
    total += (long)ok;
  }
  CHECK(total == 12, "threads sharing the session: %ld of 12 requests succeeded", total);

  out = NULL;
  CHECK(mw_logout(s, &out) == MW_OK && strcmp(out, "{}") == 0, "logout: %s", out);
  mw_string_free(out);
  out = NULL;
  CHECK(mw_session_info(s, &out) == MW_OK && has(out, "\"logged_in\":false"), "info after logout: %s", out);
  mw_string_free(out);
  out = NULL;
  CHECK(mw_request(s, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}", &out) == MW_OK && has(out, "\"anon\":true"),
        "anonymous after logout: %s", out);
  mw_string_free(out);

  CHECK(log_lines > 5, "the logger saw %d lines", log_lines);
  CHECK(log_leaks == 0, "%d log lines held the password or a bad level", log_leaks);
  CHECK(mw_session_set_logger(s, NULL, NULL) == MW_OK, "logger off");
  mw_session_free(s);
  return finish("wiki_login");
}
