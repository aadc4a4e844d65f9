"""Who may call the read APIs and how often: the credential checks both faces share
(with the failed-authentication lockout) and the rate limits."""
