"""A registry entry's sources: government documents first, references to verify after."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_official_source(source: str) -> bool:
    """A government document: a cited document (text, not a web address) or a page on a
    government site (gov.cn). Anything else is a reference to verify (参考来源，待核实)."""
    text = source.strip()
    if not text.lower().startswith(("http://", "https://")):
        return True
    host = (urlsplit(text).hostname or "").lower()
    return host == "gov.cn" or host.endswith(".gov.cn")


def split_sources(sources) -> tuple[list[str], list[str]]:
    """(official, reference) sources of a registry entry, in their order."""
    sources = [s for s in (sources or []) if s and s.strip()]
    official = [s for s in sources if is_official_source(s)]
    return official, [s for s in sources if not is_official_source(s)]
