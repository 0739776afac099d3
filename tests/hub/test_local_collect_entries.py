"""Local mode's collect: only a learner's own folder is their submission (review 11, B1).

Learners can create entries in the sticky ``inbound``, named as they like. An entry named
``<victim>+lab1+...`` that is not a folder owned by the victim (a file, a link, a fifo,
another learner's folder) counts for no one: the victim's own folder is still collected,
an earlier collected copy is never deleted, and the collect ends for everyone.
"""

from __future__ import annotations

import os
import pwd
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.courses.local_exchange import NorthlabCollect
from tests.hub import test_local_collect_time as timing
from tests.hub.test_local_collect_time import EARLY, FAR, LAB, collect, collected, drop

site = timing.site
empty_gradebook = timing.empty_gradebook

#: honest learners: the victim, the attacker (daemon) and a bystander
LEARNERS = ("nobody", "daemon", "bin")
FORGED = f"nobody+{LAB}+{FAR}+forged"


def _owned_by_daemon(path: Path) -> None:
    uid = pwd.getpwnam("daemon").pw_uid
    os.lchown(path, uid, uid)


def _file(site: dict[str, Path], path: Path) -> None:
    path.write_text("not a submission")
    _owned_by_daemon(path)


def _dangling_link(site: dict[str, Path], path: Path) -> None:
    path.symlink_to("/nonexistent/northlab")
    _owned_by_daemon(path)


def _link_to_another_learners_folder(site: dict[str, Path], path: Path) -> None:
    path.symlink_to(next(site["inbound"].glob(f"bin+{LAB}+*")))
    _owned_by_daemon(path)


def _folder_of_another_learner(site: dict[str, Path], path: Path) -> None:
    drop(site, "nobody", FAR, suffix="forged", owner="daemon", text="daemon's")


def _fifo(site: dict[str, Path], path: Path) -> None:
    os.mkfifo(path)
    _owned_by_daemon(path)


ENTRIES: dict[str, Callable[[dict[str, Path], Path], None]] = {
    "file": _file,
    "dangling link": _dangling_link,
    "link to another learner's folder": _link_to_another_learners_folder,
    "folder owned by another learner": _folder_of_another_learner,
    "fifo": _fifo,
}


def honest_submissions(site: dict[str, Path]) -> None:
    for learner in LEARNERS:
        drop(site, learner, EARLY, text=f"{learner}'s")


def all_collected(site: dict[str, Path]) -> dict[str, tuple]:
    found = {learner: collected(site, learner) for learner in LEARNERS}
    assert {learner: text for learner, (_, text) in found.items()} == {
        learner: f"{learner}'s" for learner in LEARNERS}
    return found


@pytest.mark.parametrize("make", ENTRIES.values(), ids=ENTRIES.keys())
def test_a_forged_entry_never_hides_a_learners_submission(site, make, caplog):
    honest_submissions(site)
    time.sleep(0.05)  # the forged entry arrives last
    make(site, site["inbound"] / FORGED)
    collect(site)
    all_collected(site)
    assert f"Skipped {site['inbound'] / FORGED}: not a folder of nobody." in caplog.text


@pytest.mark.parametrize("make", ENTRIES.values(), ids=ENTRIES.keys())
def test_a_forged_entry_never_deletes_a_collected_submission(site, make):
    honest_submissions(site)
    collect(site)
    before = all_collected(site)
    time.sleep(0.05)
    make(site, site["inbound"] / FORGED)
    collect(site, update=True)
    assert all_collected(site) == before


def test_names_that_name_no_learner_of_this_lab_are_skipped(site):
    """Folders owned by a learner, named for no one or for another lab's pattern, are not
    theirs: each learner's own folder is collected."""
    honest_submissions(site)
    time.sleep(0.05)
    for name in (f"ghost-{LAB}+{LAB}+{FAR}+x", f"nobody+{LAB}+a+b+c", f"daemon+x+{LAB}+y+z"):
        folder = site["inbound"] / name
        folder.mkdir()
        _owned_by_daemon(folder)
    collect(site)
    all_collected(site)


def test_a_folder_swapped_for_a_dangling_link_after_listing_does_not_end_the_collect(
        site, monkeypatch):
    """The victim's folder is listed, then (before it is copied) replaced by a dangling
    link: that learner is not collected this time, everyone else is."""
    honest_submissions(site)
    listed = NorthlabCollect.init_src

    def list_then_swap(self: NorthlabCollect) -> None:
        listed(self)
        victim = next(site["inbound"].glob(f"nobody+{LAB}+*"))
        victim.rename(site["inbound"].parent / "moved")
        victim.symlink_to("/nonexistent/northlab")

    monkeypatch.setattr(NorthlabCollect, "init_src", list_then_swap)
    collect(site)
    assert not (site["course"] / "submitted" / "nobody" / LAB).exists()
    assert [collected(site, learner)[1] for learner in ("daemon", "bin")] == [
        "daemon's", "bin's"]
