"""Lab titles and order for display, read from ``labs/<track>/<lab>/lab.toml``, and
achievement names (read by the credential service's ``achievements`` module).

The gradebook only needs the id, track, order and bilingual title of each lab; labs and
achievements that appear in results but not on disk are shown by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from graders.lab import TRACKS as TRACK_ORDER
from graders.lab import lab_tables
from hub.services.credentials.achievements import AchievementError, load_achievement
from northlab.settings import REPO

LABS_ROOT = REPO / "labs"


@dataclass(frozen=True)
class LabInfo:
    """What a gradebook page shows about a lab."""

    id: str
    track: str = ""
    order: int = 0
    title: dict[str, str] = field(default_factory=dict)

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get("en") or self.id

    @property
    def sort_key(self) -> tuple[int, str, int, str]:
        rank = TRACK_ORDER.index(self.track) if self.track in TRACK_ORDER else len(TRACK_ORDER)
        return (rank, self.track, self.order, self.id)


class LabCatalogue:
    """Lab metadata by id; unknown ids get a bare :class:`LabInfo`."""

    def __init__(self, labs: dict[str, LabInfo],
                 achievement_names: dict[str, dict[str, str]] | None = None) -> None:
        self.labs = labs
        #: ``{achievement id: {language: name}}``
        self.achievement_names = achievement_names or {}

    @classmethod
    def from_folder(cls, root: Path = LABS_ROOT) -> LabCatalogue:
        labs: dict[str, LabInfo] = {}
        for path, data in lab_tables(root):  # a broken lab is shown by its id
            lab_id = str(data.get("id", path.parent.name))
            labs[lab_id] = LabInfo(
                id=lab_id,
                track=str(data.get("track", path.parent.parent.name)),
                order=int(data.get("order", 0)),
                title={k: str(v) for k, v in dict(data.get("title", {})).items()},
            )
        names = {}
        for path in sorted(Path(root).glob("*/achievement.toml")):
            try:
                achievement = load_achievement(path)
            except AchievementError:
                continue  # the credential service reports it; the gradebook shows the id
            names[achievement.id] = dict(achievement.name)
        return cls(labs, names)

    def get(self, lab_id: str, track: str = "") -> LabInfo:
        return self.labs.get(lab_id) or LabInfo(id=lab_id, track=track)

    def ordered(self, lab_ids: dict[str, str]) -> list[LabInfo]:
        """LabInfo for ``{lab id: track}`` in track, then course order."""
        return sorted((self.get(lab, track) for lab, track in lab_ids.items()),
                      key=lambda info: info.sort_key)
