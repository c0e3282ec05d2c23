'use strict';
// Every AuthManager operation through the Node package (authFields, authBegin, authContinue),
// against the real test wiki: an account created with ConfirmEdit's captcha, a taken name, the
// third-party login's RESTART into a new account the identity then logs in as, link and unlink,
// a changed password and removed authentication data, and what is refused before any request.
// The third party is the test-only provider of tests/wiki/extensions/MwauthTestAuth; identities
// here are named node-*, and the users are accounts these tests create (MwNode*), never the
// MwLink*/MwChange* users other suites use. A subset of tests/wiki_auth.rs.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { mwauth, env, session, userName } = require('./common');

const PASSWORD_REQUEST = 'MediaWiki\\Auth\\PasswordAuthenticationRequest';
const IDENTITY_REQUEST = 'MediaWiki\\Extension\\MwauthTestAuth\\IdentityAuthenticationRequest';
const TEMPORARY_REQUEST = 'MediaWiki\\Auth\\TemporaryPasswordAuthenticationRequest';
const RUN = `${process.pid}x${Date.now() % 100000}`;

const captcha = () => env('MWAUTH_TEST_CAPTCHA_ANSWER');
/** The identity NAME's code at the test provider. */
const code = (name) => `${env('MWAUTH_TEST_IDP_KEY')}:${name}`;
const show = (value) => JSON.stringify(value);

/** A check for assert.rejects: an error of class Cls with code `errorCode`; more(e) checks the rest. */
function rejectsWith(Cls, errorCode, more) {
  return (e) => {
    assert.ok(e instanceof Cls, `${e && e.name}: ${e && e.message}`);
    assert.ok(e instanceof mwauth.MwauthError);
    assert.equal(e.result, Cls.resultCode);
    assert.equal(e.code, errorCode, `${e.message} ${show(e.response)}`);
    if (more) more(e);
    return true;
  };
}

/** Records the library's debug lines (one per HTTP exchange) and every line's text. */
function captureLog(s) {
  const lines = [];
  s.setLogger((level, message) => lines.push([level, message]));
  return {
    lines,
    exchanges: () => lines.filter(([level]) => level === 10).map(([, m]) => m),
    text: () => lines.map(([, m]) => m).join('\n'),
  };
}

/** A new account, made from an anonymous session with the captcha the form asks. */
async function createAccount(s, name, password) {
  const form = await s.authFields('create');
  assert.equal(form.fields.captchaId.type, 'hidden', show(form));
  const out = await s.authBegin('create', { username: name, password, retype: password, captchaWord: captcha() });
  assert.equal(out.status, 'PASS', show(out));
  assert.equal(out.username, name);
  return out;
}

async function passwordLogin(s, user, password) {
  const out = await s.authBegin('login', { username: user, password });
  assert.equal(out.status, 'PASS', show(out));
  assert.equal(out.username, user);
  return out;
}

/** A login through the third party as identity `name`: REDIRECT, then its code (the state is
 * a hidden field the library sends back). */
async function thirdPartyLogin(s, name) {
  const redirect = await s.authBegin('login', { mwauthtestLogin: '1' });
  assert.equal(redirect.status, 'REDIRECT', show(redirect));
  assert.ok(redirect.redirecttarget.startsWith(env('MWAUTH_TEST_IDP_URL')), redirect.redirecttarget);
  assert.equal(typeof redirect.fields.mwauthtestState, 'object', show(redirect));
  return s.authContinue({ mwauthtestCode: code(name) });
}

/** A third-party login as an identity no local account has: RESTART, a LoginError. */
async function restartAsNewIdentity(s, name) {
  await assert.rejects(
    thirdPartyLogin(s, name).then((out) => {
      throw new assert.AssertionError({ message: `expected a RESTART, got ${show(out)}` });
    }),
    rejectsWith(mwauth.LoginError, 'authmanager-authn-no-local-user-link', (e) => {
      assert.equal(e.response.status, 'RESTART', show(e.response));
      assert.equal(e.response.canpreservestate, true, show(e.response));
    }),
  );
}

/** How many requests the quiet server has logged, once its log has stopped growing (a
 * request's line is written after its answer). Only this file uses that server. */
