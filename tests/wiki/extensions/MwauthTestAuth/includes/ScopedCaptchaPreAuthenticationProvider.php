<?php

namespace MediaWiki\Extension\MwauthTestAuth;

use MediaWiki\Extension\ConfirmEdit\Auth\CaptchaPreAuthenticationProvider;
use MediaWiki\Extension\ConfirmEdit\Auth\LoginAttemptCounter;
use MediaWiki\Extension\ConfirmEdit\SimpleCaptcha\SimpleCaptcha;

/**
 * MediaWiki 1.43's ConfirmEdit counts bad logins in LoginAttemptCounter, which its
 * pre-authentication provider makes, instead of in the captcha class (1.39, where
 * ScopedQuestyCaptcha does the same job): this provider hands out a counter that only counts
 * the users in $wgMwauthTestAuthCaptchaUsers. Everything else is ConfirmEdit's own code.
 * Loaded only on 1.43 (LocalSettings.test.php), so these parent classes exist.
 */
class ScopedCaptchaPreAuthenticationProvider extends CaptchaPreAuthenticationProvider {
	protected function getLoginAttemptCounter( SimpleCaptcha $captcha ): LoginAttemptCounter {
		return new ScopedLoginAttemptCounter( $captcha );
	}
}
