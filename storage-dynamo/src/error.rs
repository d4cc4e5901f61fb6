//! SDK errors mapped to the family's error.

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use storage_core::{BoxError, Error};

pub(crate) const BACKEND: &str = "dynamodb";

/// An SDK error with its full context in the message and the SDK error as the source.
#[derive(Debug)]
struct SdkFailure {
    message: String,
    source: BoxError,
}

impl std::fmt::Display for SdkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SdkFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.source.as_ref())
    }
}

/// Error codes after which the same call can succeed later.
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
    "TransactionConflictException",
];

/// Whether the error is DynamoDB's answer to a failed condition.
pub(crate) fn is_condition_failed<E: ProvideErrorMetadata>(
    error: &SdkError<E, HttpResponse>,
) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

/// Maps an SDK error for `operation`.
pub(crate) fn sdk_error<E>(operation: &'static str) -> impl Fn(SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |error| {
        let retryable = match &error {
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(_) => error
                .code()
                .is_some_and(|code| RETRYABLE_CODES.contains(&code)),
            _ => false,
        };
        let message = DisplayErrorContext(&error).to_string();
        Error::backend(
            BACKEND,
            operation,
            retryable,
            SdkFailure {
                message,
                source: Box::new(error),
            },
        )
    }
}

/// A request that could not be built (a programming error in this crate, reported not panicked).
pub(crate) fn build_error(
    operation: &'static str,
) -> impl Fn(aws_sdk_dynamodb::error::BuildError) -> Error {
    move |error| Error::backend(BACKEND, operation, false, error)
}
