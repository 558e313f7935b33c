"""Open311 GeoReport v2 (/open311/v2/): discovery, services, requests, tokens, servicerequestupdates; XML and JSON."""
