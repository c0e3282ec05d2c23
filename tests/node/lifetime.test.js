'use strict';
// close(): pending calls settle first, then mw_session_free; later calls reject with
// StateError "closed"; and the process lives exactly as long as calls are pending.

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { PACKAGE, mwauth, env, session, bot, runNode } = require('./common');

function isClosed(e) {
  assert.ok(e instanceof mwauth.StateError, `${e && e.name}: ${e && e.message}`);
  assert.equal(e.code, 'closed');
  assert.equal(e.result, mwauth.Result.ERR_STATE);
  return true;
}

test('close() with calls pending settles them all, then frees', { timeout: 60000 }, async () => {
  const s = session();
  await s.login(...bot());
  const order = [];
  const calls = Array.from({ length: 12 }, (_, i) =>
    s.request({ action: 'query', titles: `Node close ${i}`, meta: 'userinfo' }).then((out) => {
      order.push(`call ${i}`);
      return out;
    }),
  );
  const failing = s.request({ action: 'no-such-action' }).catch((e) => {
    order.push('error');
    return e;
  });
  const closing = s.close().then(() => order.push('closed'));
  assert.equal(s.closed, true);
  await assert.rejects(s.request({ action: 'query', meta: 'userinfo' }), isClosed);
  await assert.rejects(s.login(...bot()), isClosed);
  await assert.rejects(s.logout(), isClosed);
  await assert.rejects(s.clientloginFields(), isClosed);
  await assert.rejects(s.clientlogin({ username: 'x', password: 'y' }), isClosed);
  await assert.rejects(s.clientloginStep({ OATHToken: '1' }), isClosed);
  assert.throws(() => s.info, isClosed);
  assert.throws(() => s.setLogger(() => {}), isClosed);

  await closing;
  const results = await Promise.allSettled(calls);
  for (const [i, r] of results.entries()) {
    assert.equal(r.status, 'fulfilled', String(r.reason));
    assert.equal(r.value.query.pages[0].title, `Node close ${i}`);
    assert.equal(r.value.query.userinfo.name, 'MwBot');
  }
  assert.ok((await failing) instanceof mwauth.ApiError);
  assert.equal(order.length, 14);
  assert.equal(order[13], 'closed', order.join(', ')); // every call settled before close() resolved

  // Idempotent: the same promise, and again later.
  assert.equal(s.close(), s.close());
  await s.close();
  await assert.rejects(s.request({ action: 'query' }), isClosed);
});

test('close() of an idle or never used session, and twice at once', async () => {
  env('MWAUTH_TEST_API_URL');
  const a = session();
  const b = session();
  await Promise.all([a.close(), a.close(), b.close()]);
  assert.equal(a.closed, true);
  assert.throws(() => b.info, isClosed);
});

test('close() from a settled call\'s handler, with a logger set', { timeout: 30000 }, async () => {
  const s = session();
  let lines = 0;
  s.setLogger(() => {
    lines += 1;
  });
  const closed = await s.request({ action: 'query', meta: 'siteinfo' }).then(() => s.close());
  assert.equal(closed, undefined);
  assert.ok(lines >= 1);
  assert.equal(s.closed, true);
});

test('an idle session does not keep the process alive', { timeout: 60000 }, async () => {
  env('MWAUTH_TEST_API_URL');
  const r = await runNode(path.join(__dirname, 'fixtures', 'idle-exit.js'), [PACKAGE], { timeoutMs: 30000 });
  assert.equal(r.timedOut, false, `the process did not exit by itself; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'idle\n');
  assert.ok(r.ms < 15000, `it took ${r.ms} ms to exit`);
});

test('pending calls keep the process alive until they settle', { timeout: 60000 }, async () => {
  env('MWAUTH_TEST_API_URL');
  const r = await runNode(path.join(__dirname, 'fixtures', 'pending-alive.js'), [PACKAGE], { timeoutMs: 30000 });
  assert.equal(r.timedOut, false, r.stderr);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').sort();
  assert.deepEqual(lines, ['error ApiError', 'login PASS', ...Array(4).fill('request MwBot'), 'siteinfo string'], r.stdout);
});
