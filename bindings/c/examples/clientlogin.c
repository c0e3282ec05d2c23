/* clientlogin: log in to any wiki interactively, whatever its login form asks; or create an
 * account there.
 *
 *   clientlogin API_URL            log in
 *   clientlogin --create API_URL   create an account
 *
 * Asks the wiki what its form wants (mw_clientlogin_fields, or mw_auth_fields with purpose
 * "create"), asks you, and goes on through the steps the wiki asks for next: a two-factor code,
 * a captcha (the account creation form has one on most wikis; the login form after a failed
 * attempt), a third party to visit. Hidden fields (a captcha's id) are left to the library,
 * which sends them back itself. Passwords and other sensitive fields are read without echo. A
 * login ends logged in and prints who the wiki says you are; a creation ends with the new
 * account's name (MediaWiki does not log the creating session in: log in with it next). JSON
 * is parsed with cJSON (Debian: libcjson-dev).
 *
 * Build: cc clientlogin.c -I include -L target/release -lmwauth -lcjson (the Makefile does it). */
#define _POSIX_C_SOURCE 200809L
#include <mwauth.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* One line from standard input, without its newline; NULL at end of input. */
static char *read_line(int hide) {
  static char line[1024];
  struct termios saved, quiet;
  int hiding = hide && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  if (hiding) {
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  char *got = fgets(line, sizeof line, stdin);
  if (hiding) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    fputc('\n', stdout);
  }
  if (got == NULL) return NULL;
  line[strcspn(line, "\r\n")] = '\0';
  return line;
}

static const char *text_of(const cJSON *field, const char *key) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(field, key);
  return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Asks for every field of a merged "fields" object; returns the answers as a JSON object, or
 * NULL at end of input. Hidden fields are left to the library, which sends them back itself. */
static cJSON *ask(const cJSON *fields) {
  cJSON *answers = cJSON_CreateObject();
  const cJSON *field;
  cJSON_ArrayForEach(field, fields) {
    const char *name = field->string;
    const char *type = text_of(field, "type");
    const char *label = text_of(field, "label");
    const char *help = text_of(field, "help");
    const char *value = text_of(field, "value");
    int sensitive = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(field, "sensitive"));
    int optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(field, "optional"));
    if (type == NULL || strcmp(type, "hidden") == 0) continue;
    if (label == NULL) label = name;
    if (strcmp(type, "null") == 0) { /* information only: a captcha's question, a notice */
      printf("%s%s%s\n", label, value ? " " : "", value ? value : "");
      continue;
    }
    if (help != NULL) printf("  (%s)\n", help);
    if (strcmp(type, "checkbox") == 0 || strcmp(type, "button") == 0) {
      printf("%s [y/N]: ", label);
      fflush(stdout);
      char *line = read_line(0);
      if (line == NULL) goto end_of_input;
      cJSON_AddBoolToObject(answers, name, line[0] == 'y' || line[0] == 'Y');
      continue;
    }
    if (strcmp(type, "select") == 0 || strcmp(type, "multiselect") == 0) {
      const cJSON *option;
      cJSON_ArrayForEach(option, cJSON_GetObjectItemCaseSensitive(field, "options")) {
        printf("  %s: %s\n", option->string, cJSON_IsString(option) ? option->valuestring : "");
      }
    }
    size_t length = strlen(label);
    int colon = length > 0 && label[length - 1] == ':'; /* "Retype password:" */
    printf("%s%s%s%s%s ", label, value ? " [" : "", value ? value : "", value ? "]" : "", colon ? "" : ":");
    fflush(stdout);
    char *line = read_line(sensitive || strcmp(type, "password") == 0);
    if (line == NULL) goto end_of_input;
    if (line[0] == '\0' && value != NULL) line = (char *)value;
    if (line[0] != '\0' || !optional) cJSON_AddStringToObject(answers, name, line);
  }
  return answers;
end_of_input:
  cJSON_Delete(answers);
  return NULL;
}

/* Runs one call with a JSON argument (NULL: none); returns its result and parses its output
 * into *out. */
static mw_result call(mw_result (*fn)(mw_session *, const char *, char **), mw_session *s,
                      const cJSON *arg, cJSON **out) {
  char *text = arg ? cJSON_PrintUnformatted(arg) : NULL;
  char *result = NULL;
  mw_result r = fn(s, text, &result);
  if (text) {
    memset(text, 0, strlen(text)); /* it held a password */
    cJSON_free(text);
  }
  *out = cJSON_Parse(result);
  mw_string_free(result);
  return r;
}

