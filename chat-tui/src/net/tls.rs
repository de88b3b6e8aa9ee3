//! TLS for `https://` servers (chatd behind Apache, say): the Mozilla root
//! certificates are built in, and `ca_file` adds others — a private CA, or
//! a server's self-signed certificate — so no system certificate store is
//! needed.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;

/// The TLS settings for both the REST client and the WebSocket.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let shown = path.display();
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| format!("cannot read the CA file {shown}: {e}"))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the CA file {shown} is not valid PEM: {e}"))?;
        if certs.is_empty() {
            return Err(format!("the CA file {shown} holds no certificate"));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| format!("the CA file {shown} holds a bad certificate: {e}"))?;
        }
    }
    Ok(Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roots_need_no_file() {
        let config = client_config(None).unwrap();
        assert!(config.alpn_protocols.is_empty());
    }

    #[test]
    fn a_ca_file_is_added_and_bad_ones_are_refused() {
        let dir = std::env::temp_dir().join(format!("chat-tui-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (key, cert) = (dir.join("key.pem"), dir.join("cert.pem"));
        let made = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=chat.test", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs");
        assert!(
            made.status.success(),
            "{}",
            String::from_utf8_lossy(&made.stderr)
        );
        client_config(Some(&cert)).unwrap();
        let err = client_config(Some(&key)).unwrap_err();
        assert!(err.contains("no certificate"), "{err}");
        let err = client_config(Some(&dir.join("missing.pem"))).unwrap_err();
        assert!(err.contains("cannot read"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
