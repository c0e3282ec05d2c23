<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Auth\AuthenticationRequest;

/**
 * Continuation after REDIRECT: what the third party appended to the return URL.
 * mwauthtestState is a hidden field (its value is the state of this flow);
 * mwauthtestCode is the code the third party issued. Both are needed to load it.
 */
class ReturnAuthenticationRequest extends AuthenticationRequest {
	/** @var string|null */
	public $mwauthtestCode;

	/** @var string|null */
	public $mwauthtestState;

	/**
	 * @param string|null $state the state to offer as the hidden field's value
	 */
	public function __construct( $state = null ) {
		$this->mwauthtestState = $state;
		$this->required = self::REQUIRED;
	}

	public function getFieldInfo() {
		return [
			'mwauthtestCode' => [
				'type' => 'string',
				'label' => wfMessage( 'mwauthtestauth-code-label' ),
				'help' => wfMessage( 'mwauthtestauth-code-help' ),
			],
			'mwauthtestState' => [
				'type' => 'hidden',
				'value' => $this->mwauthtestState,
				'label' => wfMessage( 'mwauthtestauth-state-label' ),
				'help' => wfMessage( 'mwauthtestauth-state-help' ),
			],
		];
	}

	public function describeCredentials() {
		return [
			'provider' => wfMessage( 'mwauthtestauth-provider' ),
			'account' => new \RawMessage( '$1', [ 'mwauthtestCode' ] ),
		];
	}
}
