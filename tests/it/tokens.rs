//! Tokens signed with public-key algorithms: RS256 and ES256, by PEM key or JWKS.

use campaign_performance::auth::{TokenError, Verifier};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::json;
use uuid::Uuid;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn sign(alg: Algorithm, kid: Option<&str>, private_pem: &str, user: Uuid, exp_offset: i64) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&fixture(private_pem)).unwrap(),
        _ => EncodingKey::from_ec_pem(&fixture(private_pem)).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    let now = chrono::Utc::now().timestamp();
    encode(&header, &json!({ "sub": user.to_string(), "iat": now, "exp": now + exp_offset }), &key).unwrap()
}

#[test]
fn rs256_and_es256_tokens_verify_with_their_pem_public_keys() {
    let user = Uuid::new_v4();
    let rsa = Verifier::new(None, None).with_public_key_pem(&fixture("rs256-public.pem")).unwrap();
    let ec = Verifier::new(None, None).with_public_key_pem(&fixture("es256-public.pem")).unwrap();
    assert_eq!(rsa.verify(&sign(Algorithm::RS256, None, "rs256-private.pem", user, 60)), Ok(user));
    assert_eq!(ec.verify(&sign(Algorithm::ES256, None, "es256-private.pem", user, 60)), Ok(user));
    // Each verifier accepts its own algorithm only.
    assert!(matches!(
        rsa.verify(&sign(Algorithm::ES256, None, "es256-private.pem", user, 60)),
        Err(TokenError::Algorithm(_))
    ));
    assert_eq!(rsa.verify(&sign(Algorithm::RS256, None, "rs256-private.pem", user, -120)), Err(TokenError::Expired));
}

#[test]
fn jwks_keys_are_matched_by_kid() {
    let user = Uuid::new_v4();
    let json = String::from_utf8(fixture("jwks.json")).unwrap();
    let verifier = Verifier::new(None, None).with_jwks(&json).unwrap();
    assert_eq!(verifier.verify(&sign(Algorithm::RS256, Some("rsa-1"), "rs256-private.pem", user, 60)), Ok(user));
    assert_eq!(verifier.verify(&sign(Algorithm::ES256, Some("ec-1"), "es256-private.pem", user, 60)), Ok(user));
    assert_eq!(
        verifier.verify(&sign(Algorithm::RS256, Some("rotated-away"), "rs256-private.pem", user, 60)),
        Err(TokenError::UnknownKey)
    );
    // An HS256 token is refused by a verifier that has public keys only (no algorithm confusion).
    let hs = campaign_performance::auth::Minter::new(b"0123456789abcdef0123456789abcdef", None, None).mint(user, 60);
    assert!(matches!(verifier.verify(&hs), Err(TokenError::Algorithm(_))));
    assert!(Verifier::new(None, None).with_jwks("{\"keys\": []}").is_err());
}
