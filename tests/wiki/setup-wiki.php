<?php
// Creates the test wiki's users in one PHP process (one maintenance script per user
// cost about 0.3 s each). Run by with-wiki.sh with MW_CONFIG_FILE set; reads a JSON
// spec on stdin, so no password appears on a command line:
//
// {"users": [{"name": "MwBot", "password": "...", "groups": ["bot"],
//             "botpassword": {"appid": "mwauth", "grants": ["basic"], "password": "..."},
//             "totp": "BASE32SECRET"}]}
//
// - users are created as maintenance/createAndPromote.php does (AuthManager::autoCreateUser,
//   then the password through changeAuthenticationData, then the groups);
// - bot passwords as maintenance/createBotPassword.php does;
// - "totp" enables OATHAuth's TOTP module for the user with that secret and no recovery
//   codes, through OATHAuth's own repository (1.39: table oathauth_users; 1.43: tables
//   oathauth_devices and oathauth_types; created here from the extension's SQL file if
//   missing, which is what update.php would do, minus its 5 s).

use MediaWiki\Extension\OATHAuth\Key\TOTPKey;
use MediaWiki\MediaWikiServices;

require_once ( getenv( 'MW_INSTALL_PATH' ) ?: '/usr/share/mediawiki' ) . '/maintenance/Maintenance.php';

class MwauthSetupWiki extends Maintenance {
	public function __construct() {
		parent::__construct();
		$this->addDescription( 'Create the mwauth test users from a JSON spec on stdin' );
	}

	public function execute() {
		$spec = json_decode( stream_get_contents( STDIN ), true );
		if ( !is_array( $spec ) || !isset( $spec['users'] ) ) {
			$this->fatalError( 'expected {"users": [...]} on stdin' );
		}
		$services = MediaWikiServices::getInstance();
		foreach ( $spec['users'] as $u ) {
			$user = $this->createUser( $services, $u['name'], $u['password'], $u['groups'] ?? [] );
			if ( isset( $u['botpassword'] ) ) {
				$this->createBotPassword( $services, $user, $u['botpassword'] );
			}
			if ( isset( $u['totp'] ) ) {
				$this->enableTotp( $services, $user, $u['totp'] );
			}
			$this->output( "created {$user->getName()}\n" );
		}
	}

	private function createUser( MediaWikiServices $services, string $name, string $password, array $groups ): User {
		$user = $services->getUserFactory()->newFromName( $name );
		if ( !$user ) {
			$this->fatalError( "invalid user name $name" );
		}
		if ( $user->idForName() !== 0 ) {
			$this->fatalError( "user $name exists" );
		}
		$status = $services->getAuthManager()->autoCreateUser(
			$user, MediaWiki\Auth\AuthManager::AUTOCREATE_SOURCE_MAINT, false
		);
		if ( !$status->isGood() ) {
			$this->fatalError( "$name: " . $status->getMessage( false, false, 'en' )->text() );
		}
		$status = $user->changeAuthenticationData( [
			'username' => $user->getName(),
			'password' => $password,
			'retype' => $password,
		] );
		if ( !$status->isGood() ) {
			$this->fatalError( "$name: " . $status->getMessage( false, false, 'en' )->text() );
		}
		if ( $groups ) {
			$services->getUserGroupManager()->addUserToMultipleGroups( $user, $groups );
		}
		SiteStatsUpdate::factory( [ 'users' => 1 ] )->doUpdate();
		return $user;
	}

	private function createBotPassword( MediaWikiServices $services, User $user, array $bp ) {
		$grants = $bp['grants'];
		$invalid = array_diff( $grants, $services->getGrantsInfo()->getValidGrants() );
		if ( $invalid ) {
			$this->fatalError( 'invalid grants: ' . implode( ', ', $invalid ) );
		}
		$botPassword = BotPassword::newUnsaved( [
			'username' => $user->getName(),
			'appId' => $bp['appid'],
			'grants' => $grants,
		] );
		if ( !$botPassword ) {
			$this->fatalError( "bot password for {$user->getName()}: newUnsaved failed" );
		}
		$status = $botPassword->save(
			'insert', $services->getPasswordFactory()->newFromPlaintext( $bp['password'] )
		);
		if ( !$status->isGood() ) {
			$this->fatalError( "bot password for {$user->getName()}: " . print_r( $status->getErrors(), true ) );
		}
	}

	private function enableTotp( MediaWikiServices $services, User $user, string $secret ) {
		global $IP;
		$dbw = $this->getDB( DB_PRIMARY );
		$repo = $services->getService( 'OATHUserRepository' );
		$keyData = [ 'secret' => $secret, 'scratch_tokens' => [] ];
		if ( method_exists( $repo, 'createKey' ) ) {
			// 1.43: a row in oathauth_devices, its type in oathauth_types.
			if ( !$dbw->tableExists( 'oathauth_devices', __METHOD__ ) ) {
				$dbw->sourceFile( "$IP/extensions/OATHAuth/sql/{$dbw->getType()}/tables-generated.sql" );
			}
			$module = $services->getService( 'OATHAuthModuleRegistry' )->getModuleByKey( 'totp' );
			$repo->createKey( $repo->findByUser( $user ), $module, $keyData, '127.0.0.1' );
			return;
		}
		// 1.39: the user's module and keys in oathauth_users.
		if ( !$dbw->tableExists( 'oathauth_users', __METHOD__ ) ) {
			$dbw->sourceFile( "$IP/extensions/OATHAuth/sql/{$dbw->getType()}/tables-generated.sql" );
		}
		$oathUser = $repo->findByUser( $user );
		$oathUser->setModule( $services->getService( 'OATHAuth' )->getModuleByKey( 'totp' ) );
		$oathUser->addKey( TOTPKey::newFromArray( $keyData ) );
		$repo->persist( $oathUser, '127.0.0.1' );
	}
}

$maintClass = MwauthSetupWiki::class;
require_once RUN_MAINTENANCE_IF_MAIN;
