/* A bot's session kept across processes in a cookie file, through the C ABI:
 *
 *   resume login FILE    logs the bot in with "cookie_file": FILE, then exits
 *   resume resume FILE   a new process: resumes from FILE and must be the bot after exactly one
 *                        HTTP request (its own)
 *
 * Run by `make test` inside tests/wiki/with-wiki.sh. */
#include "mwauth.h"
#include "check.h"

#include <stdlib.h>
#include <sys/stat.h>

static int exchanges;

static void count(void *userdata, int level, const char *message) {
  (void)userdata;
  (void)message;
  if (level == 10) exchanges++;
}

int main(int argc, char **argv) {
  const char *api = getenv("MWAUTH_TEST_API_URL");
  if (argc != 3 || api == NULL) {
    fprintf(stderr, "usage: resume login|resume FILE (inside tests/wiki/with-wiki.sh)\n");
    return 2;
  }
  char config[1024];
  snprintf(config, sizeof config, "{\"api_url\": \"%s\", \"cookie_file\": \"%s\"}", api, argv[2]);
  char *err = NULL, *out = NULL;
  mw_session *s = mw_session_new(config, &err);
  CHECK(s != NULL, "session: %s", err);
  if (s == NULL) return finish("resume");
  mw_session_set_logger(s, count, NULL);

  if (strcmp(argv[1], "login") == 0) {
    char credentials[256];
    snprintf(credentials, sizeof credentials, "{\"username\": \"%s\", \"password\": \"%s\"}",
             getenv("MWAUTH_TEST_BOT_USER"), getenv("MWAUTH_TEST_BOT_PASSWORD"));
    CHECK(mw_login(s, credentials, &out) == MW_OK, "login: %s", out);
    mw_string_free(out);
    struct stat st;
    CHECK(stat(argv[2], &st) == 0 && (st.st_mode & 0777) == 0600, "the cookie file is 0600");
  } else {
    CHECK(mw_session_info(s, &out) == MW_OK && has(out, "\"logged_in\":null") && has(out, "\"auth\":\"cookies\""),
          "resumed info: %s", out);
    mw_string_free(out);
    out = NULL;
    CHECK(mw_request(s, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}", &out) == MW_OK &&
              has(out, "\"name\":\"MwBot\""),
          "resumed userinfo: %s", out);
    mw_string_free(out);
    CHECK(exchanges == 1, "a resumed session made %d requests, not 1", exchanges);
    out = NULL;
    CHECK(mw_session_info(s, &out) == MW_OK && has(out, "\"logged_in\":true"), "settled info: %s", out);
    mw_string_free(out);
  }
  mw_session_free(s);
  return finish("resume");
}
