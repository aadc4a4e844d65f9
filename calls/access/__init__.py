"""Who may call the read APIs and how often: the credential checks both faces share
(with the failed-authentication lockout), the rate limits, and /metrics behind the same
lockout (metrics_view.py)."""
