'use strict';
// Bad arguments reject with ArgumentError before any request: the binding's own checks (what
// JSON cannot carry, or an argument that is not an object) and the library's, which the
// *_async functions report at once through mw_async_error(). A loopback server counts the
// requests that reach it: none may.

const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { mwauth, env, session } = require('./common');

let server;
let hits = 0;
let apiUrl;

test.before(async () => {
  env('MWAUTH_TEST_API_URL'); // the suite runs inside the test wiki's environment, or fails
  server = http.createServer((req, res) => {
    hits += 1;
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('no request should get here');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${server.address().port}/api.php`;
});

test.after(async () => {
  if (server) await new Promise((resolve) => server.close(resolve));
});

function isArgumentError(code) {
  return (e) => {
    assert.ok(e instanceof mwauth.ArgumentError, `${e && e.name}: ${e && e.message}`);
    assert.equal(e.result, mwauth.Result.ERR_ARGUMENT);
    if (code) assert.equal(e.code, code, e.message);
    assert.equal(typeof e.info, 'string');
    return true;
  };
}

test('arguments the binding cannot send reject with ArgumentError, as promises', async () => {
  const s = session({ api_url: apiUrl });
  const circular = { a: 1 };
  circular.self = circular;
  let deep = {};
  for (let i = 0; i < 100000; i++) deep = { d: deep };
  const cases = [
    [() => s.request(), 'wrong_type'],
    [() => s.request(undefined), 'wrong_type'],
    [() => s.request(null), 'wrong_type'],
    [() => s.request('action=query'), 'wrong_type'],
    [() => s.request(['action', 'query']), 'wrong_type'],
    [() => s.request(new Map([['action', 'query']])), 'wrong_type'],
    [() => s.request({ action: 'query' }, 'csrf'), 'wrong_type'],
    [() => s.request({ action: 'query', pageids: 10n }), 'invalid_json'],
    [() => s.request({ action: 'query' }, { token: 1n }), 'invalid_json'],
    [() => s.request({ action: 'query', x: () => 1 }), 'invalid_json'],
    [() => s.request({ action: 'query', x: Symbol('s') }), 'invalid_json'],
    [() => s.request({ action: 'query', x: NaN }), 'invalid_json'],
    [() => s.request({ action: 'query', x: Infinity }), 'invalid_json'],
    [() => s.request({ action: 'query', x: new Date() }), 'invalid_json'],
    [() => s.request({ action: 'query', x: new Set([1]) }), 'invalid_json'],
    [() => s.request({ action: 'query', x: Buffer.from('x') }), 'invalid_json'],
    [() => s.request({ action: 'query', x: [1, undefined] }), 'invalid_json'],
    [() => s.request({ action: 'query', x: circular }), 'invalid_json'],
    [() => s.request({ action: 'query', x: deep }), 'invalid_json'],
    [() => s.request({ action: 'query', text: 'a\ud800b' }), 'invalid_utf8'],
    [() => s.request({ action: 'query', ['k\udc00']: 'v' }), 'invalid_utf8'],
    [() => s.login('MwBot@mwauth', 10n), 'invalid_json'],
    [() => s.clientlogin(), 'wrong_type'],
    [() => s.clientlogin('MwHuman'), 'wrong_type'],
    [() => s.clientloginStep(undefined), 'wrong_type'],
    [() => s.clientloginStep({ OATHToken: 123456n }), 'invalid_json'],
    [() => s.clientloginFields('raw'), 'wrong_type'],
  ];
  for (const [call, code] of cases) {
    let promise;
    assert.doesNotThrow(() => {
      promise = call();
    }, `${call}`);
    assert.ok(promise instanceof Promise, `${call}`);
    await assert.rejects(promise, isArgumentError(code), `${call}`);
  }
  // A lone surrogate's error never echoes the string it was found in (it may be a password).
  await assert.rejects(s.login('MwBot@mwauth', 'secret-part\ud800'), (e) => {
    assert.equal(e.code, 'invalid_utf8');
    assert.ok(!e.message.includes('secret-part'), e.message);
    return true;
  });
  // A surrogate pair is fine: it is one character (this call fails later, at the library, over
  // the password that is not a string).
  await assert.rejects(s.login('\u{1F600}', 2), isArgumentError('wrong_type'));
  assert.equal(hits, 0);
});

test("the library's own checks come back through mw_async_error() as ArgumentError", async () => {
  const s = session({ api_url: apiUrl });
  const cases = [
    [() => s.login(1, 2), 'wrong_type'],
    [() => s.login('MwBot@mwauth'), null], // no password: missing_field
    [() => s.request({ action: 'query' }, { method: 'PUT' }), null],
    [() => s.request({ action: 'query' }, { no_such_option: 1 }), null],
    [() => s.request({ action: 'edit', title: 'T', text: 'x' }, { token: 'csrf', method: 'GET' }), null],
    [() => s.request({ action: 'query', x: { nested: 'object' } }), null],
    [() => s.clientlogin({ username: 'MwHuman', logintoken: 'x' }), null],
    [() => s.clientlogin({ username: 5 }), null],
    [() => s.clientloginStep({ OATHToken: { code: 1 } }), null],
    [() => s.clientloginFields({ messageformat: 'shouting' }), null],
  ];
  for (const [call, code] of cases) {
    await assert.rejects(call(), isArgumentError(code), `${call}`);
  }
  assert.equal(hits, 0);
});

test('a bad config throws ArgumentError from the constructor', () => {
  assert.throws(() => new mwauth.Session(apiUrl, { no_such_key: 1 }), isArgumentError('unknown_key'));
  assert.throws(() => new mwauth.Session(5), isArgumentError('wrong_type'));
  assert.throws(() => new mwauth.Session(undefined), isArgumentError());
  assert.throws(() => new mwauth.Session(apiUrl, 'MyBot/1.0'), isArgumentError('wrong_type'));
  assert.throws(() => new mwauth.Session(apiUrl, { timeout_ms: 10n }), isArgumentError('invalid_json'));
  assert.throws(() => new mwauth.Session(apiUrl, { assert: 'everything' }), isArgumentError());
  assert.throws(() => new mwauth.Session('ftp://example.org/api.php'), isArgumentError());
  assert.equal(hits, 0);
});

test('setLogger takes a function or null', () => {
  const s = session({ api_url: apiUrl });
  assert.throws(() => s.setLogger('console.log'), isArgumentError('wrong_type'));
  assert.throws(() => s.setLogger({}), isArgumentError('wrong_type'));
  s.setLogger(() => {});
  s.setLogger(undefined);
  s.setLogger(null);
});
