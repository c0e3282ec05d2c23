<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Auth\AuthenticationRequest;

/**
 * First step of `linkaccount`: the button "link an identity of the test identity provider"
 * (field mwauthtestLink). Like LoginAuthenticationRequest, but for AuthManager::ACTION_LINK.
 */
class LinkAuthenticationRequest extends AuthenticationRequest {
	public const FIELD = 'mwauthtestLink';

	/** @var bool */
	public $mwauthtestLink = false;

	public function __construct() {
		$this->required = self::REQUIRED;
	}

	public function getFieldInfo() {
		return [
			self::FIELD => [
				'type' => 'button',
				'label' => wfMessage( 'mwauthtestauth-link-label' ),
				'help' => wfMessage( 'mwauthtestauth-link-help' ),
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