async function quietRequests() {
  const log = env('MWAUTH_TEST_QUIET_LOG');
  const count = () =>
    fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line.includes(']: GET ') || line.includes(']: POST ')).length;
  let last = count();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = count();
    if (now === last) return now;
    last = now;
  }
}

test('an account is created with the captcha the form asks; a taken name is a LoginError', { timeout: 60000 }, async () => {
  const s = session();
  const log = captureLog(s);
  const form = await s.authFields('create', { messageformat: 'none' });
  for (const name of ['username', 'password', 'retype', 'captchaWord', 'captchaId']) {
    assert.ok(form.fields[name], `${name}: ${show(form)}`);
  }
  assert.equal(form.fields.captchaId.type, 'hidden');
  assert.equal(form.canpreservestate, false);
  const name = `MwNodeNew${RUN}`;
  const password = 'a long and new node password 1';
  const created = await s.authBegin('create', { username: name, password, retype: password, captchaWord: captcha() });
  assert.equal(created.status, 'PASS', show(created));
  assert.equal(created.username, name);
  // MediaWiki's API does not log the creating session in.
  assert.equal(s.info.logged_in, false);
  assert.equal(s.info.username, null);
  assert.equal(log.exchanges().length, 2, 'authmanagerinfo, then createaccount');
  assert.ok(!log.text().includes(password));

  // The new account logs in.
  const other = session();
  await passwordLogin(other, name, password);
  assert.equal(await userName(other), name);
  assert.equal(other.info.auth, 'clientlogin');

  // A taken name: FAIL, with the form again (a new captcha id).
  await assert.rejects(
    s.authBegin('create', { username: name, password, retype: password, captchaWord: captcha() }),
    rejectsWith(mwauth.LoginError, 'userexists', (e) => {
      assert.equal(e.response.status, 'FAIL');
      assert.equal(e.response.messagecode, 'userexists');
      assert.equal(typeof e.response.fields.captchaId, 'object', show(e.response));
      assert.ok(!`${e.message}${show(e.response)}`.includes(password));
    }),
  );
  // A create flow ended by FAIL is continued by nothing.
  await assert.rejects(s.authContinue({ captchaWord: captcha() }), rejectsWith(mwauth.StateError, 'no_flow'));
  assert.ok(!log.text().includes(password));
});

test('RESTART of a third-party login, then a create with preservestate: the identity logs in as it', { timeout: 60000 }, async () => {
  const identity = `node-create-${RUN}`; // this run's own: a link lasts as long as the wiki
  const user = `MwIdp-${identity}`;
  const s = session();
  await restartAsNewIdentity(s, identity);
  assert.equal(s.info.logged_in, false);
  // The RESTART ended the flow.
  await assert.rejects(s.authContinue({ mwauthtestCode: code(identity) }), rejectsWith(mwauth.StateError, 'no_flow'));

  const form = await s.authFields('create');
  assert.equal(form.canpreservestate, true, show(form));
  assert.equal(form.hasprimarypreservedstate, true, show(form));
  assert.equal(form.preservedusername, user);
  const password = form.requests.find((r) => r.id === PASSWORD_REQUEST);
  assert.equal(password && password.required, 'primary-required', show(form));

  const created = await s.authBegin('create', { username: user, captchaWord: captcha() }, { preservestate: true });
  assert.equal(created.status, 'PASS', show(created));
  assert.equal(created.username, user);
  assert.equal(s.info.logged_in, false);

  const next = session();
  const out = await thirdPartyLogin(next, identity);
  assert.equal(out.status, 'PASS', show(out));
  assert.equal(out.username, user);
  assert.equal(next.info.logged_in, true);
  assert.equal(next.info.auth, 'clientlogin');
  assert.equal(next.info.username, user);
  assert.equal(await userName(next), user);
});

