"""Shared by the bad-input tests (importable: pytest puts tests/ on sys.path)."""


def write_input(path, content) -> None:
    """Write `content` (text, or bytes for undecodable files) to `path`; None writes nothing
    (a missing file)."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
