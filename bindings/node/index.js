'use strict';
/**
 * mwauth for Node.js: log in to a MediaWiki wiki and call its Action API as that user.
 *
 * A thin binding of libmwauth (the Rust library's C ABI, include/mwauth.h) over koffi. Every
 * network call is one of the library's *_async functions: it runs on the library's own thread
 * pool and settles a promise on the JS thread, so the event loop never blocks on the network.
 *
 *     const mwauth = require('mwauth');
 *     const s = new mwauth.Session('https://wiki.example.org/w/api.php', {user_agent: 'MyBot/1.0'});
 *     await s.login('MyUser@mybot', '0123456789abcdefghijklmnopqrstuv');
 *     await s.request({action: 'edit', title: 'Sandbox', text: 'Hello'}, {token: 'csrf'});
 *     await s.close();
 *
 * The shared library is found through MWAUTH_LIBRARY, then a source checkout's
 * target/release and target/debug (relative to this file), then the system's libmwauth.so.0 and
 * libmwauth.so; libraryPath() tells which one was loaded.
 */

const path = require('node:path');
const fs = require('node:fs');
const koffi = require('koffi');

const ENV_VAR = 'MWAUTH_LIBRARY';
// bindings/node/index.js -> the repository root, when run from a source checkout.
const REPO_DIR = path.resolve(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// Errors: one class per mw_result code, all under MwauthError (as the Python binding's tree).

/** The C ABI's mw_result values (part of the ABI: they never change). */
const Result = Object.freeze({
  OK: 0,
  ERR_ARGUMENT: 1,
  ERR_STATE: 2,
  ERR_TRANSPORT: 3,
  ERR_HTTP: 4,
  ERR_API: 5,
  ERR_LOGIN: 6,
  ERR_INTERNAL: 99,
});

class MwauthError extends Error {
  /**
   * @param {string} code the machine-readable code ("invalid_json", "badtoken", "Failed", ...)
   * @param {string} info the sentence for people
   * @param {{result?: number, error?: object, response?: object|null}} [details]
   */
  constructor(code, info, details = {}) {
    super(`${code}: ${info}`);
    this.name = new.target.name;
    this.code = code;
    this.info = info;
    this.result = details.result === undefined ? new.target.resultCode : details.result;
    this.error = details.error || { code, info };
    this.response = details.response === undefined ? null : details.response;
  }
}
MwauthError.resultCode = -1;

/** MW_ERR_ARGUMENT: the input is unusable (also raised by this binding, before any call, for a
 * value JSON cannot carry: "wrong_type", "invalid_json", "invalid_utf8"). */
class ArgumentError extends MwauthError {}
ArgumentError.resultCode = Result.ERR_ARGUMENT;
/** MW_ERR_STATE: the call does not fit the session's state ("no_flow", "closed", ...). */
class StateError extends MwauthError {}
StateError.resultCode = Result.ERR_STATE;
/** MW_ERR_TRANSPORT: no HTTP answer ("dns", "connect", "timeout", "tls", "io"). */
class TransportError extends MwauthError {}
TransportError.resultCode = Result.ERR_TRANSPORT;
/** MW_ERR_HTTP: an HTTP answer that is not an API response ("http_status", "not_json", "too_large"). */
class HttpError extends MwauthError {}
HttpError.resultCode = Result.ERR_HTTP;
/** MW_ERR_API: the API answered with an error; .error is MediaWiki's error object. */
class ApiError extends MwauthError {}
ApiError.resultCode = Result.ERR_API;
/** MW_ERR_LOGIN: the wiki refused a login (.error.reason), or a clientlogin FAIL/RESTART
 * (.response holds the clientlogin object). */
class LoginError extends MwauthError {}
LoginError.resultCode = Result.ERR_LOGIN;
/** MW_ERR_INTERNAL: a bug in the library ("panic", "poisoned"), or output this binding could not read. */
class InternalError extends MwauthError {}
InternalError.resultCode = Result.ERR_INTERNAL;

const CLASSES = new Map(
  [ArgumentError, StateError, TransportError, HttpError, ApiError, LoginError, InternalError].map((c) => [
    c.resultCode,
    c,
  ]),
);

/** The error for a call that returned `result` with the output object `response`. */
function errorFor(result, response) {
  const Cls = CLASSES.get(result) || MwauthError;
  let error = response !== null && typeof response === 'object' ? response.error : undefined;
  if (error === null || typeof error !== 'object' || Array.isArray(error)) {
    error = { code: 'no_error_object', info: `the library returned ${result} without an error object` };
  }
  const code = error.code === undefined ? 'unknown' : String(error.code);
  const info = error.info === undefined ? '' : String(error.info);
  return new Cls(code, info, { result, error, response: response === undefined ? null : response });
}

// ---------------------------------------------------------------------------------------------
// Finding and declaring the library.

class LibraryNotFoundError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LibraryNotFoundError';
    this.code = 'MWAUTH_LIBRARY_NOT_FOUND';
  }
}

