<?php
// Settings for the mwauth test wiki. tests/wiki/with-wiki.sh generates a fresh
// LocalSettings.php with maintenance/install.php and appends a `require` of this
// file, so everything here overrides what the installer wrote.
//
// with-wiki.sh sets these before the require (all per run except the captcha):
//   $mwauthTestWikiDir                    the wiki's temporary folder
//   $mwauthTestCaptchaQuestion, ...Answer QuestyCaptcha's only question
//   $mwauthTestCaptchaUsers               users whose failed logins count for the captcha
//   $mwauthTestRedirectCode, $mwauthTestUnlinkedCode  codes of the test identity provider
//   $mwauthTestIdpKey                     its key: code "KEY:NAME" = identity NAME
//   $mwauthTestIdpUrl                     its URL

if ( !defined( 'MEDIAWIKI' ) ) {
	exit;
}

// Sessions are rows of table `objectcache` in wikicache.sqlite (beside the main
// db), keyed "<wikiid>:MWSession:<cookie value>"; tests/wiki/expire_session.py
// deletes them to simulate an expired session.
$wgSessionCacheType = CACHE_DB;

// The main cache in the DB (table `objectcache` of wikicache.sqlite, like the sessions).
// Not the installer's CACHE_ACCEL (APCu): that is per server process, so the two servers
// (and the maintenance scripts) would see stale data from one another. Not CACHE_NONE
// either: ConfirmEdit keeps its bad-login counters there (ObjectCache::getLocalClusterInstance),
// and with CACHE_NONE they would never count. (Rate limits and the message and parser caches
// were already in the DB: CACHE_ANYTHING falls back to CACHE_DB. OATHAuth's used-code
// record is in the main stash, also CACHE_DB.)
$wgMainCacheType = CACHE_DB;

// Failed logins must not lock the test users out.
$wgPasswordAttemptThrottle = [];

$wgEnableBotPasswords = true;

// The suite edits as MwBot far more than MediaWiki's 90 edits per user per minute allow (1.43
// counts them where 1.39 let a run through), and temporary accounts are "newbies" whose edits
// also count per IP: every test edits from 127.0.0.1.
$wgRateLimits['edit'] = [ 'ip' => [ 10000, 60 ], 'newbie' => [ 10000, 60 ], 'user' => [ 10000, 60 ] ];

// Cheaper password hashes (pbkdf2 with 1000 rounds instead of 30000: about 1 ms instead of
// 37 ms per hash). Every user creation and every password or bot-password login hashes once.
$wgPasswordConfig['pbkdf2']['cost'] = '1000';

// API errors carry the exception text and a trace.
$wgShowExceptionDetails = true;

// Two built-in servers on different ports serve this wiki: build URLs from the
// request's Host header instead of the port given to install.php.
if ( PHP_SAPI === 'cli-server' ) {
	$wgServer = WebRequest::detectServer( false );
	$wgCanonicalServer = $wgServer;
}

// --- Two-factor authentication (OATHAuth, TOTP) -------------------------------------
// Its table oathauth_users is created by tests/wiki/setup-wiki.php, which also enables
// TOTP for the MwTwoFactor* users. Defaults kept: codes of +-4 windows of 30 s accepted,
// each window at most once per user; rate limit badoath 10 wrong codes per 60 s per user.
wfLoadExtension( 'OATHAuth' );

// --- Captcha (ConfirmEdit, QuestyCaptcha) ---------------------------------------------
wfLoadExtensions( [ 'ConfirmEdit', 'ConfirmEdit/QuestyCaptcha' ] );
// QuestyCaptcha, except that only the users in $wgMwauthTestAuthCaptchaUsers count toward
// the per-user bad-login captcha (tests/wiki/extensions/MwauthTestAuth/includes/ScopedQuestyCaptcha.php).
// (Naming the class also selects QuestyCaptcha on 1.43, where loading it no longer does.)
$wgCaptchaClass = 'MediaWiki\Extension\MwauthTestAuth\ScopedQuestyCaptcha';
if ( version_compare( MW_VERSION, '1.43', '>=' ) ) {
	// 1.43 counts bad logins in a class of their own, made by the captcha's pre-authentication
	// provider: ours makes the scoped one. (Settings here win over the extension's own.)
	$wgAuthManagerAutoConfig['preauth']['CaptchaPreAuthenticationProvider'] = [
		'class' => 'MediaWiki\Extension\MwauthTestAuth\ScopedCaptchaPreAuthenticationProvider',
		'sort' => 10,
	];
}

