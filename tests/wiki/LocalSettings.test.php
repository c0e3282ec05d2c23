<?php
// Settings for the mwauth test wiki. tests/wiki/with-wiki.sh generates a fresh
// LocalSettings.php with maintenance/install.php and appends a `require` of this
// file, so everything here overrides what the installer wrote.
//
// Put what later tests need here (extensions such as OATHAuth or ConfirmEdit,
// a test-only extension, ...). $mwauthTestWikiDir is the wiki's temporary folder.

if ( !defined( 'MEDIAWIKI' ) ) {
	exit;
}

// Sessions are rows of table `objectcache` in wikicache.sqlite (beside the main
// db), keyed "<wikiid>:MWSession:<cookie value>"; tests/wiki/expire_session.py
// deletes them to simulate an expired session.
$wgSessionCacheType = CACHE_DB;

// No shared main cache: the installer picks CACHE_ACCEL (APCu), which is per server
// process, so the two servers (and the maintenance scripts) would see stale data
// from one another. CACHE_NONE is the reliable choice with several processes.
$wgMainCacheType = CACHE_NONE;

// Failed logins must not lock the test users out.
$wgPasswordAttemptThrottle = [];

$wgEnableBotPasswords = true;

// API errors carry the exception text and a trace.
$wgShowExceptionDetails = true;

// Two built-in servers on different ports serve this wiki: build URLs from the
// request's Host header instead of the port given to install.php.
if ( PHP_SAPI === 'cli-server' ) {
	$wgServer = WebRequest::detectServer( false );
	$wgCanonicalServer = $wgServer;
}
