"""Which source `nim-gitops --version` runs from: the git commit of a checkout, read from the
files under `.git` (no `git` process, so `--version` stays fast), or nothing for an installed
wheel, whose package directory has no `.git` beside it."""

from __future__ import annotations

from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent


def _git_dir(root: Path) -> Path | None:
    """`root/.git`, or where a worktree's `.git` file points (`gitdir: PATH`)."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        first = dot_git.read_text("utf-8").splitlines()[:1]
        if first and first[0].startswith("gitdir: "):
            target = Path(first[0][len("gitdir: "):].strip())
            return target if target.is_absolute() else (root / target).resolve()
    return None


def _packed_ref(common: Path, ref: str) -> str | None:
    packed = common / "packed-refs"
    if not packed.is_file():
        return None
    for line in packed.read_text("utf-8").splitlines():
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1] == ref:
            return parts[0]
    return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)


def checkout_commit(root: Path = SOURCE_ROOT) -> str | None:
    """The commit checked out at `root` (its first 7 hex digits), or None when `root` is no
    git checkout or its files cannot be read."""
    try:
        git_dir = _git_dir(root)
        if git_dir is None:
            return None
        head = (git_dir / "HEAD").read_text("utf-8").strip()
        if head.startswith("ref: "):
            ref = head[len("ref: "):]
            common_file = git_dir / "commondir"
            common = (git_dir / common_file.read_text("utf-8").strip()).resolve() \
                if common_file.is_file() else git_dir
            loose = next((d / ref for d in (git_dir, common) if (d / ref).is_file()), None)
            head = loose.read_text("utf-8").strip() if loose else _packed_ref(common, ref) or ""
        return head[:7] if _is_sha(head) else None
    except (OSError, UnicodeDecodeError):
        return None


def version_line(version: str) -> str:
    """`nim-gitops VERSION`, with `(commit abc1234)` when run from a git checkout."""
    commit = checkout_commit()
    return f"nim-gitops {version}" + (f" (commit {commit})" if commit else "")
