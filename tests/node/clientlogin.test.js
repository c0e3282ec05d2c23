'use strict';
// The interactive login (action=clientlogin) through the Node package: the form, a password
// PASS, a FAIL, and a two-factor UI answered with a TOTP code.

const test = require('node:test');
const assert = require('node:assert/strict');
const { mwauth, env, session, userName, totp } = require('./common');

test('the form describes username and password', { timeout: 30000 }, async () => {
  const s = session();
  const form = await s.clientloginFields();
  assert.equal(form.fields.username.type, 'string');
  assert.equal(form.fields.password.type, 'password');
  assert.equal(form.fields.password.sensitive, true);
  assert.ok(form.requests.some((r) => r.id.endsWith('PasswordAuthenticationRequest')));
  const raw = await s.clientloginFields({ messageformat: 'raw' });
  assert.equal(typeof raw.fields.username.label.key, 'string');
  const dflt = await s.clientloginFields(null);
  assert.equal(typeof dflt.fields.username.label, 'string');
});

test('a human logs in with a password (PASS) and the session works', { timeout: 60000 }, async () => {
  const user = env('MWAUTH_TEST_HUMAN_USER');
  const s = session();
  await s.clientloginFields();
  const out = await s.clientlogin({ username: user, password: env('MWAUTH_TEST_HUMAN_PASSWORD'), rememberMe: false });
  assert.equal(out.status, 'PASS', JSON.stringify(out));
  assert.equal(out.username, user);
  assert.equal(s.info.auth, 'clientlogin');
  assert.equal(s.info.logged_in, true);
  assert.equal(await userName(s), user);
  const edit = await s.request({ action: 'edit', title: 'Node clientlogin edit', text: `x ${Date.now()}` }, { token: 'csrf' });
  assert.equal(edit.edit.result, 'Success');
  await assert.rejects(s.clientloginStep({}), (e) => {
    assert.ok(e instanceof mwauth.StateError, String(e));
    assert.equal(e.code, 'no_flow'); // a PASS ends the flow
    return true;
  });
});

test('a wrong password is a LoginError whose response holds the form again', { timeout: 30000 }, async () => {
  const s = session();
  const wrong = 'not the password, node';
  await assert.rejects(s.clientlogin({ username: env('MWAUTH_TEST_HUMAN_USER'), password: wrong }), (e) => {
    assert.ok(e instanceof mwauth.LoginError, String(e));
    assert.equal(e.code, 'wrongpassword');
    assert.equal(e.response.status, 'FAIL');
    assert.equal(e.response.messagecode, 'wrongpassword');
    assert.equal(typeof e.response.fields.password, 'object');
    assert.ok(!`${e.message}${JSON.stringify(e.response)}${e.stack}`.includes(wrong));
    return true;
  });
  assert.equal(s.info.logged_in, false);
});

test('a two-factor user gets UI, then PASSes with a TOTP code', { timeout: 60000 }, async () => {
  const user = env('MWAUTH_TEST_TOTP_USER');
  const secret = env('MWAUTH_TEST_TOTP_SECRET');
  const s = session();
  const ui = await s.clientlogin({ username: user, password: env('MWAUTH_TEST_TOTP_PASSWORD') });
  assert.equal(ui.status, 'UI', JSON.stringify(ui));
  assert.equal(ui.messagecode, 'oathauth-auth-ui');
  assert.equal(ui.fields.OATHToken.type, 'string');
  assert.equal(s.info.logged_in, false);
  // OATHAuth takes each 30 s window once per user, and only one newer than the last it took:
  // when another suite used this window already, the next ones' codes serve (the wiki takes
  // windows up to now+4).
  const window = Math.floor(Date.now() / 30000);
  let out;
  for (let ahead = 0; ahead < 4; ahead++) {
    out = await s.clientloginStep({ OATHToken: totp(secret, window + ahead) });
    if (out.status !== 'UI') break;
    assert.equal(out.messagecode, 'oathauth-login-failed', JSON.stringify(out));
  }
  assert.equal(out.status, 'PASS', JSON.stringify(out));
  assert.equal(out.username, user);
  assert.equal(s.info.auth, 'clientlogin');
  assert.equal(await userName(s), user);
});
