"""AlertmanagerSilences against a real Alertmanager on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from ceph_tasks.errors import MonitoringError
from ceph_tasks.monitoring.alertmanager import AlertmanagerSilences, HostMatching
from inventory.settings import AlertmanagerTarget
from tests.support.downtime_contract import DowntimeContract, a_request
from tests.support.poll import in_a_row, poll
from tests.support.services import free_port

pytestmark = pytest.mark.integration


def silences(url: str, **options: object) -> AlertmanagerSilences:
    return AlertmanagerSilences(AlertmanagerTarget(url=url), **options)  # type: ignore[arg-type]


class TestAlertmanagerContract(DowntimeContract):
    @pytest.fixture
    def backend(self, clean_alertmanager: str) -> AlertmanagerSilences:
        return silences(clean_alertmanager)


def fire(url: str, instance: str) -> None:
    now = datetime.now(UTC)
    alert = {
        "labels": {"alertname": "CephOSDDown", "instance": instance, "job": "ceph"},
        "startsAt": now.isoformat().replace("+00:00", "Z"),
        "endsAt": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    }
    requests.post(f"{url}/api/v2/alerts", json=[alert], timeout=5).raise_for_status()


def silenced_by(url: str, instance: str) -> list[str] | None:
    """The silences Alertmanager reports on the alert of an instance; None before the alert."""
    for alert in requests.get(f"{url}/api/v2/alerts", timeout=5).json():
        if alert["labels"].get("instance") == instance:
            ids: list[str] = alert["status"]["silencedBy"]
            return ids
    return None


def stays_unmuted(url: str, instance: str) -> None:
    """Wait until the alert of an instance is there and unmuted on five looks in a row."""
    poll(in_a_row(5, lambda: silenced_by(url, instance) == []), timeout=10, interval=0.2,
         what=lambda _: f"the alert of {instance} unmuted: {silenced_by(url, instance)}")


def test_the_silence_mutes_the_hosts_alerts_on_any_port_and_no_lookalike(
    clean_alertmanager: str,
) -> None:
    url = clean_alertmanager
    result = silences(url).set_downtime(a_request(host="node2.dc1", reference="wf-mute"))
    fire(url, "node2.dc1:9100")
    fire(url, "node2xdc1:9100")
    fire(url, "node2.dc10:9100")
    assert poll(lambda: silenced_by(url, "node2.dc1:9100"), timeout=10, interval=0.2,
                what="a silence on the alert of node2.dc1:9100") == list(result.ids)
    stays_unmuted(url, "node2xdc1:9100")
    stays_unmuted(url, "node2.dc10:9100")


def test_an_equality_matcher_on_a_host_label_is_stored_as_given(clean_alertmanager: str) -> None:
    client = silences(clean_alertmanager, matching=HostMatching(label="host", with_port=False))
    [silence_id] = client.set_downtime(a_request(reference="wf-eq")).ids
    stored = requests.get(f"{clean_alertmanager}/api/v2/silence/{silence_id}", timeout=5).json()
    assert stored["matchers"] == [
        {"name": "host", "value": "node2", "isRegex": False, "isEqual": True}
    ]


def test_removal_expires_the_silence(clean_alertmanager: str) -> None:
    client = silences(clean_alertmanager)
    [silence_id] = client.set_downtime(a_request(reference="wf-exp")).ids
    assert client.remove_downtime("node2", "wf-exp") == 1
    stored = requests.get(f"{clean_alertmanager}/api/v2/silence/{silence_id}", timeout=5).json()
    assert stored["status"]["state"] == "expired"


def test_a_silence_ending_in_the_past_is_refused_with_the_host_named(
    clean_alertmanager: str,
) -> None:
    past = datetime.now(UTC) - timedelta(hours=3)
    with pytest.raises(MonitoringError, match=r"node2.*400"):
        silences(clean_alertmanager).set_downtime(a_request(start=past, hours=1))


def test_an_alertmanager_that_is_down_is_a_monitoring_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(MonitoringError, match=rf"node2.*{url}.*ConnectionError"):
        silences(url).set_downtime(a_request())
