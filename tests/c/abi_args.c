/* Bad input through the C ABI: every case returns MW_ERR_ARGUMENT with the spec's code and a
 * message naming the problem, crashes nothing and changes nothing. Needs no wiki. */
#include "mwauth.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void new_fails(const char *config, const char *code, const char *named) {
  char *err = (char *)"unset";
  mw_session *s = mw_session_new(config, &err);
  CHECK(s == NULL, "config %s was accepted", config ? config : "NULL");
  CHECK(has(err, code), "config %s: want %s, got %s", config ? config : "NULL", code, err);
  CHECK(has(err, named), "config %s: message should name %s: %s", config ? config : "NULL", named, err);
  CHECK(has(err, "\"result\":1"), "config %s: want result 1: %s", config ? config : "NULL", err);
  mw_string_free(err);
  mw_session_free(s);
}

typedef mw_result (*call_fn)(mw_session *, const char *, char **);

static void call_fails(const char *fn_name, call_fn fn, mw_session *s, const char *input,
                       const char *code, const char *named) {
  char *out = (char *)"unset";
  mw_result r = fn(s, input, &out);
  CHECK(r == MW_ERR_ARGUMENT, "%s(%s): want MW_ERR_ARGUMENT, got %d", fn_name, input ? input : "NULL", (int)r);
  CHECK(has(out, code), "%s(%s): want %s, got %s", fn_name, input ? input : "NULL", code, out);
  CHECK(has(out, named), "%s(%s): message should name %s: %s", fn_name, input ? input : "NULL", named, out);
  mw_string_free(out);
  /* out_json NULL: the same answer, discarded */
  CHECK(fn(s, input, NULL) == MW_ERR_ARGUMENT, "%s(%s) with NULL out_json", fn_name, input ? input : "NULL");
}

