<?php

namespace MediaWiki\Extension\MwauthTestAuth;

/**
 * The test identity provider's links (third-party identity -> local user), kept in one JSON file
 * in the wiki's folder ($wgMwauthTestAuthStateFile), so they outlive the request and are shared
 * by both servers and all their workers:
 *
 *   {"links": {"IDENTITY": {"user_id": 12, "user": "MwIdp-newcomer", "since": "20260101000000"}}}
 *
 * Every access holds flock() on the file (shared to read, exclusive to change it).
 * An identity is linked to at most one user; a user may have several identities.
 */
class IdentityStore {
	/** @var string */
	private $file;

	/**
	 * @param string $file
	 */
	public function __construct( string $file ) {
		$this->file = $file;
	}

	/**
	 * @param string $identity
	 * @return array|null ['user_id' => int, 'user' => string, 'since' => string] or null
	 */
	public function get( string $identity ): ?array {
		return $this->locked( false, static function ( array $data ) use ( $identity ) {
			return [ $data, $data['links'][$identity] ?? null ];
		} );
	}

	/**
	 * @param int $userId
	 * @return string[] the identities linked to that user, sorted
	 */
	public function identitiesOf( int $userId ): array {
		return $this->locked( false, static function ( array $data ) use ( $userId ) {
			$ids = [];
			foreach ( $data['links'] as $identity => $link ) {
				if ( (int)$link['user_id'] === $userId ) {
					$ids[] = (string)$identity;
				}
			}
			sort( $ids );
			return [ $data, $ids ];
		} );
	}

	/**
	 * Link $identity to the user, unless it is linked already (to anyone).
	 * @param string $identity
	 * @param int $userId
	 * @param string $userName
	 * @return bool whether it is linked now (false: it was linked before)
	 */
	public function link( string $identity, int $userId, string $userName ): bool {
		return $this->locked( true, static function ( array $data ) use ( $identity, $userId, $userName ) {
			if ( isset( $data['links'][$identity] ) ) {
				return [ $data, false ];
			}
			$data['links'][$identity] = [
				'user_id' => $userId,
				'user' => $userName,
				'since' => gmdate( 'YmdHis' ),
			];
			return [ $data, true ];
		} );
	}

	/**
	 * Remove the link of $identity to that user.
	 * @param string $identity
	 * @param int $userId
	 * @return bool whether a link was removed
	 */
	public function unlink( string $identity, int $userId ): bool {
		return $this->locked( true, static function ( array $data ) use ( $identity, $userId ) {
			if ( ( $data['links'][$identity]['user_id'] ?? null ) !== $userId ) {
				return [ $data, false ];
			}
			unset( $data['links'][$identity] );
			return [ $data, true ];
		} );
	}

	/**
	 * @param bool $write
	 * @param callable $fn array $data -> [ array $newData, mixed $result ]
	 * @return mixed $result
	 */
	private function locked( bool $write, callable $fn ) {
		$fh = fopen( $this->file, 'c+' );
		if ( !$fh ) {
			throw new \RuntimeException( "MwauthTestAuth: cannot open {$this->file}" );
		}
		try {
			if ( !flock( $fh, $write ? LOCK_EX : LOCK_SH ) ) {
				throw new \RuntimeException( "MwauthTestAuth: cannot lock {$this->file}" );
			}
			$text = stream_get_contents( $fh );
			$data = $text === '' || $text === false ? [] : json_decode( $text, true );
			if ( !is_array( $data ) ) {
				throw new \RuntimeException( "MwauthTestAuth: {$this->file} is not JSON" );
			}
			$data += [ 'links' => [] ];
			[ $newData, $result ] = $fn( $data );
			if ( $write && $newData !== $data ) {
				// an empty map as {}, not []
				$json = json_encode( [ 'links' => $newData['links'] ?: new \stdClass() ],
					JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES );
				ftruncate( $fh, 0 );
				rewind( $fh );
				fwrite( $fh, $json . "\n" );
				fflush( $fh );
			}
			return $result;
		} finally {
			flock( $fh, LOCK_UN );
			fclose( $fh );
		}
	}
}
