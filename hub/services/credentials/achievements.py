"""Achievements as data: ``labs/<track>/achievement.toml`` (one or more per track).

Each file holds one achievement: ``id``, ``track``, ``name`` / ``description`` ({en, fr};
other languages such as ``iu`` come from the track's catalogue, see northlab.i18n),
optional ``tags``, and ``[criteria]`` with ``min_labs``, ``min_percent``, ``labs`` (empty =
every lab of the track whose ``lab.toml`` has ``credential = <id>``) and ``narrative``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graders.lab import lab_tables
from northlab.i18n import achievement_texts, read_achievement


class AchievementError(ValueError):
    """An achievement file that cannot be used."""


@dataclass(frozen=True)
class Achievement:
    id: str
    track: str
    name: dict[str, str]
    description: dict[str, str]
    narrative: dict[str, str]
    min_labs: int
    min_percent: float
    labs: tuple[str, ...]
    tags: tuple[str, ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        """English, French, then every other language (e.g. ``iu``) in which the name, the
        description and the narrative are all given: the credential carries those."""
        others = sorted(
            language for language in self.name if language not in ("en", "fr")
            and all(str(text.get(language, "")).strip()
                    for text in (self.name, self.description, self.narrative)))
        return ("en", "fr", *others)

    def qualifying_labs(self, best_percent: dict[str, float]) -> list[str] | None:
        """Labs that meet the criteria given the learner's best % per lab, or None if not met."""
        passed = sorted(
            lab for lab in self.labs if best_percent.get(lab, -1.0) >= self.min_percent - 1e-9
        )
        return passed if len(passed) >= self.min_labs and passed else None


def _text(found: dict[str, dict[str, str]], key: str, path: Path) -> dict[str, str]:
    value = found[key]
    if not value.get("en") or not value.get("fr"):
        raise AchievementError(f"{path}: {key} needs English and French text (en, fr)")
    return value


def _track_labs(track_dir: Path, achievement_id: str) -> tuple[str, ...]:
    labs = []
    for lab_toml, lab in lab_tables(track_dir, "*/lab.toml"):
        if lab.get("credential") == achievement_id:
            labs.append(str(lab.get("id", lab_toml.parent.name)))
    return tuple(labs)


def load_achievement(path: Path) -> Achievement:
    try:
        data = read_achievement(path)
        found = achievement_texts(path, data)
    except ValueError as exc:
        raise AchievementError(str(exc)) from exc
    criteria = data.get("criteria", {})
    try:
        achievement_id = str(data["id"])
        listed = tuple(str(lab) for lab in criteria.get("labs", []))
        return Achievement(
            id=achievement_id,
            track=str(data["track"]),
            name=_text(found, "name", path),
            description=_text(found, "description", path),
            narrative=_text(found, "narrative", path),
            min_labs=int(criteria.get("min_labs", 1)),
            min_percent=float(criteria.get("min_percent", 70)),
            labs=listed or _track_labs(Path(path).parent, achievement_id),
            tags=tuple(str(t) for t in data.get("tags", [])),
        )
    except KeyError as exc:
        raise AchievementError(f"{path}: missing key {exc}") from exc


def load_achievements(labs_root: Path) -> dict[str, Achievement]:
    """``{id: Achievement}`` of every ``labs/*/achievement.toml``, sorted by id."""
    found: dict[str, Achievement] = {}
    for path in sorted(Path(labs_root).glob("*/achievement.toml")):
        achievement = load_achievement(path)
        if achievement.id in found:
            raise AchievementError(f"{path}: duplicate achievement id {achievement.id}")
        found[achievement.id] = achievement
    return dict(sorted(found.items()))
