<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Auth\AuthenticationRequest;

/**
 * One identity at the test identity provider. It has no fields: the wiki makes it, never the
 * client. Used as
 * - the createRequest of a RESTART (AuthenticationResponse::$createRequest, preserved in a
 *   CreateFromLoginAuthenticationRequest): `createaccount` with `createpreservestate=1` hands it
 *   to the provider, which creates the account linked to the identity; its username is the
 *   suggested name (`preservedusername`);
 * - the linkRequest of that RESTART (AuthenticationResponse::$linkRequest): what
 *   ConfirmLinkSecondaryAuthenticationProvider offers to link after a login as an existing user;
 * - the requests of `removeauthenticationdata` / `unlinkaccount` (one per linked identity).
 * Its id is "MediaWiki\Extension\MwauthTestAuth\IdentityAuthenticationRequest:IDENTITY".
 */
class IdentityAuthenticationRequest extends AuthenticationRequest {
	/** @var string|null the identity's name at the third party */
	public $identity;

	/**
	 * @param string|null $identity
	 * @param string|null $username
	 */
	public function __construct( $identity = null, $username = null ) {
		$this->identity = $identity;
		$this->username = $username;
	}

	public function getUniqueId() {
		return parent::getUniqueId() . ':' . $this->identity;
	}

	public function getFieldInfo() {
		return [];
	}

	public function describeCredentials() {
		return [
			'provider' => wfMessage( 'mwauthtestauth-provider' ),
			'account' => new \RawMessage( '$1', [ (string)$this->identity ] ),
		];
	}
}
