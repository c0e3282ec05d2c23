<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Auth\AbstractPrimaryAuthenticationProvider;
use MediaWiki\Auth\AuthenticationRequest;
use MediaWiki\Auth\AuthenticationResponse;
use MediaWiki\Auth\AuthManager;
use MWCryptRand;
use StatusValue;
use User;

/**
 * A redirect-based ("single sign-on") primary provider for tests; the "third party" is
 * played by the test itself. See tests/wiki/README.md for the protocol.
 *
 * 1. Login with mwauthtestLogin=1 (and no username/password needed): REDIRECT to
 *    $wgMwauthTestAuthIdpUrl?state=STATE&redirect_uri=RETURNURL, with redirectdata
 *    {"state": STATE} and a ReturnAuthenticationRequest (mwauthtestCode, hidden mwauthtestState).
 * 2. logincontinue=1 with mwauthtestState=STATE and mwauthtestCode=CODE:
 *    - CODE = $wgMwauthTestAuthLinkedCode: PASS as $wgMwauthTestAuthLinkedUser;
 *    - CODE = $wgMwauthTestAuthUnlinkedCode: PASS with no user name, which AuthManager turns
 *      into RESTART authmanager-authn-no-local-user;
 *    - anything else: FAIL mwauthtestauth-wrong-code; a state that is not this flow's:
 *      FAIL mwauthtestauth-bad-state; code or state missing: FAIL mwauthtestauth-no-return.
 */
class RedirectPrimaryAuthenticationProvider extends AbstractPrimaryAuthenticationProvider {
	private const STATE_KEY = 'MwauthTestAuth:state';

	public function getAuthenticationRequests( $action, array $options ) {
		if ( $action === AuthManager::ACTION_LOGIN ) {
			return [ new LoginAuthenticationRequest() ];
		}
		return [];
	}

	public function beginPrimaryAuthentication( array $reqs ) {
		$req = AuthenticationRequest::getRequestByClass( $reqs, LoginAuthenticationRequest::class );
		if ( !$req || !$req->mwauthtestLogin ) {
			return AuthenticationResponse::newAbstain();
		}
		$state = MWCryptRand::generateHex( 32 );
		$this->manager->setAuthenticationSessionData( self::STATE_KEY, $state );
		$target = wfAppendQuery( $this->config->get( 'MwauthTestAuthIdpUrl' ), [
			'state' => $state,
			'redirect_uri' => $req->returnToUrl,
		] );
		$this->logger->info( 'MwauthTestAuth: REDIRECT to {target}', [ 'target' => $target ] );
		return AuthenticationResponse::newRedirect(
			[ new ReturnAuthenticationRequest( $state ) ], $target, [ 'state' => $state ]
		);
	}

	public function continuePrimaryAuthentication( array $reqs ) {
		$expected = $this->manager->getAuthenticationSessionData( self::STATE_KEY );
		$this->manager->removeAuthenticationSessionData( self::STATE_KEY );
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
		if ( is_string( $linked ) && $linked !== '' && hash_equals( $linked, $code ) ) {
			return AuthenticationResponse::newPass( $this->config->get( 'MwauthTestAuthLinkedUser' ) );
		}
		if ( is_string( $unlinked ) && $unlinked !== '' && hash_equals( $unlinked, $code ) ) {
			// Authenticated at the third party, but no local user: AuthManager answers RESTART.
			return AuthenticationResponse::newPass( null );
		}
		return AuthenticationResponse::newFail( wfMessage( 'mwauthtestauth-wrong-code' ) );
	}

	public function testUserExists( $username, $flags = User::READ_NORMAL ) {
		// This provider owns no local accounts.
		return false;
	}

	public function providerAllowsAuthenticationDataChange(
		AuthenticationRequest $req, $checkData = true
	) {
		return StatusValue::newGood( 'ignored' );
	}

	public function providerChangeAuthenticationData( AuthenticationRequest $req ) {
	}

	public function accountCreationType() {
		return self::TYPE_NONE;
	}

	public function beginPrimaryAccountCreation( $user, $creator, array $reqs ) {
		return AuthenticationResponse::newAbstain();
	}
}