// --- Temporary accounts (1.43) -----------------------------------------------------------
// An anonymous edit creates a temporary account (~2026-1, ...) and makes the session its own,
// as on Wikimedia's wikis now; such a user passes assert=user. (1.39 has no temporary accounts.)
if ( version_compare( MW_VERSION, '1.43', '>=' ) ) {
	$wgAutoCreateTempUser['enabled'] = true;
	$wgAutoCreateTempUser['known'] = true;
}
$wgMwauthTestAuthCaptchaUsers = $mwauthTestCaptchaUsers ?? [];
$wgCaptchaQuestions = [ ( $mwauthTestCaptchaQuestion ?? 'mwauth?' ) => ( $mwauthTestCaptchaAnswer ?? 'mwauth' ) ];
// Per IP: off. Everything comes from 127.0.0.1, so 3 failures anywhere would put a captcha
// on every login of every user.
$wgCaptchaTriggers['badlogin'] = false;
// Per user: ONE failed login (wrong password, or a missing/wrong captcha once triggered) of
// one of those users makes its next logins need a captcha, until a PASS or 600 s.
$wgCaptchaTriggers['badloginperuser'] = true;
$wgCaptchaBadLoginPerUserAttempts = 1;
// Other triggers as ConfirmEdit ships them (createaccount, addurl on; edit, create off).
// Wrong captchas are rate limited (15 per 60 s per IP, silently failing every captcha as
// wrongpassword beyond that): too low for tests that all run from 127.0.0.1.
$wgRateLimits['badcaptcha'] = [ 'ip' => [ 1000, 60 ], 'newbie' => [ 1000, 60 ], 'user' => [ 1000, 60 ] ];

// --- The test-only identity provider (REDIRECT, RESTART, create, link, unlink) -------------
wfLoadExtension( 'MwauthTestAuth', __DIR__ . '/extensions/MwauthTestAuth/extension.json' );
$wgMwauthTestAuthLinkedCode = $mwauthTestRedirectCode ?? null;
$wgMwauthTestAuthLinkedUser = 'MwRedirectUser';
$wgMwauthTestAuthUnlinkedCode = $mwauthTestUnlinkedCode ?? null;
$wgMwauthTestAuthIdentityKey = $mwauthTestIdpKey ?? null;
if ( isset( $mwauthTestIdpUrl ) ) {
	$wgMwauthTestAuthIdpUrl = $mwauthTestIdpUrl;
}
// The identities' links (identity -> local user): a JSON file in the wiki's folder, shared by
// both servers (MWAUTH_TEST_IDP_STATE_FILE).
if ( isset( $mwauthTestWikiDir ) ) {
	$wgMwauthTestAuthStateFile = "$mwauthTestWikiDir/mwauth-test-idp.json";
}
// Link on login: off in stock MediaWiki ("experimental", T134952; the entry is commented out in
// MainConfigSchema's AuthManagerAutoConfig on 1.39 and 1.43). With it, a RESTART of a TYPE_LINK
// provider that returned a linkRequest says authmanager-authn-no-local-user-link and preserves
// the request; a later login as an existing user (logincontinue after the RESTART, or a new
// clientlogin with loginpreservestate) then stops at a UI step asking which identities to link
// (ConfirmLinkAuthenticationRequest, multiselect confirmedLinkIDs). Without a preserved link
// request it abstains: other logins never see it.
$wgAuthManagerAutoConfig['secondaryauth'][MediaWiki\Auth\ConfirmLinkSecondaryAuthenticationProvider::class] = [
	'class' => MediaWiki\Auth\ConfirmLinkSecondaryAuthenticationProvider::class,
	'sort' => 100,
];

