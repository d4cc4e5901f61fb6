//! SDK errors mapped to the family's error.

use anykv_core::{BoxError, Error, ErrorKind};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

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

/// DynamoDB's error codes and their kinds; throttling counts as unavailable (retryable).
const CODE_KINDS: &[(&str, ErrorKind)] = &[
    (
        "ProvisionedThroughputExceededException",
        ErrorKind::Unavailable,
    ),
    ("ThrottlingException", ErrorKind::Unavailable),
    ("RequestLimitExceeded", ErrorKind::Unavailable),
    ("InternalServerError", ErrorKind::Unavailable),
    ("ServiceUnavailable", ErrorKind::Unavailable),
    ("LimitExceededException", ErrorKind::Unavailable),
    ("TransactionConflictException", ErrorKind::Conflict),
    ("ConditionalCheckFailedException", ErrorKind::Conflict),
    ("TransactionCanceledException", ErrorKind::Conflict),
    ("AccessDeniedException", ErrorKind::PermissionDenied),
    ("UnrecognizedClientException", ErrorKind::PermissionDenied),
    ("InvalidSignatureException", ErrorKind::PermissionDenied),
    (
        "MissingAuthenticationTokenException",
        ErrorKind::PermissionDenied,
    ),
    ("ExpiredTokenException", ErrorKind::PermissionDenied),
    ("ResourceNotFoundException", ErrorKind::NotFound),
    (
        "ItemCollectionSizeLimitExceededException",
        ErrorKind::LimitExceeded,
    ),
    ("ValidationException", ErrorKind::InvalidInput),
];

/// The kind of an SDK error: timeouts timed out, failures to reach the endpoint unavailable,
/// service errors by [`CODE_KINDS`].
fn kind_of<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> ErrorKind {
    match error {
        SdkError::TimeoutError(_) => ErrorKind::TimedOut,
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ErrorKind::Unavailable,
        SdkError::ServiceError(_) => error
            .code()
            .and_then(|code| CODE_KINDS.iter().find(|(known, _)| *known == code))
            .map_or(ErrorKind::Other, |(_, kind)| *kind),
        _ => ErrorKind::Other,
    }
}

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
        let kind = kind_of(&error);
        let message = DisplayErrorContext(&error).to_string();
        Error::backend(
            BACKEND,
            operation,
            kind,
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
    move |error| Error::backend(BACKEND, operation, ErrorKind::Other, error)
}
