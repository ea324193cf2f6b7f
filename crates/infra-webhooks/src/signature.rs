//! Standard Webhooks signatures: `v1,` and the base64 of HMAC-SHA256 over
//! `"<webhook-id>.<webhook-timestamp>.<body>"`, keyed by the secret's bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use domain::webhook::WebhookSecret;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC takes keys of any length, so this is never expected; kept as an error rather than a
/// panic on a path a delivery can reach.
#[derive(Debug, thiserror::Error)]
#[error("the signing key was refused")]
pub struct SignatureError;

/// The `webhook-signature` header's value for one delivery.
///
/// # Errors
/// [`SignatureError`] if the MAC refuses the key.
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, body: &[u8]) -> Result<String, SignatureError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the Standard Webhooks specification and its reference libraries: secret
    /// `whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`, id `msg_p5jXN8AQM9LWM0D4loKWxJek`, timestamp
    /// 1614265330, body `{"test": 2432232314}`.
    #[test]
    fn the_specifications_example_signs_as_published() {
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let secret = WebhookSecret::new(key).unwrap();
        let signature =
            sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, br#"{"test": 2432232314}"#).unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
