//! The near cache a URL asks for (`near=true`, `near_max_bytes`, `near_max_entries`,
//! `near_max_value_len`, `near_max_staleness`): one memory tier per URL in the process, shared by every handle opened
//! with it on both faces, fed by the server's change reports on standalone Redis.

use anykv_core::{AsyncKvStorage, KvStorage, Result};

use crate::target::{NearParams, Target};

/// How the tier of a URL learns of other processes' writes, prepared before the store is
/// opened (it needs the target's options).
pub(crate) struct Feed(#[cfg(feature = "near")] Option<imp::Listen>);

/// The feed of `target`: Redis's client tracking on a standalone server, none elsewhere.
pub(crate) fn feed_of(target: &Target) -> Feed {
    #[cfg(feature = "near")]
    return Feed(imp::listen_for(target));
    #[cfg(not(feature = "near"))]
    {
        let _ = target;
        Feed()
    }
}

/// `store` behind the near cache of `url` (blocking face).
pub(crate) fn in_front<S: KvStorage + 'static>(
    url: &str,
    params: NearParams,
    feed: Feed,
    store: S,
) -> Result<Box<dyn KvStorage>> {
    #[cfg(feature = "near")]
    return imp::near_cache(url, params, feed, store)
        .map(|near| Box::new(near) as Box<dyn KvStorage>);
    #[cfg(not(feature = "near"))]
    Err(imp::missing(url, params, feed, store))
}

/// `store` behind the near cache of `url` (async face).
pub(crate) fn in_front_async<S: AsyncKvStorage + 'static>(
    url: &str,
    params: NearParams,
    feed: Feed,
    store: S,
) -> Result<Box<dyn AsyncKvStorage>> {
    #[cfg(feature = "near")]
    return imp::near_cache(url, params, feed, store)
        .map(|near| Box::new(near) as Box<dyn AsyncKvStorage>);
    #[cfg(not(feature = "near"))]
    Err(imp::missing(url, params, feed, store))
}

#[cfg(not(feature = "near"))]
mod imp {
    use super::{Feed, NearParams};

    /// The error of a near cache this build cannot make (the URL parser refuses it first).
    pub(super) fn missing<S>(_: &str, _: NearParams, _: Feed, _: S) -> anykv_core::Error {
        anykv_core::Error::Config("near=… needs the feature \"near\"".into())
    }
}

#[cfg(feature = "near")]
mod imp {
    use std::any::Any;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

    use anykv_core::invalidation::Invalidation;
    use anykv_core::Result;
    use anykv_layers::{NearOptions, NearTier};

    use super::Feed;
    use crate::target::{NearParams, Target};

    /// Starts a feed that reports to its argument; what it returns keeps it running.
    pub(super) type Listen = Box<
        dyn FnOnce(Box<dyn Fn(Invalidation) + Send + Sync>) -> Result<Box<dyn Any + Send + Sync>>
            + Send,
    >;

    pub(super) fn listen_for(target: &Target) -> Option<Listen> {
        match target {
            #[cfg(feature = "redis")]
            Target::Redis { options, hash } if !options.cluster && options.sentinel.is_none() => {
                let (options, hash) = (options.clone(), *hash);
                Some(Box::new(move |report| {
                    let listener = if hash {
                        anykv_redis::RedisHashStorage::new(options)?.listen_for_changes(report)?
                    } else {
                        anykv_redis::RedisStorage::new(options)?.listen_for_changes(report)?
                    };
                    Ok(Box::new(listener) as Box<dyn Any + Send + Sync>)
                }))
            }
            _ => None,
        }
    }

    /// The tier of one URL and the feed that keeps it correct; gone with its last handle.
    struct Share {
        tier: NearTier,
        _feed: Option<Box<dyn Any + Send + Sync>>,
    }

    /// The tiers of the URLs opened so far, while some handle holds them.
    fn shares() -> &'static Mutex<HashMap<String, Weak<Share>>> {
        static SHARES: OnceLock<Mutex<HashMap<String, Weak<Share>>>> = OnceLock::new();
        SHARES.get_or_init(Default::default)
    }

    /// `store` behind the tier of `url`.
    pub(super) fn near_cache<S>(
        url: &str,
        params: NearParams,
        feed: Feed,
        store: S,
    ) -> Result<anykv_layers::NearCache<S>> {
        let (tier, share) = share(url, params, feed)?;
        Ok(anykv_layers::NearCache::new(store, tier).keeping_feed(share))
    }

    /// The tier of `url` (made and fed on first use) and what keeps it alive.
    fn share(
        url: &str,
        params: NearParams,
        feed: Feed,
    ) -> Result<(NearTier, Arc<dyn Any + Send + Sync>)> {
        let mut shares = shares().lock().unwrap_or_else(PoisonError::into_inner);
        shares.retain(|_, share| share.strong_count() > 0);
        if let Some(share) = shares.get(url).and_then(Weak::upgrade) {
            return Ok((share.tier.clone(), share));
        }
        let mut options = NearOptions::default();
        if let Some(max) = params.max_bytes {
            options = options.max_bytes(max);
        }
        if let Some(max) = params.max_entries {
            options = options.max_entries(max);
        }
        if let Some(max) = params.max_value_len {
            options = options.max_value_len(max);
        }
        if let Some(bound) = params.max_staleness {
            options = options.max_staleness(bound);
        }
        let share = match feed.0 {
            None => Share {
                tier: NearTier::new(options),
                _feed: None,
            },
            Some(listen) => {
                let tier = NearTier::fed(options);
                let fed = tier.clone();
                let listener = listen(Box::new(move |change| fed.apply(change)))?;
                Share {
                    tier,
                    _feed: Some(listener),
                }
            }
        };
        let share = Arc::new(share);
        shares.insert(url.to_owned(), Arc::downgrade(&share));
        Ok((share.tier.clone(), share))
    }
}
