//! Bearer tokens: JWTs whose subject is a user id.
//!
//! Verification accepts only the algorithms of the configured keys: HS256 with a shared
//! secret, RS256 or ES256 with a public key (PEM) or a JWKS file. `alg: none` and every
//! other algorithm are refused, as are expired tokens and, when configured, tokens of another
//! issuer or audience.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Seconds of clock skew tolerated on `exp`.
const LEEWAY_SECS: u64 = 5;

/// The claims this server mints.
#[derive(Debug, Serialize)]
struct Claims {
    sub: String,
    exp: u64,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

/// What it reads of any token (an identity provider's `aud` may be an array, `iat` may be
/// missing): the subject; `exp`, `iss` and `aud` are checked by the validation itself.
#[derive(Debug, Deserialize)]
struct Subject {
    sub: String,
}

/// Why a token was refused. The client only learns that it was (`UNAUTHENTICATED`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("algorithm {0} is not accepted")]
    Algorithm(String),
    #[error("no key for this token")]
    UnknownKey,
    #[error("token expired")]
    Expired,
    #[error("bad signature or claims: {0}")]
    Invalid(String),
    #[error("subject is not a user id")]
    Subject,
}

/// One verification key and the algorithm it verifies.
struct Key {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// Checks tokens against the configured keys, issuer and audience.
pub struct Verifier {
    keys: Vec<Key>,
    issuer: Option<String>,
    audience: Option<String>,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl Verifier {
    pub fn new(issuer: Option<String>, audience: Option<String>) -> Self {
        Verifier { keys: Vec::new(), issuer, audience }
    }

    pub fn with_secret(mut self, secret: &[u8]) -> Self {
        self.keys.push(Key { kid: None, algorithm: Algorithm::HS256, key: DecodingKey::from_secret(secret) });
        self
    }

    /// Adds a PEM public key: RSA keys verify RS256, EC (P-256) keys ES256.
    pub fn with_public_key_pem(mut self, pem: &[u8]) -> Result<Self, String> {
        let (algorithm, key) = if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
            (Algorithm::RS256, k)
        } else if let Ok(k) = DecodingKey::from_ec_pem(pem) {
            (Algorithm::ES256, k)
        } else {
            return Err("not an RSA or EC public key in PEM form".into());
        };
        self.keys.push(Key { kid: None, algorithm, key });
        Ok(self)
    }

    /// Adds the RS256 and ES256 keys of a JWKS document.
    pub fn with_jwks(mut self, json: &str) -> Result<Self, String> {
        let set: JwkSet = serde_json::from_str(json).map_err(|e| format!("not a JWKS document: {e}"))?;
        for jwk in &set.keys {
            let algorithm = match &jwk.algorithm {
                jsonwebtoken::jwk::AlgorithmParameters::RSA(_) => Algorithm::RS256,
                jsonwebtoken::jwk::AlgorithmParameters::EllipticCurve(_) => Algorithm::ES256,
                _ => continue,
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key in JWKS: {e}"))?;
            self.keys.push(Key { kid: jwk.common.key_id.clone(), algorithm, key });
        }
        if self.keys.is_empty() {
            return Err("the JWKS document has no RS256 or ES256 key".into());
        }
        Ok(self)
    }

    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The user id a valid token names.
    pub fn verify(&self, token: &str) -> Result<Uuid, TokenError> {
        let header = decode_header(token).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidAlgorithmName => TokenError::Algorithm("unknown".into()),
            _ => TokenError::Malformed,
        })?;
        let candidates: Vec<&Key> = self
            .keys
            .iter()
            .filter(|k| k.algorithm == header.alg)
            .filter(|k| match (&header.kid, &k.kid) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            })
            .collect();
        if candidates.is_empty() {
            return Err(if self.keys.iter().any(|k| k.algorithm == header.alg) {
                TokenError::UnknownKey
            } else {
                TokenError::Algorithm(format!("{:?}", header.alg))
            });
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECS;
        // A token not valid before a time (`nbf`) is refused until then.
        validation.validate_nbf = true;
        // A configured issuer or audience must be present, not merely match when present.
        let mut required = vec!["exp", "sub"];
        required.extend(self.issuer.as_ref().map(|_| "iss"));
        required.extend(self.audience.as_ref().map(|_| "aud"));
        validation.set_required_spec_claims(&required);
        match &self.issuer {
            Some(iss) => validation.set_issuer(&[iss]),
            None => validation.iss = None,
        }
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        let mut last = TokenError::UnknownKey;
        for key in candidates {
            match decode::<Subject>(token, &key.key, &validation) {
                Ok(data) => return data.claims.sub.parse().map_err(|_| TokenError::Subject),
                Err(e) => {
                    last = match e.kind() {
                        jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                        other => TokenError::Invalid(format!("{other:?}")),
                    }
                }
            }
        }
        Err(last)
    }
}

