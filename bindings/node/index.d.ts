// Type declarations of the mwauth package (hand-written; index.js is the implementation).

/** Any JSON value the library takes or gives. */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
/** A JSON object (what every call resolves to). */
export interface JSONObject {
  [key: string]: JSONValue;
}
/** An input object: undefined members are left out, as JSON.stringify does. */
export interface InputObject {
  [key: string]: JSONValue | InputObject | undefined;
}

/** The C ABI's mw_result values (part of the ABI: they never change). */
export declare const Result: {
  readonly OK: 0;
  readonly ERR_ARGUMENT: 1;
  readonly ERR_STATE: 2;
  readonly ERR_TRANSPORT: 3;
  readonly ERR_HTTP: 4;
  readonly ERR_API: 5;
  readonly ERR_LOGIN: 6;
  readonly ERR_INTERNAL: 99;
};

/** mw_session_new's config, less api_url (the constructor's first argument). */
export interface SessionConfig {
  /** Sent as User-Agent, with " mwauth/VERSION" appended (printable ASCII). */
  user_agent?: string;
  /** Per HTTP request, connect to last byte; default 30000. */
  timeout_ms?: number;
  /** Sent as maxlag on every request. */
  maxlag?: number | null;
  /** Retries after maxlag errors and HTTP 429/503; default 3. */
  max_retries?: number;
  /** The longest single wait; default 120000. */
  max_retry_wait_ms?: number;
  /** Sent on the caller's requests once logged in; default "user". */
  assert?: 'user' | 'bot' | 'none';
  /** Log in again with the stored credentials when the wiki dropped the session; default true. */
  relogin?: boolean;
  /** Logs in before the first request and for every re-login. */
  bot_password?: { username: string; password: string } | null;
  /** A Netscape cookies.txt file, loaded here and rewritten whenever the cookies change. */
  cookie_file?: string | null;
  /** Allow credentials over plain http to a host that is not loopback; default false. */
  allow_insecure_http?: boolean;
  /** Larger bodies fail with HttpError "too_large"; default 67108864. */
  max_response_bytes?: number;
  /** An owner-only OAuth 2 token (Authorization: Bearer). */
  oauth2_token?: string | null;
  /** Every request signed with OAuth 1.0a HMAC-SHA1. */
  oauth1?: { consumer_key: string; consumer_secret: string; access_token: string; access_secret: string } | null;
  /** PEM root certificates trusted besides the built-in ones. */
  ca_file?: string | null;
  /** An http, https, socks4, socks4a, socks5 or socks5h proxy URL; null: the environment's; "none": no proxy. */
  proxy?: string | null;
  /** Any key a newer library knows (an unknown key is ArgumentError "unknown_key"). */
  [key: string]: JSONValue | InputObject | undefined;
}

/** The Action API's parameters: strings, numbers, booleans (true sends 1, false omits), null (omitted), lists. */
export interface RequestParams {
  [param: string]: string | number | boolean | null | undefined | Array<string | number>;
}

export interface RequestOptions {
  /** Default GET, or POST with a token or long parameters. */
  method?: 'GET' | 'POST';
  /** A token type ("csrf", ...): fetched when first needed, cached, refreshed once on badtoken. */
  token?: string;
  /** The parameter the token is sent as; default "token". */
  token_param?: string;
}

export interface LoginResult extends JSONObject {
  status: 'PASS';
  username: string;
  userid: number;
}

/** MediaWiki's clientlogin object. */
export interface ClientLoginResult extends JSONObject {
  status: 'PASS' | 'UI' | 'REDIRECT' | 'FAIL' | 'RESTART';
}

/** An AuthManager operation (MediaWiki's amirequestsfor word). */
export type AuthPurpose = 'login' | 'create' | 'link' | 'change' | 'remove' | 'unlink';

/** A form's fields: strings, or booleans for checkboxes and buttons (false and null leave the field out). */
export interface AuthFieldValues {
  [field: string]: string | boolean | null | undefined;
}

export interface AuthFieldsOptions {
  /** How labels and help come: default "wikitext". */
  messageformat?: 'html' | 'wikitext' | 'raw' | 'none';
  /** Any key a newer library knows (an unknown key is ArgumentError "unknown_key"). */
  [key: string]: JSONValue | undefined;
}

/** MediaWiki's authmanagerinfo object, plus canpreservestate. */
export interface AuthFieldsResult extends JSONObject {
  requests: JSONValue[];
  fields: { [field: string]: JSONObject };
  /** Whether authBegin's preservestate would add what the wiki kept from a FAIL or RESTART. */
  canpreservestate: boolean;
}

export interface AuthBeginOptions {
  /** login and create: add what the wiki kept from a FAIL or RESTART (e.g. a third-party identity). */
  preservestate?: boolean;
  /** login, create and link: where a third party sends the browser back; default: the api_url. */
  returnurl?: string;
  /** change, remove and unlink (required there, refused elsewhere): the "id" of one of authFields' requests. */
  request?: string;
  /** Any key a newer library knows (an unknown key is ArgumentError "unknown_key"). */
  [key: string]: JSONValue | undefined;
}

/** The module's object: PASS, UI or REDIRECT for login, create and link ("success" for change, remove and unlink). */
export interface AuthResult extends JSONObject {
  status: 'PASS' | 'UI' | 'REDIRECT' | 'FAIL' | 'RESTART' | 'success';
}

export interface SessionInfo extends JSONObject {
  api_url: string;
  logged_in: boolean | null;
  username: string | null;
  userid: number | null;
  auth: string | null;
  temp: boolean;
}

