"""A Maildir (with Maildir++ subfolders) or a plain folder of .eml files, read without touching it.

The user's files are never moved, renamed or flagged: a mail client may own the same Maildir.

Incremental state, per folder, is the set of keys already returned, stored sorted, zlib-compressed
and base64-encoded. A watermark (newest mtime seen) would be smaller but wrong: a message copied in
with its old mtime preserved, or delivered late by a slow filter, would fall below it and never be
read. With the set, "new" simply means "a key not in the set", whatever its timestamps; sorted
Maildir keys share long prefixes, so 10,000 of them pack into a few tens of kilobytes. Keys whose
files are gone are dropped from the set, so it tracks the folder's size rather than its history.
The key is the file name up to the Maildir info separator (":2,S"), which stays the same when a
client marks the message read or moves it from new/ to cur/.
"""

from __future__ import annotations

import heapq
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from agent.mail.model import RawMail
from resources.mailbox.base import (
    SENT_FOLDER_NAMES,
    FetchResult,
    MailboxError,
    MailboxUnreachableError,
    MailSource,
    check_limit,
    pack_keys,
    query_list,
    unpack_keys,
)

ROOT_FOLDER = "INBOX"
# Not mail to act on: syncing these by default would feed spam and deleted mail to the agent.
SKIPPED_FOLDERS = frozenset({"Trash", "Junk", "Spam", "Drafts", "Deleted Messages"})


@dataclass(frozen=True, order=True)
class _File:
    mtime_ns: int
    key: str
    folder: str
    path: Path


def maildir_key(name: str) -> str:
    return name.split(":", 1)[0]


class MaildirSource(MailSource):
    """`maildir:///path`: a Maildir root (plus `.Sub` folders) or a folder of *.eml files.

    `?folders=INBOX,Sent` restricts which folders are read; by default every folder except
    SKIPPED_FOLDERS is.
    """

    def __init__(self, root: Path, folders: list[str] | None = None):
        self.root = root.expanduser().resolve()
        self.selected = folders or None
        self.identity = f"maildir:{self.root}"

    @classmethod
    def from_url(cls, url: str) -> MaildirSource:
        parts = urlsplit(url)
        path = unquote(parts.netloc + parts.path)
        if not path:
            raise MailboxError("maildir URL needs a path, e.g. maildir:///srv/mail/acme")
        return cls(Path(path), query_list(parts.query, "folders"))

    def is_maildir(self) -> bool:
        return (self.root / "cur").is_dir() or (self.root / "new").is_dir()

    def folder_dirs(self) -> dict[str, list[Path]]:
        """Folder name → directories holding its messages (new/ before cur/, see fetch)."""
        if not self.root.is_dir():
            raise MailboxUnreachableError(f"mailbox folder {self.root} does not exist")
        if not self.is_maildir():
            return {ROOT_FOLDER: [self.root]}
        found = {ROOT_FOLDER: [self.root / "new", self.root / "cur"]}
        try:
            entries = list(os.scandir(self.root))
        except OSError as exc:
            raise MailboxError(f"cannot list {self.root}: {exc.strerror}") from None
        for entry in entries:
            name = entry.name[1:]
            if entry.name.startswith(".") and name and entry.is_dir():
                sub = Path(entry.path)
                if (sub / "cur").is_dir() or (sub / "new").is_dir():
                    found[name] = [sub / "new", sub / "cur"]
        if self.selected:
            missing = [f for f in self.selected if f not in found]
            if missing:
                raise MailboxError(f"no such folder in {self.root}: {', '.join(missing)}")
            return {f: found[f] for f in self.selected}
        return {
            name: found[name]
            for name in sorted(found, key=lambda n: (n != ROOT_FOLDER, n))
            if name not in SKIPPED_FOLDERS
        }

    def _scan(self, folder: str, dirs: list[Path]) -> dict[str, _File]:
        """The folder's messages by key. new/ is listed before cur/ so that a message a client
        moves between them during the scan is seen in at least one of the two."""
        eml_folder = not self.is_maildir()
        files: dict[str, _File] = {}
        for directory in dirs:
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise MailboxError(f"cannot list {directory}: {exc.strerror}") from None
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if eml_folder and not entry.name.lower().endswith(".eml"):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    mtime_ns = entry.stat().st_mtime_ns
                except FileNotFoundError:
                    continue
                key = entry.name if eml_folder else maildir_key(entry.name)
                files.setdefault(key, _File(mtime_ns, key, folder, Path(entry.path)))
        return files

    def fetch(self, checkpoint: dict[str, Any] | None, limit: int | None = None) -> FetchResult:
        check_limit(limit)
        states = self.folder_states(checkpoint)
        resynced: list[str] = []
        folders = self.folder_dirs()
        if states is None:
            resynced, states = list(folders), {}
        seen: dict[str, set[str]] = {}
        unseen: list[list[_File]] = []
        for folder, dirs in folders.items():
            present = self._scan(folder, dirs)
            known = set(unpack_keys((states.get(folder) or {}).get("seen")))
            seen[folder] = known & present.keys()
            unseen.append(sorted(f for k, f in present.items() if k not in known))
        candidates = list(heapq.merge(*unseen))  # oldest first across folders
        chosen = candidates if limit is None else candidates[:limit]
        messages, errors = [], []
        for item in chosen:
            try:
                data = item.path.read_bytes()
            except FileNotFoundError:
                continue  # moved new/ -> cur/ meanwhile: the next scan finds it under cur/
            except OSError as exc:
                errors.append(f"{item.folder}/{item.path.name}: {exc.strerror}")
                continue
            messages.append(RawMail(source_key=item.key, folder=item.folder, data=data))
            seen[item.folder].add(item.key)
        states = {f: {"seen": pack_keys(sorted(k)), "count": len(k)} for f, k in seen.items()}
        return FetchResult(
            messages=messages,
            checkpoint={"source": self.identity, "folders": states},
            folders=list(folders),
            resynced=resynced,
            more=len(candidates) > len(chosen),
            errors=errors,
        )

    def find_sent(self, message_id: str) -> bool | None:
        """Scan the Sent folder's headers for the Message-ID; a Maildir has no index to ask."""
        if not self.root.is_dir() or not self.is_maildir():
            return None
        wanted = message_id.strip().lower().encode()
        for name in SENT_FOLDER_NAMES:
            dirs = [self.root / f".{name}" / sub for sub in ("new", "cur")]
            for file in self._scan(name, dirs).values():
                if wanted in _header_ids(file.path):
                    return True
        return False

    def close(self) -> None:
        """Nothing to release: each file is opened and closed as it is read."""

    def probe(self) -> str:
        folders = self.folder_dirs()
        kind = "Maildir" if self.is_maildir() else "folder of .eml files"
        return f"{kind} {self.root}: {', '.join(folders)}"


def _header_ids(path: Path) -> set[bytes]:
    """The Message-ID values in a message's header block, lower-cased; unreadable files: none."""
    try:
        with path.open("rb") as handle:
            head = handle.read(65536).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    except OSError:
        return set()
    ids = set()
    for line in head.replace(b"\r\n", b"\n").split(b"\n"):
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"message-id":
            ids.add(value.strip().lower())
    return ids
