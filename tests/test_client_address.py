"""The client address every limit keys on: X-Forwarded-For counts only as far as
NUM_PROXIES says proxies wrote it; nothing a client writes there resets a limit."""

import json
import logging

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory, override_settings
from hypothesis import given
from hypothesis import strategies as st

from cdrapi.addresses import client_address
from tests.api.conftest import basic

PLIVO = "/v1/Account/{}/Call/"
CARRIERX = "/core/v2/calls/call_drs"
PROXY = "10.0.0.7"

ipv4 = st.ip_addresses(v=4).map(str)
anything = st.text(alphabet=st.characters(codec="latin-1"), max_size=30)


def _spoofed(n: int) -> str:
    return f"198.51.100.{n}"


def _guess(client, account, **headers):
    return client.get(PLIVO.format(account.auth_id), **basic(account, "x" * 40), **headers)


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_reset_the_failed_authentication_lockout(
    settings, main_account
):
    # Both ceilings at 3: the guesses lock out the address, whatever it sends next.
    settings.THROTTLE_FAILED_AUTH = settings.THROTTLE_FAILED_AUTH_ADDRESS = "3/1m"
    guesser = Client(REMOTE_ADDR="203.0.113.66")
    assert [_guess(guesser, main_account).status_code for _ in range(3)] == [401] * 3
    for n in range(1, 6):  # a new forged address each time: still the same client
        spoofed = _guess(guesser, main_account, HTTP_X_FORWARDED_FOR=_spoofed(n))
        assert spoofed.status_code == 429, spoofed.content
        carrierx = guesser.get(
            CARRIERX, HTTP_AUTHORIZATION="Bearer guess", HTTP_X_FORWARDED_FOR=_spoofed(n)
        )
        assert carrierx.status_code == 429


@pytest.mark.django_db
def test_spoofed_forwarded_for_does_not_escape_the_address_throttle(settings, main_account):
    settings.THROTTLE_ADDRESS = "3/1m"
    client = Client(REMOTE_ADDR="203.0.113.70")
    codes = [
        client.get(
            PLIVO.format(main_account.auth_id),
            HTTP_X_FORWARDED_FOR=_spoofed(n),
            **basic(main_account),
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_behind_one_proxy_the_address_it_appended_is_the_client(settings, main_account):
    settings.NUM_PROXIES = 1
    settings.THROTTLE_FAILED_AUTH = "3/1m"
    proxy = Client(REMOTE_ADDR=PROXY)  # every request arrives from the proxy

    def via(client_ip: str, forged: str = ""):
        chain = f"{forged}, {client_ip}" if forged else client_ip
        return _guess(proxy, main_account, HTTP_X_FORWARDED_FOR=chain)

    assert [via("203.0.113.5").status_code for _ in range(3)] == [401] * 3
    # What the client put in front of the proxy's entry changes nothing...
    assert via("203.0.113.5", forged=_spoofed(1)).status_code == 429
    assert via("203.0.113.5", forged=f"{_spoofed(2)}, {_spoofed(3)}").status_code == 429
    # ...and another client behind the same proxy is not locked out.
    assert via("203.0.113.6").status_code == 401


def _request(remote: str | None = "192.0.2.1", xff: str | None = None):
    meta = {}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return request


def test_without_proxies_the_header_is_ignored(settings):
    settings.NUM_PROXIES = 0
    assert client_address(_request(xff="198.51.100.1")) == "192.0.2.1"


@given(forged=st.lists(anything, max_size=4), trusted=st.lists(ipv4, min_size=1, max_size=4))
def test_only_entries_the_proxies_appended_count(forged, trusted):
    """Whatever a client writes before the proxies' entries, the address is the one the
    outermost of NUM_PROXIES proxies appended (the Nth entry from the right)."""
    header = ", ".join([*forged, *trusted])
    with override_settings(NUM_PROXIES=len(trusted)):
        assert client_address(_request(remote=PROXY, xff=header)) == trusted[0]


@pytest.mark.parametrize(
    "xff",
    [None, "", "203.0.113.5", " , 203.0.113.5", "junk, 203.0.113.5", "203.0.113.5:8080, x"],
)
def test_a_chain_shorter_than_the_proxies_or_a_malformed_entry_means_the_peer(settings, xff):
    """With 2 proxies the second entry from the right must be an address; if the header
    is shorter or that entry is not an address, the request did not come through the
    proxies as configured, and the peer (REMOTE_ADDR) is the only address not forgeable."""
    settings.NUM_PROXIES = 2
    assert client_address(_request(remote=PROXY, xff=xff)) == PROXY


def test_addresses_are_normalised_so_one_client_has_one_key(settings):
    settings.NUM_PROXIES = 1
    spelled = ["2001:DB8::1", "2001:db8:0:0:0:0:0:1", " 2001:db8::1 "]
    assert {client_address(_request(remote=PROXY, xff=s)) for s in spelled} == {"2001:db8::1"}


def test_a_missing_peer_address_is_empty(settings):
    settings.NUM_PROXIES = 0
    assert client_address(_request(remote=None)) == ""


@pytest.mark.django_db
def test_the_access_log_records_the_client_address(settings, main_account, caplog):
    settings.NUM_PROXIES = 1
    with caplog.at_level(logging.INFO, logger="cdrapi.access"):
        Client(REMOTE_ADDR=PROXY).get(
            PLIVO.format(main_account.auth_id),
            HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9",
            **basic(main_account),
        )
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "cdrapi.access"]
    assert line["address"] == "203.0.113.9"


@pytest.mark.django_db
def test_the_admin_login_lockout_keys_on_the_same_address(settings):
    settings.NUM_PROXIES = 1
    User.objects.create_superuser("ops", "ops@example.com", "the-right-password-1")
    proxy = Client(REMOTE_ADDR=PROXY)

    def login(client_ip: str, password: str, forged: str = ""):
        return proxy.post(
            "/admin/login/",
            {"username": "ops", "password": password},
            HTTP_X_FORWARDED_FOR=f"{forged}, {client_ip}" if forged else client_ip,
        )

    for _ in range(5):
        login("203.0.113.5", "wrong")
    assert login("203.0.113.5", "the-right-password-1", forged=_spoofed(9)).status_code == 429
    # Another client behind the same proxy is not locked out with it.
    assert login("203.0.113.6", "the-right-password-1").status_code == 302
