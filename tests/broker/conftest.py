import pytest

from tests.broker import rabbit


@pytest.fixture(scope="session")
def amqp_url():
    url = rabbit.make_vhost()
    yield url
    rabbit.drop_vhost()


@pytest.fixture
def queue(amqp_url):
    return rabbit.new_queue()