/* The first step of an attempt with the form's answers (taken and freed): mw_clientlogin with
 * them, or mw_auth_begin with {"purpose": "create", "fields": answers}. */
static mw_result begin(mw_session *s, int creating, cJSON *answers, cJSON **out) {
  if (!creating) {
    mw_result r = call(mw_clientlogin, s, answers, out);
    cJSON_Delete(answers);
    return r;
  }
  cJSON *request = cJSON_CreateObject();
  cJSON_AddStringToObject(request, "purpose", "create");
  cJSON_AddItemToObject(request, "fields", answers);
  mw_result r = call(mw_auth_begin, s, request, out);
  cJSON_Delete(request);
  return r;
}

int main(int argc, char **argv) {
  int creating = argc == 3 && strcmp(argv[1], "--create") == 0;
  if (argc != 2 + creating || argv[argc - 1][0] == '-') {
    fprintf(stderr, "usage: %s [--create] API_URL\n", argv[0]);
    return 2;
  }
  const char *api_url = argv[argc - 1];
  cJSON *config = cJSON_CreateObject();
  cJSON_AddStringToObject(config, "api_url", api_url);
  cJSON_AddStringToObject(config, "user_agent", "clientlogin-example/1.0");
  char *config_text = cJSON_PrintUnformatted(config);
  char *error = NULL;
  mw_session *s = mw_session_new(config_text, &error);
  cJSON_free(config_text);
  cJSON_Delete(config);
  if (s == NULL) {
    fprintf(stderr, "mw_session_new: %s\n", error);
    mw_string_free(error);
    return 1;
  }

  int status = 1;
  cJSON *answer = NULL;
  /* The purpose's calls: first the form, then an attempt, then its next steps. */
  mw_result (*fields_of)(mw_session *, const char *, char **) = creating ? mw_auth_fields : mw_clientlogin_fields;
  mw_result (*step)(mw_session *, const char *, char **) = creating ? mw_auth_continue : mw_clientlogin_step;
  cJSON *options = NULL;
  if (creating) {
    options = cJSON_CreateObject();
    cJSON_AddStringToObject(options, "purpose", "create");
  }
  mw_result r = call(fields_of, s, options, &answer);
  cJSON_Delete(options);
  for (int round = 0; round < 10 && answer != NULL; round++) {
    const char *state = text_of(answer, "status");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(answer, "fields");
    const char *message = text_of(answer, "message");
    if (r != MW_OK && state == NULL) { /* not the wiki's no: a transport or API error */
      const cJSON *err = cJSON_GetObjectItemCaseSensitive(answer, "error");
      fprintf(stderr, "error: %s (%s)\n", text_of(err, "info"), text_of(err, "code"));
      break;
    }
    if (message != NULL) printf("%s\n", message);
    if (state != NULL && strcmp(state, "PASS") == 0) {
      if (creating)
        printf("Created the account %s. Log in with it: %s %s\n", text_of(answer, "username"), argv[0], api_url);
      else
        printf("Logged in as %s.\n", text_of(answer, "username"));
      status = 0;
      break;
    }
    if (state != NULL && strcmp(state, "RESTART") == 0) break;
    if (state != NULL && strcmp(state, "REDIRECT") == 0) {
      printf("Open this address, then type the parameters you were sent back with (name=value, one a line, an empty line to end):\n  %s\n",
             text_of(answer, "redirecttarget"));
      cJSON *params = cJSON_CreateObject();
      char *line;
      while ((line = read_line(0)) != NULL && line[0] != '\0') {
        char *eq = strchr(line, '=');
        if (eq == NULL) continue;
        *eq = '\0';
        cJSON_AddStringToObject(params, line, eq + 1);
      }
      cJSON_Delete(answer);
      r = call(step, s, params, &answer);
      cJSON_Delete(params);
      continue;
    }
    if (fields == NULL) break; /* a FAIL the wiki gave no new form for */
    cJSON *answers = ask(fields);
    if (answers == NULL) break;
    int continuing = state != NULL && strcmp(state, "UI") == 0;
    cJSON_Delete(answer);
    /* UI: the next step of this flow. Otherwise (the first form, or a FAIL): a new attempt. */
    if (continuing) {
      r = call(step, s, answers, &answer);
      cJSON_Delete(answers);
    } else {
      r = begin(s, creating, answers, &answer);
    }
  }
  cJSON_Delete(answer);

  if (status == 0 && !creating) {
    char *out = NULL;
    if (mw_request(s, "{\"params\": {\"action\": \"query\", \"meta\": \"userinfo\"}}", &out) == MW_OK)
      printf("userinfo: %s\n", out);
    mw_string_free(out);
  }
  mw_session_free(s);
  return status;
}
