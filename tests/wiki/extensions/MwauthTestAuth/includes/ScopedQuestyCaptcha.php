<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use QuestyCaptcha;

/**
 * QuestyCaptcha whose per-user bad-login counter ("badloginperuser") only counts the users
 * named in $wgMwauthTestAuthCaptchaUsers (all users if it is null). The test wiki sets
 * $wgCaptchaBadLoginPerUserAttempts = 1, so without this one wrong password for MwHuman
 * (tests do that) would make every later main-account login of MwHuman need a captcha.
 * Everything else is ConfirmEdit's own code.
 */
class ScopedQuestyCaptcha extends QuestyCaptcha {
	/**
	 * @param string|null $username
	 */
	public function increaseBadLoginCounter( $username ) {
		global $wgMwauthTestAuthCaptchaUsers;
		if ( $username !== null && is_array( $wgMwauthTestAuthCaptchaUsers ) ) {
			$name = \MediaWiki\MediaWikiServices::getInstance()->getUserNameUtils()
				->getCanonical( (string)$username ) ?: (string)$username;
			if ( !in_array( $name, $wgMwauthTestAuthCaptchaUsers, true ) ) {
				$username = null;
			}
		}
		parent::increaseBadLoginCounter( $username );
	}
}
