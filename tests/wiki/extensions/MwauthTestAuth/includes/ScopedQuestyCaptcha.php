<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\MediaWikiServices;
use QuestyCaptcha;

/**
 * QuestyCaptcha whose per-user bad-login counter ("badloginperuser") only counts the users
 * named in $wgMwauthTestAuthCaptchaUsers (all users if it is null). The test wiki sets
 * $wgCaptchaBadLoginPerUserAttempts = 1, so without this one wrong password for MwHuman
 * (tests do that) would make every later main-account login of MwHuman need a captcha.
 * Everything else is ConfirmEdit's own code. On 1.39 the counter is the captcha's own method;
 * on 1.43 it moved to LoginAttemptCounter (see ScopedCaptchaPreAuthenticationProvider).
 */
class ScopedQuestyCaptcha extends QuestyCaptcha {
	/**
	 * @param string|null $username
	 */
	public function increaseBadLoginCounter( $username ) {
		parent::increaseBadLoginCounter( self::countedUser( $username ) );
	}

	/**
	 * @param string|null $username
	 * @return string|null $username if its failures count, null if not
	 */
	public static function countedUser( $username ) {
		global $wgMwauthTestAuthCaptchaUsers;
		if ( $username !== null && is_array( $wgMwauthTestAuthCaptchaUsers ) ) {
			$name = MediaWikiServices::getInstance()->getUserNameUtils()
				->getCanonical( (string)$username ) ?: (string)$username;
			if ( !in_array( $name, $wgMwauthTestAuthCaptchaUsers, true ) ) {
				return null;
			}
		}
		return $username;
	}
}