const FILE_NAME = process.platform === 'darwin' ? 'libmwauth.dylib' : process.platform === 'win32' ? 'mwauth.dll' : 'libmwauth.so';
const SYSTEM_NAMES =
  process.platform === 'darwin'
    ? ['libmwauth.0.dylib', 'libmwauth.dylib']
    : process.platform === 'win32'
      ? ['mwauth.dll']
      : ['libmwauth.so.0', 'libmwauth.so'];

// void (*mw_done_fn)(void *userdata, mw_result result, char *out_json): out_json is taken as a
// raw pointer (void *), so that it can be released with mw_string_free. Anonymous types: two
// copies of this package in one process must not clash over koffi's global type names.
const DoneFn = koffi.proto(null, 'void', ['void *', 'int', 'void *']);
// void (*mw_log_fn)(void *userdata, int level, const char *message): message is borrowed for
// the call, so koffi's copy into a JS string is exactly right (nothing to free).
const LogFn = koffi.proto(null, 'void', ['void *', 'int', 'const char *']);

// name -> [result, [arguments]]. mw_session * is a BigInt (koffi 3's pointers); mw_result is an
// int-sized enum. Every char * the library hands out is declared void * (a raw pointer) and
// released with mw_string_free: koffi's 'str' return type would copy it and lose the pointer.
// mw_version and mw_result_name return static strings, never freed: those are plain strings.
const SIGNATURES = {
  mw_version: ['const char *', []],
  mw_version_number: ['int', []],
  mw_result_name: ['const char *', ['int']],
  mw_session_new: ['void *', ['const char *', koffi.out(koffi.pointer('void *'))]],
  mw_session_free: ['void', ['void *']],
  mw_string_free: ['void', ['void *']],
  mw_session_info: ['int', ['void *', koffi.out(koffi.pointer('void *'))]],
  mw_session_set_logger: ['int', ['void *', koffi.pointer(LogFn), 'void *']],
  mw_request_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_login_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_clientlogin_fields_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_clientlogin_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_clientlogin_step_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_logout_async: ['int', ['void *', koffi.pointer(DoneFn), 'void *']],
  mw_auth_fields_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_auth_begin_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_auth_continue_async: ['int', ['void *', 'const char *', koffi.pointer(DoneFn), 'void *']],
  mw_async_error: ['void *', []],
};

/** Declares every function of SIGNATURES; throws naming the symbols the library lacks. */
function declare(lib) {
  const fns = {};
  const missing = [];
  for (const [name, [result, args]] of Object.entries(SIGNATURES)) {
    try {
      fns[name] = lib.func(name, result, args);
    } catch (e) {
      missing.push(name);
    }
  }
  if (missing.length) {
    throw new Error(
      `it does not export ${missing.join(', ')}: it is older than this package (build it again: cargo build --release --lib)`,
    );
  }
  return fns;
}

