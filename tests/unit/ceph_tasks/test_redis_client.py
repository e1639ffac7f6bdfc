"""A Redis URL names one server or a Sentinel group; a bad one is named before any use."""

from __future__ import annotations

import pytest

from ceph_tasks.errors import ConfigurationError
from ceph_tasks.http import strip_credentials
from ceph_tasks.redis_client import celery_options, parse_sentinel_url

GROUP = ("sentinel://:s3cret@10.0.0.1:26379/2;sentinel://10.0.0.2;"
         "sentinel://10.0.0.3:26380/2?master_name=maint")


def test_a_sentinel_url_names_the_sentinels_the_primary_the_database_and_the_login() -> None:
    parsed = parse_sentinel_url(GROUP)
    assert parsed.sentinels == (("10.0.0.1", 26379), ("10.0.0.2", 26379), ("10.0.0.3", 26380))
    assert (parsed.master_name, parsed.db, parsed.password) == ("maint", 2, "s3cret")


def test_celery_gets_the_sentinels_in_its_form_and_the_primary_as_an_option() -> None:
    url, options = celery_options(GROUP)
    assert url == ("sentinel://:s3cret@10.0.0.1:26379/2;sentinel://:s3cret@10.0.0.2:26379/2;"
                   "sentinel://:s3cret@10.0.0.3:26380/2")
    assert options == {"master_name": "maint"}
    assert celery_options("redis://h:6379/0") == ("redis://h:6379/0", {})


@pytest.mark.parametrize(("url", "error"), [
    ("sentinel://a:1;sentinel://b:2", "names the primary its sentinels watch once"),
    ("sentinel://a:1?master_name=x;sentinel://b?master_name=y", "once, as ?master_name"),
    ("sentinel://a:1;redis://b:2?master_name=x", "part 2 is not sentinel://"),
    ("sentinel://a:port?master_name=x", "part 1: bad port"),
    ("sentinel://a:1/zero?master_name=x", "database 'zero' is not a number"),
])
def test_a_bad_sentinel_url_is_named(url: str, error: str) -> None:
    with pytest.raises(ConfigurationError, match=error.replace("?", r"\?")):
        parse_sentinel_url(url)


def test_messages_show_a_sentinel_url_without_any_password() -> None:
    assert "s3cret" not in strip_credentials(celery_options(GROUP)[0])
    assert strip_credentials(GROUP).startswith("sentinel://10.0.0.1:26379/2;sentinel://10.0.0.2;")
