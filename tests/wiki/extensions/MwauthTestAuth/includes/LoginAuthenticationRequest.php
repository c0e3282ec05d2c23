<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Auth\AuthenticationRequest;

/**
 * First step: the button "log in with the test identity provider" (field mwauthtestLogin).
 * A login that does not send the field does not load this request, so the provider abstains.
 */
class LoginAuthenticationRequest extends AuthenticationRequest {
	public const FIELD = 'mwauthtestLogin';

	/** @var bool */
	public $mwauthtestLogin = false;

	public function __construct() {
		// REQUIRED from a primary provider becomes "primary-required": one of the primary
		// requests (this one or the password) is needed, like any single sign-on button.
		$this->required = self::REQUIRED;
	}

	public function getFieldInfo() {
		return [
			self::FIELD => [
				'type' => 'button',
				'label' => wfMessage( 'mwauthtestauth-login-label' ),
				'help' => wfMessage( 'mwauthtestauth-login-help' ),
			],
		];
	}

	public function describeCredentials() {
		return [
			'provider' => wfMessage( 'mwauthtestauth-provider' ),
			'account' => new \RawMessage( '$1', [ self::FIELD ] ),
		];
	}
}