static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  socklen_t len = sizeof addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&addr, sizeof addr);
  getsockname(fd, (struct sockaddr *)&addr, &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int main(void) {
  /* The header and the library agree on the version. */
  CHECK(strcmp(mw_version(), MWAUTH_VERSION) == 0, "mw_version() %s vs MWAUTH_VERSION %s", mw_version(), MWAUTH_VERSION);
  CHECK(MWAUTH_VERSION_NUMBER == ((MWAUTH_VERSION_MAJOR << 16) | (MWAUTH_VERSION_MINOR << 8) | MWAUTH_VERSION_PATCH),
        "MWAUTH_VERSION_NUMBER %#x", MWAUTH_VERSION_NUMBER);
  CHECK(mw_version_number() == MWAUTH_VERSION_NUMBER, "mw_version_number() %#x", mw_version_number());

  /* What a binding that sees no macros relies on: mw_result is an int, and its names. */
  _Static_assert(sizeof(mw_result) == sizeof(int), "mw_result is int-sized");
  static const struct { mw_result result; const char *name; } names[] = {
      {MW_OK, "MW_OK"},           {MW_ERR_ARGUMENT, "MW_ERR_ARGUMENT"},   {MW_ERR_STATE, "MW_ERR_STATE"},
      {MW_ERR_TRANSPORT, "MW_ERR_TRANSPORT"}, {MW_ERR_HTTP, "MW_ERR_HTTP"}, {MW_ERR_API, "MW_ERR_API"},
      {MW_ERR_LOGIN, "MW_ERR_LOGIN"}, {MW_ERR_INTERNAL, "MW_ERR_INTERNAL"},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    CHECK(strcmp(mw_result_name(names[i].result), names[i].name) == 0, "mw_result_name(%d) is %s",
          (int)names[i].result, mw_result_name(names[i].result));
  }
  CHECK(strcmp(mw_result_name((mw_result)7), "MW_UNKNOWN") == 0, "an unnamed value");
  CHECK(strcmp(mw_result_name((mw_result)-1), "MW_UNKNOWN") == 0, "a negative value");

  mw_session_free(NULL);
  mw_string_free(NULL);

  new_fails(NULL, "null_argument", "config_json");
  new_fails("{\"api_url\": ", "invalid_json", "config_json");
  new_fails("\xff\xfe{}", "invalid_utf8", "config_json");
  new_fails("[1, 2]", "wrong_type", "config");
  new_fails("\"https://wiki/api.php\"", "wrong_type", "config");
  new_fails("{}", "missing_field", "api_url");
  new_fails("{\"api_url\": 42}", "wrong_type", "api_url");
  new_fails("{\"api_url\": \"gopher://wiki/api.php\"}", "invalid_value", "api_url");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"colour\": \"blue\"}", "unknown_key", "colour");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"timeout_ms\": \"fast\"}", "wrong_type", "timeout_ms");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"timeout_ms\": 0}", "invalid_value", "timeout_ms");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"assert\": \"anon\"}", "invalid_value", "assert");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"relogin\": \"yes\"}", "wrong_type", "relogin");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"oauth1\": {}}", "missing_field", "oauth1.consumer_key");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"oauth1\": \"key\"}", "wrong_type", "oauth1");
  new_fails("{\"api_url\": \"http://wiki.invalid/api.php\", \"oauth2_token\": \"t0ken-value\"}", "insecure_http", "http");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"proxy\": \"gopher://proxy\"}", "invalid_value", "proxy");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"bot_password\": {\"username\": \"a\"}}", "missing_field", "bot_password.password");
  new_fails("{\"api_url\": \"http://127.0.0.1/api.php\", \"cookie_file\": \"/nonexistent/dir/c.txt\"}", "invalid_value", "cookie_file");
  CHECK(mw_session_new(NULL, NULL) == NULL, "NULL config with NULL error_json");

  char config[256];
  snprintf(config, sizeof config, "{\"api_url\": \"http://127.0.0.1:%d/api.php\", \"timeout_ms\": 2000}", closed_port());
  char *err = (char *)"unset";
  mw_session *s = mw_session_new(config, &err);
  CHECK(s != NULL && err == NULL, "a good config: %s", err ? err : "");

  call_fails("mw_login", mw_login, NULL, "{\"username\": \"a\", \"password\": \"b\"}", "null_argument", "session");
  call_fails("mw_login", mw_login, s, NULL, "null_argument", "credentials_json");
  call_fails("mw_login", mw_login, s, "{\"username\": ", "invalid_json", "credentials_json");
  call_fails("mw_login", mw_login, s, "{\"username\": \"\xc3\x28\", \"password\": \"b\"}", "invalid_utf8", "credentials_json");
  call_fails("mw_login", mw_login, s, "[\"a\", \"b\"]", "wrong_type", "credentials");
  call_fails("mw_login", mw_login, s, "{\"username\": \"a\"}", "missing_field", "password");
  call_fails("mw_login", mw_login, s, "{\"username\": \"a\", \"password\": 12}", "wrong_type", "password");
  call_fails("mw_login", mw_login, s, "{\"username\": \"a\", \"password\": \"b\", \"domain\": \"x\"}", "unknown_key", "domain");

  call_fails("mw_request", mw_request, NULL, "{\"params\": {}}", "null_argument", "session");
  call_fails("mw_request", mw_request, s, NULL, "null_argument", "request_json");
  call_fails("mw_request", mw_request, s, "{\"params\": {", "invalid_json", "request_json");
  call_fails("mw_request", mw_request, s, "\xff", "invalid_utf8", "request_json");
  call_fails("mw_request", mw_request, s, "17", "wrong_type", "request");
  call_fails("mw_request", mw_request, s, "{}", "missing_field", "params");
  call_fails("mw_request", mw_request, s, "{\"params\": [\"action\"]}", "wrong_type", "params");
  call_fails("mw_request", mw_request, s, "{\"params\": {\"titles\": {\"a\": 1}}}", "wrong_type", "params.titles");
  call_fails("mw_request", mw_request, s, "{\"params\": {}, \"retries\": 2}", "unknown_key", "retries");
  call_fails("mw_request", mw_request, s, "{\"params\": {\"format\": \"xml\"}}", "invalid_value", "format");
  call_fails("mw_request", mw_request, s, "{\"params\": {}, \"method\": \"DELETE\"}", "invalid_value", "method");
  call_fails("mw_request", mw_request, s, "{\"params\": {}, \"token\": 5}", "wrong_type", "token");
  call_fails("mw_request", mw_request, s, "{\"params\": {\"action\": \"edit\"}, \"token\": \"csrf\", \"method\": \"GET\"}",
             "invalid_value", "POST");

  char *out = (char *)"unset";
  CHECK(mw_logout(NULL, &out) == MW_ERR_ARGUMENT && has(out, "null_argument"), "mw_logout(NULL): %s", out);
  mw_string_free(out);
  out = (char *)"unset";
  CHECK(mw_session_info(NULL, &out) == MW_ERR_ARGUMENT && has(out, "null_argument"), "mw_session_info(NULL): %s", out);
  mw_string_free(out);
  CHECK(mw_session_set_logger(NULL, NULL, NULL) == MW_ERR_ARGUMENT, "mw_session_set_logger(NULL)");

  /* Nothing above changed the session. */
  out = NULL;
  CHECK(mw_session_info(s, &out) == MW_OK && has(out, "\"logged_in\":false") && has(out, "\"auth\":null"),
        "info after bad input: %s", out);
  mw_string_free(out);

  /* A dead server is a transport error, not a crash. */
  out = NULL;
  CHECK(mw_request(s, "{\"params\": {\"action\": \"query\"}}", &out) == MW_ERR_TRANSPORT && has(out, "\"code\":\"connect\""),
        "request to a closed port: %s", out);
  mw_string_free(out);
  mw_session_free(s);

  /* Credentials never go over plain http to a host that is not loopback, and no traffic is made. */
  s = mw_session_new("{\"api_url\": \"http://wiki.invalid/w/api.php\"}", NULL);
  out = NULL;
  CHECK(mw_login(s, "{\"username\": \"Bot@app\", \"password\": \"0123456789abcdefghijklmnopqrstuv\"}", &out) == MW_ERR_ARGUMENT
            && has(out, "insecure_http") && !has(out, "0123456789abcdefghijklmnopqrstuv"),
        "login over http: %s", out);
  mw_string_free(out);
  mw_session_free(s);

  return finish("abi_args");
}
