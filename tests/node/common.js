'use strict';
// Shared helpers of the Node package's tests. They run against the real test wiki
// (tests/wiki/with-wiki.sh exports where it is and who its users are); without it they FAIL, on
// purpose: a suite that skips itself green proves nothing. Run them with
// `tests/wiki/with-wiki.sh tests/node/run.sh`.

const path = require('node:path');
const crypto = require('node:crypto');
const { spawn } = require('node:child_process');
const { after } = require('node:test');

const REPO = path.resolve(__dirname, '..', '..');
const PACKAGE = path.join(REPO, 'bindings', 'node');
const mwauth = require(PACKAGE);

/** The test wiki's variable `name`; throws (the test fails, never skips) when it is not set. */
function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: these tests need the real test wiki; run them with ` +
        '`tests/wiki/with-wiki.sh tests/node/run.sh`',
    );
  }
  return value;
}

const made = [];
after(async () => {
  await Promise.all(made.map((s) => s.close()));
});

/** A session on the test wiki (or config.api_url), closed after this file's tests. */
function session(config = {}) {
  const { api_url: apiUrl, ...rest } = config;
  const s = new mwauth.Session(apiUrl || env('MWAUTH_TEST_API_URL'), { user_agent: 'mwauth-node-tests/1.0', ...rest });
  made.push(s);
  return s;
}

function bot() {
  return [env('MWAUTH_TEST_BOT_USER'), env('MWAUTH_TEST_BOT_PASSWORD')];
}

/** Every password of the test wiki, for checks that none leaks. */
function secrets() {
  return ['MWAUTH_TEST_BOT_PASSWORD', 'MWAUTH_TEST_PLAIN_PASSWORD', 'MWAUTH_TEST_HUMAN_PASSWORD'].map(env);
}

/** Who the wiki says the session is (an IP address when anonymous). */
async function userName(s) {
  const out = await s.request({ action: 'query', meta: 'userinfo' });
  return out.query.userinfo.name;
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits) of a base32 secret for the 30-second window `window`. */
function totp(secret, window) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.toUpperCase().replace(/=+$/, '')) {
    const v = alphabet.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${ch}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(window));
  const digest = crypto.createHmac('sha1', key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const code = (digest.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(code).padStart(6, '0');
}

/**
 * Runs `node script args...` with a deadline (env: variables to set, or with undefined to
 * remove, in the child's copy of this process's environment): resolves to {status, signal, stdout, stderr,
 * timedOut}. A child that hangs (a deadlock) is killed at the deadline, so the test fails
 * instead of hanging with it.
 */
function runNode(script, args = [], { timeoutMs = 60000, env: extraEnv = {}, cwd } = {}) {
  const childEnv = { ...process.env, ...extraEnv };
  for (const [name, value] of Object.entries(extraEnv)) if (value === undefined) delete childEnv[name];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: cwd || REPO,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const started = Date.now();
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}

module.exports = { REPO, PACKAGE, mwauth, env, session, bot, secrets, userName, totp, runNode };
