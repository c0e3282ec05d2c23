#!/usr/bin/env node
'use strict';
// botlogin: log a bot in with a bot password, print who the wiki says it is, log out.
//
//     node botlogin.js [API_URL USERNAME PASSWORD]
//
// Without arguments it reads MWAUTH_API_URL, MWAUTH_USERNAME ("User@appid") and MWAUTH_PASSWORD.
// Set MWAUTH_LOG=debug to see every HTTP exchange on stderr (never a password or token).

let mwauth;
try {
  mwauth = require('mwauth');
} catch (e) {
  if (e.code !== 'MODULE_NOT_FOUND') throw e;
  mwauth = require('..'); // run from the package's folder (bindings/node/examples)
}

const LEVELS = { debug: 10, info: 20, warning: 30 };

async function main(argv) {
  let apiUrl, username, password;
  if (argv.length === 3) {
    [apiUrl, username, password] = argv;
  } else if (argv.length === 0 && process.env.MWAUTH_API_URL && process.env.MWAUTH_USERNAME && process.env.MWAUTH_PASSWORD) {
    ({ MWAUTH_API_URL: apiUrl, MWAUTH_USERNAME: username, MWAUTH_PASSWORD: password } = process.env);
  } else {
    console.error('usage: botlogin.js API_URL USERNAME PASSWORD\n   or: set MWAUTH_API_URL, MWAUTH_USERNAME and MWAUTH_PASSWORD');
    return 2;
  }

  const session = new mwauth.Session(apiUrl, { user_agent: 'botlogin-example/1.0 (node)' });
  const threshold = LEVELS[(process.env.MWAUTH_LOG || '').toLowerCase()];
  if (threshold) {
    const names = { 10: 'DEBUG', 20: 'INFO', 30: 'WARNING' };
    session.setLogger((level, message) => {
      if (level >= threshold) console.error(`${names[level] || level} mwauth: ${message}`);
    });
  }
  try {
    const login = await session.login(username, password);
    console.log(`mwauth ${mwauth.version()}, logged in as ${login.username} (user id ${login.userid})`);
    for (const warning of Object.values(login.warnings || {})) console.error(`warning: ${JSON.stringify(warning)}`);
    const out = await session.request({ action: 'query', meta: 'userinfo', uiprop: ['groups', 'rights'] });
    console.log('userinfo:', JSON.stringify(out.query.userinfo, null, 2));
    await session.logout();
    console.log('logged out');
    return 0;
  } catch (e) {
    if (e instanceof mwauth.LoginError) {
      console.error(`login refused: ${e.code} (${e.error.reason || '-'}): ${e.info}`);
    } else if (e instanceof mwauth.MwauthError) {
      console.error(`${e.name}: ${e.message}`);
    } else {
      throw e;
    }
    return 1;
  } finally {
    await session.close();
  }
}

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
});
