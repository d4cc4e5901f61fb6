//! SDK errors mapped to the family's error.

use anykv_core::{Described, Error, ErrorKind};
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

pub(crate) const BACKEND: &str = "dynamodb";

/// The longest message an SDK error gets: a chain of causes, never a request or its body.
const MAX_MESSAGE_LEN: usize = 400;

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
        let message = message_of(&error);
        Error::backend(BACKEND, operation, kind, Described::new(message, error))
    }
}

/// What an SDK error says, for a message: the service's code and message, or the chain of
/// causes, each by its `Display` (the SDK's `Debug` and `DisplayErrorContext` show the request,
/// whose body holds the value), cut at [`MAX_MESSAGE_LEN`] characters.
fn message_of<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let message = match (error.code(), error.message()) {
        (Some(code), Some(text)) => format!("{code}: {text}"),
        (Some(code), None) => code.to_owned(),
        _ => return causes_of(error),
    };
    bounded(message)
}

/// An error and its causes, each by its `Display` cut where it starts to show a request,
/// joined, at most [`MAX_MESSAGE_LEN`] characters.
pub(crate) fn causes_of(error: &(dyn std::error::Error + 'static)) -> String {
    let mut causes = vec![without_request(&error.to_string())];
    let mut source = error.source();
    while let Some(cause) = source {
        causes.push(without_request(&cause.to_string()));
        source = cause.source();
    }
    causes.dedup();
    bounded(causes.join(": "))
}

/// `message` cut at [`MAX_MESSAGE_LEN`] characters.
fn bounded(message: String) -> String {
    if message.chars().count() > MAX_MESSAGE_LEN {
        return message.chars().take(MAX_MESSAGE_LEN).collect::<String>() + "…";
    }
    message
}

/// Where the SDK's texts start to show a request (its `Debug`, with the body).
const REQUEST_MARKERS: [&str; 3] = ["`Request {", "Request {", "SdkBody"];

/// `text` up to the first place it shows a request, trimmed.
fn without_request(text: &str) -> String {
    let end = REQUEST_MARKERS
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
        .unwrap_or(text.len());
    text[..end].trim_end_matches([' ', '`', ':']).to_owned()
}

/// A request that could not be built (a programming error in this crate, reported not panicked).
pub(crate) fn build_error(
    operation: &'static str,
) -> impl Fn(aws_sdk_dynamodb::error::BuildError) -> Error {
    move |error| Error::backend(BACKEND, operation, ErrorKind::Other, error)
}
