//! The async face of [`Layered`]: every operation of [`AsyncKvStorage`] through
//! [`Layer::call_async`], generated from the list of operations.

use async_trait::async_trait;

use super::{AsyncRun, Call, Layer, Layered, Operation, Outcome};
use crate::async_storage::BoxStream;
use crate::error::Result;
use crate::traits::AsyncKvStorage;

impl<S: AsyncKvStorage, L: Layer> Layered<S, L> {
    /// A call of `operation` on the store underneath (its arguments are added by the caller).
    fn describe_async(&self, operation: Operation) -> Call<'_> {
        Call {
            operation,
            key: None,
            backend: self.inner.backend_name(),
            namespace: self.inner.namespace_name(),
            keys: 0,
            bytes_in: 0,
        }
    }

    /// Runs `run` through the layer; a failure names the namespace and key of the call.
    async fn run_async<'a, T: Outcome + Send + 'a>(
        &'a self,
        call: &'a Call<'a>,
        run: AsyncRun<'a, T>,
    ) -> Result<T> {
        self.layer
            .call_async(call, run)
            .await
            .map_err(|error| error.with_context(call.namespace, call.key))
    }
}

/// Implements [`AsyncKvStorage`] for [`Layered`] from the list of operations.
macro_rules! layered_async {
    (
        []
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
        impl<S: AsyncKvStorage, L: Layer> AsyncKvStorage for Layered<S, L> {
            $(
                async fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    $(super::layered_prepare!($kind $arg self.layer);)*
                    #[allow(unused_mut)]
                    let mut call = self.describe_async(Operation::$variant);
                    $(super::layered_describe!($kind $arg call);)*
                    self.run_async(&call, &mut || self.inner.$name($($arg),*)).await
                }
            )*

            $(
                async fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxStream<'_, $item>> {
                    let call = self.describe_async(Operation::$list_variant);
                    self.run_async(&call, &mut || self.inner.$list_name($($list_arg),*)).await
                }
            )*
        }
    };
}

crate::kv_operations!(layered_async);
