"""Validated string types shared by the models.

Host names, device paths and CRUSH names later reach argv lists, CRUSH commands
and file names, so they are checked strictly here, once, at load time.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Strict

_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_CRUSH_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$")
# Patterns are applied with fullmatch: "$" alone would accept a trailing newline.
# Characters seen in /dev, /dev/disk/by-id and /dev/disk/by-path names; nothing a shell treats
# specially, no whitespace.
_DEVICE_PATH = re.compile(r"^(?:/[A-Za-z0-9_.+:@-]+)+$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_CLIENT = re.compile(r"^client\.[A-Za-z0-9_.-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_hostname(value: str) -> str:
    """Accept an RFC 1123 host name (dot-separated labels of letters, digits and hyphens)."""
    labels = value.split(".")
    if len(value) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            f"{value!r} is not a valid RFC 1123 host name "
            "(letters, digits and inner hyphens, dot-separated labels of at most 63 characters)"
        )
    return value


def check_address(value: str) -> str:
    """Accept an IPv4/IPv6 address or an RFC 1123 host name."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        try:
            check_hostname(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is neither an IP address nor an RFC 1123 host name"
            ) from None
    return value


def check_crush_name(value: str) -> str:
    """Accept a CRUSH bucket, type or class name, or a cluster name."""
    if not _CRUSH_NAME.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid name (letters, digits, '_', '.', '-'; "
            "not starting with '.' or '-')"
        )
    return value


def check_device_path(value: str) -> str:
    """Accept an absolute device path free of whitespace and shell metacharacters."""
    if not _DEVICE_PATH.fullmatch(value) or any(part in (".", "..") for part in value.split("/")):
        raise ValueError(
            f"{value!r} is not a valid device path (absolute, no '.' or '..' components, "
            "only letters, digits and '_.+:@-')"
        )
    return value


def check_user(value: str) -> str:
    """Accept a POSIX login name."""
    if not _USER.fullmatch(value):
        raise ValueError(f"{value!r} is not a valid user name")
    return value


def check_client_name(value: str) -> str:
    """Accept a Ceph client entity name such as client.admin."""
    if not _CLIENT.fullmatch(value):
        raise ValueError(f"{value!r} is not a Ceph client name like 'client.admin'")
    return value


def check_http_url(value: str) -> str:
    """Accept an absolute http(s) URL without whitespace."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or re.search(r"\s", value):
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    return value


def check_email(value: str) -> str:
    """Accept a plain e-mail address (local@domain.tld)."""
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


def check_text(value: str) -> str:
    """Accept free text that is not blank and holds no control characters."""
    if not value.strip() or _CONTROL.search(value):
        raise ValueError("must be non-blank text without control characters")
    return value


def check_token(value: str) -> str:
    """Accept a non-empty single word (no whitespace), e.g. an address or project key."""
    if not value or re.search(r"\s", value) or _CONTROL.search(value):
        raise ValueError(f"{value!r} must be non-empty and contain no whitespace")
    return value


HostName = Annotated[str, AfterValidator(check_hostname)]
Address = Annotated[str, AfterValidator(check_address)]
CrushName = Annotated[str, AfterValidator(check_crush_name)]
DevicePath = Annotated[str, AfterValidator(check_device_path)]
UserName = Annotated[str, AfterValidator(check_user)]
ClientName = Annotated[str, AfterValidator(check_client_name)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]
EmailAddress = Annotated[str, AfterValidator(check_email)]
Text = Annotated[str, AfterValidator(check_text)]
Token = Annotated[str, AfterValidator(check_token)]

# YAML gives real numbers and booleans; strictness stops `true` being read as port 1
# or the string "false" being read as a flag.
StrictInt = Annotated[int, Strict()]
StrictBool = Annotated[bool, Strict()]
