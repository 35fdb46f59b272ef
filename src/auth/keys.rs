//! Turns the auth configuration into a `Verifier` (and a `Minter` when there is a shared
//! secret). Without any configured key, the embedded database gets a random secret kept in
//! its data folder; a server on an external database refuses to start without one.

use super::{Minter, Verifier};
use crate::config::AuthArgs;
use anyhow::Context;
use rand::RngCore;
use std::path::Path;

/// The shortest HS256 secret accepted (bytes).
pub const MIN_SECRET_LEN: usize = 32;
/// File in the data folder holding the embedded database's generated secret.
pub const SECRET_FILE: &str = "jwt-secret";

pub struct AuthKeys {
    pub verifier: Verifier,
    pub minter: Option<Minter>,
}

pub fn resolve(args: &AuthArgs, embedded_data_dir: Option<&Path>) -> anyhow::Result<AuthKeys> {
    let secret = match (&args.jwt_secret, embedded_data_dir) {
        (Some(s), _) => {
            if s.len() < MIN_SECRET_LEN {
                anyhow::bail!("JWT_SECRET is {} bytes; use at least {MIN_SECRET_LEN} random bytes", s.len());
            }
            Some(s.as_bytes().to_vec())
        }
        (None, Some(dir)) if args.jwt_public_key_file.is_none() && args.jwt_jwks_file.is_none() => {
            Some(embedded_secret(dir, SECRET_FILE)?)
        }
        _ => None,
    };
    let mut verifier = Verifier::new(args.jwt_issuer.clone(), args.jwt_audience.clone());
    if let Some(secret) = &secret {
        verifier = verifier.with_secret(secret);
    }
    if let Some(path) = &args.jwt_public_key_file {
        let pem = std::fs::read(path).with_context(|| format!("cannot read JWT_PUBLIC_KEY_FILE {}", path.display()))?;
        verifier = verifier
            .with_public_key_pem(&pem)
            .map_err(|e| anyhow::anyhow!("JWT_PUBLIC_KEY_FILE {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.jwt_jwks_file {
        let json =
            std::fs::read_to_string(path).with_context(|| format!("cannot read JWT_JWKS_FILE {}", path.display()))?;
        verifier = verifier.with_jwks(&json).map_err(|e| anyhow::anyhow!("JWT_JWKS_FILE {}: {e}", path.display()))?;
    }
    if !verifier.has_keys() {
        anyhow::bail!(
            "no token key configured: set JWT_SECRET (HS256, at least {MIN_SECRET_LEN} bytes), \
             JWT_PUBLIC_KEY_FILE (RS256/ES256 PEM) or JWT_JWKS_FILE"
        );
    }
    let minter = secret.map(|s| Minter::new(&s, args.jwt_issuer.clone(), args.jwt_audience.clone()));
    Ok(AuthKeys { verifier, minter })
}

/// One of the embedded database's secrets (`file` in the data folder): read from there, or
/// made and saved there (readable by the owner only).
pub fn embedded_secret(dir: &Path, file: &str) -> anyhow::Result<Vec<u8>> {
    let path = dir.join(file);
    if let Ok(text) = std::fs::read_to_string(&path) {
        let secret = text.trim().as_bytes().to_vec();
        if secret.len() >= MIN_SECRET_LEN {
            return Ok(secret);
        }
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    // Readable by the owner only from the moment it exists.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, secret.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(secret.into_bytes())
}
