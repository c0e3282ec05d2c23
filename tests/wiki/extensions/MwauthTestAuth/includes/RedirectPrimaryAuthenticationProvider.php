<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Auth\AbstractPrimaryAuthenticationProvider;
use MediaWiki\Auth\AuthenticationRequest;
use MediaWiki\Auth\AuthenticationResponse;
use MediaWiki\Auth\AuthManager;
use MediaWiki\MediaWikiServices;
use MWCryptRand;
use StatusValue;
use User;

/**
 * A redirect-based ("single sign-on") primary provider for tests; the "third party" is
 * played by the test itself. See tests/wiki/README.md for the protocol.
 *
 * It is of TYPE_LINK: AuthManager offers it for linkaccount/unlinkaccount, calls it during
 * account creation (only TYPE_NONE providers are skipped there), and turns its PASS without a
 * user name into a RESTART that preserves a link request (with ConfirmLinkSecondaryAuthenticationProvider
 * configured, as in the test wiki).
 *
 * Codes the third party "issues" (what the test sends back as mwauthtestCode):
 * - $wgMwauthTestAuthLinkedCode: the identity linked (by configuration, for ever) to
 *   $wgMwauthTestAuthLinkedUser: PASS as that user;
 * - $wgMwauthTestAuthUnlinkedCode: an identity the wiki may not link or create an account for:
 *   PASS with no user name, which AuthManager turns into RESTART authmanager-authn-no-local-user
 *   with nothing preserved;
 * - "$wgMwauthTestAuthIdentityKey:NAME" (NAME: 1 to 40 of [A-Za-z0-9-]): the identity NAME.
 *   Linked (IdentityStore) to a user: PASS as that user. Not linked: PASS with no user name, a
 *   createRequest and a linkRequest (both IdentityAuthenticationRequest), which AuthManager turns
 *   into RESTART authmanager-authn-no-local-user-link with canpreservestate.
 * - anything else: FAIL mwauthtestauth-wrong-code.
 */
class RedirectPrimaryAuthenticationProvider extends AbstractPrimaryAuthenticationProvider {
	private const STATE_KEY = 'MwauthTestAuth:state';
	private const LINK_STATE_KEY = 'MwauthTestAuth:linkState';
	private const CREATE_KEY = 'MwauthTestAuth:createIdentity';
	/** The suggested local name for identity NAME is this prefix + NAME */
	public const NAME_PREFIX = 'MwIdp-';

	/** @var IdentityStore|null */
	private $store;

	private function store(): IdentityStore {
		if ( !$this->store ) {
			$file = $this->config->get( 'MwauthTestAuthStateFile' );
			if ( !is_string( $file ) || $file === '' ) {
				$file = wfTempDir() . '/mwauth-test-idp.json';
			}
			$this->store = new IdentityStore( $file );
		}
		return $this->store;
	}

	public function getAuthenticationRequests( $action, array $options ) {
		switch ( $action ) {
			case AuthManager::ACTION_LOGIN:
				return [ new LoginAuthenticationRequest() ];
			case AuthManager::ACTION_LINK:
				return [ new LinkAuthenticationRequest() ];
			case AuthManager::ACTION_REMOVE:
				// also for ACTION_UNLINK: AuthManager asks its TYPE_LINK providers for REMOVE
				$user = $this->localUser( $options['username'] ?? null );
				if ( !$user ) {
					return [];
				}
				$reqs = [];
				foreach ( $this->store()->identitiesOf( $user->getId() ) as $identity ) {
					$reqs[] = new IdentityAuthenticationRequest( $identity, $user->getName() );
				}
				return $reqs;
			default:
				return [];
		}
	}

	// --- login -----------------------------------------------------------------------------

	public function beginPrimaryAuthentication( array $reqs ) {
		$req = AuthenticationRequest::getRequestByClass( $reqs, LoginAuthenticationRequest::class );
		if ( !$req || !$req->mwauthtestLogin ) {
			return AuthenticationResponse::newAbstain();
		}
		return $this->redirect( self::STATE_KEY, $req->returnToUrl );
	}

	public function continuePrimaryAuthentication( array $reqs ) {
		$res = $this->checkReturn( self::STATE_KEY, $reqs );
		if ( $res instanceof AuthenticationResponse ) {
			return $res;
		}
		[ $kind, $identity ] = $res;
		switch ( $kind ) {
			case 'config':
				return AuthenticationResponse::newPass( $this->config->get( 'MwauthTestAuthLinkedUser' ) );
			case 'unlinkable':
				// Authenticated at the third party, but no local user and nothing to preserve:
				// AuthManager answers RESTART authmanager-authn-no-local-user.
				return AuthenticationResponse::newPass( null );
		}
		$user = $this->linkedUser( $identity );
		if ( $user ) {
			return AuthenticationResponse::newPass( $user->getName() );
		}
		// Not linked: RESTART authmanager-authn-no-local-user-link, preserving both requests.
		$res = AuthenticationResponse::newPass( null );
		$res->createRequest = new IdentityAuthenticationRequest( $identity, self::NAME_PREFIX . $identity );
		$res->linkRequest = new IdentityAuthenticationRequest( $identity );
		return $res;
	}