/** Whether this package sits in a source checkout of mwauth (bindings/node of the repository). */
function inCheckout() {
  return (
    fs.existsSync(path.join(REPO_DIR, 'Cargo.toml')) && fs.existsSync(path.join(REPO_DIR, 'include', 'mwauth.h'))
  );
}

function loadLibrary() {
  const tried = [];
  const attempt = (where, place) => {
    let lib;
    try {
      lib = koffi.load(where);
    } catch (e) {
      tried.push(`${place}: ${where}: ${e.message}`);
      return null;
    }
    try {
      return { lib, fns: declare(lib), where };
    } catch (e) {
      tried.push(`${place}: ${where}: ${e.message}`);
      try {
        lib.unload();
      } catch (_) {
        // a library koffi cannot unload stays loaded, unused
      }
      return null;
    }
  };
  const fail = (extra) => {
    const lines = tried.map((t, i) => `  ${i + 1}. ${t}`).join('\n');
    return new LibraryNotFoundError(
      `cannot load the mwauth shared library (libmwauth). Tried, in order:\n${lines}\n${extra || ''}` +
        `Set ${ENV_VAR} to the library's path, build it in the source checkout (make release), ` +
        'or install it (make install, then ldconfig).',
    );
  };

  // 1. The environment variable wins; a wrong value is an error, not a reason to look elsewhere.
  const env = process.env[ENV_VAR];
  if (env) {
    const found = attempt(env, `$${ENV_VAR}`);
    if (found) return found;
    throw fail(`(Nothing else is searched while ${ENV_VAR} is set; unset it to use the other places.)\n`);
  }
  tried.push(`$${ENV_VAR}: not set`);

  // 2. The source checkout's release build, then its debug build.
  if (inCheckout()) {
    for (const profile of ['release', 'debug']) {
      const file = path.join(REPO_DIR, 'target', profile, FILE_NAME);
      if (!fs.existsSync(file)) {
        tried.push(`the source checkout's ${profile} build: no ${file}`);
        continue;
      }
      const found = attempt(file, `the source checkout's ${profile} build`);
      if (found) return found;
    }
  } else {
    tried.push(`the source checkout's target/release and target/debug: ${REPO_DIR} is not an mwauth checkout`);
  }

  // 3. The system's library path (the dynamic loader's search: ld.so.cache, LD_LIBRARY_PATH).
  for (const name of SYSTEM_NAMES) {
    const found = attempt(name, "the system's library path");
    if (found) return found;
  }
  throw fail();
}

const { fns: C, where: LIBRARY_PATH } = loadLibrary();

/** Copies a string the library handed out (a raw pointer, or null) and frees it. */
function takeString(ptr) {
  if (ptr === null || ptr === undefined || ptr === 0n) return null;
  try {
    return koffi.decode(ptr, 'char', -1);
  } finally {
    C.mw_string_free(ptr);
  }
}

// ---------------------------------------------------------------------------------------------
// JSON across the boundary.

const LONE_SURROGATE = /[\uD800-\uDFFF]/u; // with /u a surrogate pair is one code point: only lone ones match

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  if (t === 'object') {
    const name = value.constructor && value.constructor.name;
    return name ? `a ${name}` : 'an object';
  }
  if (t === 'number') return String(value);
  return t === 'undefined' ? 'undefined' : `a ${t}`;
}

