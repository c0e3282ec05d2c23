'use strict';
// The logger: a JS function called on the JS thread with the library's lines, never a secret;
// and the re-entrancy that used to deadlock (see fixtures/logger-reentrancy.js).

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { PACKAGE, env, session, bot, secrets, runNode } = require('./common');

test('lines at their levels, and never a secret', { timeout: 60000 }, async () => {
  const s = session();
  const lines = [];
  const threads = new Set();
  s.setLogger((level, message) => {
    lines.push([level, message]);
    threads.add(require('node:worker_threads').threadId);
  });
  const wrong = 'wrong-password-0123456789abcdefgh';
  await assert.rejects(s.login(env('MWAUTH_TEST_BOT_USER'), wrong));
  await s.login(...bot());
  await s.request({ action: 'edit', title: 'Node log test', text: `x ${Date.now()}`, bot: true }, { token: 'csrf' });
  const tokens = (await s.request({ action: 'query', meta: 'tokens', type: ['csrf', 'watch'] })).query.tokens;

  assert.deepEqual([...threads], [0]); // always the JS thread
  const levels = new Set(lines.map(([level]) => level));
  for (const level of levels) assert.ok([10, 20, 30].includes(level), `level ${level}`);
  const exchanges = lines.filter(([level]) => level === 10).map(([, m]) => m);
  assert.ok(exchanges.length >= 7, JSON.stringify(lines)); // login token + login, twice; csrf; edit; tokens
  assert.ok(exchanges.some((m) => m.startsWith('POST ') && m.includes('action=login')), JSON.stringify(exchanges));
  assert.ok(lines.some(([level, m]) => level === 30 && m.includes('refused the login of MwBot@mwauth')), JSON.stringify(lines));
  assert.ok(lines.some(([level, m]) => level === 20 && m.includes('logged in as MwBot')), JSON.stringify(lines));
  const forbidden = [...secrets(), wrong, ...Object.values(tokens).filter((t) => t !== '+\\')];
  for (const [, message] of lines) {
    for (const secret of forbidden) assert.ok(!message.includes(secret), message);
  }

  // Off: no more lines reach the function.
  s.setLogger(null);
  const before = lines.length;
  await s.request({ action: 'query', meta: 'userinfo' });
  assert.equal(lines.length, before);
});

test('a logger that throws does not break the call', { timeout: 30000 }, async () => {
  const s = session();
  let calls = 0;
  const warnings = [];
  const onWarning = (w) => warnings.push(String(w.message));
  process.on('warning', onWarning);
  try {
    s.setLogger(() => {
      calls += 1;
      throw new Error('a broken logger');
    });
    const out = await s.request({ action: 'query', meta: 'siteinfo' });
    assert.equal(typeof out.query.general.sitename, 'string');
    assert.ok(calls >= 1);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(warnings.some((w) => w.includes('a broken logger')), JSON.stringify(warnings));
  } finally {
    process.off('warning', onWarning);
  }
});

test('sync calls and setLogger inside the logger and beside calls in flight do not hang', { timeout: 90000 }, async () => {
  env('MWAUTH_TEST_API_URL');
  const r = await runNode(path.join(__dirname, 'fixtures', 'logger-reentrancy.js'), [PACKAGE], { timeoutMs: 60000 });
  assert.equal(r.timedOut, false, `the child hung (a deadlock?) and was killed after 60 s; stderr: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const counts = JSON.parse(r.stdout.trim().split('\n').pop());
  assert.equal(counts.requests, 72, r.stdout);
  assert.ok(counts.first >= 1 && counts.second >= 1, r.stdout);
  assert.equal(counts.infoInside, 2, r.stdout);
  assert.equal(counts.offInside, 2, r.stdout);
  assert.equal(counts.onInside, 1, r.stdout);
  assert.ok(counts.main >= 1, r.stdout);
});