/// Mints HS256 tokens (the `token` command and the demo start).
pub struct Minter {
    key: EncodingKey,
    issuer: Option<String>,
    audience: Option<String>,
}

impl Minter {
    pub fn new(secret: &[u8], issuer: Option<String>, audience: Option<String>) -> Self {
        Minter { key: EncodingKey::from_secret(secret), issuer, audience }
    }

    /// A token for `user` valid for `ttl_secs` from now.
    pub fn mint(&self, user: Uuid, ttl_secs: u64) -> String {
        let iat = now();
        let claims = Claims {
            sub: user.to_string(),
            exp: iat + ttl_secs,
            iat,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        // HS256 over serializable claims cannot fail.
        encode(&Header::new(Algorithm::HS256), &claims, &self.key).unwrap_or_default()
    }

    /// A token that expired `ago_secs` ago (for tests of expiry).
    pub fn mint_expired(&self, user: Uuid, ago_secs: u64) -> String {
        let iat = now().saturating_sub(ago_secs + 3600);
        let claims = Claims {
            sub: user.to_string(),
            exp: now().saturating_sub(ago_secs),
            iat,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.key).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn a_minted_token_verifies_and_names_its_user() {
        let user = Uuid::new_v4();
        let token = Minter::new(SECRET, None, None).mint(user, 60);
        assert_eq!(Verifier::new(None, None).with_secret(SECRET).verify(&token), Ok(user));
    }

    #[test]
    fn alg_none_unknown_algorithms_tampering_and_expiry_are_refused() {
        let user = Uuid::new_v4();
        let verifier = Verifier::new(None, None).with_secret(SECRET);
        let token = Minter::new(SECRET, None, None).mint(user, 60);
        let parts: Vec<&str> = token.split('.').collect();

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(verifier.verify(&format!("{none_header}.{}.", parts[1])).is_err());
        let hs512 = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
        assert!(matches!(
            verifier.verify(&format!("{hs512}.{}.{}", parts[1], parts[2])),
            Err(TokenError::Algorithm(_))
        ));

        let other = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"{}","exp":9999999999,"iat":0}}"#, Uuid::new_v4()));
        assert!(matches!(verifier.verify(&format!("{}.{other}.{}", parts[0], parts[2])), Err(TokenError::Invalid(_))));

        let expired = Minter::new(SECRET, None, None).mint_expired(user, 120);
        assert_eq!(verifier.verify(&expired), Err(TokenError::Expired));
        let wrong_secret = Minter::new(b"another secret of thirty-two b!!", None, None).mint(user, 60);
        assert!(verifier.verify(&wrong_secret).is_err());
        assert_eq!(verifier.verify("garbage"), Err(TokenError::Malformed));
    }

    #[test]
    fn tokens_with_an_audience_list_and_no_iat_are_accepted() {
        let user = Uuid::new_v4();
        let claims = serde_json::json!({ "sub": user.to_string(), "exp": now() + 60, "aud": ["other", "dash"] });
        let token = encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap();
        assert_eq!(Verifier::new(None, Some("dash".into())).with_secret(SECRET).verify(&token), Ok(user));
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let user = Uuid::new_v4();
        let verifier = Verifier::new(Some("cp".into()), Some("dash".into())).with_secret(SECRET);
        assert_eq!(
            verifier.verify(&Minter::new(SECRET, Some("cp".into()), Some("dash".into())).mint(user, 60)),
            Ok(user)
        );
        assert!(
            verifier.verify(&Minter::new(SECRET, Some("other".into()), Some("dash".into())).mint(user, 60)).is_err()
        );
        assert!(verifier.verify(&Minter::new(SECRET, Some("cp".into()), None).mint(user, 60)).is_err());
    }

    #[test]
    fn a_token_not_yet_valid_is_refused_until_its_nbf() {
        let user = Uuid::new_v4();
        let verifier = Verifier::new(None, None).with_secret(SECRET);
        let token = |nbf: u64| {
            let claims = serde_json::json!({ "sub": user.to_string(), "exp": now() + 3_600, "nbf": nbf });
            encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
        };
        assert!(matches!(verifier.verify(&token(now() + 600)), Err(TokenError::Invalid(_))));
        assert_eq!(verifier.verify(&token(now() - 10)), Ok(user));
    }
}
