'use strict';
// Finding the library (MWAUTH_LIBRARY, the checkout's target/release and target/debug, the
// system's), installing the package as the README says, and the example program.

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { REPO, PACKAGE, env, runNode } = require('./common');

const PRINT = 'const m = require(process.argv[2]); console.log(JSON.stringify({version: m.version(), path: m.libraryPath()}));\n';

/** Loads `moduleSpec` in a child node, from a script in `dir` (default: a scratch folder),
 * with `envChanges` (undefined removes a variable). */
async function load(moduleSpec, envChanges, dir) {
  const where = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'mwauth-node-load.'));
  const script = path.join(where, 'print-library.js');
  try {
    fs.writeFileSync(script, PRINT);
    return await runNode(script, [moduleSpec], { env: envChanges, cwd: where, timeoutMs: 30000 });
  } finally {
    if (dir) fs.rmSync(script, { force: true });
    else fs.rmSync(where, { recursive: true, force: true });
  }
}

function tmpdir(t, what) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mwauth-node-${what}.`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('MWAUTH_LIBRARY wins, and a wrong one is an error naming it', async () => {
  env('MWAUTH_TEST_API_URL');
  const missing = '/nonexistent/libmwauth.so';
  let r = await load(PACKAGE, { MWAUTH_LIBRARY: missing });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /LibraryNotFoundError/);
  assert.ok(r.stderr.includes(`$MWAUTH_LIBRARY: ${missing}`), r.stderr);
  assert.match(r.stderr, /Nothing else is searched while MWAUTH_LIBRARY is set/);

  // A shared library that is not mwauth: says which symbols it lacks.
  const libm = ['/lib/x86_64-linux-gnu/libm.so.6', '/usr/lib/x86_64-linux-gnu/libm.so.6', '/lib64/libm.so.6'].find((p) => fs.existsSync(p));
  if (libm) {
    r = await load(PACKAGE, { MWAUTH_LIBRARY: libm });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /does not export mw_version/);
  }

  // The library the tests use, through the variable.
  const lib = path.join(REPO, 'target', 'debug', 'libmwauth.so');
  const chosen = process.env.MWAUTH_LIBRARY || lib;
  r = await load(PACKAGE, { MWAUTH_LIBRARY: chosen });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).path, chosen);
});

test('from the checkout, without MWAUTH_LIBRARY: target/release, then target/debug', async () => {
  env('MWAUTH_TEST_API_URL');
  const r = await load(PACKAGE, { MWAUTH_LIBRARY: undefined });
  assert.equal(r.status, 0, r.stderr);
  const found = JSON.parse(r.stdout).path;
  const release = path.join(REPO, 'target', 'release', 'libmwauth.so');
  const debug = path.join(REPO, 'target', 'debug', 'libmwauth.so');
  assert.ok([release, debug].includes(found), found);
  if (found === debug) {
    // Only when the release build is missing, or older than the package (no *_async symbols).
    if (fs.existsSync(release)) {
      const r2 = await load(PACKAGE, { MWAUTH_LIBRARY: release });
      assert.notEqual(r2.status, 0, 'target/release loads, yet target/debug was chosen');
    }
  }
});

test('outside a checkout, without MWAUTH_LIBRARY: the system, or an error naming every place', async (t) => {
  env('MWAUTH_TEST_API_URL');
  const copy = tmpdir(t, 'copy');
  for (const f of ['index.js', 'package.json']) fs.copyFileSync(path.join(PACKAGE, f), path.join(copy, f));
  fs.symlinkSync(path.join(PACKAGE, 'node_modules'), path.join(copy, 'node_modules'));
  const r = await load(copy, { MWAUTH_LIBRARY: undefined });
  if (r.status === 0) {
    // An installed libmwauth (make install; ldconfig) serves.
    assert.ok(['libmwauth.so.0', 'libmwauth.so'].includes(JSON.parse(r.stdout).path), r.stdout);
    return;
  }
  assert.match(r.stderr, /cannot load the mwauth shared library/);
  assert.match(r.stderr, /1\. \$MWAUTH_LIBRARY: not set/);
  assert.match(r.stderr, /is not an mwauth checkout/);
  assert.match(r.stderr, /the system's library path: libmwauth\.so\.0: /);
  assert.match(r.stderr, /the system's library path: libmwauth\.so: /);
});

test('npm install of the package folder, as the README says', { timeout: 180000 }, async (t) => {
  env('MWAUTH_TEST_API_URL');
  const npm = process.env.NPM || 'npm';
  const quiet = ['--no-audit', '--no-fund', '--loglevel=error', '--prefer-offline'];

  // A link to the checkout (--install-links=false; npm 9's default for a folder is a copy):
  // the package finds the checkout's own build.
  const linked = tmpdir(t, 'linked');
  fs.writeFileSync(path.join(linked, 'package.json'), '{"name": "linked-test", "version": "1.0.0", "private": true}');
  execFileSync(npm, ['install', ...quiet, '--install-links=false', PACKAGE], { cwd: linked, stdio: 'pipe' });
  assert.ok(fs.lstatSync(path.join(linked, 'node_modules', 'mwauth')).isSymbolicLink());
  let r = await load('mwauth', { MWAUTH_LIBRARY: undefined }, linked);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).path.startsWith(path.join(REPO, 'target') + path.sep), r.stdout);

  // A copy (what --install-links=true, npm 9's default, makes): koffi comes along; the library
  // then comes from MWAUTH_LIBRARY (or the system).
  const copied = tmpdir(t, 'copied');
  fs.writeFileSync(path.join(copied, 'package.json'), '{"name": "copied-test", "version": "1.0.0", "private": true}');
  execFileSync(npm, ['install', ...quiet, '--install-links=true', PACKAGE], { cwd: copied, stdio: 'pipe' });
  assert.ok(!fs.lstatSync(path.join(copied, 'node_modules', 'mwauth')).isSymbolicLink());
  assert.ok(fs.existsSync(path.join(copied, 'node_modules', 'mwauth', 'index.d.ts')));
  assert.ok(fs.existsSync(path.join(copied, 'node_modules', 'koffi', 'package.json')));
  const lib = process.env.MWAUTH_LIBRARY || path.join(REPO, 'target', 'debug', 'libmwauth.so');
  r = await load('mwauth', { MWAUTH_LIBRARY: lib }, copied);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).path, lib);
});

test('the example logs a bot in and out', { timeout: 60000 }, async () => {
  const r = await runNode(path.join(PACKAGE, 'examples', 'botlogin.js'), [], {
    env: {
      MWAUTH_API_URL: env('MWAUTH_TEST_API_URL'),
      MWAUTH_USERNAME: env('MWAUTH_TEST_BOT_USER'),
      MWAUTH_PASSWORD: env('MWAUTH_TEST_BOT_PASSWORD'),
      MWAUTH_LOG: 'debug',
    },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^mwauth \d+\.\d+\.\d+, logged in as MwBot \(user id \d+\)$/m);
  assert.match(r.stdout, /"name": "MwBot"/);
  assert.match(r.stdout, /^logged out$/m);
  assert.match(r.stderr, /^DEBUG mwauth: POST /m);
  assert.ok(!`${r.stdout}${r.stderr}`.includes(env('MWAUTH_TEST_BOT_PASSWORD')));

  const bad = await runNode(path.join(PACKAGE, 'examples', 'botlogin.js'), [
    env('MWAUTH_TEST_API_URL'),
    env('MWAUTH_TEST_BOT_USER'),
    'wrong-password-for-the-example-000',
  ]);
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /^login refused: Failed \(wrongpassword\): /m);

  const usage = await runNode(path.join(PACKAGE, 'examples', 'botlogin.js'), ['one-argument']);
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /^usage: /);
});
