//! What a signature binds besides key and value: the namespace and the expiry.

use anykv_core::{Error, KvStorage, KvStorageExt, Signed};
use std::time::{Duration, Instant};

/// The longest TTL the revival part tries before giving up on a decisive reading.
const MAX_TTL: Duration = Duration::from_secs(20);

use super::layers::signer;
use crate::window::Window;
use crate::{ensure, unique_namespace, Backend, CheckResult, Context};

/// Signed values are bound to their namespace and their expiry: bytes copied into another
/// namespace of the same backend fail verification, and an entry whose stored expiry is removed
/// underneath (as by an edit of the expiry field) is still gone when its signed expiry passes.
/// Needs the backend's stores to name their namespace (`Store::info`).
pub fn signatures_bind_namespace_and_expiry(backend: &dyn Backend) -> CheckResult {
    let (name_a, name_b) = (unique_namespace("bind_a"), unique_namespace("bind_b"));
    let raw_a = backend.open(&name_a).ctx("open")?;
    let raw_b = backend.open(&name_b).ctx("open")?;
    ensure!(
        raw_a.namespace_name() == Some(name_a.as_str()),
        "namespace_name() is {:?}, expected {name_a:?}: signatures cannot be bound to it ({})",
        raw_a.namespace_name(),
        super::NAMESPACE_HINT
    );
    let signer = signer(&[("k1", "secret")])?;
    let signed_a = Signed::new(raw_a.clone(), signer.clone());
    let signed_b = Signed::new(raw_b.clone(), signer);

    signed_a.set("k", b"payload", None).ctx("signed set")?;
    let bytes = raw_a.get("k").ctx("get")?.unwrap_or_default();
    raw_b.set("k", &bytes, None).ctx("set")?;
    let error = signed_b.get("k").err();
    ensure!(
        matches!(error, Some(Error::BadSignature { .. })),
        "a value copied into another namespace: expected BadSignature, got {error:?} ({})",
        super::NAMESPACE_HINT
    );

    // The entry underneath loses its expiry while it is still alive: only the signature holds
    // it then. A busy machine may let the entry expire before it is read back; the TTL doubles
    // until one reading is decisive.
    let mut ttl = backend.short_ttl();
    let window = loop {
        let (written, window) =
            Window::around(ttl, || signed_a.set("short", b"payload", Some(ttl)));
        written.ctx("signed set")?;
        let bytes = raw_a.get("short").ctx("get")?;
        let read_in_time = Instant::now() < window.alive_until;
        match bytes {
            Some(bytes) => {
                raw_a.set("short", &bytes, None).ctx("set")?;
                break window;
            }
            None if read_in_time => {
                return Err("an entry written through Signed was gone within its TTL".into())
            }
            None if ttl < MAX_TTL => ttl *= 2,
            None => return Err(format!("no read within a TTL of up to {MAX_TTL:?}")),
        }
    };
    window.wait_until_gone();
    ensure!(
        signed_a.get("short").ctx("signed get")?.is_none(),
        "an entry whose stored expiry was removed outlived its signed expiry"
    );
    ensure!(
        !signed_a.contains("short").ctx("signed contains")?,
        "contains sees an entry past its signed expiry"
    );
    let listed = signed_a
        .items()
        .ctx("signed items")?
        .filter_map(Result::ok)
        .any(|(key, _)| key == "short");
    ensure!(!listed, "items lists an entry past its signed expiry");
    signed_a
        .set("hour", b"v", Some(Duration::from_secs(3600)))
        .ctx("signed set")?;
    let left = signed_a
        .expiry("hour")
        .ctx("signed expiry")?
        .and_then(anykv_core::Expiry::ttl);
    ensure!(
        left.is_some_and(|left| left <= Duration::from_secs(3600)),
        "the signed store reports {left:?} left of a 1 h TTL"
    );
    raw_a.clear().ctx("clear")?;
    raw_b.clear().ctx("clear")
}
