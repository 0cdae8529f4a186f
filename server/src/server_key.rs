//! The server key that encrypts secrets at rest. From `NOTIFY_SECRET_KEY`,
//! or generated on first start into `{data_dir}/secret.key` (mode 0600) and
//! reused after that.

use crate::Config;
use anyhow::Context;
use rand::RngCore;
use std::io::Write;

#[derive(Clone)]
pub struct SecretKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    pub fn from_hex(hex_str: &str) -> anyhow::Result<Self> {
        let raw = hex::decode(hex_str.trim()).map_err(|_| anyhow::anyhow!("the secret key is not hexadecimal"))?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| anyhow::anyhow!("the secret key is not 32 bytes"))?;
        Ok(Self { bytes })
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

pub fn load_or_create(config: &Config) -> anyhow::Result<SecretKey> {
    if let Some(hex_str) = &config.secret_key_hex {
        return SecretKey::from_hex(hex_str);
    }
    let path = config.data_dir.join("secret.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("could not read {}", path.display()))?;
        return SecretKey::from_hex(&text).with_context(|| format!("{} is not a valid key file", path.display()));
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("could not create {}", config.data_dir.display()))?;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).with_context(|| format!("could not create {}", path.display()))?;
    writeln!(file, "{}", hex::encode(bytes))?;
    tracing::info!(path = %path.display(), "generated a new server secret key");
    Ok(SecretKey { bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::from_lookup(|_| None).unwrap();
        config.data_dir = dir.path().join("data");
        let first = load_or_create(&config).unwrap();
        let second = load_or_create(&config).unwrap();
        assert_eq!(first.bytes(), second.bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(config.data_dir.join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{first:?}"), "SecretKey([redacted])");
    }
}
