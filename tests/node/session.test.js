'use strict';
// The package's main path: version functions, a bot login, requests (one with a csrf token),
// many calls in flight at once, a refused login, logout.

const test = require('node:test');
const assert = require('node:assert/strict');
const { mwauth, env, session, bot, userName } = require('./common');

test('version functions', () => {
  const v = mwauth.version();
  assert.match(v, /^\d+\.\d+\.\d+$/);
  const [major, minor, patch] = v.split('.').map(Number);
  assert.equal(mwauth.versionNumber(), (major << 16) | (minor << 8) | patch);
  assert.equal(v, require('../../bindings/node/package.json').version);
  assert.equal(mwauth.resultName(0), 'MW_OK');
  assert.equal(mwauth.resultName(mwauth.Result.ERR_ARGUMENT), 'MW_ERR_ARGUMENT');
  assert.equal(mwauth.resultName(6), 'MW_ERR_LOGIN');
  assert.equal(mwauth.resultName(99), 'MW_ERR_INTERNAL');
  assert.equal(mwauth.resultName(12345), 'MW_UNKNOWN');
  assert.equal(mwauth.resultName(-1), 'MW_UNKNOWN');
  assert.equal(mwauth.resultName(2 ** 32 + 1), 'MW_UNKNOWN'); // not truncated to 1
  assert.throws(() => mwauth.resultName('1'), mwauth.ArgumentError);
  assert.throws(() => mwauth.resultName(1.5), mwauth.ArgumentError);
  for (const [name, n] of Object.entries(mwauth.Result)) assert.equal(mwauth.resultName(n), `MW_${name}`);
  assert.equal(typeof mwauth.libraryPath(), 'string');
});

test('error classes mirror the result codes', () => {
  const classes = {
    ArgumentError: 1,
    StateError: 2,
    TransportError: 3,
    HttpError: 4,
    ApiError: 5,
    LoginError: 6,
    InternalError: 99,
  };
  for (const [name, result] of Object.entries(classes)) {
    const Cls = mwauth[name];
    assert.equal(Cls.resultCode, result);
    const e = new Cls('some_code', 'what happened');
    assert.ok(e instanceof mwauth.MwauthError && e instanceof Error);
    assert.equal(e.name, name);
    assert.equal(e.message, 'some_code: what happened');
    assert.equal(e.result, result);
    assert.deepEqual(e.error, { code: 'some_code', info: 'what happened' });
    assert.equal(e.response, null);
  }
});

test('a session makes no request, and info says what it knows', () => {
  const s = session();
  const info = s.info;
  assert.equal(info.api_url, env('MWAUTH_TEST_API_URL'));
  assert.equal(info.logged_in, false);
  assert.equal(info.username, null);
  assert.equal(info.auth, null);
  assert.equal(s.apiUrl, env('MWAUTH_TEST_API_URL'));
  assert.equal(s.closed, false);
});

test('a bot logs in, edits with a csrf token, and logs out', { timeout: 60000 }, async () => {
  const s = session();
  const [user, password] = bot();
  const login = await s.login(user, password);
  assert.equal(login.status, 'PASS');
  assert.equal(login.username, 'MwBot');
  assert.ok(Number.isInteger(login.userid) && login.userid > 0);
  assert.equal(s.info.logged_in, true);
  assert.equal(s.info.auth, 'botpassword');

  const userinfo = await s.request({ action: 'query', meta: 'userinfo', uiprop: ['groups', 'rights'] });
  assert.equal(userinfo.query.userinfo.name, 'MwBot');
  assert.ok(userinfo.query.userinfo.groups.includes('bot'));

  const title = `Node binding edit ${process.pid} ${Date.now()}`;
  const text = `Written by the Node binding's tests at ${new Date().toISOString()}`;
  const edit = await s.request(
    { action: 'edit', title, text, summary: 'mwauth node test', bot: true },
    { token: 'csrf' },
  );
  assert.equal(edit.edit.result, 'Success', JSON.stringify(edit));

  const history = await s.request({ action: 'query', prop: 'revisions', titles: title, rvprop: ['user', 'comment', 'content'], rvslots: 'main' });
  const page = history.query.pages[0];
  assert.equal(page.title, title);
  assert.equal(page.revisions[0].user, 'MwBot');
  assert.equal(page.revisions[0].comment, 'mwauth node test');
  assert.equal(page.revisions[0].slots.main.content, text);

  // An explicit POST without a token works as well.
  const posted = await s.request({ action: 'query', meta: 'userinfo' }, { method: 'POST' });
  assert.equal(posted.query.userinfo.name, 'MwBot');

  assert.deepEqual(await s.logout(), {});
  assert.equal(s.info.logged_in, false);
  const anon = await s.request({ action: 'query', meta: 'userinfo' });
  assert.equal(anon.query.userinfo.anon, true);
});

