//! Where a request goes when the cache cannot answer it: down the middleware chain, or (for a
//! background revalidation, after the caller has its answer) through the refresh client.

use std::time::Duration;

use http::Extensions;
use reqwest::{Request, Response};
use reqwest_middleware::{Error, Next, Result};

use crate::error::OriginTimedOut;

/// The way to the origin of one request.
pub(crate) enum Origin<'a> {
    /// The rest of the middleware chain of the caller's client.
    Chain {
        next: Next<'a>,
        extensions: &'a mut Extensions,
    },
    /// A client of its own (background revalidations outlive the caller's chain).
    Client(reqwest::Client),
}

impl Origin<'_> {
    /// Sends `request`, failing with [`OriginTimedOut`] after `timeout` if there is one.
    pub(crate) async fn send(
        self,
        request: Request,
        timeout: Option<Duration>,
    ) -> Result<Response> {
        let url = request.url().to_string();
        let sending = async move {
            match self {
                Origin::Chain { next, extensions } => next.run(request, extensions).await,
                Origin::Client(client) => client.execute(request).await.map_err(Error::from),
            }
        };
        match timeout {
            None => sending.await,
            Some(after) => match tokio::time::timeout(after, sending).await {
                Ok(sent) => sent,
                Err(_) => Err(Error::middleware(OriginTimedOut::new(url, after))),
            },
        }
    }
}