	public function testUserExists( $username, $flags = User::READ_NORMAL ) {
		// This provider owns no local accounts.
		return false;
	}

	// --- account creation (from a RESTART's preserved createRequest) ------------------------

	public function accountCreationType() {
		return self::TYPE_LINK;
	}

	public function beginPrimaryAccountCreation( $user, $creator, array $reqs ) {
		$req = AuthenticationRequest::getRequestByClass( $reqs, IdentityAuthenticationRequest::class );
		if ( !$req || !is_string( $req->identity ) ) {
			return AuthenticationResponse::newAbstain();
		}
		if ( $this->store()->get( $req->identity ) !== null ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-identity-taken', $req->identity ) );
		}
		// The user does not exist yet: link it in finishAccountCreation.
		$this->manager->setAuthenticationSessionData( self::CREATE_KEY, $req->identity );
		return AuthenticationResponse::newPass();
	}

	public function finishAccountCreation( $user, $creator, AuthenticationResponse $response ) {
		$identity = $this->manager->getAuthenticationSessionData( self::CREATE_KEY );
		$this->manager->removeAuthenticationSessionData( self::CREATE_KEY );
		if ( is_string( $identity ) ) {
			$this->store()->link( $identity, $user->getId(), $user->getName() );
			$this->logger->info( 'MwauthTestAuth: created {user} linked to {identity}',
				[ 'user' => $user->getName(), 'identity' => $identity ] );
		}
		return null;
	}

	// --- linkaccount -------------------------------------------------------------------------

	public function beginPrimaryAccountLink( $user, array $reqs ) {
		$req = AuthenticationRequest::getRequestByClass( $reqs, LinkAuthenticationRequest::class );
		if ( !$req || !$req->mwauthtestLink ) {
			return AuthenticationResponse::newAbstain();
		}
		return $this->redirect( self::LINK_STATE_KEY, $req->returnToUrl );
	}

	public function continuePrimaryAccountLink( $user, array $reqs ) {
		$res = $this->checkReturn( self::LINK_STATE_KEY, $reqs );
		if ( $res instanceof AuthenticationResponse ) {
			return $res;
		}
		[ $kind, $identity ] = $res;
		if ( $kind === 'unlinkable' ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-not-linkable' ) );
		}
		if ( $kind === 'config' ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-identity-taken', 'config' ) );
		}
		$error = $this->linkError( $identity, $user->getId() );
		if ( $error ) {
			return AuthenticationResponse::newFail( wfMessage( $error, $identity ) );
		}
		if ( !$this->store()->link( $identity, $user->getId(), $user->getName() ) ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-identity-taken', $identity ) );
		}
		$this->logger->info( 'MwauthTestAuth: linked {identity} to {user}',
			[ 'user' => $user->getName(), 'identity' => $identity ] );
		return AuthenticationResponse::newPass();
	}

	// --- links as authentication data: link on login (ConfirmLink), unlink, remove -------------

	public function providerAllowsAuthenticationDataChange(
		AuthenticationRequest $req, $checkData = true
	) {
		if ( get_class( $req ) !== IdentityAuthenticationRequest::class ) {
			return StatusValue::newGood( 'ignored' );
		}
		$user = $this->localUser( $req->username );
		if ( !$user || !is_string( $req->identity ) ) {
			return StatusValue::newFatal( 'mwauthtestauth-no-user' );
		}
		if ( $req->action === AuthManager::ACTION_REMOVE ) {
			$link = $this->store()->get( $req->identity );
			return $link !== null && (int)$link['user_id'] === $user->getId()
				? StatusValue::newGood()
				: StatusValue::newFatal( 'mwauthtestauth-not-linked', $req->identity );
		}
		// ACTION_CHANGE (what ConfirmLinkSecondaryAuthenticationProvider sets): add the link
		$error = $this->linkError( $req->identity, $user->getId() );
		return $error ? StatusValue::newFatal( $error, $req->identity ) : StatusValue::newGood();
	}

