//! The blocking face of [`Layered`]: every operation of [`KvStorage`] through [`Layer::call`],
//! generated from the list of operations.

use super::{Call, Layer, Layered, Operation, Outcome};
use crate::error::Result;
use crate::storage::BoxIter;
use crate::traits::KvStorage;

impl<S: KvStorage, L: Layer> Layered<S, L> {
    /// A call of `operation` on the store underneath (its arguments are added by the caller).
    fn describe(&self, operation: Operation) -> Call<'_> {
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
    fn run<T: Outcome>(&self, call: &Call<'_>, run: &mut dyn FnMut() -> Result<T>) -> Result<T> {
        self.layer
            .call(call, run)
            .map_err(|error| error.with_context(call.namespace, call.key))
    }
}

/// Implements [`KvStorage`] for [`Layered`] from the list of operations.
macro_rules! layered_sync {
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
        impl<S: KvStorage, L: Layer> KvStorage for Layered<S, L> {
            $(
                fn $name(&self, $($arg: $ty),*) -> Result<$out> {
                    $(super::layered_prepare!($kind $arg self.layer);)*
                    #[allow(unused_mut)]
                    let mut call = self.describe(Operation::$variant);
                    $(super::layered_describe!($kind $arg call);)*
                    self.run(&call, &mut || self.inner.$name($($arg),*))
                }
            )*

            $(
                fn $list_name(&self, $($list_arg: $list_ty),*) -> Result<BoxIter<'_, $item>> {
                    let call = self.describe(Operation::$list_variant);
                    self.run(&call, &mut || self.inner.$list_name($($list_arg),*))
                }
            )*
        }
    };
}

crate::kv_operations!(layered_sync);
