"""Quoting argv for the remote shell, and the messages of failed commands."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ceph_tasks.errors import CommandFailed
from ceph_tasks.remote.argv import (
    MESSAGE_COMMAND_CHARS,
    CommandResult,
    check_result,
    command_words,
    display_command,
    failure_message,
    guarded,
    shell_line,
    timed_out,
)

HOSTILE = ["/dev/sdb; touch /tmp/pwned", "$(id)", "`id`", "a\nb", "it's", '"', "", "*",
           "~root", "$HOME", "a b", "\\", "!", "#", "&", "|", ">x", "\t"]


@pytest.mark.parametrize("word", HOSTILE)
def test_each_hostile_word_is_one_shell_word_with_no_live_metacharacters(word: str) -> None:
    line = shell_line(["echo", word])
    assert shlex.split(line) == ["echo", word]
    if word:
        # Everything after the program is one single-quoted word (or a safe bare word).
        quoted = line.removeprefix("echo ")
        assert quoted == word or quoted.startswith("'")


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00")), min_size=1))
def test_any_argv_without_nul_survives_the_shell_split(words: list[str]) -> None:
    argv = ["prog", *words]
    assert shlex.split(shell_line(argv)) == argv


def test_a_string_bytes_or_empty_argv_is_refused() -> None:
    with pytest.raises(TypeError, match="not a string"):
        command_words("ls -l")
    with pytest.raises(TypeError, match="not a string"):
        command_words(b"ls")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="program"):
        command_words([])
    with pytest.raises(ValueError, match="program"):
        command_words(["", "x"])
    with pytest.raises(TypeError, match="must be str"):
        command_words(["osd", 4])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="NUL"):
        command_words(["echo", "a\x00b"])


def test_guarded_commands_run_under_the_hosts_timeout_a_little_after_ours() -> None:
    assert guarded(["sleep", "30"], 1) == ("timeout", "-k", "5", "2", "sleep", "30")
    assert guarded(["true"], 0.25) == ("timeout", "-k", "5", "1.25", "true")


def test_a_failure_message_names_command_host_status_and_stderr() -> None:
    result = CommandResult("stor01", ("ceph-volume", "lvm", "zap", "/dev/sdb"), 1, "",
                           "stderr: device busy\n")
    message = failure_message(result)
    assert message == ("command `ceph-volume lvm zap /dev/sdb` on host stor01 exited with "
                       "status 1; stderr: stderr: device busy")


def test_a_failure_message_keeps_the_end_of_a_long_stderr() -> None:
    stderr = "progress\n" * 1000 + "the real error\n"
    message = failure_message(CommandResult("h", ("x",), 2, "", stderr))
    assert message.endswith("the real error")
    assert len(message) < 2200


def test_a_command_without_exit_status_is_described_as_killed_or_dropped() -> None:
    message = failure_message(CommandResult("h", ("x",), -1, "", ""))
    assert "without an exit status" in message
    assert message.endswith("no stderr")


def test_long_commands_are_shortened_in_messages() -> None:
    text = display_command(["echo", "y" * 2000])
    assert len(text) == MESSAGE_COMMAND_CHARS
    assert text.endswith("...")


def test_check_result_passes_success_and_raises_failure_with_its_fields() -> None:
    ok = CommandResult("h", ("true",), 0, "out", "")
    assert check_result(ok) is ok
    with pytest.raises(CommandFailed) as caught:
        check_result(CommandResult("h", ("false",), 1, "o", "e"))
    assert (caught.value.host, caught.value.argv, caught.value.exit_status,
            caught.value.stdout, caught.value.stderr) == ("h", ("false",), 1, "o", "e")


def test_a_timeout_error_names_command_host_and_limit() -> None:
    error = timed_out("stor01", ["sleep", "30"], 1.5)
    assert str(error) == ("command `sleep 30` on host stor01 ran past its timeout of 1.5 s "
                          "and was stopped")
    assert (error.host, error.argv, error.timeout) == ("stor01", ("sleep", "30"), 1.5)
