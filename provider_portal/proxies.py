"""The portal behind reverse proxies: whose address a request really comes from.

Behind nginx or a load balancer every request arrives from the proxy, so the sign-in rate
limit would count everyone as one address (one attacker could block sign-in for all) and the
audit would record the proxy. Each trusted proxy appends the address it was connected from to
X-Forwarded-For; werkzeug's ProxyFix reads exactly TRUSTED_PROXIES entries back from the end
of that header, so whatever a client wrote in front of them (a spoofed hop) is never believed.
With TRUSTED_PROXIES = 0 (the default) no forwarding header is believed at all.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

BAD_SETTING = (
    "TRUSTED_PROXIES must be the number of reverse proxies in front of the portal: "
    "a whole number, 0 or more (it is {value!r})"
)


def proxy_hops(value: object) -> int:
    """TRUSTED_PROXIES as a number of hops; anything else is a RuntimeError saying so."""
    if isinstance(value, bool):
        raise RuntimeError(BAD_SETTING.format(value=value))
    if isinstance(value, int):
        hops = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        hops = int(value.strip())
    else:
        raise RuntimeError(BAD_SETTING.format(value=value))
    if hops < 0:
        raise RuntimeError(BAD_SETTING.format(value=value))
    return hops


def trust_proxies(app: Flask) -> None:
    """Read the client's address (and scheme) from the configured number of proxies."""
    hops = proxy_hops(app.config["TRUSTED_PROXIES"])
    app.config["TRUSTED_PROXIES"] = hops
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0
        )
