//! Codec and signing layer checks over the backend: bad bytes get typed errors and lose nothing.

use anykv_core::{
    Error, Json, KvStorage, KvStorageExt, OnInvalid, Postcard, Signed, Signer, SigningKey, Typed,
};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{collect, fresh};
use crate::{ensure, Backend, CheckResult, Context};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

pub(super) fn response() -> Response {
    Response {
        status: 200,
        headers: vec![("content-type".into(), "text/html".into())],
        body: b"<html>".to_vec(),
    }
}

pub(super) fn signer(keys: &[(&str, &str)]) -> Result<Signer, String> {
    let keys: Vec<SigningKey> = keys
        .iter()
        .map(|(id, secret)| SigningKey::new(*id, *secret))
        .collect::<anykv_core::Result<_>>()
        .ctx("signing key")?;
    Signer::new("conformance", keys).ctx("signer")
}

/// Garbage bytes and another serializer's bytes are refused with `Corrupt` and
/// `SerializerMismatch` by `get` and `pop`, and stay in the store.
pub fn corrupt_bytes_through_codec(backend: &dyn Backend) -> CheckResult {
    let raw = fresh(backend, "codec")?;
    let typed: Typed<Arc<dyn KvStorage>, Response> = Typed::new(raw.clone());
    let json: Typed<Arc<dyn KvStorage>, Response, Json> = Typed::with_serializer(raw.clone(), Json);
    for garbage in [
        &b""[..],
        b"\x00",
        b"K\x01\x01",
        b"K\x01\x01\xff\xff\xff\xff\xff\xff",
        b"K\x07\x01abc",
        b"not typed at all",
    ] {
        raw.set("k", garbage, None).ctx("set")?;
        let error = typed.get("k").err();
        ensure!(
            matches!(error, Some(Error::Corrupt { .. })),
            "garbage {garbage:?}: expected Corrupt, got {error:?}"
        );
        ensure!(
            raw.get("k").ctx("get")?.as_deref() == Some(garbage),
            "a refused read lost the stored bytes"
        );
        let error = typed.pop("k").err();
        ensure!(
            matches!(error, Some(Error::Corrupt { .. })),
            "pop of garbage {garbage:?}: expected Corrupt, got {error:?}"
        );
        ensure!(
            raw.get("k").ctx("get")?.as_deref() == Some(garbage),
            "a refused pop removed the stored bytes"
        );
    }
    json.set("k", &response(), None).ctx("typed set")?;
    ensure!(
        json.get("k").ctx("typed get")? == Some(response()),
        "JSON round trip"
    );
    let error = typed.get("k").err();
    ensure!(
        matches!(error, Some(Error::SerializerMismatch { found: 2, .. })),
        "JSON read as postcard: got {error:?}"
    );
    let error = typed.pop("k").err();
    ensure!(
        matches!(error, Some(Error::SerializerMismatch { found: 2, .. })),
        "pop of JSON as postcard: got {error:?}"
    );
    ensure!(
        json.get("k").ctx("typed get")? == Some(response()),
        "a pop refused for another serializer's bytes removed them"
    );
    let pc: Typed<Arc<dyn KvStorage>, Response, Postcard> = Typed::new(raw.clone());
    pc.set("k", &response(), Some(Duration::from_secs(60)))
        .ctx("typed set")?;
    ensure!(
        pc.get("k").ctx("typed get")? == Some(response()),
        "postcard round trip"
    );
    raw.clear().ctx("clear")
}

