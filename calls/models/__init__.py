"""The calls app's models, one module each: the call (call.py), Plivo's hangup causes as a
table (hangup_cause.py) and the rate tables (rate.py). Django finds them here; the words
they use are calls/vocabulary/'s."""

from calls.models.call import Call, CallQuerySet, normalise_number
from calls.models.hangup_cause import HangupCause
from calls.models.rate import Rate

__all__ = ["Call", "CallQuerySet", "HangupCause", "Rate", "normalise_number"]