	public function providerChangeAuthenticationData( AuthenticationRequest $req ) {
		if ( get_class( $req ) !== IdentityAuthenticationRequest::class || !is_string( $req->identity ) ) {
			return;
		}
		$user = $this->localUser( $req->username );
		if ( !$user ) {
			return;
		}
		if ( $req->action === AuthManager::ACTION_REMOVE ) {
			$this->store()->unlink( $req->identity, $user->getId() );
			$this->logger->info( 'MwauthTestAuth: unlinked {identity} from {user}',
				[ 'user' => $user->getName(), 'identity' => $req->identity ] );
		} else {
			$this->store()->link( $req->identity, $user->getId(), $user->getName() );
			$this->logger->info( 'MwauthTestAuth: linked {identity} to {user} ({action})',
				[ 'user' => $user->getName(), 'identity' => $req->identity, 'action' => $req->action ] );
		}
	}

	// --- helpers ------------------------------------------------------------------------------

	/**
	 * @param string $identity
	 * @param int $userId
	 * @return string|null null if $identity may be linked to that user now, else a message key
	 */
	private function linkError( string $identity, int $userId ): ?string {
		$link = $this->store()->get( $identity );
		if ( $link === null ) {
			return null;
		}
		return (int)$link['user_id'] === $userId ? 'mwauthtestauth-already-linked' : 'mwauthtestauth-identity-taken';
	}

	/**
	 * REDIRECT to the third party, with a new state kept in the authentication session data.
	 * @param string $key
	 * @param string|null $returnToUrl
	 * @return AuthenticationResponse
	 */
	private function redirect( string $key, $returnToUrl ) {
		$state = MWCryptRand::generateHex( 32 );
		$this->manager->setAuthenticationSessionData( $key, $state );
		$target = wfAppendQuery( $this->config->get( 'MwauthTestAuthIdpUrl' ), [
			'state' => $state,
			'redirect_uri' => $returnToUrl,
		] );
		$this->logger->info( 'MwauthTestAuth: REDIRECT to {target}', [ 'target' => $target ] );
		return AuthenticationResponse::newRedirect(
			[ new ReturnAuthenticationRequest( $state ) ], $target, [ 'state' => $state ]
		);
	}

	/**
	 * Check the third party's answer (ReturnAuthenticationRequest) against the flow's state,
	 * which it ends. Returns a FAIL, or [ kind, identity ] with kind 'config' (the configured
	 * linked code), 'unlinkable' (the configured unlinked code) or 'identity'.
	 * @param string $key
	 * @param AuthenticationRequest[] $reqs
	 * @return AuthenticationResponse|array
	 */
	private function checkReturn( string $key, array $reqs ) {
		$expected = $this->manager->getAuthenticationSessionData( $key );
		$this->manager->removeAuthenticationSessionData( $key );
		$req = AuthenticationRequest::getRequestByClass( $reqs, ReturnAuthenticationRequest::class );
		if ( !$req ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-no-return' ) );
		}
		if ( !is_string( $expected ) || !hash_equals( $expected, (string)$req->mwauthtestState ) ) {
			return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-bad-state' ) );
		}
		$code = (string)$req->mwauthtestCode;
		$linked = $this->config->get( 'MwauthTestAuthLinkedCode' );
		$unlinked = $this->config->get( 'MwauthTestAuthUnlinkedCode' );
		$key = $this->config->get( 'MwauthTestAuthIdentityKey' );
		if ( is_string( $linked ) && $linked !== '' && hash_equals( $linked, $code ) ) {
			return [ 'config', null ];
		}
		if ( is_string( $unlinked ) && $unlinked !== '' && hash_equals( $unlinked, $code ) ) {
			return [ 'unlinkable', null ];
		}
		if ( is_string( $key ) && $key !== '' ) {
			$parts = explode( ':', $code, 2 );
			if ( count( $parts ) === 2 && hash_equals( $key, $parts[0] ) &&
				preg_match( '/^[A-Za-z0-9-]{1,40}$/', $parts[1] )
			) {
				return [ 'identity', $parts[1] ];
			}
		}
		return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-wrong-code' ) );
	}

	/**
	 * @param string $identity
	 * @return User|null the existing local user linked to $identity
	 */
	private function linkedUser( string $identity ): ?User {
		$link = $this->store()->get( $identity );
		if ( $link === null ) {
			return null;
		}
		$user = MediaWikiServices::getInstance()->getUserFactory()->newFromId( (int)$link['user_id'] );
		return $user->isRegistered() ? $user : null;
	}

	/**
	 * @param string|null $name
	 * @return User|null that existing local user
	 */
	private function localUser( $name ): ?User {
		if ( !is_string( $name ) || $name === '' ) {
			return null;
		}
		$user = MediaWikiServices::getInstance()->getUserFactory()->newFromName( $name );
		return $user && $user->isRegistered() ? $user : null;
	}
}