// --- Uploads (action=upload: single request, chunked through the upload stash) ----------------
$wgEnableUploads = true;
// In the wiki's folder, not Debian's shared /var/lib/mediawiki/images. php -S serves only
// /usr/share/mediawiki, so the files' URLs go through img_auth.php, which streams them from
// here (http://127.0.0.1:PORT/img_auth.php/a/ab/Name.png; a public wiki: no login needed).
// The stash's chunks and assembled files live in its temp/ zone, their rows in table uploadstash.
if ( isset( $mwauthTestWikiDir ) ) {
	$wgUploadDirectory = "$mwauthTestWikiDir/images";
	$wgUploadPath = "$wgScriptPath/img_auth.php";
}
// png is already in the default list; txt and bin added. $wgStrictFileExtensions and
// $wgCheckFileExtensions stay on (other extensions: filetype-banned / filetype-unwanted-type),
// $wgVerifyMimeType too (a .png or .txt must look like one).
$wgFileExtensions = array_values( array_unique( array_merge( $wgFileExtensions, [ 'png', 'txt', 'bin' ] ) ) );
// Test only: a .bin file may hold any bytes. Content sniffing names some byte strings something
// else (a file that starts with "OggS" is application/ogg, "ID3" audio/mpeg, "GIF89a" image/gif,
// the PNG signature image/png, ...), and such a .bin would fail with verification-error
// filetype-mime-mismatch. This makes the type of every .bin application/octet-stream (MediaWiki's
// alias: unknown/unknown), which passes for an extension MediaWiki cannot recognize by content.
// (The checks that run before it stay: e.g. "<?php" or "<script" near the start is still refused.)
$wgHooks['MimeMagicImproveFromExtension'][] = static function ( $mimeAnalyzer, $ext, &$mime ) {
	if ( strtolower( (string)$ext ) === 'bin' ) {
		$mime = 'application/octet-stream';
	}
};
// 1.39 also checks what Internet Explorer would make of the first 256 bytes: random bytes that
// start with "MZ" (1 in 65536) are application/x-msdownload to it, an excluded type
// (verification-error filetype-bad-ie-mime). 1.43 no longer has that check; off here too.
$wgVerifyMimeTypeIE = false;
// 64 MiB in one request must work (MediaWiki's default is 100 MiB). PHP's own limits are -d flags
// of the php -S servers (with-wiki.sh): upload_max_filesize 144M and post_max_size 152M, just
// above this, so a file of 128..144 MiB gets MediaWiki's own error (file-too-large), not PHP's
// (badupload: upload_max_filesize; a body over post_max_size reaches MediaWiki empty).
$wgMaxUploadSize = 128 * 1024 * 1024;
// $wgMinUploadChunkSize stays MediaWiki's 1024: every chunk but the last must be >= 1 KiB
// (siteinfo: minuploadchunksize 1024).
// Every logged-in user may upload (core's defaults for group user: upload, reupload,
// reupload-shared, movefile); said again here because the tests rely on it. A bot password
// needs the grants uploadfile (upload, reupload-own) or uploadeditmovefile (+ reupload, ...):
// MwBot's and MwPlain's have both (with-wiki.sh).
$wgGroupPermissions['user']['upload'] = true;
$wgGroupPermissions['user']['reupload'] = true;
$wgGroupPermissions['bot']['upload'] = true;
$wgAllowCopyUploads = false;
// Uploads are rate limited (8 per minute per IP and per newbie); every test uploads from 127.0.0.1.
$wgRateLimits['upload'] = [ 'ip' => [ 10000, 60 ], 'newbie' => [ 10000, 60 ], 'user' => [ 10000, 60 ] ];

// --- REST API (rest.php, e.g. /rest.php/v1/page/Main_Page) ------------------------------------
// Nothing to set: rest.php answers under php -S as it is ($wgRestPath = /rest.php, the path after
// it is PATH_INFO), and a bot-password session works there too (BotPasswordSessionProvider
// serves the API and REST entry points). Writes from a cookie session need the csrf token in the
// JSON body ("token"); see tests/wiki/README.md for what 1.39 and 1.43 answer without one.