/// Tampered, unsigned and foreign-key values are refused with typed errors (and kept) by
/// default, and turned into deleted misses under `OnInvalid::DeleteAsMiss`; rotated keys verify.
pub fn tampered_bytes_through_signing(backend: &dyn Backend) -> CheckResult {
    let raw = fresh(backend, "signing")?;
    let signed = Signed::new(raw.clone(), signer(&[("k1", "first secret")])?);
    signed.set("good", b"payload", None).ctx("signed set")?;
    ensure!(
        signed.get("good").ctx("signed get")? == Some(b"payload".to_vec()),
        "signed round trip"
    );

    let mut tampered = raw.get("good").ctx("get")?.unwrap_or_default();
    if let Some(last) = tampered.last_mut() {
        *last ^= 0x01;
    }
    raw.set("tampered", &tampered, None).ctx("set")?;
    raw.set("plain", b"never signed", None).ctx("set")?;
    let foreign = Signed::new(raw.clone(), signer(&[("other", "another secret")])?);
    foreign.set("foreign", b"payload", None).ctx("set")?;

    let error = signed.get("tampered").err();
    ensure!(
        matches!(error, Some(Error::BadSignature { .. })),
        "tampered: expected BadSignature, got {error:?}"
    );
    raw.set(
        "moved",
        &raw.get("good").ctx("get")?.unwrap_or_default(),
        None,
    )
    .ctx("set")?;
    let error = signed.get("moved").err();
    ensure!(
        matches!(error, Some(Error::BadSignature { .. })),
        "value copied to another key: expected BadSignature, got {error:?}"
    );
    let error = signed.get("plain").err();
    ensure!(
        matches!(error, Some(Error::Unsigned { .. })),
        "unsigned: expected Unsigned, got {error:?}"
    );
    let error = signed.get("foreign").err();
    ensure!(
        matches!(error, Some(Error::UnknownSigningKey { .. })),
        "foreign key: expected UnknownSigningKey, got {error:?}"
    );
    let error = signed.pop("tampered").err();
    ensure!(
        matches!(error, Some(Error::BadSignature { .. })),
        "pop of a tampered value: got {error:?}"
    );
    ensure!(
        raw.contains("tampered").ctx("contains")?,
        "a refused pop deleted the entry"
    );
    ensure!(
        signed.get_many(&["good", "plain"]).is_err(),
        "get_many returned an unsigned value"
    );

    let rotated = Signed::new(
        raw.clone(),
        signer(&[("k2", "second secret"), ("k1", "first secret")])?,
    );
    ensure!(
        rotated.get("good").ctx("rotated get")? == Some(b"payload".to_vec()),
        "rotation: old key no longer verifies"
    );
    rotated.set("new", b"v", None).ctx("rotated set")?;
    ensure!(
        matches!(signed.get("new"), Err(Error::UnknownSigningKey { .. })),
        "rotation: new values must use the new key id"
    );

    let lenient = Signed::new(raw.clone(), signer(&[("k1", "first secret")])?)
        .on_invalid(OnInvalid::DeleteAsMiss);
    let valid: Vec<String> = collect("items", lenient.items())?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    ensure!(
        valid == vec!["good".to_owned()],
        "DeleteAsMiss items: got {valid:?}"
    );
    for key in ["tampered", "plain", "foreign", "moved", "new"] {
        ensure!(
            lenient.get(key).ctx("lenient get")?.is_none(),
            "DeleteAsMiss returned {key}"
        );
        ensure!(
            !raw.contains(key).ctx("contains")?,
            "DeleteAsMiss kept the invalid entry {key}"
        );
    }
    raw.clear().ctx("clear")
}

/// Typed values over a signed layer over the backend: round trip with TTL, and tampering caught
/// before deserialization.
pub fn typed_over_signed_round_trip(backend: &dyn Backend) -> CheckResult {
    let raw = fresh(backend, "typed_signed")?;
    let store: Typed<_, Response> =
        Typed::new(Signed::new(raw.clone(), signer(&[("k1", "secret")])?));
    store
        .set("r", &response(), Some(Duration::from_secs(60)))
        .ctx("set")?;
    store
        .set_many(&[("a", response()), ("b", response())], None)
        .ctx("set_many")?;
    ensure!(
        store.get("r").ctx("get")? == Some(response()),
        "typed over signed round trip"
    );
    ensure!(
        store.get_many(&["a", "zz", "b"]).ctx("get_many")?
            == vec![Some(response()), None, Some(response())],
        "get_many"
    );
    let items: Vec<(String, Response)> = store
        .items()
        .ctx("items")?
        .collect::<anykv_core::Result<_>>()
        .ctx("items")?;
    ensure!(items.len() == 3, "items: {}", items.len());
    let mut bytes = raw.get("r").ctx("raw get")?.unwrap_or_default();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    raw.set("r", &bytes, None).ctx("raw set")?;
    let error = store.get("r").err();
    ensure!(
        matches!(error, Some(Error::BadSignature { .. })),
        "tampered typed value: expected BadSignature, got {error:?}"
    );
    raw.clear().ctx("clear")
}
