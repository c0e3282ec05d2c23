<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Extension\ConfirmEdit\Auth\LoginAttemptCounter;

/**
 * ConfirmEdit 1.43's bad-login counter, counting only the users named in
 * $wgMwauthTestAuthCaptchaUsers (all users if it is null): see ScopedQuestyCaptcha.
 */
class ScopedLoginAttemptCounter extends LoginAttemptCounter {
	/**
	 * @param string|null $username
	 */
	public function increaseBadLoginCounter( $username ) {
		parent::increaseBadLoginCounter( ScopedQuestyCaptcha::countedUser( $username ) );
	}
}
