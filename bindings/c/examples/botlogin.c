/* botlogin: log a bot in with a bot password, print who the wiki says it is, log out.
 *
 *   botlogin [API_URL USERNAME PASSWORD]
 *
 * Without arguments it reads MWAUTH_API_URL, MWAUTH_USERNAME ("User@appid") and MWAUTH_PASSWORD:
 * prefer those, since other local users can read a program's arguments (/proc/PID/cmdline).
 * Build: cc botlogin.c -I include -L target/release -lmwauth (the Makefile does it). */
#include <mwauth.h>

#include <stdio.h>
#include <stdlib.h>

/* Builds a JSON string literal from `s` into `out` (escaping quotes, backslashes, controls). */
static void json_string(char *out, size_t size, const char *s) {
  size_t n = 0;
  out[n++] = '"';
  for (; *s && n + 8 < size; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[n++] = '\\';
      out[n++] = (char)c;
    } else if (c < 0x20) {
      n += (size_t)snprintf(out + n, size - n, "\\u%04x", c);
    } else {
      out[n++] = (char)c;
    }
  }
  out[n++] = '"';
  out[n] = '\0';
}

int main(int argc, char **argv) {
  const char *api = argc > 3 ? argv[1] : getenv("MWAUTH_API_URL");
  const char *user = argc > 3 ? argv[2] : getenv("MWAUTH_USERNAME");
  const char *password = argc > 3 ? argv[3] : getenv("MWAUTH_PASSWORD");
  if (api == NULL || user == NULL || password == NULL) {
    fprintf(stderr, "usage: %s API_URL USERNAME PASSWORD\n"
                    "   or: set MWAUTH_API_URL, MWAUTH_USERNAME and MWAUTH_PASSWORD\n", argv[0]);
    return 2;
  }

  char api_json[1024], user_json[512], password_json[512], config[1200], credentials[1100];
  json_string(api_json, sizeof api_json, api);
  json_string(user_json, sizeof user_json, user);
  json_string(password_json, sizeof password_json, password);
  snprintf(config, sizeof config, "{\"api_url\": %s, \"user_agent\": \"botlogin-example/1.0\"}", api_json);
  snprintf(credentials, sizeof credentials, "{\"username\": %s, \"password\": %s}", user_json, password_json);

  char *error = NULL;
  mw_session *session = mw_session_new(config, &error);
  if (session == NULL) {
    fprintf(stderr, "mw_session_new: %s\n", error);
    mw_string_free(error);
    return 1;
  }

  int status = 1;
  char *out = NULL;
  mw_result r = mw_login(session, credentials, &out);
  printf("mwauth %s, login: %s\n", mw_version(), out);
  mw_string_free(out);
  if (r == MW_OK) {
    out = NULL;
    r = mw_request(session, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\", \"uiprop\": [\"groups\", \"rights\"]}}", &out);
    printf("userinfo: %s\n", out);
    mw_string_free(out);
    out = NULL;
    mw_result logout = mw_logout(session, &out);
    printf("logout: %s\n", out);
    mw_string_free(out);
    status = (r == MW_OK && logout == MW_OK) ? 0 : 1;
  }
  mw_session_free(session);
  return status;
}
