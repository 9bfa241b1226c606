"""The Atlas error tree: every failure the client raises is an `AtlasError`.

HTTP statuses are mapped to classes in one place, `error_from_response`, so the retry rules and
the callers read the same classification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.atlas.models import Prediction

CONTENT_MODERATION_CODE = 1039
"""`error_code` of a job rejected by Atlas's content moderation."""

SUBMIT_REFUSED_STATUSES = frozenset({400, 401, 402, 403, 404, 413, 422, 429, 451, 503})
"""Answers to generateVideo that prove Atlas did not start the job (so nothing is billed)."""


class AtlasError(Exception):
    """Anything that went wrong talking to Atlas; keeps Atlas's request id for support."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        error_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.request_id = request_id
        self.error_code = error_code

    @property
    def submit_may_have_started(self) -> bool:
        """Raised by generateVideo: could Atlas have started (and so bill) the job, although
        no prediction id came back? Decided here alone: the job keeps its hold if so."""
        if isinstance(self, UnexpectedResponse):
            return True
        if isinstance(self, AtlasConnectionError):
            return self.sent_may_have_reached
        if isinstance(self, AtlasStatusError) and self.status is not None:
            return self.status not in SUBMIT_REFUSED_STATUSES and self.status >= 500
        return False

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.request_id:
            parts.append(f"request {self.request_id}")
        return " | ".join(parts)


class AtlasConnectionError(AtlasError):
    """The network failed. `sent_may_have_reached` says whether Atlas may have seen the request."""

    def __init__(self, message: str, *, sent_may_have_reached: bool) -> None:
        super().__init__(message)
        self.sent_may_have_reached = sent_may_have_reached


class AtlasTimeout(AtlasConnectionError):
    """No (complete) answer within the request timeout."""


class UnexpectedResponse(AtlasError):
    """Atlas answered with something that is not the documented shape."""


class OutputTooLarge(AtlasError):
    """An output file is bigger than the caller allows; nothing was kept."""

    def __init__(self, url: str, *, limit: int, size: int | None) -> None:
        shown = "unknown size" if size is None else f"{size} bytes"
        super().__init__(f"output {url} is larger than {limit} bytes ({shown})")
        self.url = url
        self.limit = limit
        self.size = size


class AtlasStatusError(AtlasError):
    """Atlas answered with an HTTP error status."""


class BadRequest(AtlasStatusError):
    """400: Atlas refused the request's body (a parameter it does not accept)."""


class AuthenticationError(AtlasStatusError):
    """401: the API key is wrong (Atlas also answers 401 for a wrong path)."""


class InsufficientBalance(AtlasStatusError):
    """402: the Atlas account has not enough balance for this job."""


class PermissionDenied(AtlasStatusError):
    """403: the key may not do this."""


class NotFound(AtlasStatusError):
    """404: unknown model, or a prediction Atlas does not know (yet)."""


class PayloadTooLarge(AtlasStatusError):
    """413: the request body is too large."""


class RateLimited(AtlasStatusError):
    """429: too many requests for this account or model."""


class RegionBlocked(AtlasStatusError):
    """451: not available in this region."""


class ServerError(AtlasStatusError):
    """5xx: Atlas failed; the request may or may not have been acted on."""


_BY_STATUS: dict[int, type[AtlasStatusError]] = {
    400: BadRequest,
    401: AuthenticationError,
    402: InsufficientBalance,
    403: PermissionDenied,
    404: NotFound,
    413: PayloadTooLarge,
    429: RateLimited,
    451: RegionBlocked,
}


def _body_message(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = body["error"]  # the account endpoints: {"error": {"type", "code", "message"}}
    if isinstance(body, dict):
        for key in ("msg", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        return None
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return None


def error_from_response(status: int, body: Any, request_id: str | None) -> AtlasStatusError:
    """The one mapping from an error answer (`{"code", "msg", "request_id"}`) to an exception."""
    if isinstance(body, dict) and request_id is None:
        body_request_id = body.get("request_id")
        request_id = body_request_id if isinstance(body_request_id, str) else None
    error_code = body.get("error_code") if isinstance(body, dict) else None
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else AtlasStatusError)
    message = _body_message(body) or f"Atlas answered HTTP {status}"
    return cls(
        message,
        status=status,
        request_id=request_id,
        error_code=error_code if isinstance(error_code, int) else None,
    )


class JobFailed(AtlasError):
    """The job was accepted but ended in a failure status (Atlas does not bill it)."""

    def __init__(self, prediction: Prediction) -> None:
        super().__init__(
            prediction.error or f"the job ended with status {prediction.status!r}",
            request_id=prediction.request_id,
            error_code=prediction.error_code,
        )
        self.prediction = prediction


class ContentRejected(JobFailed):
    """Atlas's content moderation refused the prompt or images (error_code 1039)."""


class JobTimedOut(AtlasError):
    """`wait()` passed its total timeout while the job was still in progress."""

    def __init__(self, prediction_id: str, *, last: Prediction | None = None) -> None:
        status = last.status if last is not None else "unknown"
        super().__init__(
            f"prediction {prediction_id} still {status} after the polling timeout",
            request_id=last.request_id if last is not None else None,
        )
        self.prediction_id = prediction_id
        self.last = last


def job_failure(prediction: Prediction) -> JobFailed:
    """The exception for a prediction that ended in failure: moderation has its own class."""
    if prediction.error_code == CONTENT_MODERATION_CODE:
        return ContentRejected(prediction)
    return JobFailed(prediction)