test('16 (and 64) requests in flight at once all come back right', { timeout: 120000 }, async () => {
  const s = session();
  await s.login(...bot());
  for (const n of [16, 64]) {
    const titles = Array.from({ length: n }, (_, i) => `Node flight ${n} ${i}`);
    const started = Date.now();
    const outs = await Promise.all(titles.map((t) => s.request({ action: 'query', titles: t, meta: 'userinfo' })));
    for (const [i, out] of outs.entries()) {
      assert.equal(out.query.pages[0].title, titles[i]);
      assert.equal(out.query.userinfo.name, 'MwBot');
    }
    assert.ok(Date.now() - started < 60000);
  }
  // Calls of several sessions at once, too.
  const others = [session(), session(), session()];
  await Promise.all(others.map((o) => o.login(...bot())));
  const names = await Promise.all([...others, s, ...others].map((o) => userName(o)));
  assert.deepEqual(names, Array(7).fill('MwBot'));
});

test('a wrong password rejects with LoginError, code and reason, and no password', { timeout: 60000 }, async () => {
  const s = session();
  const wrong = 'not-the-password-0123456789abcdef';
  let caught;
  try {
    await s.login(env('MWAUTH_TEST_BOT_USER'), wrong);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof mwauth.LoginError, String(caught));
  assert.ok(caught instanceof mwauth.MwauthError);
  assert.equal(caught.name, 'LoginError');
  assert.equal(caught.code, 'Failed');
  assert.equal(caught.error.reason, 'wrongpassword');
  assert.equal(caught.result, mwauth.Result.ERR_LOGIN);
  assert.ok(caught.info.length > 0);
  assert.ok(caught.message.startsWith('Failed: '));
  assert.deepEqual(caught.response.error, caught.error);
  const everything = [caught.message, caught.stack, JSON.stringify(caught), JSON.stringify(caught.response)].join('\n');
  assert.ok(!everything.includes(wrong), everything);
  assert.ok(!everything.includes(env('MWAUTH_TEST_BOT_PASSWORD')));
  assert.equal(s.info.logged_in, false);
  // The session still works, anonymously, and can log in properly afterwards.
  assert.equal((await s.login(...bot())).status, 'PASS');
});

test('an API error is an ApiError with MediaWiki\'s error object', { timeout: 30000 }, async () => {
  const s = session();
  await assert.rejects(s.request({ action: 'no-such-action' }), (e) => {
    assert.ok(e instanceof mwauth.ApiError, String(e));
    assert.equal(e.result, mwauth.Result.ERR_API);
    assert.equal(e.code, 'badvalue');
    assert.equal(typeof e.info, 'string');
    return true;
  });
});

test('a wiki that is not there is a TransportError', { timeout: 30000 }, async () => {
  const s = session({ api_url: 'http://127.0.0.1:9/api.php', timeout_ms: 5000 });
  await assert.rejects(s.request({ action: 'query', meta: 'siteinfo' }), (e) => {
    assert.ok(e instanceof mwauth.TransportError, String(e));
    assert.equal(e.code, 'connect');
    return true;
  });
});
