//! The async face's types ([`BoxStream`]), its pointer impls, and the copy behind
//! [`AsyncKvStorageExt::update`](crate::AsyncKvStorageExt::update).

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use futures_core::Stream;
use futures_util::StreamExt;

use crate::entry::{Scan, SetEntry};
use crate::error::Result;
use crate::storage::UPDATE_BATCH;
use crate::time::{remaining_ttl, Timestamp};
use crate::traits::AsyncKvStorage;

/// A boxed stream borrowed from a store.
pub type BoxStream<'a, T> = Pin<Box<dyn Stream<Item = Result<T>> + Send + 'a>>;

/// Implements [`AsyncKvStorage`] for the smart pointers by forwarding every method, overrides
/// included (from the list of operations).
macro_rules! forward_async_kv_storage {
    (
        [$pointer:ty]
        calls {$(
            $(#[$doc:meta])*
            $variant:ident $name:ident ($($arg:ident : $ty:ty as $kind:ident),*) -> $out:ty
            [$($flag:ident)*];
        )*}
        listings {$(
            $(#[$list_doc:meta])*
            $list_variant:ident $list_name:ident ($($list_arg:ident : $list_ty:ty as $list_kind:ident),*)
            -> $item:ty [$($list_flag:ident)*];
        )*}
    ) => {
        #[async_trait]
        impl<T: AsyncKvStorage + ?Sized> AsyncKvStorage for $pointer {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    (**self).$name($($arg),*).await
                }
            )*
            $(
                async fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxStream<'_, $item>> {
                    (**self).$list_name($($list_arg),*).await
                }
            )*
        }
    };
}

crate::kv_operations!(forward_async_kv_storage, &T);
crate::kv_operations!(forward_async_kv_storage, Box<T>);
crate::kv_operations!(forward_async_kv_storage, std::sync::Arc<T>);

/// [`AsyncKvStorageExt::update`](crate::AsyncKvStorageExt::update); see
/// [`crate::storage::copy_entries`].
pub(crate) async fn copy_entries<S: AsyncKvStorage + ?Sized>(
    target: &S,
    other: &dyn AsyncKvStorage,
) -> Result<usize> {
    let mut records = other.scan(Scan::with_values()).await?;
    let mut copied = 0;
    let mut batch: Vec<(String, Vec<u8>, Option<Duration>)> = Vec::with_capacity(UPDATE_BATCH);
    loop {
        let next = records.next().await.transpose()?;
        let done = next.is_none();
        if let Some(record) = next {
            if let Some(ttl) = remaining_ttl(record.expires_at, Timestamp::now()) {
                batch.push((record.key, record.value.unwrap_or_default(), ttl));
            }
        }
        if batch.len() == UPDATE_BATCH || (done && !batch.is_empty()) {
            let entries: Vec<SetEntry<'_>> = batch
                .iter()
                .map(|(key, value, ttl)| SetEntry::new(key, value, *ttl))
                .collect();
            target.set_entries(&entries).await?;
            copied += batch.len();
            batch.clear();
        }
        if done {
            return Ok(copied);
        }
    }
}