function isPlainObject(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function surrogateError(text) {
  const unit = text.match(LONE_SURROGATE)[0].charCodeAt(0).toString(16).toUpperCase();
  return new ArgumentError('invalid_utf8', `a string holds U+${unit}, a lone surrogate UTF-8 cannot encode`);
}

/**
 * The library's JSON input. Refuses (ArgumentError "invalid_json") what JSON has no form for,
 * instead of JSON.stringify's silent choices: a BigInt, a function or symbol, NaN or Infinity,
 * undefined in an array, any object that is not a plain object or an array (Map, Set, Date,
 * Buffer, class instances), a structure that contains itself; and (ArgumentError
 * "invalid_utf8") a string with a lone surrogate. undefined object members are left out, as
 * JSON.stringify does. NUL characters are safe: JSON escapes them.
 */
function encode(value) {
  let text;
  try {
    text = JSON.stringify(value, function check(key, v) {
      const raw = this[key]; // before any toJSON
      if (LONE_SURROGATE.test(key)) throw surrogateError(key);
      const where = key === '' ? '' : ` (at ${JSON.stringify(key).replace(LONE_SURROGATE, '?')})`;
      switch (typeof raw) {
        case 'string':
          if (LONE_SURROGATE.test(raw)) throw surrogateError(raw);
          return raw;
        case 'number':
          if (!Number.isFinite(raw)) throw new ArgumentError('invalid_json', `cannot be sent as JSON: ${raw}${where}`);
          return raw;
        case 'boolean':
          return raw;
        case 'undefined':
          if (Array.isArray(this)) {
            throw new ArgumentError('invalid_json', `cannot be sent as JSON: undefined in an array${where}`);
          }
          return undefined;
        case 'object':
          if (raw === null || Array.isArray(raw) || isPlainObject(raw)) return raw;
          throw new ArgumentError('invalid_json', `cannot be sent as JSON: ${describe(raw)}${where}`);
        default: // bigint, function, symbol
          throw new ArgumentError('invalid_json', `cannot be sent as JSON: ${describe(raw)}${where}`);
      }
    });
  } catch (e) {
    if (e instanceof ArgumentError) throw e;
    if (e instanceof RangeError) {
      throw new ArgumentError('invalid_json', 'cannot be sent as JSON: it is nested too deeply');
    }
    throw new ArgumentError('invalid_json', `cannot be sent as JSON: ${e.message}`); // a cycle
  }
  return text;
}

/** The library's JSON output. */
function decode(text, what) {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new HttpError('not_json', `the wiki's answer to ${what} (${text.length} characters) is beyond JavaScript's JSON parser: ${e.message}`);
    }
    throw new InternalError('bad_output', `${what} returned text that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
}

/** A plain-object argument, or an ArgumentError "wrong_type". */
function object(value, what) {
  if (!isPlainObject(value)) {
    throw new ArgumentError('wrong_type', `${what} must be a plain object, not ${describe(value)}`);
  }
  return value;
}

/** An AuthManager purpose argument: a string (the library knows which words it takes). */
function purposeWord(purpose) {
  if (typeof purpose !== 'string') {
    throw new ArgumentError(
      'wrong_type',
      `the purpose must be a string ("login", "create", "link", "change", "remove" or "unlink"), not ${describe(purpose)}`,
    );
  }
  return purpose;
}

/** An options argument (undefined or null: none) as the keys it adds to a call's JSON; the
 * keys in `positional` are other arguments of the call, refused here. Any other key goes to the
 * library, which refuses what it does not know ("unknown_key"). */
function extraOptions(options, positional) {
  if (options === undefined || options === null) return {};
  object(options, 'options');
  for (const key of positional) {
    if (Object.prototype.hasOwnProperty.call(options, key)) {
      throw new ArgumentError('invalid_value', `options must not hold "${key}": it is an argument of its own`);
    }
  }
  const extra = {};
  for (const [key, value] of Object.entries(options)) {
    // defineProperty, not assignment: an own "__proto__" key stays a key (the library refuses it).
    Object.defineProperty(extra, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return extra;
}

// ---------------------------------------------------------------------------------------------
// The two callbacks the library calls, registered once per process and never unregistered (the
// library may call them as long as any session lives). Both are called on the library's pool
// threads; koffi queues each call onto the JS thread and holds the pool thread until it returns.

/** call id -> {session, what, resolve, reject}: the calls whose done has not run yet. */
const pending = new Map();
let nextCallId = 1;
/** session id -> the JS logger function. */
const loggers = new Map();
let nextSessionId = 1;

// koffi's queued calls from other threads do not keep the event loop alive: while any call is
// pending, one ref'd timer does; with none, an idle session lets the process exit.
let keepAlive = null;
function holdLoop() {
  if (keepAlive === null) keepAlive = setInterval(() => {}, 0x7fffffff);
}
function releaseLoop() {
  if (pending.size === 0 && keepAlive !== null) {
    clearInterval(keepAlive);
    keepAlive = null;
  }
}

function settle(entry, result, text) {
  let value;
  try {
    value = decode(text, entry.what);
  } catch (e) {
    entry.reject(e);
    return;
  }
  if (result !== Result.OK) {
    entry.reject(errorFor(result, isPlainObject(value) ? value : null));
  } else if (value === null) {
    entry.reject(new InternalError('no_output', `${entry.what} succeeded but returned no output`));
  } else {
    entry.resolve(value);
  }
}

const doneCallback = koffi.register((userdata, result, outJson) => {
  // Must not throw: nothing could catch it on the library's side.
  let text = null;
  try {
    text = takeString(outJson);
  } catch (_) {
    // decoding failed: settle with no output
  }
  const id = userdata === null ? 0 : Number(userdata);
  const entry = pending.get(id);
  if (entry === undefined) return;
  pending.delete(id);
  try {
    settle(entry, result, text);
  } finally {
    entry.session._callEnded();
    releaseLoop();
  }
}, koffi.pointer(DoneFn));

let warnedLogger = false;
const logCallback = koffi.register((userdata, level, message) => {
  const fn = loggers.get(userdata === null ? 0 : Number(userdata));
  if (fn === undefined) return; // turned off (or replaced) after the library started this line
  try {
    fn(level, message === null ? '' : message);
  } catch (e) {
    // An exception cannot cross into the library; say so once rather than lose it silently.
    if (!warnedLogger) {
      warnedLogger = true;
      process.emitWarning(`an mwauth logger threw (ignored; further ones are not reported): ${e && e.stack ? e.stack : e}`);
    }
  }
}, koffi.pointer(LogFn));

// A Session dropped without close() is freed when collected (it has no pending call then:
// pending calls keep it reachable).
const finalizer = new FinalizationRegistry(({ ptr, id }) => {
  loggers.delete(id);
  C.mw_session_free(ptr);
});

function closedError() {
  return new StateError('closed', 'this Session has been closed', { result: Result.ERR_STATE });
}

// ---------------------------------------------------------------------------------------------

class Session {
  /**
   * A session with one wiki: its cookies, tokens and login. Makes no request.
   * @param {string} apiUrl the wiki's api.php URL
   * @param {object} [config] any other key of mw_session_new's config: user_agent, timeout_ms,
   *   maxlag, max_retries, max_retry_wait_ms, assert, relogin, bot_password, cookie_file,
   *   allow_insecure_http, max_response_bytes, oauth2_token, oauth1, ca_file, proxy.
   * @throws {ArgumentError} an unknown or ill-typed key (the library decides what it knows)
   */
  constructor(apiUrl, config = {}) {
    this._ptr = null;
    this._id = nextSessionId++;
    this._closing = false;
    this._closed = null; // the promise of close()
    this._active = 0; // calls started and not yet done
    this._drained = []; // resolvers waiting for _active to reach 0
    this._loggerSet = false;
    const body = { ...object(config === undefined ? {} : config, 'config'), api_url: apiUrl };
    const error = [null];
    const ptr = C.mw_session_new(encode(body), error);
    const text = takeString(error[0]);
    if (ptr === null || ptr === 0n) {
      const out = decode(text, 'mw_session_new');
      const result = isPlainObject(out) && Number.isInteger(out.result) ? out.result : Result.ERR_INTERNAL;
      throw errorFor(result, out);
    }
    this._ptr = ptr;
    this._apiUrl = apiUrl;
    finalizer.register(this, { ptr, id: this._id }, this);
  }

  /** The api_url the session was made with. */
  get apiUrl() {
    return this._apiUrl;
  }

  /** Whether close() has been called (calls made since reject with StateError "closed"). */
  get closed() {
    return this._closing;
  }

  _callEnded() {
    this._active -= 1;
    if (this._active === 0) {
      const waiting = this._drained;
      this._drained = [];
      for (const resolve of waiting) resolve();
    }
  }

  /** Starts fn(session, ...args, done, userdata); the promise settles when done runs. */
  _start(what, fn, ...args) {
    if (this._closing) return Promise.reject(closedError());
    const id = nextCallId++;
    if (nextCallId > Number.MAX_SAFE_INTEGER) nextCallId = 1;
    let entry;
    const promise = new Promise((resolve, reject) => {
      entry = { session: this, what, resolve, reject };
    });
    pending.set(id, entry);
    this._active += 1;
    holdLoop();
    let rc;
    try {
      rc = fn(this._ptr, ...args, doneCallback, BigInt(id));
    } catch (e) {
      rc = null;
      entry.reject(new InternalError('ffi', `${what}: ${e.message}`));
    }
    if (rc !== Result.OK) {
      // done will never be called for this call.
      pending.delete(id);
      this._callEnded();
      releaseLoop();
      if (rc !== null) entry.reject(asyncError(rc, what));
    }
    return promise;
  }

  /** Runs a *_async call with a JSON argument; a bad argument is a rejected promise. */
  _json(what, fn, value) {
    let text;
    try {
      text = value === null ? null : encode(value);
    } catch (e) {
      return Promise.reject(e);
    }
    return this._start(what, fn, text);
  }

  _checkOpen() {
    if (this._closing) throw closedError();
  }

  /**
   * Logs in with a bot password (action=login): username is "User@appid".
   * Resolves to {status: "PASS", username, userid, warnings?}; rejects with LoginError when the
   * wiki refuses (.code: "Failed", ...; .error.reason: "wrongpassword", ...).
   */
  login(username, password) {
    return this._json('mw_login', C.mw_login_async, { username, password });
  }

  /**
   * Any Action API call as the session's user; resolves to the API's response.
   * @param {object} params the API's parameters (values: string, number, boolean, null, arrays)
   * @param {{method?: 'GET'|'POST', token?: string, token_param?: string}} [options]
   */
  request(params, options) {
    let body;
    try {
      body = { params: object(params, 'params') };
      if (options !== undefined && options !== null) {
        for (const [key, value] of Object.entries(object(options, 'options'))) {
          if (key === 'params') throw new ArgumentError('invalid_value', 'options must not hold "params"');
          body[key] = value;
        }
      }
    } catch (e) {
      return Promise.reject(e);
    }
    return this._json('mw_request', C.mw_request_async, body);
  }

  /**
   * What a login form must ask (meta=authmanagerinfo): {requests, fields}.
   * @param {{messageformat?: 'html'|'wikitext'|'raw'|'none'}} [options]
   */
  clientloginFields(options) {
    if (options === undefined || options === null) {
      return this._json('mw_clientlogin_fields', C.mw_clientlogin_fields_async, null);
    }
    try {
      object(options, 'options');
    } catch (e) {
      return Promise.reject(e);
    }
    return this._json('mw_clientlogin_fields', C.mw_clientlogin_fields_async, options);
  }

  /**
   * Starts an interactive login (action=clientlogin) with the form's fields ({username,
   * password, captchaWord, rememberMe: true, returnurl, preservestate, ...}). Resolves to
   * MediaWiki's clientlogin object, status "PASS", "UI" or "REDIRECT"; FAIL and RESTART reject
   * with LoginError whose .response holds the object.
   */
  clientlogin(fields) {
    try {
      object(fields, 'fields');
    } catch (e) {
      return Promise.reject(e);
    }
    return this._json('mw_clientlogin', C.mw_clientlogin_async, fields);
  }

  /** Continues a clientlogin after UI or REDIRECT (e.g. {OATHToken: "123456"}). */
  clientloginStep(fields) {
    try {
      object(fields, 'fields');
    } catch (e) {
      return Promise.reject(e);
    }
    return this._json('mw_clientlogin_step', C.mw_clientlogin_step_async, fields);
  }

  /**
   * What the form of an AuthManager operation must ask (meta=authmanagerinfo with
   * amirequestsfor=purpose, and the purpose's token, kept for the next authBegin of it).
   * Resolves to MediaWiki's authmanagerinfo object ({requests, fields, haspreservedstate,
   * preservedusername, ...}) plus canpreservestate: whether authBegin's preservestate would add
   * what the wiki kept from a FAIL or RESTART. "login" logs a logged-in session out first
   * (locally); "link", "change", "remove" and "unlink" reject with StateError "not_logged_in" in a
   * session that is not logged in, before any request.
   * @param {'login'|'create'|'link'|'change'|'remove'|'unlink'} [purpose] default "login"
   * @param {{messageformat?: 'html'|'wikitext'|'raw'|'none'}} [options]
   */
  authFields(purpose = 'login', options) {
    let body;
    try {
      body = { purpose: purposeWord(purpose), ...extraOptions(options, ['purpose']) };
    } catch (e) {
      return Promise.reject(e);
    }
    return this._json('mw_auth_fields', C.mw_auth_fields_async, body);
  }

  /**
   * The first step of an AuthManager operation, posted to the purpose's module: "login"
   * (clientlogin), "create" (createaccount), "link" (linkaccount), "change"
   * (changeauthenticationdata), "remove" (removeauthenticationdata) or "unlink"
   * (unlinkaccount); the library fetches the token. Field values are strings, or booleans for
   * checkboxes and buttons (false leaves the field out); hidden fields of the last authFields
   * of the same purpose (a captcha's id) are sent back unless given.
   *
   * Resolves to the module's object: status "PASS" (a create carries the new "username" and
   * does not log the session in), "UI" or "REDIRECT" (continue with authContinue), or
   * {status: "success"} for change, remove and unlink. FAIL and RESTART reject with LoginError
   * (.response: the object, with "canpreservestate"; after a FAIL the form again); a refused
   * change, remove or unlink with ApiError; link, change, remove and unlink in a session not
   * logged in with StateError "not_logged_in". A misfit (an unknown purpose, preservestate
   * other than for login and create, returnurl for change, remove or unlink, request missing
   * for them or given to the others, a field the library sets itself) rejects with
   * ArgumentError before any request.
   * @param {'login'|'create'|'link'|'change'|'remove'|'unlink'} purpose
   * @param {object} [fields] the form's fields
   * @param {{preservestate?: boolean, returnurl?: string, request?: string}} [options]
   */
  authBegin(purpose, fields, options) {
    let body;
    try {
      body = {
        purpose: purposeWord(purpose),
        fields: fields === undefined || fields === null ? {} : object(fields, 'fields'),
        ...extraOptions(options, ['purpose', 'fields']),
      };
    } catch (e) {
      return Promise.reject(e);
    }
    return this._json('mw_auth_begin', C.mw_auth_begin_async, body);
  }

  /**
   * Continues the AuthManager flow in progress (login, create or link) after UI or REDIRECT,
   * with the next fields ({OATHToken: "123456"}, {confirmedLinkIDs: ID}, or the query
   * parameters the third party appended to the return URL). Same results and errors as
   * authBegin; with no flow in progress StateError "no_flow", before any request.
   */
  authContinue(fields) {
    try {
      object(fields, 'fields');
    } catch (e) {
      return Promise.reject(e);
    }
    return this._json('mw_auth_continue', C.mw_auth_continue_async, fields);
  }

  /** Logs out (action=logout) and forgets cookies, tokens and credentials. Resolves to {}. */
  logout() {
    return this._start('mw_logout', C.mw_logout_async);
  }

  /** What the session knows now, without a request (mw_session_info, synchronous). */
  get info() {
    this._checkOpen();
    const out = [null];
    const rc = C.mw_session_info(this._ptr, out);
    const value = decode(takeString(out[0]), 'mw_session_info');
    if (rc !== Result.OK) throw errorFor(rc, isPlainObject(value) ? value : null);
    return value;
  }

  /**
   * Sets the session's logger, fn(level, message): level 10 (debug: one line per HTTP
   * exchange), 20 (info) or 30 (warning); no line ever holds a secret. null turns logging off.
   * It runs on the JS thread, and may call the session (info, setLogger, start calls).
   */
  setLogger(fn) {
    this._checkOpen();
    if (fn === undefined) fn = null;
    if (fn !== null && typeof fn !== 'function') {
      throw new ArgumentError('wrong_type', `the logger must be a function or null, not ${describe(fn)}`);
    }
    if (fn === null) {
      loggers.delete(this._id);
      if (this._loggerSet) {
        this._loggerSet = false;
        const rc = C.mw_session_set_logger(this._ptr, null, null);
        if (rc !== Result.OK) throw errorFor(rc, null);
      }
      return;
    }
    loggers.set(this._id, fn);
    if (!this._loggerSet) {
      const rc = C.mw_session_set_logger(this._ptr, logCallback, BigInt(this._id));
      if (rc !== Result.OK) {
        loggers.delete(this._id);
        throw errorFor(rc, null);
      }
      this._loggerSet = true;
    }
  }

  /**
   * Releases the session: later calls reject with StateError "closed"; the promise resolves
   * once every pending call has settled and mw_session_free has run. Safe to call again.
   */
  close() {
    if (this._closed === null) {
      this._closing = true;
      this._closed = (async () => {
        while (this._active > 0) {
          await new Promise((resolve) => this._drained.push(resolve));
        }
        // Every done has run; one turn of the event loop more, so that koffi has certainly let
        // the last pool thread go. mw_session_free then cannot wait for a callback queued on
        // this thread (which would wait for this thread: a deadlock).
        await new Promise((resolve) => setImmediate(resolve));
        const ptr = this._ptr;
        this._ptr = null;
        finalizer.unregister(this);
        loggers.delete(this._id);
        C.mw_session_free(ptr);
      })();
    }
    return this._closed;
  }

  [Symbol.for('nodejs.util.inspect.custom')]() {
    return `Session { ${JSON.stringify(this._apiUrl)} ${this._ptr === null ? 'closed' : this._closing ? 'closing' : 'open'} }`;
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  // `await using s = new Session(...)` where the runtime has explicit resource management.
  Session.prototype[Symbol.asyncDispose] = Session.prototype.close;
}

/** The error of a *_async call that returned `rc` (its arguments were refused at once). */
function asyncError(rc, what) {
  const text = takeString(C.mw_async_error());
  let value = null;
  try {
    value = decode(text, 'mw_async_error');
  } catch (_) {
    // fall through with no object
  }
  if (!isPlainObject(value)) {
    value = { error: { code: 'unknown', info: `${what} refused its arguments (${C.mw_result_name(rc)})` } };
  }
  return errorFor(rc, value);
}

/** The loaded library's version, "MAJOR.MINOR.PATCH" (mw_version). */
function version() {
  return C.mw_version();
}

/** The loaded library's version as one number, 0xMMmmpp (mw_version_number). */
function versionNumber() {
  return C.mw_version_number();
}

/** The name of a result code: "MW_OK", "MW_ERR_LOGIN", ...; "MW_UNKNOWN" for any other. */
function resultName(result) {
  if (!Number.isInteger(result)) {
    throw new ArgumentError('wrong_type', `a result code is an integer, not ${describe(result)}`);
  }
  if (result < -0x80000000 || result > 0x7fffffff) return 'MW_UNKNOWN';
  return C.mw_result_name(result);
}

/** Where the loaded library came from: a path, or the name the dynamic loader was given. */
function libraryPath() {
  return LIBRARY_PATH;
}

module.exports = {
  Session,
  version,
  versionNumber,
  resultName,
  libraryPath,
  Result,
  MwauthError,
  ArgumentError,
  StateError,
  TransportError,
  HttpError,
  ApiError,
  LoginError,
  InternalError,
  LibraryNotFoundError,
};