test('a logged-in user links an identity, then unlinks it; a second unlink is an ApiError', { timeout: 60000 }, async () => {
  const identity = `node-link-${RUN}`;
  const user = `MwNodeLink${RUN}`;
  const password = 'a long and new node password 2';
  await createAccount(session(), user, password);
  const s = session();
  await passwordLogin(s, user, password);

  const form = await s.authFields('link');
  assert.ok(form.fields.mwauthtestLink, show(form));
  const redirect = await s.authBegin('link', { mwauthtestLink: '1' });
  assert.equal(redirect.status, 'REDIRECT', show(redirect));
  const linked = await s.authContinue({ mwauthtestCode: code(identity) });
  assert.equal(linked.status, 'PASS', show(linked));
  // The same identity again: the wiki's FAIL, a LoginError.
  assert.equal((await s.authBegin('link', { mwauthtestLink: '1' })).status, 'REDIRECT');
  await assert.rejects(
    s.authContinue({ mwauthtestCode: code(identity) }),
    rejectsWith(mwauth.LoginError, 'mwauthtestauth-already-linked', (e) => assert.equal(e.response.status, 'FAIL')),
  );

  const next = session();
  assert.equal((await thirdPartyLogin(next, identity)).username, user);

  const id = `${IDENTITY_REQUEST}:${identity}`;
  const unlinkForm = await s.authFields('unlink');
  assert.ok(unlinkForm.requests.some((r) => r.id === id), show(unlinkForm));
  assert.deepEqual(await s.authBegin('unlink', {}, { request: id }), { status: 'success' });
  await assert.rejects(
    s.authBegin('unlink', undefined, { request: id }),
    rejectsWith(mwauth.ApiError, 'badrequest', (e) => assert.equal(e.error.code, 'badrequest')),
  );
  await restartAsNewIdentity(session(), identity);
});

test('a changed password is the only one that logs in; what a user may remove', { timeout: 60000 }, async () => {
  const user = `MwNodeChange${RUN}`;
  const old = 'a long and new node password 3';
  const changed = `${old}-changed`;
  await createAccount(session(), user, old);
  const s = session();
  const log = captureLog(s);
  await passwordLogin(s, user, old);

  const form = await s.authFields('change');
  assert.ok(form.requests.some((r) => r.id === PASSWORD_REQUEST), show(form));
  await assert.rejects(
    s.authBegin('change', { password: changed, retype: 'something else' }, { request: PASSWORD_REQUEST }),
    rejectsWith(mwauth.ApiError, 'badretype'),
  );
  assert.deepEqual(await s.authBegin('change', { password: changed, retype: changed }, { request: PASSWORD_REQUEST }), {
    status: 'success',
  });
  assert.equal(await userName(s), user, 'still logged in');
  await assert.rejects(
    session().authBegin('login', { username: user, password: old }),
    rejectsWith(mwauth.LoginError, 'wrongpassword', (e) => assert.equal(e.response.status, 'FAIL')),
  );
  await passwordLogin(session(), user, changed);

  const removable = await s.authFields('remove');
  assert.ok(removable.requests.some((r) => r.id === TEMPORARY_REQUEST), show(removable));
  assert.deepEqual(await s.authBegin('remove', null, { request: TEMPORARY_REQUEST }), { status: 'success' });
  await assert.rejects(s.authBegin('remove', {}, { request: PASSWORD_REQUEST }), rejectsWith(mwauth.ApiError, 'badrequest'));
  assert.ok(!log.text().includes(old), 'no password in the log');
});