/** 10: debug (one line per HTTP exchange), 20: info (retries, waits, re-logins), 30: warning. */
export type LogLevel = 10 | 20 | 30 | number;
export type Logger = (level: LogLevel, message: string) => void;

export declare class Session {
  /**
   * A session with one wiki (makes no request).
   * @throws {ArgumentError} an unknown or ill-typed config key
   */
  constructor(apiUrl: string, config?: SessionConfig);
  /** The api_url the session was made with. */
  readonly apiUrl: string;
  /** Whether close() has been called. */
  readonly closed: boolean;
  /** What the session knows now, without a request (synchronous; throws StateError once closed). */
  readonly info: SessionInfo;
  /** Logs in with a bot password ("User@appid"); rejects with LoginError when refused. */
  login(username: string, password: string): Promise<LoginResult>;
  /** Any Action API call as the session's user; resolves to the API's response. */
  request(params: RequestParams, options?: RequestOptions): Promise<JSONObject>;
  /** What a login form must ask (meta=authmanagerinfo): {requests, fields}. */
  clientloginFields(options?: { messageformat?: 'html' | 'wikitext' | 'raw' | 'none' } | null): Promise<JSONObject>;
  /** Starts an interactive login with the form's fields; FAIL and RESTART reject with LoginError. */
  clientlogin(fields: InputObject): Promise<ClientLoginResult>;
  /** Continues a clientlogin after UI or REDIRECT; StateError "no_flow" with none in progress. */
  clientloginStep(fields: InputObject): Promise<ClientLoginResult>;
  /**
   * What the form of an AuthManager operation must ask (default purpose "login"), with
   * canpreservestate; StateError "not_logged_in" for link, change, remove and unlink in a
   * session not logged in.
   */
  authFields(purpose?: AuthPurpose, options?: AuthFieldsOptions | null): Promise<AuthFieldsResult>;
  /**
   * The first step of an AuthManager operation. FAIL and RESTART reject with LoginError
   * (.response), a refused change, remove or unlink with ApiError, link/change/remove/unlink
   * when not logged in with StateError "not_logged_in"; misfit arguments with ArgumentError
   * before any request.
   */
  authBegin(purpose: AuthPurpose, fields?: AuthFieldValues | null, options?: AuthBeginOptions | null): Promise<AuthResult>;
  /** Continues the login, create or link flow in progress after UI or REDIRECT; StateError "no_flow" with none. */
  authContinue(fields: AuthFieldValues): Promise<AuthResult>;
  /** Logs out and forgets cookies, tokens and credentials; resolves to {}. */
  logout(): Promise<JSONObject>;
  /** Sets the session's logger (null turns logging off). Synchronous. */
  setLogger(logger: Logger | null): void;
  /** Waits for every pending call to settle, then frees the session. Idempotent. */
  close(): Promise<void>;
}

export interface ErrorDetails {
  result?: number;
  error?: JSONObject;
  response?: JSONObject | null;
}

/** Any failure the library reports. */
export declare class MwauthError extends Error {
  constructor(code: string, info: string, details?: ErrorDetails);
  /** The mw_result number of this class (-1 for MwauthError itself). */
  static readonly resultCode: number;
  /** The machine-readable code: the library's ("invalid_json", "closed", ...) or the wiki's ("badtoken", "Failed", ...). */
  readonly code: string;
  /** The sentence for people. */
  readonly info: string;
  /** The mw_result number of the failed call. */
  readonly result: number;
  /** The whole "error" object (it may hold "http_status", "retry_after", "reason", MediaWiki's "errors"). */
  readonly error: JSONObject;
  /** The whole output of the call when it returned one (a clientlogin FAIL: status, messagecode, the form again), else null. */
  readonly response: JSONObject | null;
}
/** MW_ERR_ARGUMENT: unusable input (also this binding's "wrong_type", "invalid_json", "invalid_utf8"). */
export declare class ArgumentError extends MwauthError {}
/** MW_ERR_STATE: the call does not fit the session's state ("no_flow", "closed", ...). */
export declare class StateError extends MwauthError {}
/** MW_ERR_TRANSPORT: no HTTP answer ("dns", "connect", "timeout", "tls", "io"). */
export declare class TransportError extends MwauthError {}
/** MW_ERR_HTTP: an HTTP answer that is not an API response ("http_status", "not_json", "too_large"). */
export declare class HttpError extends MwauthError {}
/** MW_ERR_API: the API answered with an error; .error is MediaWiki's error object. */
export declare class ApiError extends MwauthError {}
/** MW_ERR_LOGIN: the wiki refused a login (.error.reason), or a clientlogin FAIL/RESTART (.response). */
export declare class LoginError extends MwauthError {}
/** MW_ERR_INTERNAL: a bug in the library, or output this binding could not read. */
export declare class InternalError extends MwauthError {}

/** Thrown by require('mwauth') when no usable library is found; the message lists every place tried. */
export declare class LibraryNotFoundError extends Error {
  readonly code: 'MWAUTH_LIBRARY_NOT_FOUND';
}

/** The loaded library's version, "MAJOR.MINOR.PATCH". */
export declare function version(): string;
/** The loaded library's version as one number, 0xMMmmpp. */
export declare function versionNumber(): number;
/** The name of a result code ("MW_OK", "MW_ERR_LOGIN", ...; "MW_UNKNOWN" for any other integer). */
export declare function resultName(result: number): string;
/** The path (or the dynamic loader's name) of the loaded library. */
export declare function libraryPath(): string;