test('wrong state and bad input are refused before any request', { timeout: 60000 }, async () => {
  const s = session({ api_url: env('MWAUTH_TEST_QUIET_API_URL') });
  const log = captureLog(s);
  const before = await quietRequests();

  // Wrong state: StateError.
  const state = [
    [() => s.authContinue({ OATHToken: '123456' }), 'no_flow'],
    [() => s.authContinue({}), 'no_flow'],
    [() => s.authBegin('link', { mwauthtestLink: '1' }), 'not_logged_in'],
    [() => s.authBegin('change', { password: 'x', retype: 'x' }, { request: PASSWORD_REQUEST }), 'not_logged_in'],
    [() => s.authBegin('remove', {}, { request: PASSWORD_REQUEST }), 'not_logged_in'],
    [() => s.authBegin('unlink', {}, { request: IDENTITY_REQUEST }), 'not_logged_in'],
    [() => s.authFields('link'), 'not_logged_in'],
    [() => s.authFields('unlink'), 'not_logged_in'],
  ];
  for (const [call, errorCode] of state) {
    await assert.rejects(call(), rejectsWith(mwauth.StateError, errorCode), `${call}`);
  }

  // Bad input: ArgumentError, from the binding or (through mw_async_error) the library.
  const argument = [
    [() => s.authFields('delete'), 'invalid_value'],
    [() => s.authFields('login', { messageformat: 'shouting' }), 'invalid_value'],
    [() => s.authFields('login', 'raw'), 'wrong_type'],
    [() => s.authFields('login', { purpose: 'create' }), 'invalid_value'],
    [() => s.authFields('login', { no_such_option: 1 }), 'unknown_key'],
    [() => s.authFields(null), 'wrong_type'],
    [() => s.authFields({ messageformat: 'raw' }), 'wrong_type'],
    [() => s.authBegin('delete'), 'invalid_value'],
    [() => s.authBegin(), 'wrong_type'],
    [() => s.authBegin(7, {}), 'wrong_type'],
    [() => s.authBegin('link', { mwauthtestLink: '1' }, { preservestate: true }), 'invalid_value'],
    [() => s.authBegin('change', { password: 'x' }), 'invalid_value'], // no request id
    [() => s.authBegin('login', {}, { request: PASSWORD_REQUEST }), 'invalid_value'],
    [() => s.authBegin('unlink', {}, { request: IDENTITY_REQUEST, returnurl: 'https://example.org/' }), 'invalid_value'],
    [() => s.authBegin('create', { createtoken: 'x' }), 'invalid_value'],
    [() => s.authBegin('login', { logincontinue: '1' }), 'invalid_value'],
    [() => s.authBegin('create', { username: 7 }), 'wrong_type'],
    [() => s.authBegin('create', { username: 7n }), 'invalid_json'],
    [() => s.authBegin('login', { password: 'x\ud800' }), 'invalid_utf8'],
    [() => s.authBegin('login', 'username=x'), 'wrong_type'],
    [() => s.authBegin('login', {}, 'preservestate'), 'wrong_type'],
    [() => s.authBegin('login', {}, { preservestate: 'yes' }), 'wrong_type'],
    [() => s.authBegin('login', {}, { fields: { username: 'x' } }), 'invalid_value'],
    [() => s.authBegin('login', {}, { purpose: 'create' }), 'invalid_value'],
    [() => s.authBegin('login', {}, { no_such_option: 1 }), 'unknown_key'],
    [() => s.authContinue(), 'wrong_type'],
    [() => s.authContinue(null), 'wrong_type'],
    [() => s.authContinue(['OATHToken']), 'wrong_type'],
    [() => s.authContinue({ OATHToken: 123456 }), 'wrong_type'],
    [() => s.authContinue({ OATHToken: new Date() }), 'invalid_json'],
    [() => s.authContinue({ linktoken: 'x' }), 'invalid_value'],
  ];
  for (const [call, errorCode] of argument) {
    let promise;
    assert.doesNotThrow(() => {
      promise = call();
    }, `${call}`);
    assert.ok(promise instanceof Promise, `${call}`);
    await assert.rejects(promise, rejectsWith(mwauth.ArgumentError, errorCode), `${call}`);
  }
  assert.deepEqual(log.exchanges(), []);
  assert.equal(await quietRequests(), before, 'no request reached the wiki');

  // The session still works, and a create flow is not continued by clientloginStep.
  const form = await s.authFields('create', { messageformat: 'none' });
  assert.equal(typeof form.fields.captchaWord, 'object', show(form));
  assert.equal(log.exchanges().length, 1);
  assert.equal(await quietRequests(), before + 1, 'the count sees a request'); // the check above can fail
  await assert.rejects(s.clientloginStep({ x: '1' }), rejectsWith(mwauth.StateError, 'no_flow'));
  await s.close();
  await assert.rejects(s.authFields(), rejectsWith(mwauth.StateError, 'closed'));
  await assert.rejects(s.authBegin('login', {}), rejectsWith(mwauth.StateError, 'closed'));
  await assert.rejects(s.authContinue({}), rejectsWith(mwauth.StateError, 'closed'));
});
